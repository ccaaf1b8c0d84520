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


def params_text(params: Mapping[str, Any]) -> str:
    """A rule's parameters: ``roles: production; min approvers: 2`` (``none`` for none)."""
    if not params:
        return "none"
    return "; ".join(f"{name_text(k)}: {_param(v)}" for k, v in params.items())


def _param(value: Any) -> str:
    # A parameter's value is the mapping file's: true stays true (a config assertion's value).
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


def details_view(details: Mapping[str, Any], max_rows: int | None = None) -> dict[str, Any]:
    """A rule's free-form details as facts (name, words) and tables (lists of flat records)."""
    facts, tables = [], []
    for key, value in details.items():
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
