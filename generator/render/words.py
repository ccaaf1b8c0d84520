"""Values of the evidence model in words, for the PDF and the portal alike.

Free-form parts of the model (a rule's ``params`` and ``details``, a deviation's ``window``) are
shown to people as sentences and tables, never as Python or JSON: ``roles: production`` rather
than ``roles=['production']``, a window as its two moments and its commits. Every time is shown
in UTC. Both renderers use these functions, so they show the same words.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from generator.timewords import utc_words

_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
SHORT_SHA = 12
# A full commit id: 40 hexadecimal digits (SHA-1 git) or 64 (SHA-256 git).
_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def is_commit_id(value: object) -> bool:
    """Whether `value` is a full commit id, which both renderers show as one unit."""
    return isinstance(value, str) and _COMMIT_ID.fullmatch(value) is not None


def utc_text(value: object) -> str:
    """An ISO 8601 timestamp as ``YYYY-MM-DD HH:MM UTC``; other text as it is."""
    text = str(value or "")
    if not _TIMESTAMP.match(text):
        return text
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return utc_words(moment)


def name_text(key: str) -> str:
    """A field name as words: ``staging_sha`` -> ``staging sha``."""
    return key.replace("_", " ")


def label_text(key: str) -> str:
    """A field name as a label or header: ``earliest_counted`` -> ``Earliest counted``, like
    every other label of the PDF and the portal."""
    words = name_text(key)
    return words[:1].upper() + words[1:]


def value_text(value: Any) -> str:
    """Any model value in words: lists joined, booleans as yes/no, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, str):
        return utc_text(value)
    if isinstance(value, Mapping):
        return "; ".join(f"{name_text(str(k))}: {value_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value) or "none"
    return str(value)


# What each built-in deviation kind is called on a page; the id itself stays beside it (in the
# CSV, evidence.json and a small code span), where an auditor traces it. A kind of a rule from
# another package reads as its id in words. tests/test_render_words.py checks every built-in
# rule's kinds are here.
DEVIATION_WORDS = {
    "access_not_removed": "Access not removed in time",
    "approval_too_weak": "Approval evidence too weak",
    "approver_not_allowed": "Approver not allowed",
    "approvers_unknown": "Who may approve not known",
    "assertion_failed": "Condition did not hold",
    "bad_signature": "Signature does not verify",
    "changed_outside_git": "Changed outside git",
    "direct_push": "Direct push",
    "failed_result": "Recorded result: fail",
    "grant_without_request": "Granted without a request",
    "late_promotion": "Late to production",
    "no_expiry": "No expiration date",
    "not_performed": "Not performed when due",
    "self_approved": "Self-approved",
    "self_approved_access": "Approved by own requester",
    "short_staging": "Too short in staging",
    "signer_mismatch": "Signed by someone else",
    "skipped_staging": "Skipped staging",
    "stale_document": "Document out of date",
    "too_few_approvers": "Too few approvers",
    "unapproved": "No approval",
    "unreadable_version": "Unreadable, not compared",
    "unsigned": "Not signed",
    "unverified": "Signature not verified",
}


def kind_text(kind: str) -> str:
    """A deviation kind as words: ``skipped_staging`` -> ``Skipped staging``."""
    return DEVIATION_WORDS.get(kind) or label_text(kind)


# Comparison operators of a parameter ``op`` (config-assertion), as words.
_OPERATOR_WORDS = {
    "==": "is",
    "!=": "is not",
    ">=": "is at least",
    "<=": "is at most",
    ">": "is more than",
    "<": "is less than",
    "in": "is one of",
}
_NAME_WORDS = {"min": "minimum", "max": "maximum", "api": "API"}
_UNITS = {"hours": "h", "days": "days"}


def params_text(params: Mapping[str, Any]) -> str:
    """A rule's parameters in words: ``roles: production; minimum approvers: 2``, a number of
    hours or days with its unit (``minimum: 24 h``), a condition as one phrase
    (``condition: logging.enabled is true``); ``none`` for none."""
    if not params:
        return "none"
    shown = dict(params)
    condition = None
    if {"key", "op", "value"} <= shown.keys() and shown["op"] in _OPERATOR_WORDS:
        key, op, value = shown.pop("key"), shown.pop("op"), shown.pop("value")
        # The value is the mapping file's: true stays true, null stays null.
        written = ", ".join(map(_literal, value)) if op == "in" else _literal(value)
        condition = f"{value_text(key)} {_OPERATOR_WORDS[op]} {written}"
    parts = [_param(name, value) for name, value in shown.items()]
    if condition is not None:
        parts.append(f"condition: {condition}")
    return "; ".join(parts)


def _param(name: str, value: Any) -> str:
    words = [_NAME_WORDS.get(word, word) for word in name.split("_")]
    unit = _UNITS.get(words[-1]) if len(words) > 1 else None
    if unit is not None and isinstance(value, int | float) and not isinstance(value, bool):
        words = words[:-1] + (["time"] if words[:-1] in (["minimum"], ["maximum"]) else [])
        return f"{' '.join(words)}: {value_text(value)} {unit}"
    if isinstance(value, Mapping):  # each entry in brackets: "; " parts the parameters
        shown = ", ".join(f"{k} ({value_text(v)})" for k, v in value.items())
        return f"{' '.join(words)}: {shown or 'none'}"
    return f"{' '.join(words)}: {value_text(value)}"


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return value_text(value)


def window_text(window: Mapping[str, Any] | None) -> str:
    """A deviation's window of time: its two moments (UTC), the commits at each end, its hours."""
    if not window:
        return ""
    start = utc_text(window.get("from"))
    end = utc_text(window.get("to"))
    if "from_sha" not in window and "to_sha" not in window:
        return f"{start} to {end} (UTC days, both included)"  # an exceptions-register window
    opened, closed = window.get("from_sha"), window.get("to_sha")
    text = f"from {start}"
    if opened:
        text += f" (commit {str(opened)[:SHORT_SHA]})"
    text += f" to {end}"
    text += f" (commit {str(closed)[:SHORT_SHA]})" if closed else " (still open at the period end)"
    hours = window.get("hours")
    if isinstance(hours, int | float):
        text += f", {value_text(float(hours))} h"
    return text


def details_view(
    details: Mapping[str, Any], max_rows: int | None = None, skip: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A rule's free-form details as facts (name, words) and tables (lists of flat records);
    the keys in ``skip`` are shown elsewhere (a result's documents, from the model's records)."""
    facts, tables = [], []
    for key, value in details.items():
        if key in skip:
            continue
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = list(dict.fromkeys(k for v in value for k in v))
            shown = value if max_rows is None else value[:max_rows]
            rows = [[v.get(c) for c in columns] for v in shown]
            tables.append(
                {
                    "name": label_text(key),
                    "columns": [label_text(c) for c in columns],
                    "rows": rows,
                    "more": len(value) - len(rows),
                }
            )
        else:
            facts.append((label_text(key), value_text(value)))
    return {"facts": facts, "tables": tables}


# How an approval is evidenced, in words saying who did what: an approval line is the statement
# of whoever made the commit, not an act of the person it names (docs/auditors.md).
APPROVAL_EVIDENCE_WORDS = {
    "signed": "signed by the approver",
    "merged": "merged by the approver",
    "trailer": "named in the message only",
}
APPROVAL_LINE_NOTE = (
    "Named in the message only means an approval line (Approved-by) that whoever made the "
    "commit wrote, not made or signed by the person it names."
)


def evidence_words(evidence: object) -> str:
    """An approval's evidence (``trailer``) in words (``named in the message only``)."""
    return APPROVAL_EVIDENCE_WORDS.get(str(evidence), str(evidence))


def promotion_approvals(promotions: Sequence[Any], changes: Iterable[Any]) -> list[list[Any]]:
    """For each promotion, its production approvers as approvals (``approver``, ``evidence``)
    with how the production change records each; ``evidence`` None where the change is not
    among the pack's changes. One pass over the changes, whatever their number."""
    wanted = {p.production.sha for p in promotions if p.production}
    found: dict[str, Any] = {}
    if wanted:
        for change in changes:
            if change.sha in wanted:
                found[change.sha] = change.approvals
    rows = []
    for promotion in promotions:
        approvals = found.get(promotion.production.sha, ()) if promotion.production else ()
        evidence = {_who(a.approver): a.evidence for a in approvals}
        rows.append(
            [
                {"approver": p, "evidence": evidence.get(_who(p))}
                for p in promotion.production_approvers
            ]
        )
    return rows


def _who(person: Any) -> str:
    return person.email.casefold() or person.name


CONTINUATION = " \\"  # bash joins a line ending in a backslash with the next one


def shell_words(command: str) -> list[str]:
    """``command`` cut at the spaces outside quotes: each piece is what may not be broken, a
    quoted date with its space inside (``--since-as-filter='2026-01-01 00:00:00 +0000'``) one."""
    words, current, quote = [], "", ""
    for char in command:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == " ":
            if current:
                words.append(current)
            current = ""
            continue
        current += char
    if current:
        words.append(current)
    return words


def command_lines(command: str, width: int) -> str:
    """A shell command laid out in lines of at most ``width`` characters, broken only between
    words and each broken line ending in `` \\``, so a command copied out of a PDF runs as is
    (a layout's own line breaks would cut ``--since-as-filter`` at its hyphen, or run half a
    command at the newline). A word longer than ``width`` stands alone on its line."""
    lines: list[str] = []
    line = ""
    for word in shell_words(command):
        room = width - len(CONTINUATION)
        if line and len(line) + 1 + len(word) > room:
            lines.append(line + CONTINUATION)
            line = "  " + word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)
