"""csvtext writes column by column the bytes csv.writer writes row by row (plain_text)."""

import csv
import io
import random

import pytest

from generator.evidence import csvtext
from generator.evidence.csvtext import csv_pieces, plain_text
from generator.evidence.tables import CHANGE_COLUMNS, change_row
from generator.testing import synthetic_evidence

# Cells csv and the formula guard treat specially, alone and mixed with plain text.
HOSTILE = [
    "",
    "plain",
    "a,b",
    'say "hi"',
    '"',
    "line\nbreak",
    "carriage\rreturn",
    "\r\n",
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\tx",
    "\rx",
    " leading space",
    "x\x00y",
    "x\x00=y",
    "\x1f",
    "ümlaut, «quoted»",
    "'already",
    None,
    True,
    False,
    0,
    -3,
    2698.22,
    -0.5,
]


def _joined(header, rows):
    return "".join(csv_pieces(header, rows))


def test_hostile_cells_are_the_bytes_csv_writes():
    rng = random.Random(14)
    rows = [tuple(rng.choice(HOSTILE) for _ in range(6)) for _ in range(3000)]
    assert _joined(("a", "b", "c", "d", "e", "f"), rows) == plain_text("abcdef", rows)


@pytest.mark.parametrize("cell", HOSTILE)
def test_one_special_cell_in_a_column_of_plain_ones(cell):
    # The column check finds a cell needing care among many that need none, at any position.
    for position in (0, 7, 2047, 2048, 4999):
        rows = [("x", "y", str(n)) for n in range(5000)]
        rows = [*rows[:position], ("x", cell, "z"), *rows[position + 1 :]]
        assert _joined(("a", "b", "c"), rows) == plain_text(("a", "b", "c"), rows)


def test_a_header_needing_quotes_and_odd_widths_take_csv_s_own_way():
    header = ("a,b", 'q"', "c")
    rows = [("1", "2", "3"), ("=x",), (), ("",), ("4", "5", "6", "7"), ("8", "9")]
    assert _joined(header, rows) == plain_text(header, rows)
    assert _joined(("only",), [("",), ("x",)]) == plain_text(("only",), [("",), ("x",)])
    assert _joined(("a", "b"), []) == "a,b\n"


def test_chunks_split_rows_without_changing_the_text(monkeypatch):
    monkeypatch.setattr(csvtext, "CHUNK", 3)
    rows = [(str(n), "=1" if n % 4 else "a,b", None) for n in range(10)]
    pieces = list(csv_pieces(("n", "v", "none"), rows))
    assert len(pieces) == 1 + 4
    assert "".join(pieces) == plain_text(("n", "v", "none"), rows)


def test_changes_of_a_hostile_history_are_the_bytes_csv_writes():
    model = synthetic_evidence(changes=60, hostile=True)
    rows = [change_row(c) for c in model.changes]
    assert _joined(CHANGE_COLUMNS, rows) == plain_text(CHANGE_COLUMNS, rows)
    # and what a spreadsheet reads back is each value made safe
    read = list(csv.reader(io.StringIO(_joined(CHANGE_COLUMNS, rows))))
    assert read[1][-1] == csvtext.safe_cell(model.changes[0].subject)
