import csv
import io
import re
from dataclasses import replace

from csv_cells import cell_values, pairs

from generator.evidence.csvtext import escaped, list_cell, safe_cell, safe_row, utc_cell
from generator.evidence.deviations import deviation_records
from generator.evidence.evaluate import failure_record
from generator.evidence.model import ApprovalRecord, Identity
from generator.evidence.registry import Failure
from generator.evidence.tables import (
    changes_csv,
    deviations_csv,
    sample_csv,
    write_tables,
)
from generator.testing import _event_log, synthetic_evidence


def test_formula_cells_are_neutralised():
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_cell("+1") == "'+1"
    assert safe_cell("-1") == "'-1"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("plain") == "plain"
    assert safe_cell(True) == "true"
    assert safe_cell(None) == ""


def test_changes_csv_has_one_row_per_change_with_its_sha():
    model = synthetic_evidence(changes=30)
    rows = list(csv.DictReader(io.StringIO(changes_csv(model))))
    assert [r["sha"] for r in rows] == [c.sha for c in model.changes]
    first = model.changes[0]
    assert rows[0]["author_email"] == first.author.email
    assert rows[0]["environments"] == "; ".join(first.environments)
    assert any(";" in r["environments"] for r in rows)  # the synthetic model has two-env changes


def test_hostile_subjects_survive_as_text_in_csv():
    model = synthetic_evidence(changes=12, hostile=True)
    changes = (replace(model.changes[0], subject="=cmd|' /C calc'!A0"), *model.changes[1:])
    model = replace(model, changes=changes)
    rows = list(csv.DictReader(io.StringIO(changes_csv(model))))
    assert rows[0]["subject"] == "'=cmd|' /C calc'!A0"
    assert rows[1]["subject"] == model.changes[1].subject


def test_sample_csv_lists_the_sample_in_rank_order():
    model = synthetic_evidence(changes=40)
    rows = list(csv.DictReader(io.StringIO(sample_csv(model))))
    expected = list(model.sample.populations[0].shas)
    assert [r["sha"] for r in rows] == expected
    assert [int(r["position"]) for r in rows] == list(range(1, len(expected) + 1))


def test_written_tables_are_the_same_bytes_as_the_texts(tmp_path):
    # Hostile subjects carry quotes, newlines and carriage returns the writer must keep as is.
    model = synthetic_evidence(changes=40, hostile=True)
    write_tables(model, tmp_path)
    assert (tmp_path / "changes.csv").read_bytes() == changes_csv(model).encode("utf-8")
    assert (tmp_path / "sample.csv").read_bytes() == sample_csv(model).encode("utf-8")
    assert (tmp_path / "deviations.csv").read_bytes() == deviations_csv(model).encode("utf-8")


def test_deviations_csv_lists_each_deviation_once_with_its_window_in_columns():
    model = synthetic_evidence(changes=40)
    window = {
        "from_sha": "a" * 40,
        "to_sha": None,
        "from": "2026-03-11T13:47:00+00:00",
        "to": "2026-07-01T00:00:00+00:00",
        "hours": 2698.22,
    }
    failure = failure_record(Failure("=1+1", "a" * 40, window, kind="assertion_failed"), None)
    result = replace(model.controls[0].results[0], status="deviations", failures=(failure,))
    controls = tuple(
        replace(c, results=(result,)) if i < 2 else c for i, c in enumerate(model.controls)
    )
    model = replace(model, controls=controls, deviations=deviation_records(controls))
    rows = list(csv.DictReader(io.StringIO(deviations_csv(model))))
    assert len(rows) == len(model.deviations) > 0
    row = next(r for r in rows if r["kind"] == "assertion_failed")
    assert row["id"] == failure.id and row["state"] == "open" and row["exception"] == ""
    # The model's "+00:00" bounds (the deviation id hashes them) are written with Z, as every
    # computed time in the CSV files is (docs/csv.md).
    assert (row["window_from"], row["window_to"], row["window_hours"]) == (
        "2026-03-11T13:47:00Z",
        "2026-07-01T00:00:00Z",
        "2698.22",
    )
    assert row["controls"] == f"{controls[0].id}; {controls[1].id}"
    assert row["message"] == "'=1+1"  # never a formula


def test_a_row_is_each_value_made_safe_as_safe_cell_makes_it():
    """safe_row checks text, null and true/false inline: the same cells as safe_cell's."""

    class Text(str):
        pass

    values = ["=1", "plain", "", "-x", "\tx", None, True, False, 0, 1, -3, 2.5, -0.5, Text("@a")]
    assert safe_row(values) == [safe_cell(v) for v in values]
    assert safe_row(values)[:7] == ["'=1", "plain", "", "'-x", "'\tx", "", "true"]
    assert safe_row([1, 0, -3]) == ["1", "0", "'-3"]  # a count is no true/false, a sign a formula


