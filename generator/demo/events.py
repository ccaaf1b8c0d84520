"""Each example installation's meshStack event log over the audit period, as meshStack publishes it.

The events tell what happened inside meshStack while the configuration repository's history
(history.py) unfolded: customers request workspace and project roles and their workspace
managers approve them, managers add and remove members, leavers are disabled by the directory
synchronisation and lose their roles, administrators create API keys, and the GitOps pipeline
applies every landing zone and production setting change of the repository minutes after it
is merged. Everything is dated and chosen from fixed keys, so every run writes the same events.

The planted event findings are made here too (``_planted``; planted.py lists what the engine
must report for them): they are the only events the event rules report. The export is written
exactly as ``meshcomply collect events`` writes one (generator/meshevents/export.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from generator.config import Period
from generator.demo.clock import at, pick
from generator.demo.event_log import (
    PRIVILEGED,
    DemoEvent,
    EventLog,
    midnight,
    months,
    stamp,
    workday,
)
from generator.demo.installations import TOBIAS, InstallationSpec
from generator.demo.meshstack_users import (
    User,
    Workspace,
    member,
    site,
    stable_uuid,
    user,
    workspace,
)
from generator.demo.model import PlannedCommit
from generator.demo.timeline import PERIOD
from generator.meshevents.export import export_name, header, utc_text, write_export
from generator.meshevents.schema import ENDPOINT, MEDIA_TYPE

# The users who leave in the period: scripted below, never picked for other events.
LEAVERS = {"acme": "Sofia Martinez", "globex": "Anna Kowalski"}


def _regular_access(log: EventLog) -> None:
    """Requests approved by the workspace manager, direct member grants and their removal."""
    name = log.spec.name
    for year, month in months():
        for n in range(3):
            key = f"access:{year}-{month:02d}:{n}"
            ws = log.site.workspaces[pick(f"{name}:{key}:ws", len(log.site.workspaces))]
            who = _pick_member(log, ws, key)
            role = ("Workspace Member", "Workspace Member", "Workspace Manager")[
                pick(f"{name}:{key}:role", 3)
            ]
            log.access(
                key,
                workday(year, month, f"{name}:{key}:day"),
                ws,
                who,
                role,
                requester=who,
                approver=ws.manager,
                expires_days=90 if role in PRIVILEGED else None,
            )
        if month % 2 == 0:
            key = f"project:{year}-{month:02d}"
            ws = log.site.workspaces[pick(f"{name}:{key}:ws", len(log.site.workspaces))]
            who = _pick_member(log, ws, key)
            log.access(
                key,
                workday(year, month, f"{name}:{key}:day"),
                ws,
                who,
                "Project Admin",
                requester=who,
                approver=ws.manager,
                project=True,
                expires_days=30,
            )
        else:
            key = f"rejected:{year}-{month:02d}"
            ws = log.site.workspaces[pick(f"{name}:{key}:ws", len(log.site.workspaces))]
            who = _pick_member(log, ws, key)
            asked = at(workday(year, month, f"{name}:{key}:day"), "11:15")
            content = log.binding(ws.identifier, who, "Workspace Owner")
            log.add(
                f"{key}:requested",
                asked,
                "Workspace User Access Request Submitted",
                "Requested",
                f"{who.name} requested the role Workspace Owner in {ws.identifier} for {who.name}.",
                workspace=ws.identifier,
                by=who,
                content={**content, "justification": "Owner rights for budget changes"},
            )
            log.add(
                f"{key}:rejected",
                asked + dt.timedelta(hours=3),
                "Workspace User Access Request Rejected",
                "Rejected",
                f"{ws.manager.name} rejected the request for the role Workspace Owner in "
                f"{ws.identifier}.",
                workspace=ws.identifier,
                by=ws.manager,
                content=content,
            )
        # A manager adds a colleague as a member directly (no request needed) and removes the
        # membership again three weeks later, when the piece of work is done.
        key = f"member:{year}-{month:02d}"
        ws = log.site.workspaces[pick(f"{name}:{key}:ws", len(log.site.workspaces))]
        who = _pick_member(log, ws, key)
        day = workday(year, month, f"{name}:{key}:day")
        granted = log.grant(
            key,
            at(day, "15:40"),
            ws.identifier,
            ws,
            who,
            "Workspace Member",
            by=ws.manager,
            expires_days=None,
        )
        removal = granted.when + dt.timedelta(days=21, minutes=pick(f"{name}:{key}:rm", 90))
        if removal.date() <= PERIOD[1]:
            log.remove(key, removal, ws.identifier, ws, who, "Workspace Member", by=ws.manager)


def _pick_member(log: EventLog, ws: Workspace, key: str) -> User:
    candidates = [m for m in ws.members if m.name != LEAVERS[log.spec.name]]
    return candidates[pick(f"{log.spec.name}:{key}:who", len(candidates))]


def _renewals(log: EventLog) -> None:
    """Two privileged roles get a later expiration date (renewed, approved again in meshStack)."""
    grants = [
        e
        for e in log.events
        if e.title.endswith("User Role Added") and e.content["roleRef"]["name"] in PRIVILEGED
    ]
    for index, granted in enumerate(grants[1:3]):
        when = granted.when + dt.timedelta(days=25, hours=1)
        old = granted.content["expirationDate"]
        new = stamp(midnight(granted.when, 150))
        kind = granted.title.split()[0]
        log.add(
            f"renewal:{index}",
            when,
            f"{kind} User Role Expiration Date Changed",
            "Changed",
            f"The expiration date of the role {granted.content['roleRef']['name']} was extended.",
            workspace=granted.workspace,
            by=log.site.admins[index],
            content={**granted.content, "expirationDate": new},
            previous={**granted.content, "expirationDate": old},
        )


def _leaver(log: EventLog, *, disabled: dt.date, removed_after: dt.timedelta) -> list[DemoEvent]:
    """A colleague gets a role in January, leaves the company, and is disabled by the directory
    synchronisation; meshStack removes the role ``removed_after`` later."""
    name = LEAVERS[log.spec.name]
    who = member(log.site, name)
    ws = next(w for w in log.site.workspaces if who in w.members)
    granted = log.access(
        "leaver",
        dt.date(2026, 1, 13),
        ws,
        who,
        "Workspace Member",
        requester=who,
        approver=ws.manager,
        expires_days=None,
    )
    off = log.add(
        "leaver:disabled",
        at(disabled, "03:10"),
        "User Disabled",
        "Changed",
        f"User {who.username} was disabled by the directory synchronisation.",
        workspace=None,
        by=log.site.sync_key,
        content={"username": who.username, "active": False},
        previous={"username": who.username, "active": True},
    )
    gone = log.remove(
        "leaver", off.when + removed_after, ws.identifier, ws, who, "Workspace Member", by="system"
    )
    return [granted, off, gone]


def _api_keys(log: EventLog) -> None:
    for index, (month, label) in enumerate(((2, "ci-deploy"), (5, "cost-export"))):
        ws = log.site.workspaces[index]
        when = at(workday(2026, month, f"{log.spec.name}:apikey:{index}"), "10:20")
        log.add(
            f"apikey:{index}",
            when,
            "API Key Created",
            "Created",
            f"API key {label} was created in {ws.identifier}.",
            workspace=ws.identifier,
            by=log.site.admins[index],
            content={
                "name": label,
                "workspace": ws.identifier,
                "expirationDate": stamp(midnight(when, 180)),
            },
        )


def _pipeline(log: EventLog, commits: list[PlannedCommit]) -> None:
    """The GitOps pipeline applies landing zone and production setting changes after merge."""
    start, end = (dt.datetime.combine(d, dt.time(0), dt.UTC) for d in PERIOD)
    end += dt.timedelta(days=1)
    for planned in commits:
        if not start <= planned.when < end:
            continue
        applied = planned.when + dt.timedelta(minutes=7 + pick(planned.key, 5))
        if planned.key.startswith("other:landing-zone:"):
            for cloud in _lz_clouds(log.spec):
                log.add(
                    f"{planned.key}:{cloud}",
                    applied,
                    "Landing Zone Configuration Changed",
                    "Changed",
                    f"Landing zone {cloud} was updated from the configuration repository.",
                    workspace=None,
                    by=log.site.pipeline_key,
                    content={"name": cloud, "revision": planned.key[-10:]},
                    previous={"name": cloud},
                )
            log.add(
                f"{planned.key}:policy",
                applied + dt.timedelta(seconds=30),
                "Policy Changed",
                "Changed",
                "Landing zone policies were updated from the configuration repository.",
                workspace=None,
                by=log.site.pipeline_key,
                content={"name": f"{log.spec.name}-landing-zone-policies"},
                previous={"name": f"{log.spec.name}-landing-zone-policies"},
            )
        elif planned.key.startswith("change:") and planned.key.endswith(":production"):
            platform = f"{log.spec.clouds[0]}-production"
            log.add(
                planned.key,
                applied,
                "Platform Configuration Changed",
                "Changed",
                f"Platform {platform} configuration was updated from the configuration repository.",
                workspace=None,
                by=log.site.pipeline_key,
                content={"name": platform, "change": planned.key.split(":")[1]},
                previous={"name": platform},
            )


def _lz_clouds(spec: InstallationSpec) -> list[str]:
    return [
        f"{cloud}-production" if cloud != "openstack" else f"{cloud}-development"
        for cloud in spec.clouds
    ]


def _planted(log: EventLog) -> None:
    """The deliberate event findings (planted.py lists what the engine must report)."""
    if log.spec.name == "acme":
        ws = workspace(log.site, "data-platform")
        # Marcus Webb asks for Workspace Manager rights for Emma Schulz and approves it himself.
        log.access(
            "planted:self-approved",
            dt.date(2026, 3, 19),
            ws,
            member(log.site, "Emma Schulz"),
            "Workspace Manager",
            requester=ws.manager,
            approver=ws.manager,
            expires_days=60,
        )
        # Tobias Krüger edits the production landing zone in the panel during an incident.
        tobias = user(log.spec, TOBIAS)
        log.add(
            "planted:panel-landing-zone",
            at(dt.date(2026, 4, 9), "16:12"),
            "Landing Zone Configuration Changed",
            "Changed",
            "Landing zone aws-production was updated.",
            workspace=None,
            by=tobias,
            content={"name": "aws-production", "quotas": {"vpcs": 8}},
            previous={"name": "aws-production", "quotas": {"vpcs": 5}},
        )
    else:
        ws = workspace(log.site, "research")
        log.grant(
            "planted:no-request",
            at(dt.date(2026, 2, 11), "17:05"),
            ws.identifier,
            ws,
            member(log.site, "Felix Hartmann"),
            "Workspace Owner",
            by=ws.manager,
            expires_days=60,
        )


def installation_events(spec: InstallationSpec, commits: list[PlannedCommit]) -> list[DemoEvent]:
    """Every event of the installation in the audit period, by time then uuid."""
    log = EventLog(spec)
    _regular_access(log)
    _renewals(log)
    late = spec.name == "globex"  # the planted leaver: the role stays six weeks
    disabled = dt.date(2026, 4, 3) if late else dt.date(2026, 5, 6)
    _leaver(
        log,
        disabled=disabled,
        removed_after=dt.timedelta(days=42, hours=6) if late else dt.timedelta(minutes=4),
    )
    _api_keys(log)
    _pipeline(log, commits)
    _planted(log)
    return sorted(log.events, key=lambda e: (e.when, e.uuid))


def event_uuid(installation: str, key: str) -> str:
    """The uuid of the demo event made under ``key`` (for planted findings and tests)."""
    return stable_uuid(installation, "event", key)


def published(spec: InstallationSpec, events: list[DemoEvent]) -> list[dict[str, Any]]:
    url = site(spec).url
    return [event.published(url) for event in events]


PAGE_SIZE = 100
# Collected the morning after the period ended, as a scheduled `meshcomply collect events` would.
COLLECTED_AT = dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC)


def write_events_export(folder: Path, spec: InstallationSpec, events: list[DemoEvent]) -> Path:
    """The installation's export file in ``folder``, exactly as the collector writes it: the
    events of each page, unchanged, and what was asked (docs/events.md#export-file)."""
    keys = [event.key for event in events]
    if len(set(keys)) != len(keys):
        raise ValueError(f"demo events of {spec.name} reuse a key")
    start, end = PERIOD
    period = Period(start, end)
    url = f"{site(spec).url}{ENDPOINT}"
    filters = {"from": utc_text(period.start_utc), "until": utc_text(period.end_utc_exclusive)}
    raw = published(spec, events)
    total_pages = max(1, -(-len(raw) // PAGE_SIZE))
    pages = [
        {
            "url": f"{url}?{urlencode({**filters, 'page': number, 'size': PAGE_SIZE})}",
            "events": len(raw[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]),
            "page": {
                "size": PAGE_SIZE,
                "totalElements": len(raw),
                "totalPages": total_pages,
                "number": number,
            },
        }
        for number in range(total_pages)
    ]
    head = header(
        installation=spec.name,
        period=period,
        url=url,
        accept=MEDIA_TYPE,
        filters=filters,
        page_size=PAGE_SIZE,
        collected_at=COLLECTED_AT,
        pages=pages,
        count=len(raw),
    )
    path = folder / export_name(spec.name, period)
    write_export(path, head, raw)
    return path
