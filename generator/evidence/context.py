"""What an evidence rule sees: one installation's history over the audit period.

Rules receive a ``RuleContext`` and their mapping-file ``params``. The context wraps the history
reader's ``InstallationHistory``; the Protocols below name exactly what rules rely on, so a rule
(built-in or a plugin) can be tested with plain model objects and no git repository.

Dates: every date a rule reports (``last_evidence``, window bounds) is UTC, like the period's
boundaries, so a commit at 23:30+02:00 on the last day of the period is inside it on every machine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from generator.config import Role
from generator.evidence.registry import RuleResult
from generator.history.model import (
    Change,
    Commit,
    FileVersion,
    ParsedVersion,
    Promotion,
    ReleaseEvent,
    Tag,
)
from generator.history.parsedcache import BlobParser
from generator.numberwords import count_text as count_text  # re-exported for rules
from generator.numberwords import number as number
from generator.patterns import glob_regex
from generator.status import Status
from generator.timewords import utc


class PeriodLike(Protocol):
    """The audit period: ``start`` and ``end`` are inclusive calendar dates."""

    start: dt.date
    end: dt.date

    @property
    def start_utc(self) -> dt.datetime: ...

    @property
    def end_utc_exclusive(self) -> dt.datetime: ...


class EnvironmentLike(Protocol):
    name: str
    role: str  # "staging", "production" or "other" (generator.config.Role)
    paths: Sequence[str]


class SigningLike(Protocol):
    allowed_signers: Any  # a Path or None
    gpg_keyring: Any  # a Path or None


class InstallationLike(Protocol):
    name: str
    repo: str  # as the user wrote it in meshcomply.yml
    ref: str
    environments: Sequence[EnvironmentLike]
    signing: SigningLike | None
    evidence_dir: Path | None


class HistoryLike(Protocol):
    """The parts of ``generator.history``'s InstallationHistory that rules use."""

    installation: InstallationLike
    period: PeriodLike
    commits: Sequence[Commit]  # first-parent, oldest first
    changes: Sequence[Change]  # the population in the period, oldest first
    releases: Sequence[ReleaseEvent]  # first appearance per environment, whole history
    promotions: Sequence[Promotion]
    tags: Sequence[Tag]  # release tags of the period's changes verified, given keys

    # Every first-parent commit of the period in exactly one group (generator/history/
    # reconcile.py); the unaccounted ones as changes to no environment; None without them.
    reconciliation: Any
    unplaced: Sequence[Change]
    signed_tags: Mapping[str, tuple[Tag, ...]]  # verified release tags dated in time, by sha
    changes_limited_to: tuple[str, ...] | None

    def file_versions(self, path: str) -> list[FileVersion]: ...

    def file_history(self, path: str) -> list[tuple[int, FileVersion]]: ...

    def parsed_history(self, path: str, parser: BlobParser) -> list[tuple[int, ParsedVersion]]: ...

    def parsed_versions(self, path: str, parser: BlobParser) -> list[ParsedVersion]: ...

    def file_at(self, path: str, sha: str) -> str | None: ...

    def file_bytes_at(self, path: str, sha: str) -> bytes | None: ...

    # A name not valid UTF-8 is listed with U+FFFD and no file can be read by it: file_at and
    # file_bytes_at raise UnreadableFileError (generator/history/history.py: AMBIGUOUS_NAME).
    def paths_at(self, sha: str, folder: str) -> list[str]: ...

    def commit_exists(self, sha: str) -> bool: ...

    def last_commit_in_period(self) -> Commit | None: ...


class EvidenceSpecLike(Protocol):
    kind: str
    params: dict[str, Any]


class ControlLike(Protocol):
    """A meshStack control as ``generator.library`` loads it."""

    id: str
    title: str
    description: str
    owner: str
    responsibility: str
    customer_part: str | None
    implements: Sequence[Any]  # items with ref, coverage, rationale
    proves: str
    does_not_prove: str
    evidence: Sequence[EvidenceSpecLike]


