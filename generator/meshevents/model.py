"""Typed meshStack events and the event log of one installation and period.

Everything here is frozen: an event's ``content`` and ``previous_content`` are read-only mappings
(lists inside them are tuples), so a rule cannot change what another rule sees. Events are sorted
by ``(created_at, uuid)``, and the indexes by title and by workspace are computed once, when the
log is made.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

from generator.config import Period


@dataclass(frozen=True, slots=True)
class MeshEvent:
    """One meshEventLog as meshStack published it (``metadata`` and ``spec``), typed."""

    uuid: str  # metadata.uuid
    created_at: dt.datetime  # metadata.createdAt, aware, in UTC
    title: str  # spec.title, e.g. "Workspace User Role Added"
    event_type: str  # spec.eventType: Added, Approved, Cancelled, Changed, Created, ...
    description: str  # spec.description
    workspace: str | None  # spec.workspaceRef.name (the workspace identifier); None: system-wide
    author_type: str  # spec.author.authorType: ApiKey, ApiUser, System, Unknown, User
    author: str  # spec.author.identifier
    # spec.content and spec.previousContent (None when absent or null), deep read-only.
    content: Mapping[str, Any] = field(compare=False, hash=False)
    previous_content: Mapping[str, Any] | None = field(compare=False, hash=False)
    index: int = field(compare=False, hash=False)  # its position in the export's "events"

    @property
    def pointer(self) -> str:
        """Its JSON pointer in the export file, e.g. ``/events/12``."""
        return f"/events/{self.index}"


@dataclass(frozen=True, slots=True)
class Gap:
    """A part of the period the export cannot show events for, and why (half-open, UTC)."""

    start: dt.datetime
    end: dt.datetime
    reason: str


@dataclass(frozen=True, slots=True)
class ExportInfo:
    """The export file a log was read from, and what the collector asked meshStack for."""

    path: Path
    sha256: str  # of the file's bytes, for the pack's inputs
    size: int  # bytes
    url: str  # the endpoint: https://HOST/api/meshobjects/mesheventlogs
    accept: str  # the media type asked for (the API version)
    filters: Mapping[str, str]  # query parameters asked for besides paging: from, until
    collected_at: dt.datetime  # UTC
    count: int  # events in the file
    pages: int  # pages the collector read

    def request_url(self, **filters: str) -> str:
        """The API call that fetches these events again, narrowed by more filters (``title``,
        ``eventType``, ``workspaceIdentifier``, ``from``, ``until``, ...), for an auditor."""
        return f"{self.url}?{urlencode({**self.filters, **filters})}"


@dataclass(frozen=True)
class EventLog:
    """The events of one installation over one audit period, as the ``events`` source offers
    them to rules (``context.source("events")``)."""

    installation: str
    period: Period
    export: ExportInfo
    events: tuple[MeshEvent, ...]  # every event of the export, by (created_at, uuid)
    retention_months: int
    # Parts of the period the export cannot speak for; empty when it covers the whole period.
    gaps: tuple[Gap, ...] = ()
    by_title: Mapping[str, tuple[MeshEvent, ...]] = field(init=False, repr=False)
    by_workspace: Mapping[str | None, tuple[MeshEvent, ...]] = field(init=False, repr=False)
    by_uuid: Mapping[str, MeshEvent] = field(init=False, repr=False)
    _times: tuple[dt.datetime, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        events = tuple(sorted(self.events, key=lambda e: (e.created_at, e.uuid)))
        titles: dict[str, list[MeshEvent]] = {}
        workspaces: dict[str | None, list[MeshEvent]] = {}
        for event in events:
            titles.setdefault(event.title, []).append(event)
            workspaces.setdefault(event.workspace, []).append(event)
        object.__setattr__(self, "events", events)
        object.__setattr__(self, "by_title", _frozen_index(titles))
        object.__setattr__(self, "by_workspace", _frozen_index(workspaces))
        object.__setattr__(self, "by_uuid", MappingProxyType({e.uuid: e for e in events}))
        object.__setattr__(self, "_times", tuple(e.created_at for e in events))

    @property
    def complete(self) -> bool:
        """Whether the export speaks for the whole period (no gaps)."""
        return not self.gaps

    def titled(self, *titles: str) -> tuple[MeshEvent, ...]:
        """The events with any of these titles, by (created_at, uuid)."""
        if len(titles) == 1:
            return self.by_title.get(titles[0], ())
        chosen = [e for t in dict.fromkeys(titles) for e in self.by_title.get(t, ())]
        return tuple(sorted(chosen, key=lambda e: (e.created_at, e.uuid)))

    def between(self, start: dt.datetime, end: dt.datetime) -> tuple[MeshEvent, ...]:
        """The events created in [start, end), by (created_at, uuid)."""
        low = bisect.bisect_left(self._times, start)
        return self.events[low : bisect.bisect_left(self._times, end, lo=low)]

    def gaps_overlapping(self, start: dt.datetime, end: dt.datetime) -> tuple[Gap, ...]:
        """The gaps that overlap [start, end): a rule judging that window cannot pass it."""
        return tuple(g for g in self.gaps if g.start < end and start < g.end)


def frozen(value: Any) -> Any:
    """JSON data made read-only: objects as read-only mappings, arrays as tuples."""
    if isinstance(value, dict):
        return MappingProxyType({key: frozen(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(frozen(item) for item in value)
    return value


def _frozen_index(groups: dict[Any, list[MeshEvent]]) -> Mapping[Any, tuple[MeshEvent, ...]]:
    return MappingProxyType({key: tuple(events) for key, events in groups.items()})
