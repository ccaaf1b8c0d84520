"""The cut-off: up to when a pack can speak, and when it was built.

A pack is evaluated from the period's first day up to its **cut-off**: the period's last day, or
the build date when the period reaches beyond it (no control is reported for days that had not
happened yet). The build date is ``SOURCE_DATE_EPOCH`` when it is set; without it the pack
records no build time, so the same inputs give the same bytes, and the machine's clock is read
only to tell whether the period has ended: a period that ended before the build does not depend
on the clock at all, one that had not ended is cut at the clock's date and says so (set
``SOURCE_DATE_EPOCH`` to rebuild such a pack byte for byte). A period reaching beyond the newest
commit of the history is evaluated to its end, with a note: the repository as read shows no
change after that commit, which holds only if it was fetched up to date.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass

from generator.config import Period
from generator.errors import BuildError
from generator.evidence.model import CutOffRecord
from generator.timewords import utc, utc_words


@dataclass(frozen=True)
class BuildClock:
    """When the build ran, as far as a pack may depend on it."""

    built_at: dt.datetime | None  # SOURCE_DATE_EPOCH (UTC); None when it is not set
    today: dt.date  # the machine's UTC date: read only to cut a period that has not ended

    @property
    def build_day(self) -> dt.date:
        return self.built_at.date() if self.built_at is not None else self.today


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH as whole seconds, None when unset or blank; BuildError when malformed."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise BuildError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {value!r}")
    return int(value)


def build_clock(epoch: int | None = None) -> BuildClock:
    """The clock of this build: ``epoch`` (SOURCE_DATE_EPOCH) when given, else none recorded."""
    built_at = dt.datetime.fromtimestamp(epoch, dt.UTC) if epoch is not None else None
    return BuildClock(built_at, dt.datetime.now(dt.UTC).date())


def evaluated_period(period: Period, clock: BuildClock) -> Period:
    """The days a pack evaluates: the period up to its cut-off; BuildError if none has happened."""
    last = min(period.end, clock.build_day)
    if last < period.start:
        raise BuildError(
            f"the period {period.text} starts after the build date {clock.build_day} "
            f"({_clock_basis(clock)}): none of its days has happened yet"
        )
    return Period(period.start, last)


def _clock_basis(clock: BuildClock) -> str:
    if clock.built_at is not None:
        return "SOURCE_DATE_EPOCH"
    return "the build machine's clock, SOURCE_DATE_EPOCH not set"


def newest_commit_date(dates: Iterable[str]) -> str:
    """The latest of the commit dates (ISO 8601), as written; '' when there are none."""
    return max(dates, key=utc, default="")


def cut_off_record(
    period: Period, clock: BuildClock, *, ref: str, head: str, newest_commit: str
) -> CutOffRecord:
    """The model's ``cut_off``: build time, the last day evaluated, and what the pack says of it."""
    evaluated = evaluated_period(period, clock)
    notes = []
    newest_day = utc(newest_commit).date() if newest_commit else None
    if newest_day is not None and newest_day < period.end:
        notes.append(
            f"The period ends on {period.end}, after the newest commit of {ref} "
            f"({utc_words(utc(newest_commit))}, head {head[:12]}): the pack shows the "
            "repository as read at that head; a change made later, or not fetched before the "
            "build, is not in it."
        )
    if clock.build_day <= period.end:
        day = clock.build_day
        if clock.built_at is not None:
            when = f"was built on {day} (SOURCE_DATE_EPOCH)"
        else:
            when = f"was built on {day} by the build machine's clock (SOURCE_DATE_EPOCH not set)"
        if day < period.end:
            notes.append(
                f"The period reaches beyond the build date: this pack {when}, so it is "
                f"evaluated up to the cut-off {evaluated.end} and reports no control for the "
                f"{(period.end - day).days} days after it, which had not happened yet."
            )
        else:
            notes.append(
                f"The period ends on the build date: this pack {when}, before its last day was "
                "over; a change made later that day is not in it."
            )
    built_at = clock.built_at.isoformat() if clock.built_at is not None else None
    return CutOffRecord(
        built_at=built_at,
        evaluated_to=evaluated.end.isoformat(),
        newest_commit=newest_commit,
        notes=tuple(notes),
    )


def built_at_words(cut_off: CutOffRecord) -> str:
    """The build time as a person reads it, saying why there is none (PDF and portal)."""
    built_at = cut_off.built_at
    if built_at is not None:
        return f"{utc_words(dt.datetime.fromisoformat(built_at))} (SOURCE_DATE_EPOCH)"
    return (
        "not recorded: SOURCE_DATE_EPOCH was not set, so the pack does not depend on when it "
        "was built"
    )