@dataclass(frozen=True)
class RuleContext:
    """The evidence a rule judges, with the look-ups several rules need.

    ``sources`` holds every evidence source's data by source name (docs/sources.md); ``history``
    is the git source's, typed by ``HistoryLike``, and is also ``source("git")``.
    """

    history: HistoryLike
    sources: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if "git" not in self.sources:
            object.__setattr__(self, "sources", {**self.sources, "git": self.history})

    def source(self, name: str) -> Any | None:
        """A source's data for this installation and period; None when it has no such source
        (missing evidence is never a pass: say ``not_tested``)."""
        return self.sources.get(name)

    @property
    def installation(self) -> InstallationLike:
        return self.history.installation

    @property
    def period(self) -> PeriodLike:
        return self.history.period

    def in_period(self, timestamp: str) -> bool:
        """Whether an ISO 8601 timestamp falls inside the audit period."""
        moment = utc(timestamp)
        return self.period.start_utc <= moment < self.period.end_utc_exclusive

    def changes_in(self, environments: Iterable[str]) -> list[Change]:
        """The population members that touched any of the environments, oldest first."""
        wanted = frozenset(environments)
        known = self._populations.get(wanted)
        if known is None:  # several rules ask for the same environments' changes
            known = [c for c in self.history.changes if wanted.intersection(c.environments)]
            self._populations[wanted] = known
        return list(known)

    @cached_property
    def _populations(self) -> dict[frozenset[str], list[Change]]:
        return {}

    def newest_date(self, timestamps: Iterable[str | None]) -> str | None:
        """``newest_date``, each distinct timestamp parsed once per build: rule after rule
        dates the same commits (the population's newest change is each one's last evidence)."""
        present = [t for t in timestamps if t]
        if not present:
            return None
        moments = self._moments
        new = [t for t in dict.fromkeys(present) if t not in moments]
        moments.update(zip(new, map(utc, new), strict=True))
        return max(map(moments.__getitem__, present)).date().isoformat()

    @cached_property
    def _moments(self) -> dict[str, dt.datetime]:
        return {}

    def environments_with_roles(self, roles: Iterable[str]) -> list[str]:
        """The names of the environments with any of the roles, in configuration order."""
        wanted = set(roles)
        return [env.name for env in self.installation.environments if env.role in wanted]

    def configured(self, environment: str) -> bool:
        return any(env.name == environment for env in self.installation.environments)

    def environment_seen(self, environment: str) -> bool:
        """Whether the history shows the environment existed by the end of the period.

        An empty population is only evidence of "nothing changed" for an environment that
        demonstrably exists: it is configured, and a release reached it or a commit touched its
        paths no later than the period's end.
        """
        if not self.configured(environment):
            return False
        end = self.period.end_utc_exclusive
        events = [*self.history.releases]
        for promotion in self.history.promotions:
            events.extend(e for e in (promotion.staging, promotion.production) if e)
        if any(e.environment == environment and utc(e.date) < end for e in events):
            return True
        if self.changes_in([environment]):
            return True
        patterns = [
            glob_regex(p)
            for env in self.installation.environments
            if env.name == environment
            for p in env.paths
        ]
        return any(
            utc(commit.committed_at) < end
            and any(p.fullmatch(f.path) for p in patterns for f in commit.files)
            for commit in self.history.commits
        )

    @cached_property
    def _commit_dates(self) -> dict[str, str]:
        dates = {c.sha: c.committed_at for c in self.history.commits}
        for change in self.history.changes:
            dates.setdefault(change.commit.sha, change.commit.committed_at)
        return dates

    def commit_date(self, sha: str) -> str | None:
        """The committer timestamp of a first-parent commit, None for an unknown sha."""
        return self._commit_dates.get(sha)


# The ``roles`` parameter of rules judging a change population (a JSON Schema): mapping files
# name roles, never environments, so one control library fits installations naming them freely.
ROLES_PARAM: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "uniqueItems": True,
    "items": {"enum": [role.value for role in Role]},
    "description": "the roles of the environments whose changes make up the population",
}


# Wording and figure helpers shared by the rule modules (and available to plugin rules; they
# import count_text and number from here too).


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 change``, ``2 changes``, ``24,896 changes``."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count_text(count)} {word}"


