"""docs/csv.md against the CSV files of a built pack: the same columns, and cells as described.

The demo is built once per session (test_demo_support.shared_build); its packs have every CSV
file, events.csv included. Headers are read from the files, cells split with the page's own code
(csv_cells), so neither the page nor the files can drift from the other.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from csv_cells import cell_values, documented_columns, pairs
from test_demo_support import shared_build

MOMENT_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
GIT_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")


@pytest.fixture(scope="module")
def packs() -> list[Path]:
    return shared_build()[1]


def _rows(pack: Path, name: str) -> list[dict[str, str]]:
    with (pack / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _model(pack: Path) -> dict:
    return json.loads((pack / "evidence.json").read_text(encoding="utf-8"))


def test_the_page_lists_exactly_the_columns_of_every_csv_file(packs: list[Path]) -> None:
    documented = documented_columns()
    assert set(documented) == {"changes.csv", "sample.csv", "deviations.csv", "events.csv"}
    for pack in packs:
        written = sorted(p.name for p in pack.glob("*.csv"))
        assert written == sorted(documented), pack  # the demo has an event log: all four
        for name in written:
            with (pack / name).open(encoding="utf-8", newline="") as file:
                header = next(csv.reader(file))
            assert documented[name] == header, f"docs/csv.md {name} vs {pack / name}"


def test_the_column_reader_follows_the_page() -> None:
    """documented_columns reads what the page says: a column missing from the page is noticed."""
    documented = documented_columns()
    assert documented["events.csv"][:4] == ["rule", "population", "controls", "uuid"]
    assert len(documented["changes.csv"]) == 17
    assert all(len(set(cols)) == len(cols) for cols in documented.values())


def test_multi_valued_cells_read_back_as_the_models_lists(packs: list[Path]) -> None:
    """Every multi-valued cell of every file, split as the page says, is evidence.json's list."""
    for pack in packs:
        model = _model(pack)
        changes = {c["sha"]: c for c in model["changes"]}
        for row in _rows(pack, "changes.csv"):
            change = changes[row["sha"]]
            assert cell_values(row["environments"]) == change["environments"]
            assert cell_values(row["approvers"]) == [
                f"{p['name']} <{p['email']}>" for p in change["approvers"]
            ]
            assert cell_values(row["approval_evidence"]) == [
                f"{a['evidence']} (tag {a['tag']})" if a["tag"] else a["evidence"]
                for a in change["approvals"]
            ]
            assert len(cell_values(row["approval_evidence"])) == len(change["approvers"])
            assert pairs(row["releases"]) == list(change["releases"].items())
        for row in _rows(pack, "sample.csv"):
            approvers = changes[row["sha"]]["approvers"]
            assert cell_values(row["approvers"]) == [
                f"{p['name']} <{p['email']}>" for p in approvers
            ]
        deviations = {d["id"]: d for d in model["deviations"]}
        for row in _rows(pack, "deviations.csv"):
            assert cell_values(row["items"]) == deviations[row["id"]]["items"]
            assert cell_values(row["controls"]) == deviations[row["id"]]["controls"]
        # One row per member of each population, in order; a rule may have several (one per
        # parameter set: the demo's access-expiry for roles and for API keys).
        members = [
            (p["rule"], p["controls"], uuid)
            for p in model["event_log"]["populations"]
            for uuid in p["uuids"]
        ]
        rows = _rows(pack, "events.csv")
        assert [(r["rule"], cell_values(r["controls"]), r["uuid"]) for r in rows] == members
    # The demo has cells of several values in each such column kind.
    rows = [r for pack in packs for r in _rows(pack, "changes.csv")]
    assert any(len(cell_values(r["environments"])) > 1 for r in rows)
    assert any(len(cell_values(r["approvers"])) > 1 for r in rows)
    events = [r for pack in packs for r in _rows(pack, "events.csv")]
    assert any(len(cell_values(r["controls"])) > 1 for r in events)


def test_computed_times_are_utc_with_z_and_commit_times_are_gits(packs: list[Path]) -> None:
    for pack in packs:
        model = _model(pack)
        committed = {c["sha"]: c["committed_at"] for c in model["changes"]}
        for name in ("changes.csv", "sample.csv"):
            for row in _rows(pack, name):
                assert row["committed_at"] == committed[row["sha"]]  # git's %cI, offset kept
                assert GIT_TIME.fullmatch(row["committed_at"]), row["committed_at"]
        windows = {d["id"]: d["window"] for d in model["deviations"]}
        for row in _rows(pack, "deviations.csv"):
            window = windows[row["id"]]
            for column, key in (("window_from", "from"), ("window_to", "to")):
                cell = row[column]
                if window is None:
                    assert cell == ""
                elif DAY.fullmatch(cell):
                    assert cell == window[key]  # a document's interval: days
                else:
                    assert MOMENT_Z.fullmatch(cell), cell
                    same = dt.datetime.fromisoformat(window[key])
                    assert dt.datetime.fromisoformat(cell) == same
        for row in _rows(pack, "events.csv"):
            assert MOMENT_Z.fullmatch(row["created_at"]), row["created_at"]
    # The demo's windows were written by rules of both kinds: +00:00 (config-assertion) and Z.
    texts = [
        d["window"]["from"]
        for pack in packs
        for d in _model(pack)["deviations"]
        if d["window"] and "T" in d["window"]["from"]
    ]
    assert any(t.endswith("+00:00") for t in texts) and any(t.endswith("Z") for t in texts)
    offsets = {row["committed_at"][-6:] for p in packs for row in _rows(p, "changes.csv")}
    assert "+00:00" in offsets and len(offsets) > 1  # git's own offsets, not converted
