"""access-activity: the month-by-month access activity an access review starts from.

From meshStack's event log (the ``events`` source): role grants, role removals, access requests,
approvals and rejections, and users disabled or deleted, counted per calendar month (UTC) of the
period, with the API request that re-counts each. The rule judges that the figures are complete
(the export covers the whole period, which the source checks); deciding whether the access they
show is right is the reviewers' job, so it raises no deviation of its own.
"""

from __future__ import annotations

from typing import Any

from generator.evidence import eventlog as ev
from generator.evidence.context import RuleContext, plural
from generator.evidence.registry import Rule, RuleResult
from generator.status import Status

PARAMS_SCHEMA: dict[str, Any] = {"type": "object", "additionalProperties": False}

COLUMNS = ("grants", "removals", "requests", "approvals", "rejections", "users_disabled")
_WORDS = {
    "grants": ("role grant",),
    "removals": ("role removal",),
    "requests": ("access request",),
    "approvals": ("approval",),
    "rejections": ("rejection",),
    "users_disabled": ("user disabled or deleted", "users disabled or deleted"),
}


def column(event: ev.EventLike) -> str | None:
    """Which activity figure an event counts towards, None for none."""
    if ev.is_grant(event):
        return "grants"
    if ev.is_removal(event):
        return "removals"
    if ev.is_request(event):
        return "requests"
    if ev.is_approval(event):
        return "approvals"
    if ev.is_rejection(event):
        return "rejections"
    if event.title in ("User Disabled", "User Deleted"):
        return "users_disabled"
    return None


def months(period: Any) -> list[str]:
    """Every calendar month (``YYYY-MM``) the period touches, in order."""
    out, year, month = [], period.start.year, period.start.month
    while (year, month) <= (period.end.year, period.end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def evaluate(context: RuleContext, params: dict[str, Any]) -> RuleResult:
    data = context.source(ev.SOURCE)
    missing = ev.missing_result(data, "access activity")
    if missing:
        return missing
    table = {month: dict.fromkeys(COLUMNS, 0) for month in months(context.period)}
    counted, titles = [], {}
    for event in ev.events_of(data):
        name = column(event)
        if name is None or not ev.in_period(event, context.period):
            continue
        month = event.created_at.strftime("%Y-%m")
        table[month][name] += 1
        counted.append(event)
        titles[event.title] = titles.get(event.title, 0) + 1
    rows = [{"month": month, **figures} for month, figures in table.items()]
    totals = {name: sum(row[name] for row in rows) for name in COLUMNS}
    summary = ", ".join(plural(totals[name], *_WORDS[name]) for name in COLUMNS)
    return RuleResult(
        status=Status.NO_DEVIATIONS,
        reason=(
            f"The event log covers the whole period and records {summary} "
            f"({plural(len(counted), 'event')}; per month in the details), the figures the "
            "access review starts from."
        ),
        population=len(counted),
        passed=len(counted),
        details={
            "totals": totals,
            "months": rows,
            "reproduce": ev.reproduce(data, context.period, titles),
        },
        last_evidence=ev.newest_event_date(counted),
        events=tuple(e.uuid for e in counted),
    )


RULE = Rule(
    kind="access-activity",
    summary=(
        "Role grants, removals, access requests and approvals per month from meshStack's event "
        "log, complete for the period: the figures an access review starts from."
    ),
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    reads=("events",),
)
