"""``meshcomply controls``: the coverage matrix of every Annex A and ISO/IEC 27017 control."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from itertools import zip_longest
from pathlib import Path
from typing import Any

import click

from generator.commands.check import CONTROLS_OPTION
from generator.coverage import MATRIX_KEYS, SoaRow, coverage_matrix, soa_rows
from generator.evidence import registry
from generator.evidence.csvtext import csv_pieces, list_cell
from generator.library import ControlLibrary, default_controls_dir, load_library

TABLE_WIDTH = 100
ID_WIDTH = 10
DECISION_WIDTH = 11
BY_WIDTH = 32


@click.command("controls")
@CONTROLS_OPTION
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="table for people, json (a contract other tools read) or csv for spreadsheets.",
)
def command(controls_dir: Path | None, output_format: str) -> None:
    """Print the coverage matrix: for each Annex A and ISO/IEC 27017 control, the
    meshStack controls that implement it, or its applicability decision.

    JSON: an array with one object per control, keys ref, title, implemented_by,
    decision (implemented, inherited or excluded) and justification.
    """
    library = load_library(controls_dir or default_controls_dir(), registry.all_rules())
    if output_format == "json":
        text = json.dumps(coverage_matrix(library), indent=2, ensure_ascii=False) + "\n"
    elif output_format == "csv":
        text = matrix_csv(coverage_matrix(library))
    else:
        text = matrix_table(library)
    click.echo(text, nl=False)


def matrix_csv(matrix: list[dict[str, Any]]) -> str:
    """One row per control, as the pack's CSV files write cells (docs/csv.md): implemented_by a
    multi-valued cell (``; ``), a justification from the library that starts like a formula
    prefixed with an apostrophe."""
    rows = (
        [list_cell(record[key]) if key == "implemented_by" else record[key] for key in MATRIX_KEYS]
        for record in matrix
    )
    return "".join(csv_pieces(MATRIX_KEYS, rows))


def matrix_table(library: ControlLibrary) -> str:
    """Sections per standard, short ids, wrapped columns: fits a 100-column terminal."""
    rows = soa_rows(library)
    title_width = TABLE_WIDTH - ID_WIDTH - DECISION_WIDTH - BY_WIDTH - 3
    header = _line("control", "decision", "implemented by / responsible", "title", title_width)
    lines: list[str] = []
    standard = None
    for row in rows:
        entry = library.catalogs.entries[row.ref]
        if entry.standard != standard:
            standard = entry.standard
            name = library.catalogs.titles[standard]
            lines.extend(["" if lines else None, name, header, "-" * TABLE_WIDTH])
        by = textwrap.wrap(_who(row), BY_WIDTH) or [""]
        title = textwrap.wrap(row.title, title_width) or [""]
        for i, (by_part, title_part) in enumerate(zip_longest(by, title, fillvalue="")):
            first = i == 0
            lines.append(
                _line(
                    entry.id if first else "",
                    row.decision if first else "",
                    by_part,
                    title_part,
                    title_width,
                )
            )
    counts = Counter(row.decision for row in rows)
    lines.extend(
        [
            "",
            f"{len(rows)} controls: {counts['implemented']} implemented, "
            f"{counts['inherited']} inherited, {counts['excluded']} excluded",
        ]
    )
    return "\n".join(line for line in lines if line is not None) + "\n"


def _who(row: SoaRow) -> str:
    if row.decision == "implemented":
        return ", ".join(row.implemented_by)
    if row.decision == "inherited":
        return f"({row.responsibility})"
    return "-"


def _line(ref: str, decision: str, by: str, title: str, title_width: int) -> str:
    text = f"{ref:<{ID_WIDTH}} {decision:<{DECISION_WIDTH}} {by:<{BY_WIDTH}} {title}"
    return text.rstrip()
