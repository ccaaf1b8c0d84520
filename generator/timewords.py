"""Moments as a person reads them: every time a pack shows is UTC, to the minute.

``2026-06-25 12:01 UTC``, whatever offset git or an export recorded, so one column or sentence
never mixes offsets. The PDF, the portal, the cut-off notes and the event log's gaps all write
times with this one function (machine-readable files keep ISO 8601). ``utc`` reads an ISO 8601
text back as the aware UTC moment every comparison and sort uses.
"""

from __future__ import annotations

import datetime as dt


def utc(timestamp: str) -> dt.datetime:
    """An ISO 8601 timestamp as an aware UTC datetime; one without an offset (a bare date, a
    naive time) is read as UTC, never as the machine's local time. ValueError if unreadable."""
    moment = dt.datetime.fromisoformat(timestamp)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def utc_words(moment: dt.datetime) -> str:
    """An aware moment as ``YYYY-MM-DD HH:MM UTC`` (a naive one is taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"
