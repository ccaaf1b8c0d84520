"""The export file: one installation's meshStack events for one period (docs/events.md#export-file).

``meshcomply collect events`` writes it; the ``events`` source reads it. It holds the events of
every page meshStack returned, unchanged and in the order served, and what was asked: the
endpoint, the media type, the filters, the time of collection, the count and each page read. One
event is written per line, so a problem in the file is reported at the event's own line.

Reading checks the header against ``events-export.schema.json``, every event against the
published meshEventLog schema (``schema.py``), that no uuid appears twice, that every event lies
inside the window the export asked for, and that the counts add up; every problem of the file
is reported at once, located (``path:line:col: /events/12/spec/title: ...``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from generator.config import Period
from generator.errors import BuildError, InputError, Problem, raise_if
from generator.interrupts import stop_if_interrupted
from generator.meshevents.model import ExportInfo, MeshEvent
from generator.meshevents.schema import (
    events_problems,
    parse_timestamp,
    typed_event,
)
from generator.textcheck import half_character, json_loads, line_and_column, lone_surrogate_escape
from generator.validate import load_schema

FORMAT = "meshcomply-events-export"
FORMAT_VERSION = 1
# An export is read whole: 512 MiB of JSON is about half a million events (a large installation's
# year) and a few GB of memory once parsed.
MAX_EXPORT_BYTES = 512 * 1024 * 1024
SUFFIX = ".events.json"


def export_name(installation: str, period: Period) -> str:
    """The file name of an installation's export for a period: ``acme_2026-01-01_2026-06-30``."""
    return f"{installation}_{period.label}{SUFFIX}"


def utc_text(moment: dt.datetime) -> str:
    """A UTC timestamp as the export writes it: ``2026-01-01T00:00:00Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def header(
    *,
    installation: str,
    period: Period,
    url: str,
    accept: str,
    filters: dict[str, str],
    page_size: int,
    collected_at: dt.datetime,
    pages: list[dict[str, Any]],
    count: int,
) -> dict[str, Any]:
    """Everything of an export but its events, in the file's key order."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "installation": installation,
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "request": {"url": url, "accept": accept, "filters": filters, "page_size": page_size},
        "collected_at": utc_text(collected_at),
        "count": count,
        "pages": pages,
    }


def export_bytes(head: dict[str, Any], events: list[Any]) -> bytes:
    """The file: the header's keys indented, then ``events`` with one event per line."""
    lines = ["{"]
    for key, value in head.items():
        text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        lines.append(f"  {json.dumps(key)}: {text},")
    lines.append('  "events": [')
    rows = [json.dumps(event, ensure_ascii=False, separators=(",", ":")) for event in events]
    lines.append(",\n".join(rows))
    lines.append("  ]")
    lines.append("}")
    if not rows:
        lines.pop(-3)
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_export(path: Path, head: dict[str, Any], events: list[Any]) -> str:
    """Write an export atomically (a temporary file in the same folder, then renamed): a reader
    sees the old file or the whole new one, never part of it. Returns its SHA-256."""
    data = export_bytes(head, events)
    if len(data) > MAX_EXPORT_BYTES:
        raise BuildError(
            f"cannot write {path}: the export would be {len(data):,} bytes, more than the "
            f"{MAX_EXPORT_BYTES:,}-byte limit a build reads; collect a shorter period"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            stop_if_interrupted()
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise BuildError(f"cannot write {path}: {exc.strerror or exc}") from None
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Export:
    """A checked export file: what it says about itself and its typed events (file order)."""

    info: ExportInfo
    installation: str
    period: Period
    events: tuple[MeshEvent, ...]


def read_export(path: Path, shown: str | None = None) -> Export:
    """Read and check an export; InputError with every problem of the file, located.

    ``shown``: the path as problems name it (default: ``path`` as given).
    """
    where = shown or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_EXPORT_BYTES:
            message = f"is {size:,} bytes, more than the {MAX_EXPORT_BYTES:,}-byte limit"
            raise InputError([Problem(where, 1, 1, message)])
        data = path.read_bytes()
    except OSError as exc:
        raise BuildError(f"cannot read {where}: {exc.strerror or exc}") from None
    sha256 = hashlib.sha256(data).hexdigest()
    text, document = _parse(data, where)
    locate = _Locator(text, where)
    problems = [locate.at(pointer, message) for pointer, message in _header_problems(document)]
    raw_events = document.get("events")
    if not isinstance(raw_events, list):
        raise_if(problems)
        raise AssertionError("the export schema requires events")  # pragma: no cover
    window = _window(document)
    events = []
    broken = events_problems(raw_events, "/events")
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_events):
        if index in broken:
            problems.extend(locate.at(pointer, message) for pointer, message in broken[index])
            continue
        event = typed_event(raw, index)
        first = seen.setdefault(event.uuid, index)
        if first != index:
            message = f"uuid {event.uuid!r} appears twice (first at /events/{first})"
            problems.append(locate.at(f"/events/{index}/metadata/uuid", message))
        if window is not None and not (window[0] <= event.created_at < window[1]):
            problems.append(
                locate.at(
                    f"/events/{index}/metadata/createdAt",
                    f"{utc_text(event.created_at)} is outside the window the export asked for "
                    f"(from {utc_text(window[0])} until {utc_text(window[1])})",
                )
            )
        events.append(event)
    problems.extend(_count_problems(document, locate))
    raise_if(problems)
    request = document["request"]
    period = Period(
        dt.date.fromisoformat(document["period"]["from"]),
        dt.date.fromisoformat(document["period"]["to"]),
    )
    info = ExportInfo(
        path=path,
        sha256=sha256,
        size=len(data),
        url=request["url"],
        accept=request["accept"],
        filters=dict(request["filters"]),
        collected_at=_timestamp(document["collected_at"]),
        count=document["count"],
        pages=len(document["pages"]),
    )
    return Export(info, document["installation"], period, tuple(events))


