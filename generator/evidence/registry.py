"""The registry of evidence rule kinds.

A rule kind is a module that defines ``RULE = Rule(...)``. Built-in kinds are the modules of the
``generator.rules`` package; other packages add theirs through the ``meshcomply.rules`` entry-point
group, pointing at a module. Both are registered by the same function, so a built-in rule has no
privilege a user's rule lacks, and adding a built-in rule is one new file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

from generator.status import Status


@dataclass(frozen=True)
class Failure:
    """One failing item: a change (sha) or a window of time, with what went wrong."""

    message: str
    sha: str | None = None
    window: dict[str, Any] | None = None  # from_sha, to_sha, from, to, hours


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


@dataclass(frozen=True)
class Rule:
    kind: str
    summary: str
    params_schema: dict[str, Any]
    # evaluate(context, params) -> RuleResult; context is generator.evidence.context.RuleContext
    evaluate: Callable[[Any, dict[str, Any]], RuleResult]


class RegistryError(Exception):
    pass


def register_module(module: ModuleType, rules: dict[str, Rule]) -> None:
    rule = getattr(module, "RULE", None)
    if not isinstance(rule, Rule):
        raise RegistryError(f"{module.__name__} does not define RULE = Rule(...)")
    if rule.kind in rules:
        raise RegistryError(f"rule kind '{rule.kind}' is registered twice ({module.__name__})")
    rules[rule.kind] = rule


@cache
def all_rules() -> dict[str, Rule]:
    """Every registered rule kind, by kind name."""
    from generator import rules as builtin

    registered: dict[str, Rule] = {}
    for info in sorted(pkgutil.iter_modules(builtin.__path__), key=lambda m: m.name):
        register_module(importlib.import_module(f"{builtin.__name__}.{info.name}"), registered)
    for point in sorted(entry_points(group="meshcomply.rules"), key=lambda p: p.name):
        register_module(point.load(), registered)
    return dict(sorted(registered.items()))
