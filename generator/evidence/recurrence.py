"""Recurring controls: which occurrences were due in a period, and which of them were performed.

A control performed every month, quarter, half-year or year is due once per calendar interval of
that length (January, 2026-Q2, 2026-H1, 2026). Over an audit period:

- every interval that ends within the period (and overlaps it) is **due**: it needs an
  occurrence dated inside it, else that occurrence was not performed;
- the interval still open at the period end (it ends after it) is not due yet, but the newest
  occurrence must not be older than one interval at the period end, else the control is
  **stale** (it did not operate when next due), unless a missed interval already says so;
- evidence dated before the period counts only when it is within one interval before the
  period start (for the first interval, or to keep the open interval current); anything older
  never counts, so last year's test cannot make this period's control look performed.

Occurrences are plain dates with a payload (a document version); the ``manual`` rule gives them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half-yearly"
    YEARLY = "yearly"

    @property
    def months(self) -> int:
        return _MONTHS[self]

    @property
    def noun(self) -> str:
        """``month``, ``quarter``, ``half-year``, ``year``: one interval, for sentences."""
        return _NOUNS[self]


_MONTHS = {
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.HALF_YEARLY: 6,
    Frequency.YEARLY: 12,
}
_NOUNS = {
    Frequency.MONTHLY: "month",
    Frequency.QUARTERLY: "quarter",
    Frequency.HALF_YEARLY: "half-year",
    Frequency.YEARLY: "year",
}


@dataclass(frozen=True, order=True)
class Interval:
    """One calendar interval of a frequency, inclusive dates."""

    start: dt.date
    end: dt.date
    label: str  # 2026-03, 2026-Q2, 2026-H1, 2026

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def text(self) -> str:
        """``2026-Q2 (2026-04-01..2026-06-30)``."""
        return f"{self.label} ({self.start.isoformat()}..{self.end.isoformat()})"


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's last day (03-31 - 1 -> 02-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    last = (following - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def interval_of(day: dt.date, frequency: Frequency) -> Interval:
    """The calendar interval of ``frequency`` that contains ``day``."""
    size = frequency.months
    first_month = (day.month - 1) // size * size + 1
    start = dt.date(day.year, first_month, 1)
    end = add_months(start, size) - dt.timedelta(days=1)
    if frequency is Frequency.MONTHLY:
        label = f"{day.year}-{first_month:02d}"
    elif frequency is Frequency.QUARTERLY:
        label = f"{day.year}-Q{(first_month - 1) // 3 + 1}"
    elif frequency is Frequency.HALF_YEARLY:
        label = f"{day.year}-H{(first_month - 1) // 6 + 1}"
    else:
        label = str(day.year)
    return Interval(start, end, label)


def intervals(start: dt.date, end: dt.date, frequency: Frequency) -> list[Interval]:
    """Every calendar interval overlapping ``start..end``, oldest first."""
    found = [interval_of(start, frequency)]
    while found[-1].end < end:
        found.append(interval_of(found[-1].end + dt.timedelta(days=1), frequency))
    return found


def earliest_counted(period_start: dt.date, frequency: Frequency) -> dt.date:
    """The oldest date an occurrence may have to count: one interval before the period start."""
    return add_months(period_start, -frequency.months)


@dataclass(frozen=True)
class Occurrence(Generic[T]):
    date: dt.date
    payload: T


@dataclass(frozen=True)
class IntervalCheck(Generic[T]):
    """One thing the schedule requires: a due interval, or the open one kept current."""

    interval: Interval
    due: bool  # ended within the period; False for the interval still open at the period end
    occurrences: tuple[Occurrence[T], ...]  # what evidences it, oldest first (empty: missed)
    verdict: str  # performed, missed (due, none inside), current or stale (the open interval)


@dataclass(frozen=True)
class Schedule(Generic[T]):
    frequency: Frequency
    earliest: dt.date  # occurrences dated before this never count
    checks: tuple[IntervalCheck[T], ...]
    too_old: tuple[Occurrence[T], ...]  # dated before ``earliest``: never counted
    after_end: tuple[Occurrence[T], ...]  # dated after the period end: not counted

    @property
    def counted(self) -> tuple[Occurrence[T], ...]:
        """Every occurrence some check relies on, once, oldest first."""
        seen: dict[int, Occurrence[T]] = {}
        for check in self.checks:
            for occurrence in check.occurrences:
                seen.setdefault(id(occurrence), occurrence)
        return tuple(sorted(seen.values(), key=lambda o: o.date))

    @property
    def failing(self) -> tuple[IntervalCheck[T], ...]:
        return tuple(c for c in self.checks if c.verdict in (MISSED, STALE))


PERFORMED, MISSED, CURRENT, STALE = "performed", "missed", "current", "stale"


def schedule(
    occurrences: Sequence[Occurrence[T]],
    start: dt.date,
    end: dt.date,
    frequency: Frequency,
) -> Schedule[T]:
    """What the period ``start..end`` requires of a control recurring at ``frequency``."""
    earliest = earliest_counted(start, frequency)
    ordered = sorted(occurrences, key=lambda o: o.date)
    usable = [o for o in ordered if earliest <= o.date <= end]
    checks: list[IntervalCheck[T]] = []
    last_missed: dt.date | None = None
    for interval in intervals(start, end, frequency):
        inside = tuple(o for o in usable if interval.contains(o.date))
        if interval.end <= end:
            verdict = PERFORMED if inside else MISSED
            if not inside:
                last_missed = interval.end
            checks.append(IntervalCheck(interval, True, inside, verdict))
            continue
        if inside:
            checks.append(IntervalCheck(interval, False, inside, CURRENT))
            continue
        # Open at the period end with nothing inside yet: the newest earlier occurrence keeps it
        # current while it is at most one interval old at the period end.
        oldest_current = add_months(end, -frequency.months)
        before = [o for o in usable if o.date < interval.start]
        newest = before[-1:] if before else []
        if newest and newest[0].date >= oldest_current:
            checks.append(IntervalCheck(interval, False, tuple(newest), CURRENT))
        elif last_missed is not None and (not newest or newest[0].date <= last_missed):
            continue  # a missed due interval since the newest occurrence already says it
        else:
            checks.append(IntervalCheck(interval, False, tuple(newest), STALE))
    return Schedule(
        frequency=frequency,
        earliest=earliest,
        checks=tuple(checks),
        too_old=tuple(o for o in ordered if o.date < earliest),
        after_end=tuple(o for o in ordered if o.date > end),
    )
