"""Moments as a person reads them: every time a pack shows is UTC, to the minute.

``2026-06-25 12:01 UTC``, whatever offset git or an export recorded, so one column or sentence
never mixes offsets. The PDF, the portal, the cut-off notes and the event log's gaps all write
times with this one function (machine-readable files keep ISO 8601).
"""

from __future__ import annotations

import datetime as dt


def utc_words(moment: dt.datetime) -> str:
    """An aware moment as ``YYYY-MM-DD HH:MM UTC`` (a naive one is taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"
