"""The demo's meshStack events as they are made: one installation's log, its writers' verbs.

``DemoEvent`` is one event as meshStack publishes it (``published``); ``EventLog`` collects an
installation's events under stable keys (an event's uuid derives from its key) and offers the
steps events.py tells the period's story with: an access request with its approval and grant, a
direct grant, a removal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from generator.demo.clock import at, pick
from generator.demo.installations import InstallationSpec
from generator.demo.meshstack_users import User, Workspace, site, stable_uuid
from generator.demo.timeline import PERIOD
from generator.meshevents.schema import ENDPOINT

PRIVILEGED = ("Workspace Manager", "Workspace Owner", "Project Admin")


@dataclass(frozen=True)
class DemoEvent:
    key: str  # stable handle: the event's uuid derives from it
    when: dt.datetime  # UTC
    title: str
    event_type: str
    description: str
    workspace: str | None
    author_type: str
    author: str
    content: dict[str, Any]
    previous: dict[str, Any] | None = None
    installation: str = field(default="", compare=False)

    @property
    def uuid(self) -> str:
        return stable_uuid(self.installation, "event", self.key)

    def published(self, url: str) -> dict[str, Any]:
        """The meshEventLog as the API serves it (previousContent only on Changed events)."""
        spec: dict[str, Any] = {
            "title": self.title,
            "eventType": self.event_type,
            "description": self.description,
            "workspaceRef": {"name": self.workspace, "kind": "meshWorkspace"}
            if self.workspace
            else None,
            "content": self.content,
        }
        if self.previous is not None:
            spec["previousContent"] = self.previous
        spec["author"] = {"authorType": self.author_type, "identifier": self.author}
        return {
            "kind": "meshEventLog",
            "apiVersion": "v1-preview",
            "metadata": {"uuid": self.uuid, "createdAt": stamp(self.when)},
            "spec": spec,
            "_links": {"self": {"href": f"{url}{ENDPOINT}/{self.uuid}"}},
        }


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EventLog:
    """The events of one installation as they are made: keyed, in any order."""

    def __init__(self, spec: InstallationSpec):
        self.spec = spec
        self.site = site(spec)
        self.events: list[DemoEvent] = []

    def add(
        self,
        key: str,
        when: dt.datetime,
        title: str,
        event_type: str,
        description: str,
        *,
        workspace: str | None,
        by: User | str,
        content: dict[str, Any],
        previous: dict[str, Any] | None = None,
    ) -> DemoEvent:
        if isinstance(by, User):
            author_type, author = "User", by.uuid
        elif by == "system":
            author_type, author = "System", "system"
        else:
            author_type, author = "ApiKey", by
        event = DemoEvent(
            key,
            when,
            title,
            event_type,
            description,
            workspace,
            author_type,
            author,
            content,
            previous,
            self.spec.name,
        )
        self.events.append(event)
        return event

    def binding(self, target: str, who: User, role: str, **extra: Any) -> dict[str, Any]:
        return {
            "subject": {"name": who.username},
            "roleRef": {"name": role},
            "targetRef": {"name": target},
            **extra,
        }

    def access(
        self,
        key: str,
        day: dt.date,
        ws: Workspace,
        who: User,
        role: str,
        *,
        requester: User,
        approver: User,
        project: bool = False,
        expires_days: int | None = 90,
    ) -> DemoEvent:
        """A request, its approval a few hours later, and the grant meshStack makes of it."""
        kind, target = ("Project", ws.project) if project else ("Workspace", ws.identifier)
        asked = at(day, clock(f"{self.spec.name}:{key}:asked", "09:05", 300))
        content = self.binding(target, who, role)
        self.add(
            f"{key}:requested",
            asked,
            f"{kind} User Access Request Submitted",
            "Requested",
            f"{requester.name} requested the role {role} in {target} for {who.name}.",
            workspace=ws.identifier,
            by=requester,
            content={**content, "justification": f"{role} for {ws.name} work"},
        )
        approved = asked + dt.timedelta(minutes=20 + pick(f"{key}:approve", 180))
        self.add(
            f"{key}:approved",
            approved,
            f"{kind} User Access Request Approved",
            "Approved",
            f"{approver.name} approved the request for the role {role} in {target}.",
            workspace=ws.identifier,
            by=approver,
            content=content,
        )
        return self.grant(
            key,
            approved + dt.timedelta(seconds=2),
            target,
            ws,
            who,
            role,
            by="system",
            kind=kind,
            expires_days=expires_days,
        )

    def grant(
        self,
        key: str,
        when: dt.datetime,
        target: str,
        ws: Workspace,
        who: User,
        role: str,
        *,
        by: User | str,
        kind: str = "Workspace",
        expires_days: int | None = 90,
    ) -> DemoEvent:
        expires = stamp(midnight(when, expires_days)) if expires_days else None
        return self.add(
            f"{key}:granted",
            when,
            f"{kind} User Role Added",
            "Added",
            f"{who.name} was given the role {role} in {target}.",
            workspace=ws.identifier,
            by=by,
            content=self.binding(target, who, role, expirationDate=expires),
        )

    def remove(
        self,
        key: str,
        when: dt.datetime,
        target: str,
        ws: Workspace,
        who: User,
        role: str,
        *,
        by: User | str,
        kind: str = "Workspace",
    ) -> DemoEvent:
        return self.add(
            f"{key}:removed",
            when,
            f"{kind} User Role Removed",
            "Removed",
            f"{who.name} no longer has the role {role} in {target}.",
            workspace=ws.identifier,
            by=by,
            content=self.binding(target, who, role),
        )


def clock(key: str, start: str, spread_minutes: int) -> str:
    hour, minute = (int(part) for part in start.split(":"))
    minute += pick(key, spread_minutes)
    return f"{hour + minute // 60:02d}:{minute % 60:02d}"


def midnight(moment: dt.datetime, days: int) -> dt.datetime:
    day = moment.astimezone(dt.UTC).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(0), dt.UTC)


def workday(year: int, month: int, key: str) -> dt.date:
    """A Monday-to-Thursday of the month, chosen by key."""
    days = [
        dt.date(year, month, d)
        for d in range(1, 29)
        if dt.date(year, month, d).weekday() < 4 and dt.date(year, month, d) != dt.date(year, 1, 1)
    ]
    return days[pick(key, len(days))]


def months() -> list[tuple[int, int]]:
    start, end = PERIOD
    return [(start.year, m) for m in range(start.month, end.month + 1)]
