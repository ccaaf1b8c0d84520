"""What the event rules share: reading the event source, naming events, re-performing figures.

The event rules (``access-four-eyes``, ``access-removal``, ``access-expiry``,
``changes-outside-git``, ``access-activity``) judge meshStack's event log as the ``events``
source offers it (docs/events.md). They read the events through the functions here, so what a
rule relies on of an event (its uuid, time, title, author, content) is named in one place.

Each rule records, in its details, the API requests an auditor sends to fetch the same events
(``GET /api/meshobjects/mesheventlogs?from=...&until=...&title=...``, the filters the published
API offers) and, for every deviation, the events behind it with their uuids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from generator.evidence.registry import RuleResult
from generator.status import Status

SOURCE = "events"  # the event log's source name: context.source(SOURCE)
EVENT_ROWS = 200  # events listed in a result's details (all deviations' events are listed)


class EventLike(Protocol):
    """One meshEventLog as the events source types it (published fields, flattened)."""

    uuid: str
    created_at: dt.datetime  # aware, UTC
    title: str
    event_type: str
    description: str
    workspace: str | None  # spec.workspaceRef.name: the workspace identifier
    author_type: str  # ApiKey, ApiUser, System, Unknown, User
    author: str  # spec.author.identifier
    content: Mapping[str, Any]
    previous_content: Mapping[str, Any] | None


def events_of(data: Any) -> Sequence[EventLike]:
    """The events of the source's data (``EventLog.events``), by (created_at, uuid)."""
    return data.events


def missing_result(data: Any, what: str) -> RuleResult | None:
    """``not_tested`` when the installation has no event log or its export is incomplete.

    ``what`` completes "so ... cannot be tested" (e.g. "four-eyes approval of role grants").
    """
    if data is None:
        return RuleResult(
            status=Status.NOT_TESTED,
            reason=(
                f"The installation has no meshStack event log configured (events:), so {what} "
                "cannot be tested from data."
            ),
        )
    period = data.period
    gaps = data.gaps_overlapping(period.start_utc, period.end_utc_exclusive)
    if gaps:
        parts = "; ".join(f"{_z(g.start)} until {_z(g.end)}: {g.reason}" for g in gaps)
        return RuleResult(
            status=Status.NOT_TESTED,
            reason=(
                f"The event log export does not cover the whole period ({parts}), so {what} "
                "cannot be tested: evidence is never computed from a partial log."
            ),
        )
    return None


def request(
    data: Any,
    period: Any,
    *,
    title: str | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> str:
    """The API request listing the events: the period (``until`` exclusive) and a title filter."""
    query = {
        "from": _z(start or period.start_utc),
        "until": _z(end or period.end_utc_exclusive),
    }
    if title:
        query["title"] = title
    return f"GET {data.export.request_url(**query)}"


def reproduce(
    data: Any, period: Any, counts: Mapping[str, int], *, figure: str = "events"
) -> list[dict[str, Any]]:
    """One request per title with the number of events it returns in the period.

    The ``title`` filter matches titles containing the text, so each row names the exact title
    and the count of events with exactly that title.
    """
    return [
        {"figure": f"{figure}: {title}", "request": request(data, period, title=title),
         "expected": count}
        for title, count in sorted(counts.items())
    ]  # fmt: skip


def event_row(event: EventLike, note: str = "") -> dict[str, Any]:
    """A flat record of an event for a result's details (and the tables rendering them)."""
    return {
        "uuid": event.uuid,
        "created_at": _z(event.created_at),
        "title": event.title,
        "author": f"{event.author_type}:{event.author}",
        "workspace": event.workspace or "",
        "note": note,
    }


def in_period(event: EventLike, period: Any) -> bool:
    return period.start_utc <= event.created_at < period.end_utc_exclusive


def subject_of(event: EventLike) -> str | None:
    """The user or group a role or access request event is about (``content.subject.name``)."""
    return _name(event.content.get("subject"))


def role_of(event: EventLike) -> str | None:
    """The role a role or access request event is about (``content.roleRef.name``)."""
    return _name(event.content.get("roleRef"))


def target_of(event: EventLike) -> str | None:
    """The workspace or project a role event is about (``content.targetRef.name``), else the
    event's workspace."""
    return _name(event.content.get("targetRef")) or event.workspace


def scope(title: str) -> str:
    """``Workspace User``, ``Project Group``...: the binding kind a title speaks of."""
    for kind in ("Workspace User", "Workspace Group", "Project User", "Project Group"):
        if title.startswith(kind):
            return kind
    return ""


def binding_key(event: EventLike) -> tuple[str, str | None, str | None, str | None]:
    """What identifies a role binding across request, approval, grant and removal events."""
    return (scope(event.title), target_of(event), subject_of(event), role_of(event))


def is_grant(event: EventLike) -> bool:
    return bool(scope(event.title)) and event.title.endswith(" Role Added")


def is_removal(event: EventLike) -> bool:
    return bool(scope(event.title)) and event.title.endswith(" Role Removed")


def is_request(event: EventLike) -> bool:
    return bool(scope(event.title)) and event.title.endswith(" Access Request Submitted")


def is_approval(event: EventLike) -> bool:
    return bool(scope(event.title)) and event.title.endswith(" Access Request Approved")


def is_rejection(event: EventLike) -> bool:
    return bool(scope(event.title)) and event.title.endswith(" Access Request Rejected")


def same_author(a: EventLike, b: EventLike) -> bool:
    """Whether two events were triggered by the same identified author (Unknown never is)."""
    known = a.author_type != "Unknown" and b.author_type != "Unknown"
    return known and (a.author_type, a.author) == (b.author_type, b.author)


def titles_count(events: Iterable[EventLike]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in events:
        counts[event.title] = counts.get(event.title, 0) + 1
    return counts


def newest_event_date(events: Iterable[EventLike]) -> str | None:
    moments = [e.created_at for e in events]
    return max(moments).date().isoformat() if moments else None


def _name(ref: Any) -> str | None:
    if isinstance(ref, Mapping):
        name = ref.get("name")
        return name if isinstance(name, str) and name else None
    return None


def utc_text(moment: dt.datetime) -> str:
    """A moment as ISO 8601 UTC (``2026-03-02T10:15:00Z``), as the event log writes times."""
    return _z(moment)


def _z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
