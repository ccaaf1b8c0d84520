"""The events source: an installation's meshStack event log, read from an export file.

What rules can rely on (``log = context.source("events")``; None when the installation has no
``events:`` key, which is ``not_tested``, never a pass):

- ``log`` is a ``generator.meshevents.model.EventLog``, frozen: ``log.events`` is every event of
  the export (a tuple of ``MeshEvent``), sorted by ``(created_at, uuid)``; ``log.by_title``,
  ``log.by_workspace`` (None: system-wide events) and ``log.by_uuid`` are computed once;
  ``log.titled(*titles)`` and ``log.between(start, end)`` return sorted tuples.
- A ``MeshEvent`` has ``uuid``, ``created_at`` (aware, UTC), ``title``, ``event_type``,
  ``description``, ``workspace`` (``spec.workspaceRef.name`` or None), ``author_type``,
  ``author`` (``spec.author.identifier``), ``content`` and ``previous_content`` (read-only
  mappings, arrays as tuples; ``previous_content`` None when absent) and ``pointer`` (its place in
  the export file, ``/events/12``). Every event passed the published meshEventLog schema; its
  ``content`` is free-form (the schema says only "object"): read it defensively.
- The export is the installation's, from its configured meshStack, asked from the period's start
  with no filter but time; otherwise the build stops before any rule runs. Events may lie
  outside the period when the export asked for more: use ``log.period`` or ``log.between``.
- ``log.gaps`` (``Gap(start, end, reason)``) are the parts of the period the export cannot speak
  for: the events older than meshStack's retention when it was collected, and the end of a
  period the export does not reach (collected before the period ended, e.g. a pack of a running
  period up to its cut-off). ``log.complete`` is False then; a rule judging a window that
  ``log.gaps_overlapping(start, end)`` reports must say ``not_tested`` with the gap's reason for
  it, never that it found no deviations.
- ``log.export`` (``ExportInfo``): the file's ``path``, ``sha256`` (the pack's inputs get the
  file through ``SOURCE.inputs``: ``("events", path)``),
  ``size``, ``url``, ``accept``, ``filters``, ``collected_at``, ``count``, ``pages``, and
  ``request_url(**filters)``: the API call an auditor runs to fetch the same events again.
- No network: a build reads the file only (``meshcomply collect events`` fetches it).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from generator.catalog import display_path
from generator.config import InstallationConfig, OptionsSection, Period, SectionProblems
from generator.errors import BuildError
from generator.meshevents.export import SUFFIX, Export, export_name, read_export, utc_text
from generator.meshevents.model import EventLog, ExportInfo, Gap
from generator.meshevents.schema import parse_timestamp
from generator.sources import ReadRequest, Source
from generator.timewords import utc_words

KEY = "events"
DEFAULT_RETENTION_MONTHS = 12  # meshStack keeps events 12 months unless agreed otherwise
DEFAULT_CLIENT_ID_ENV = "MESHSTACK_CLIENT_ID"
DEFAULT_CLIENT_SECRET_ENV = "MESHSTACK_CLIENT_SECRET"
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
# http:// only to this machine (a local test server); anything else carries the key over TLS.
LOOPBACK = ("localhost", "127.0.0.1", "::1")

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["folder", "url"],
    "description": "meshStack's event log, read from export files (docs/events.md)",
    "properties": {
        "folder": {
            "type": "string",
            "minLength": 1,
            "description": "the folder of export files (relative to meshcomply.yml)",
        },
        "url": {
            "type": "string",
            "minLength": 1,
            "description": "the installation's meshStack API, e.g. https://acme.meshstack.io",
        },
        "retention_months": {
            "type": "integer",
            "minimum": 1,
            "maximum": 120,
            "description": "how long meshStack keeps events (default 12)",
        },
        "client_id_env": {
            "type": "string",
            "description": "the environment variable holding the API key's client ID",
        },
        "client_secret_env": {
            "type": "string",
            "description": "the environment variable holding the API key's secret",
        },
    },
}


@dataclass(frozen=True)
class EventsConfig:
    """An installation's ``events:`` key, checked."""

    folder: Path  # absolute
    url: str  # without a trailing slash
    retention_months: int = DEFAULT_RETENTION_MONTHS
    client_id_env: str = DEFAULT_CLIENT_ID_ENV
    client_secret_env: str = DEFAULT_CLIENT_SECRET_ENV

    def export_path(self, installation: str, period: Period) -> Path:
        return self.folder / export_name(installation, period)