def part_of(part: int, total: int, singular: str, plural_form: str | None = None) -> str:
    """``24,896 of 100,000 changes``: how many of a population a sentence is about."""
    return f"{count_text(part)} of {plural(total, singular, plural_form)}"


def every(count: int, singular: str, plural_form: str | None = None) -> str:
    """``All 3 changes``, ``The 1 change``: the start of a sentence about a whole population."""
    if count == 1:
        return f"The 1 {singular}"
    return f"All {count_text(count)} {plural_form or f'{singular}s'}"


def was_were(count: int) -> str:
    return "was" if count == 1 else "were"


def environments_phrase(environments: Iterable[str]) -> str:
    """``production``, ``staging and production``, ``a, b and c`` (as given, de-duplicated)."""
    names = list(dict.fromkeys(environments))
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def utc_date(timestamp: str) -> str:
    """The UTC calendar date (``YYYY-MM-DD``) of an ISO 8601 timestamp."""
    return utc(timestamp).date().isoformat()


def utc_timestamp(moment: dt.datetime) -> str:
    """A datetime as an ISO 8601 UTC string with an explicit offset."""
    return moment.astimezone(dt.UTC).isoformat()


def newest_date(timestamps: Iterable[str | None]) -> str | None:
    """The UTC date of the latest timestamp, None when there is none."""
    moments = [utc(t) for t in timestamps if t]
    return max(moments).date().isoformat() if moments else None


def hours_between(start: dt.datetime, end: dt.datetime) -> float:
    return round((end - start).total_seconds() / 3600, 2)


def unconfigured_result(context: RuleContext, environments: Iterable[str]) -> RuleResult | None:
    """``not_tested`` when a mapping names an environment the installation does not have.

    A typo such as ``prod`` for ``production`` would otherwise judge an empty population and
    pass; missing evidence is never a pass.
    """
    missing = [e for e in dict.fromkeys(environments) if not context.configured(e)]
    if not missing:
        return None
    names = environments_phrase(f"'{e}'" for e in missing)
    known = environments_phrase(env.name for env in context.installation.environments) or "none"
    verb = "is" if len(missing) == 1 else "are"
    return RuleResult(
        status=Status.NOT_TESTED,
        reason=(
            f"Environment {names} {verb} not configured for installation "
            f"{context.installation.name} (configured: {known}), so there is no evidence for it."
        ),
    )


def missing_roles_result(context: RuleContext, roles: Iterable[str]) -> RuleResult | None:
    """``not_tested`` when no environment of the installation has a role the mapping names.

    An installation without a staging environment has no evidence that versions soaked there;
    judging an empty population would pass.
    """
    missing = [r for r in dict.fromkeys(roles) if not context.environments_with_roles([r])]
    if not missing:
        return None
    names = environments_phrase(f"'{r}'" for r in missing)
    known = (
        environments_phrase(
            env.name if env.name == env.role else f"{env.name} ({env.role})"
            for env in context.installation.environments
        )
        or "none"
    )
    noun = "role" if len(missing) == 1 else "roles"
    return RuleResult(
        status=Status.NOT_TESTED,
        reason=(
            f"No environment of installation {context.installation.name} has the {noun} {names} "
            f"(configured: {known}), so there is no evidence for it."
        ),
    )


def empty_population_result(
    context: RuleContext,
    environments: Iterable[str],
    nothing: str,
    *,
    status: Status,
    reason: str,
) -> RuleResult:
    """The verdict on an empty population: ``not_tested`` unless every environment is seen.

    ``nothing`` completes "No ... in the period" (e.g. "production changes"); ``status`` and
    ``reason`` are the verdict when the environments demonstrably exist.
    """
    unseen = [e for e in dict.fromkeys(environments) if not context.environment_seen(e)]
    if unseen:
        return RuleResult(
            status=Status.NOT_TESTED,
            reason=(
                f"No {nothing} in the period, and the history shows no release or commit for "
                f"{environments_phrase(unseen)} by the period end, so there is no evidence."
            ),
        )
    return RuleResult(status=status, reason=reason)
