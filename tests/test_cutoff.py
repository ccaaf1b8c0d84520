"""The cut-off: a pack is evaluated up to the build date at most, and says where it stops."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_history_gitfaults import make_project

from generator.cli import cli
from generator.config import Period
from generator.errors import BuildError
from generator.evidence.cutoff import BuildClock, cut_off_record, evaluated_period

H1 = Period.parse("2026-01-01..2026-06-30")
NEWEST = "2026-06-25T14:01:00+02:00"


def record(period: Period, clock: BuildClock, newest: str = NEWEST):
    return cut_off_record(period, clock, ref="main", head="ab" * 20, newest_commit=newest)


def test_an_ended_period_without_source_date_epoch_does_not_depend_on_the_clock():
    records = {
        record(H1, BuildClock(None, dt.date(year, 1, 2)), "2026-06-30T18:00:00+00:00")
        for year in (2027, 2030)
    }
    (only,) = records  # the same record whatever day the build ran
    assert only.built_at is None
    assert only.evaluated_to == "2026-06-30"
    assert only.notes == ()


def test_a_period_beyond_the_newest_commit_is_evaluated_to_its_end_with_a_note():
    cut = record(H1, BuildClock(None, dt.date(2026, 12, 3)))
    assert cut.evaluated_to == "2026-06-30"
    assert cut.newest_commit == NEWEST
    (note,) = cut.notes
    assert note.startswith(
        "The period ends on 2026-06-30, after the newest commit of main "
        "(2026-06-25 12:01 UTC, head abababababab)"
    )
    # Written in words and UTC like every time a person reads (the commit was at 14:01 +02:00).
    assert "T12:01" not in note and "+00:00" not in note and "14:01" not in note


def test_a_period_beyond_the_build_date_is_cut_at_the_build_date():
    built = dt.datetime(2026, 9, 15, 10, 30, tzinfo=dt.UTC)
    year = Period.parse("2026-01-01..2026-12-31")
    clock = BuildClock(built, dt.date(2030, 1, 1))  # SOURCE_DATE_EPOCH wins over the clock
    assert evaluated_period(year, clock) == Period.parse("2026-01-01..2026-09-15")
    cut = record(year, clock)
    assert cut.built_at == "2026-09-15T10:30:00+00:00"
    assert cut.evaluated_to == "2026-09-15"
    assert cut.notes[1] == (
        "The period reaches beyond the build date: this pack was built on 2026-09-15 "
        "(SOURCE_DATE_EPOCH), so it is evaluated up to the cut-off 2026-09-15 and reports no "
        "control for the 107 days after it, which had not happened yet."
    )
    no_epoch = record(year, BuildClock(None, dt.date(2026, 12, 3)))
    assert no_epoch.built_at is None and no_epoch.evaluated_to == "2026-12-03"
    assert "by the build machine's clock (SOURCE_DATE_EPOCH not set)" in no_epoch.notes[1]


def test_a_period_ending_on_the_build_date_says_its_last_day_was_not_over():
    cut = record(H1, BuildClock(None, dt.date(2026, 6, 30)), "2026-06-30T08:00:00+00:00")
    assert cut.evaluated_to == "2026-06-30"
    assert cut.notes == (
        "The period ends on the build date: this pack was built on 2026-06-30 by the build "
        "machine's clock (SOURCE_DATE_EPOCH not set), before its last day was over; a change "
        "made later that day is not in it.",
    )


def test_a_period_that_starts_after_the_build_date_is_refused():
    with pytest.raises(BuildError, match="starts after the build date 2025-12-31 "
                       r"\(SOURCE_DATE_EPOCH\): none of its days has happened yet"):  # fmt: skip
        evaluated_period(H1, BuildClock(dt.datetime(2025, 12, 31, tzinfo=dt.UTC), dt.date.today()))


def build(folder: Path, *args: str, epoch: str | None = None):
    cwd = os.getcwd()
    os.chdir(folder)
    env = {"SOURCE_DATE_EPOCH": epoch}
    try:
        return CliRunner().invoke(
            cli, ["build", "--quiet", "--format", "json", "--out", "out", *args], env=env
        )
    finally:
        os.chdir(cwd)


def pack(folder: Path) -> dict:
    return json.loads(next((folder / "out" / "packs").rglob("evidence.json")).read_text())


def test_a_build_before_the_period_end_evaluates_only_the_days_up_to_its_date(tmp_path):
    make_project(tmp_path)  # staging on Jan 5, 12, 19; production two days later each
    epoch = str(int(dt.datetime(2026, 1, 13, 12, tzinfo=dt.UTC).timestamp()))
    result = build(tmp_path, "--period", "2026-01-01..2026-01-31", epoch=epoch)
    assert result.exit_code == 0, result.stderr
    model = pack(tmp_path)
    assert model["period"] == {"from": "2026-01-01", "to": "2026-01-31"}
    assert model["cut_off"]["built_at"] == "2026-01-13T12:00:00+00:00"
    assert model["cut_off"]["evaluated_to"] == "2026-01-13"
    # The commits of January 14 to 21 exist in the repository but not yet on the build date.
    assert [c["subject"] for c in model["changes"]] == [
        "Stage 2026.1.0", "Promote 2026.1.0", "Stage 2026.2.0"
    ]  # fmt: skip
    beyond = [n for n in model["cut_off"]["notes"] if "beyond the build date" in n]
    assert len(beyond) == 1 and "cut-off 2026-01-13" in beyond[0]
    assert f"warning: acme: {beyond[0]}\n" in result.stderr


def test_a_period_not_yet_over_is_cut_at_the_clock_and_warned_about(tmp_path):
    make_project(tmp_path)
    result = build(tmp_path, "--period", "2026-01-01..2099-12-31")
    assert result.exit_code == 0, result.stderr
    cut = pack(tmp_path)["cut_off"]
    today = dt.datetime.now(dt.UTC).date()
    assert cut["built_at"] is None
    assert cut["evaluated_to"] in (today.isoformat(), (today + dt.timedelta(days=1)).isoformat())
    assert cut["notes"][0].startswith("The period ends on 2099-12-31, after the newest commit")
    assert "by the build machine's clock (SOURCE_DATE_EPOCH not set)" in cut["notes"][1]
    for note in cut["notes"]:
        assert f"warning: acme: {note}\n" in result.stderr


def test_an_ended_period_built_twice_without_source_date_epoch_gives_the_same_bytes(tmp_path):
    make_project(tmp_path)
    texts = []
    for _ in range(2):
        assert build(tmp_path, "--period", "2026-01-01..2026-01-31").exit_code == 0
        texts.append(next((tmp_path / "out" / "packs").rglob("evidence.json")).read_bytes())
    assert texts[0] == texts[1]
    cut = json.loads(texts[0])["cut_off"]
    assert cut == {
        "built_at": None,
        "evaluated_to": "2026-01-31",
        "newest_commit": "2026-01-21T09:00:00+00:00",
        "notes": [cut["notes"][0]],
    }
    assert cut["notes"][0].startswith("The period ends on 2026-01-31, after the newest commit")