def test_a_value_holding_the_separator_reads_back_as_one_value():
    """Names, paths and tags may hold ';' or '\\': escaped, the page's reading rule gives each
    value back whole; values without them are written as they are."""
    values = ["MS-CHG-01", "a;b", "ends with \\", "\\;", " leading", "", "x; y", "=1"]
    cell = list_cell(values)
    assert cell_values(cell) == values
    assert list_cell(["MS-CHG-01", "MS-CHG-02"]) == "MS-CHG-01; MS-CHG-02"
    assert list_cell(["a;b", "c\\d"]) == "a\\;b; c\\\\d"
    assert list_cell([]) == ""
    assert escaped("prod=eu;1", pair_name=True) == "prod\\=eu\\;1"
    assert escaped("prod=eu") == "prod=eu"  # '=' is special only in a pair's name


def test_hostile_list_values_in_changes_csv_read_back_and_never_start_a_formula():
    model = synthetic_evidence(changes=3)
    people = (Identity("Doe; Jane", "jane@x.example"), Identity("=cmd|' /C calc'!A0", "e@x"))
    first = replace(
        model.changes[0],
        environments=("=HYPERLINK(1)", "prod;eu", "back\\slash"),
        approvers=people,
        approvals=(
            ApprovalRecord(people[0], "signed", "rel;1"),
            ApprovalRecord(people[1], "trailer", None),
        ),
        releases={"eu=1;x": "2026.1;0", "prod\\": "=2"},
    )
    model = replace(model, changes=(first, *model.changes[1:]))
    row = next(csv.DictReader(io.StringIO(changes_csv(model))))
    assert row["environments"].startswith("'=HYPERLINK(1); ")  # the formula guard comes first
    assert cell_values(row["environments"][1:]) == list(first.environments)
    assert cell_values(row["approvers"]) == [
        "Doe; Jane <jane@x.example>",
        "=cmd|' /C calc'!A0 <e@x>",
    ]
    assert cell_values(row["approval_evidence"]) == ["signed (tag rel;1)", "trailer"]
    assert pairs(row["releases"]) == [("eu=1;x", "2026.1;0"), ("prod\\", "=2")]


def test_a_computed_moment_is_written_in_utc_with_z_and_anything_else_as_it_is():
    assert utc_cell("2026-03-11T14:47:00+01:00") == "2026-03-11T13:47:00Z"
    assert utc_cell("2026-03-11T13:47:00+00:00") == "2026-03-11T13:47:00Z"
    assert utc_cell("2026-03-11T13:47:00Z") == "2026-03-11T13:47:00Z"
    assert utc_cell("2026-01-01T00:30:00-05:30") == "2026-01-01T06:00:00Z"
    assert utc_cell("2026-03-11T13:47:00.250+02:00") == "2026-03-11T11:47:00.250000Z"
    assert utc_cell("2026-04-01") == "2026-04-01"  # a day of a document's interval
    assert utc_cell("2026-03-11T13:47:00") == "2026-03-11T13:47:00"  # no offset: not converted
    assert utc_cell("2026-13-45T99:00:00Z") == "2026-13-45T99:00:00Z"  # not a moment
    assert utc_cell("=1+1") == "=1+1" and utc_cell(None) is None and utc_cell(7) == 7


def test_event_rows_write_controls_as_a_list_and_times_with_z(tmp_path):
    log = _event_log("acme", hostile=True)
    two = replace(log.populations[0], controls=("MS-ACC-03", "MS-LOG-03"))
    model = replace(synthetic_evidence(changes=12), event_log=replace(log, populations=(two,)))
    write_tables(model, tmp_path)
    with (tmp_path / "events.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [r["uuid"] for r in rows] == list(two.uuids)
    assert {r["controls"] for r in rows} == {"MS-ACC-03; MS-LOG-03"}  # was "MS-ACC-03 MS-LOG-03"
    assert [r["created_at"] for r in rows] == [e.created_at for e in log.events]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", r["created_at"]) for r in rows)


def test_event_rows_name_their_population_where_a_rule_has_two_with_the_same_controls(tmp_path):
    log = _event_log("acme", hostile=False)
    first = log.populations[0]
    other = replace(first, params={"privileged_roles": [], "api_keys": True}, sample=())
    model = replace(
        synthetic_evidence(changes=12), event_log=replace(log, populations=(first, other))
    )
    write_tables(model, tmp_path)
    with (tmp_path / "events.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    # The same rule, controls and events twice: only the population number tells the rows apart.
    assert [(r["population"], r["uuid"]) for r in rows] == [
        *[("1", uuid) for uuid in first.uuids],
        *[("2", uuid) for uuid in other.uuids],
    ]
    assert {r["sample_position"] for r in rows if r["population"] == "2"} == {""}
