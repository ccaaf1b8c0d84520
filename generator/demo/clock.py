"""Fixed wall-clock arithmetic and deterministic choices for the demo.

Time zones are computed here from the EU summer-time rule rather than read from the system's tz
database, so the demo's commit dates (and therefore its shas) cannot differ between machines.
"""

from __future__ import annotations

import datetime as dt
import hashlib

UTC = dt.UTC
SEED = "meshcomply-demo-v1"


def _last_sunday(year: int, month: int) -> dt.date:
    day = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


def berlin_offset(moment: dt.datetime) -> dt.timedelta:
    """CEST (+02:00) from the last Sunday of March to the last Sunday of October, 01:00 UTC."""
    year = moment.year
    start = dt.datetime.combine(_last_sunday(year, 3), dt.time(1), UTC)
    end = dt.datetime.combine(_last_sunday(year, 10), dt.time(1), UTC)
    return dt.timedelta(hours=2 if start <= moment.astimezone(UTC) < end else 1)


def offset(moment: dt.datetime, zone: str) -> dt.timedelta:
    if zone == "utc":
        return dt.timedelta(0)
    if zone == "berlin":
        return berlin_offset(moment)
    raise ValueError(f"unknown demo time zone {zone!r}")


def at(day: dt.date, clock: str, zone: str = "berlin") -> dt.datetime:
    """The UTC instant of local time `clock` ("HH:MM") on `day` in `zone`."""
    hour, minute = (int(part) for part in clock.split(":"))
    naive = dt.datetime.combine(day, dt.time(hour, minute), UTC)
    # The offset at noon UTC of the day is the day's offset outside the switch-over night.
    return naive - offset(dt.datetime.combine(day, dt.time(12), UTC), zone)


def git_timestamp(moment: dt.datetime, zone: str) -> str:
    """`<epoch seconds> <+hhmm>` as git writes it in commit and tag headers."""
    delta = offset(moment, zone)
    minutes = int(delta.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{int(moment.timestamp())} {sign}{minutes // 60:02d}{minutes % 60:02d}"


def pick(key: str, count: int) -> int:
    """A stable pseudo-random index in range(count) for `key`, independent of call order."""
    digest = hashlib.sha256(f"{SEED}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def choose(key: str, options: list | tuple):
    return options[pick(key, len(options))]


def days(start: dt.date, end: dt.date, weekday: int) -> list[dt.date]:
    """Every date from start to end inclusive that falls on weekday (Monday = 0)."""
    first = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
    return [first + dt.timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]
