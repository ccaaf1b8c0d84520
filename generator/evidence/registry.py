"""The registry of evidence rule kinds.

A rule kind is a module that defines ``RULE = Rule(...)``. Built-in kinds are the modules of the
``generator.rules`` package; other packages add theirs through the ``meshcomply.rules`` entry-point
group, pointing at a module. Both are registered by ``generator.plugins.Registry``, so a built-in
rule has no privilege a user's rule lacks, and adding a built-in rule is one new file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from functools import cache, cached_property
from typing import Any

from generator.evidence.deviations import deviation_id
from generator.evidence.documents import DocumentVersion
from generator.plugins import Registry, RegistryError
from generator.status import Status

__all__ = ["Failure", "RegistryError", "Rule", "RuleResult", "SampleCheck", "all_rules"]


@dataclass(frozen=True)
class Failure:
    """One deviation: a change (sha) or a window of time, with what went wrong.

    ``kind`` is a deviation kind its rule declares in ``Rule.deviation_kinds``; ``items`` are
    what the deviation cites besides ``sha`` (more shas, document paths, event ids).
    """

    message: str
    sha: str | None = None
    window: dict[str, Any] | None = None  # from_sha, to_sha, from, to, hours
    _: KW_ONLY
    kind: str
    items: tuple[str, ...] = ()

    @cached_property
    def id(self) -> str:
        """Its deviation id (``deviations.deviation_id``), computed once: the exceptions
        register, the model's records and the summary each ask for it."""
        return deviation_id(self.kind, self.sha, self.items, self.window)


@dataclass(frozen=True)
class RuleResult:
    status: Status
    reason: str  # one sentence a person can read
    population: int = 0
    passed: int = 0
    failed: int = 0
    cited: tuple[str, ...] = ()
    failures: tuple[Failure, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    last_evidence: str | None = None  # ISO date of the newest evidence used
    # Event rules: the uuids of the events the population is made of (one per member), for the
    # pack's event populations and samples (docs/event-rules.md).
    events: tuple[str, ...] = ()
    # The evidence documents the rule read, each version hashed (the model's `documents`).
    documents: tuple[DocumentVersion, ...] = ()
    # What this result's evidence cannot show here (e.g. that an approval line's named approver
    # made the approval, where the environment accepts such a line): each sentence is added to
    # the control's does_not_prove, so "It does not show" says it wherever the result is shown.
    does_not_show: tuple[str, ...] = ()


@dataclass(frozen=True)
class SampleCheck:
    """What an auditor verifies on each sampled change that a rule tests change by change.

    ``roles`` gives, from a control's params, the roles of the environments whose changes the
    rule tests; the auditor's sample lists the check under each of those populations.
    """

    attribute: str  # a short name: "approval", "signature"
    check: str  # one sentence: what to look at on the change, and how
    roles: Callable[[dict[str, Any]], Iterable[str]]


@dataclass(frozen=True)
class Rule:
    kind: str
    summary: str
    params_schema: dict[str, Any]
    # evaluate(context, params) -> RuleResult; context is generator.evidence.context.RuleContext
    evaluate: Callable[[Any, dict[str, Any]], RuleResult]
    # The test attribute of the auditor's sample, for a rule that tests each change on its own.
    sample_check: SampleCheck | None = None
    # kind -> one sentence saying what it means: every kind the rule's failures may carry (a
    # failure of another kind is a BuildError naming the rule); docs/auditors.md lists them.
    deviation_kinds: Mapping[str, str] = field(default_factory=dict)
    # What its verdicts are tested from: "git" (the configuration history), "events" (meshStack's
    # event log), "documents" (documents kept by hand); the SoA shows it per row.
    reads: tuple[str, ...] = ("git",)


RULES: Registry[Rule] = Registry(
    title="evidence rules",
    noun="rule kind",
    package="generator.rules",
    group="meshcomply.rules",
    attribute="RULE",
    item_type=Rule,
    name_of=lambda rule: rule.kind,
)


@cache
def all_rules() -> dict[str, Rule]:
    """Every registered rule kind, by kind name; RegistryError (a BuildError) if one is broken."""
    return dict(sorted(RULES.load().items()))
