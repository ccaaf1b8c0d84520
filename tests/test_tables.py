import csv
import io
from dataclasses import replace

from generator.evidence.csvtext import safe_cell, safe_row
from generator.evidence.deviations import deviation_records
from generator.evidence.evaluate import failure_record
from generator.evidence.registry import Failure
from generator.evidence.tables import (
    changes_csv,
    deviations_csv,
    sample_csv,
    write_tables,
)
from generator.testing import synthetic_evidence


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
    assert rows[0]["environments"] == ";".join(first.environments)


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
    assert (row["window_from"], row["window_to"], row["window_hours"]) == (
        "2026-03-11T13:47:00+00:00",
        "2026-07-01T00:00:00+00:00",
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