def _parse(data: bytes, where: str) -> tuple[str, dict[str, Any]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError([Problem(where, line, col, "not UTF-8 text")]) from None
    try:
        document = json_loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(where, exc.lineno, exc.colno, f"not JSON: {exc.msg}")]) from None
    except _DuplicateKey as exc:
        raise InputError([Problem(where, 1, 1, str(exc))]) from None
    lone = lone_surrogate_escape(text)
    if lone is not None:
        message = half_character(text[lone : lone + 6])
        raise InputError([Problem(where, *line_and_column(text, lone), message)])
    if not isinstance(document, dict):
        raise InputError([Problem(where, 1, 1, "an export is a JSON object")])
    return text, document


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)  # in C; the keys are looked at only when some were lost
    if len(result) != len(pairs):
        key = next(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
        raise _DuplicateKey(f"the key {key[:80]!r} appears twice in one object")
    return result


def _header_problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    problems = []
    # The events are checked one by one against their own schema (schema.py), not here.
    shell = {**document, "events": []} if isinstance(document.get("events"), list) else document
    for error in sorted(_header_validator().iter_errors(shell), key=lambda e: e.json_path):
        pointer = "".join(f"/{part}" for part in error.absolute_path) or "/"
        if error.validator == "required":
            message = f"missing required field {error.message.split(chr(39))[1]!r}"
        elif error.validator == "const":
            message = f"must be {error.validator_value!r}"
        elif error.validator == "additionalProperties":
            message = f"unknown fields (allowed: {', '.join(sorted(error.schema['properties']))})"
        else:
            message = error.message[:200]
        problems.append((pointer, message))
    for pointer, value in (
        ("/collected_at", document.get("collected_at")),
        *(
            (f"/request/filters/{key}", document.get("request", {}).get("filters", {}).get(key))
            for key in ("from", "until")
        ),
    ):
        if isinstance(value, str) and parse_timestamp(value) is None:
            problems.append((pointer, "not an ISO 8601 timestamp with a time zone"))
    period = document.get("period")
    if isinstance(period, dict):
        for key in ("from", "to"):
            try:
                dt.date.fromisoformat(str(period.get(key)))
            except ValueError:
                problems.append((f"/period/{key}", "not a date (YYYY-MM-DD)"))
    return problems


def _window(document: dict[str, Any]) -> tuple[dt.datetime, dt.datetime] | None:
    """The [from, until) the export asked for, None when the header did not say it validly."""
    try:
        filters = document["request"]["filters"]
        start, end = parse_timestamp(filters["from"]), parse_timestamp(filters["until"])
    except (KeyError, TypeError):
        return None
    return (start, end) if start is not None and end is not None else None


def _count_problems(document: dict[str, Any], locate: _Locator) -> list[Problem]:
    events, count, pages = document.get("events"), document.get("count"), document.get("pages")
    problems = []
    if isinstance(count, int) and isinstance(events, list) and count != len(events):
        message = f"says {count} events, the file holds {len(events)}"
        problems.append(locate.at("/count", message))
    if isinstance(pages, list) and isinstance(events, list):
        served = sum(p.get("events", 0) for p in pages if isinstance(p, dict))
        if served != len(events):
            message = f"the pages served {served} events, the file holds {len(events)}"
            problems.append(locate.at("/pages", message))
    return problems


def _timestamp(text: str) -> dt.datetime:
    moment = parse_timestamp(text)
    assert moment is not None  # checked by _header_problems
    return moment


@cache
def _header_validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema("events-export"))


class _Locator:
    """Line and column of a JSON pointer's first two levels in the file as written.

    Offsets are found by decoding the top-level object and the ``events`` array value by value
    with the C scanner (only when a file has problems), so a problem inside the 12th event is
    reported at the line where that event starts.
    """

    def __init__(self, text: str, where: str):
        self.text = text
        self.where = where
        self._offsets: dict[str, int] | None = None

    def at(self, pointer: str, message: str) -> Problem:
        parts = pointer.strip("/").split("/")
        offsets = self.offsets()
        offset = offsets.get("/".join(parts[:2])) or offsets.get(parts[0]) or 0
        line = self.text.count("\n", 0, offset) + 1
        col = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return Problem(self.where, line, col, f"{pointer}: {message}")

    def offsets(self) -> dict[str, int]:
        if self._offsets is None:
            self._offsets = _offsets(self.text)
        return self._offsets


def _offsets(text: str) -> dict[str, int]:
    """Offset of each top-level key (``"count"``) and of each event (``"events/12"``)."""
    decoder = json.JSONDecoder()
    found: dict[str, int] = {}
    index = _skip(text, 0)
    if text[index : index + 1] != "{":
        return found
    index = _skip(text, index + 1)
    while index < len(text) and text[index] == '"':
        key, after = decoder.raw_decode(text, index)
        found[key] = index
        index = _skip(text, after)
        index = _skip(text, index + 1)  # the colon
        if key == "events" and text[index : index + 1] == "[":
            index = _skip(text, index + 1)
            number = 0
            while index < len(text) and text[index] != "]":
                found[f"events/{number}"] = index
                _, index = decoder.raw_decode(text, index)
                index = _skip(text, index)
                index = _skip(text, index + 1) if text[index : index + 1] == "," else index
                number += 1
            index += 1
        else:
            _, index = decoder.raw_decode(text, index)
        index = _skip(text, index)
        index = _skip(text, index + 1) if text[index : index + 1] == "," else index
    return found


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index
