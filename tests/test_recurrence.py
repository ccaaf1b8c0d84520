"""Recurring controls: calendar intervals, due occurrences, the open interval and old evidence."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from generator.evidence.recurrence import (
    CURRENT,
    MISSED,
    PERFORMED,
    STALE,
    Frequency,
    Occurrence,
    add_months,
    earliest_counted,
    interval_of,
    intervals,
    schedule,
)

D = dt.date.fromisoformat
START, END = D("2026-01-01"), D("2026-06-30")


def occ(*days: str) -> list[Occurrence[str]]:
    return [Occurrence(D(day), day) for day in days]


def verdicts(result) -> list[tuple[str, bool, str, tuple[str, ...]]]:
    return [
        (c.interval.label, c.due, c.verdict, tuple(o.payload for o in c.occurrences))
        for c in result.checks
    ]


def test_calendar_intervals_and_their_labels():
    assert (
        interval_of(D("2026-05-17"), Frequency.MONTHLY).text == "2026-05 (2026-05-01..2026-05-31)"
    )
    assert interval_of(D("2026-05-17"), Frequency.QUARTERLY).text == (
        "2026-Q2 (2026-04-01..2026-06-30)"
    )
    assert interval_of(D("2026-12-31"), Frequency.HALF_YEARLY).text == (
        "2026-H2 (2026-07-01..2026-12-31)"
    )
    assert interval_of(D("2024-02-29"), Frequency.YEARLY).text == "2024 (2024-01-01..2024-12-31)"
    labels = [i.label for i in intervals(D("2026-02-15"), D("2026-07-01"), Frequency.QUARTERLY)]
    assert labels == ["2026-Q1", "2026-Q2", "2026-Q3"]


def test_months_are_moved_and_clamped():
    assert add_months(D("2026-03-31"), -1) == D("2026-02-28")
    assert add_months(D("2024-02-29"), -12) == D("2023-02-28")
    assert add_months(D("2026-11-30"), 3) == D("2027-02-28")
    assert earliest_counted(START, Frequency.QUARTERLY) == D("2025-10-01")
    assert earliest_counted(START, Frequency.YEARLY) == D("2025-01-01")


def test_every_due_quarter_needs_its_own_occurrence():
    # The Q1 review exists, the Q2 one is missing: only the latest instance is not enough.
    result = schedule(occ("2025-12-10", "2026-03-11"), START, END, Frequency.QUARTERLY)
    assert verdicts(result) == [
        ("2026-Q1", True, PERFORMED, ("2026-03-11",)),
        ("2026-Q2", True, MISSED, ()),
    ]
    assert [c.interval.label for c in result.failing] == ["2026-Q2"]
    # The December review is in the last quarter before the period: it evidences nothing here.
    assert [o.payload for o in result.counted] == ["2026-03-11"]


def test_all_quarters_performed():
    result = schedule(occ("2026-03-11", "2026-06-17"), START, END, Frequency.QUARTERLY)
    assert [c.verdict for c in result.checks] == [PERFORMED, PERFORMED]
    assert result.failing == ()


def test_monthly_over_half_a_year_lists_each_missed_month():
    days = ("2026-01-05", "2026-02-05", "2026-04-05", "2026-05-05", "2026-06-05")
    result = schedule(occ(*days), START, END, Frequency.MONTHLY)
    assert [c.interval.label for c in result.failing] == ["2026-03"]
    assert len(result.checks) == 6


def test_a_yearly_test_before_the_period_keeps_the_open_year_current_for_one_year():
    result = schedule(occ("2024-10-24", "2025-10-23"), START, END, Frequency.YEARLY)
    assert verdicts(result) == [("2026", False, CURRENT, ("2025-10-23",))]
    assert [o.payload for o in result.too_old] == ["2024-10-24"]  # before 2025-01-01
    assert [o.payload for o in result.counted] == ["2025-10-23"]


def test_a_yearly_test_older_than_a_year_at_the_period_end_is_stale():
    # 2024-09-17 is 651 days before 2026-06-30 and before the earliest counted date.
    result = schedule(occ("2024-09-17"), START, END, Frequency.YEARLY)
    assert verdicts(result) == [("2026", False, STALE, ())]
    assert [o.payload for o in result.too_old] == ["2024-09-17"]
    # Within the earliest counted date but older than a year at the period end: still stale.
    result = schedule(occ("2025-06-29"), START, END, Frequency.YEARLY)
    assert verdicts(result) == [("2026", False, STALE, ("2025-06-29",))]
    # Exactly one year old at the period end is current.
    result = schedule(occ("2025-06-30"), START, END, Frequency.YEARLY)
    assert verdicts(result) == [("2026", False, CURRENT, ("2025-06-30",))]


def test_evidence_before_the_period_counts_only_within_one_interval_before_its_start():
    # Period from mid-February: the Q1 interval started before it, a January review counts.
    start = D("2026-02-15")
    result = schedule(occ("2026-01-20", "2026-05-02"), start, END, Frequency.QUARTERLY)
    assert [c.verdict for c in result.checks] == [PERFORMED, PERFORMED]
    assert result.checks[0].occurrences[0].payload == "2026-01-20"


def test_a_missed_interval_is_not_reported_again_as_stale():
    # Quarterly over a period ending mid-quarter: Q1 missed, Q2 still open with nothing newer.
    result = schedule(occ("2025-12-10"), START, D("2026-05-31"), Frequency.QUARTERLY)
    assert verdicts(result) == [("2026-Q1", True, MISSED, ())]
    # Q1 missed, Q2 performed, Q3 open: a new lapse after Q2 is stale on its own.
    result = schedule(occ("2026-04-02"), START, D("2026-07-31"), Frequency.QUARTERLY)
    assert [c.verdict for c in result.checks] == [MISSED, PERFORMED, STALE]


def test_occurrences_after_the_period_end_do_not_count():
    result = schedule(occ("2026-03-11", "2026-07-02"), START, END, Frequency.QUARTERLY)
    assert [c.verdict for c in result.checks] == [PERFORMED, MISSED]
    assert [o.payload for o in result.after_end] == ["2026-07-02"]


@pytest.mark.parametrize("frequency", list(Frequency))
def test_intervals_tile_the_calendar(frequency):
    found = intervals(D("2023-01-01"), D("2026-12-31"), frequency)
    assert found[0].start == D("2023-01-01") and found[-1].end == D("2026-12-31")
    for earlier, later in itertools.pairwise(found):
        assert later.start == earlier.end + dt.timedelta(days=1)
    assert len(found) == 48 // frequency.months