def check(value: dict[str, Any], base: Path) -> tuple[dict[str, Any], SectionProblems]:
    """What the schema cannot say: the folder (relative to meshcomply.yml), the URL, and that the
    variables are names, not secrets (never quoted back: a secret there must not be printed)."""
    problems: SectionProblems = []
    folder = (base / value["folder"]).resolve()
    if folder.exists() and not folder.is_dir():
        problems.append((("folder",), f"{value['folder']!r} is not a folder"))
    url = value["url"].rstrip("/")
    problem = url_problem(url)
    if problem:
        problems.append((("url",), problem))
    for key in ("client_id_env", "client_secret_env"):
        if key in value and not _ENV_NAME.match(value[key]):
            problems.append(
                (
                    (key,),
                    "must be the name of an environment variable (A-Z, 0-9, _), not the "
                    "credential itself: credentials are never read from meshcomply.yml",
                )
            )
    return {**value, "folder": folder, "url": url}, problems


def url_problem(url: str) -> str | None:
    """What is wrong with a meshStack URL, None if it is usable. Never quotes credentials."""
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password (the API key comes from the environment)"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "must be an https:// URL, e.g. https://acme.meshstack.io"
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        return "must be https:// (http:// only to localhost): the API key and token travel on it"
    if parts.query or parts.fragment:
        return "must be the meshStack URL without a query or fragment"
    return None


def events_config(installation: InstallationConfig) -> EventsConfig | None:
    """The installation's checked ``events:`` key, None without one."""
    value = installation.entry.get(KEY)
    if value is None:
        return None
    return EventsConfig(
        folder=Path(value["folder"]),
        url=value["url"].rstrip("/"),
        retention_months=value.get("retention_months", DEFAULT_RETENTION_MONTHS),
        client_id_env=value.get("client_id_env", DEFAULT_CLIENT_ID_ENV),
        client_secret_env=value.get("client_secret_env", DEFAULT_CLIENT_SECRET_ENV),
    )


def read(request: ReadRequest) -> EventLog:
    installation = request.installation
    config = events_config(installation)
    assert config is not None  # configured() said so
    return read_log(installation.name, request.period, config)


def read_log(installation: str, period: Period, config: EventsConfig) -> EventLog:
    """The installation's event log for the period from its export file; BuildError or
    InputError (located) when the file is missing, broken, or not this installation's log.

    The file is the one named for the period, else the one named for the shortest period that
    contains it (a pack of a period still running evaluates it up to its cut-off day, and reads
    the export collected for the whole period so far)."""
    path = find_export(config, installation, period)
    if path is None:
        shown = display_path(config.export_path(installation, period))
        raise BuildError(
            f"installation '{installation}': no event export for {period.text}: {shown} does "
            f"not exist, nor an export of a period containing it "
            f"(installations.{installation}.{KEY}.folder); collect it with "
            f"`meshcomply collect events --installation {installation} --period {period.text}`"
        )
    shown = display_path(path)
    export = read_export(path, shown)
    wrong = _mismatch(export, installation, period, config)
    if wrong:
        raise BuildError(f"{shown}: {wrong}")
    return EventLog(
        installation=installation,
        period=period,
        export=export.info,
        events=export.events,
        retention_months=config.retention_months,
        gaps=(
            *retention_gaps(period, export.info.collected_at, config.retention_months),
            *late_gaps(period, export.info),
        ),
    )


