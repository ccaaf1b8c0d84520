"""What a control's rules tested, in a few words, for the lists that show a status beside a title.

A status says nothing wider than the rules behind it: "No deviations found" beside a title such as
"dependencies are inventoried, licence-checked and kept current" must say that the rule tested
how long versions took to reach production, and nothing about dependencies. The control list,
the controls index and the Statement of Applicability print these words beside each status; a
result that only reports figures (it can find no deviation, so it does not count towards the
status) is marked so. Rules this module does not know (plugins) are named by their kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

INFORMATIONAL = "figures only, not judged"


def _roles(params: Mapping[str, Any], key: str = "roles") -> str:
    roles = params.get(key) or []
    return " and ".join(str(r) for r in roles) if isinstance(roles, list) else str(roles)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return str(value)


def _document(params: Mapping[str, Any]) -> str:
    path = str(params.get("document") or params.get("documents") or "document")
    name = path.rstrip("/").rsplit("/", 1)[-1]
    if "frequency" in params:
        return f"each {params['frequency']} {name} recorded with its result"
    if "max_age_days" in params:
        return f"{name} at most {params['max_age_days']} days old"
    return name


def _hours(params: Mapping[str, Any], default: float = 0) -> str:
    hours = params.get("min_hours", default)
    return f" for {_value(hours)} h" if hours else ""


_WORDS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "change-approval": lambda p: f"approval of each {_roles(p)} change",
    "approval-gate": lambda p: f"approval of each {p.get('role', 'production')} release",
    "staging-before-production": lambda p: f"each production version on staging first{_hours(p)}",
    "config-promotion": lambda p: f"each production setting on staging first{_hours(p)}",
    "direct-push": lambda p: "no direct pushes",
    "patch-latency": lambda p: f"staging to production within {_value(p.get('max_days'))} days",
    "signed-changes": lambda p: f"signed {_roles(p)} commits",
    "config-assertion": lambda p: (
        f"setting {p.get('key')} {p.get('op')} {_value(p.get('value'))} in git"
    ),
    "manual": _document,
    "access-four-eyes": lambda p: "four-eye approval of role grants",
    "access-removal": lambda p: f"roles removed within {_value(p.get('max_days', 7))} days",
    "access-expiry": lambda p: (
        "expiry of privileged grants and API keys"
        if p.get("api_keys", True)
        else "expiry of privileged grants"
    ),
    "changes-outside-git": lambda p: (
        f"event-log changes matched in git within {_value(p.get('tolerance_hours', 24))} h"
    ),
    "access-activity": lambda p: "access activity per month",
}


def rule_words(rule: str, params: Mapping[str, Any]) -> str:
    """What one rule with these parameters tests, in a few words."""
    words = _WORDS.get(rule)
    return words(params) if words else f"rule {rule}"


def result_words(result: Any) -> str:
    """A result's ``rule_words``, marked when it only reports figures."""
    words = rule_words(result.rule, result.params)
    return f"{words} ({INFORMATIONAL})" if getattr(result, "informational", False) else words


def control_tested(control: Any, judged_only: bool = False) -> list[str]:
    """What a control's rules tested, once each, in the control's order; with ``judged_only``
    without the results that report figures only (what its status rests on)."""
    return list(
        dict.fromkeys(
            result_words(r)
            for r in control.results
            if not (judged_only and getattr(r, "informational", False))
        )
    )