def find_export(config: EventsConfig, installation: str, period: Period) -> Path | None:
    """The export named for the period, else for the shortest period containing it."""
    exact = config.export_path(installation, period)
    if exact.is_file():
        return exact
    covering = []
    for path in config.folder.glob(f"{installation}_*{SUFFIX}") if config.folder.is_dir() else ():
        named = path.name[len(installation) + 1 : -len(SUFFIX)].split("_")
        try:
            start, end = (dt.date.fromisoformat(part) for part in named)
        except ValueError:
            continue  # not a name the collector writes
        if start <= period.start and period.end <= end and path.is_file():
            covering.append(((end - start).days, start, path))
    return min(covering)[2] if covering else None


def _mismatch(export: Export, installation: str, period: Period, config: EventsConfig) -> str:
    """Why the export is not the installation's event log from the period's start, or ""."""
    info = export.info
    if export.installation != installation:
        return f"the export is installation '{export.installation}''s, not '{installation}''s"
    if info.url != f"{config.url}/api/meshobjects/mesheventlogs":
        return (
            f"the export was collected from {info.url}, not from this installation's "
            f"installations.{installation}.{KEY}.url ({config.url})"
        )
    others = sorted(set(info.filters) - {"from", "until"})
    if others:
        return (
            f"the export was filtered by {', '.join(others)}: it holds part of the event log, "
            "not all of it; collect it again with `meshcomply collect events`"
        )
    start = parse_timestamp(info.filters["from"])
    assert start is not None  # read_export checked it
    if start > period.start_utc:
        return (
            f"the export asked for events from {utc_text(start)}; the period {period.text} "
            f"starts at {utc_text(period.start_utc)}: collect it again for the period"
        )
    return ""


def late_gaps(period: Period, info: ExportInfo) -> tuple[Gap, ...]:
    """The end of the period the export holds no events for: after the ``until`` it asked for,
    or after it was collected (a period collected before it ended)."""
    until = parse_timestamp(info.filters["until"])
    assert until is not None  # read_export checked it
    covered = min(until, info.collected_at)
    if covered >= period.end_utc_exclusive:
        return ()
    reason = (
        f"the export holds the events until {utc_words(covered)} (it was collected at "
        f"{utc_words(info.collected_at)} and asked for events until {utc_words(until)}): later "
        "events are not in it; collect it again once the period has ended"
    )
    return (Gap(max(covered, period.start_utc), period.end_utc_exclusive, reason),)


def retention_gaps(period: Period, collected_at: dt.datetime, months: int) -> tuple[Gap, ...]:
    """The part of the period older than meshStack's retention when the export was collected:
    meshStack may have deleted those events before they could be collected."""
    kept_since = months_before(collected_at, months)
    if kept_since <= period.start_utc:
        return ()
    end = min(kept_since, period.end_utc_exclusive)
    reason = (
        f"meshStack keeps events {months} months; the export was collected on "
        f"{collected_at.date().isoformat()}, so events before {utc_words(kept_since)} may have "
        "been deleted before it was collected: the export cannot show them"
    )
    return (Gap(period.start_utc, end, reason),)


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day at most)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def provenance(log: EventLog) -> dict[str, Any]:
    """What the pack records about the export read: file, SHA-256, request, completeness."""
    info = log.export
    return {
        "export": info.path.name,
        "sha256": info.sha256,
        "size": info.size,
        "url": info.url,
        "accept": info.accept,
        "filters": dict(info.filters),
        "collected_at": utc_text(info.collected_at),
        "count": info.count,
        "pages": info.pages,
        "retention_months": log.retention_months,
        "complete": log.complete,
        "gaps": [
            {"from": utc_text(g.start), "until": utc_text(g.end), "reason": g.reason}
            for g in log.gaps
        ],
        "reproduce": info.request_url(),
    }


SOURCE = Source(
    name=KEY,
    reads=(
        "the installation's meshStack event log for the period, from the export file "
        "`meshcomply collect events` wrote (no network in a build)"
    ),
    config=(OptionsSection(KEY, SCHEMA, check, installation=True),),
    configured=lambda installation: KEY in installation.entry,
    read=read,
    provenance=provenance,
    inputs=lambda log: ((KEY, log.export.path),),
)
