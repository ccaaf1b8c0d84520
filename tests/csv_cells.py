"""What docs/csv.md tells auditors about the CSV files, taken from the page itself.

    from csv_cells import cell_values, documented_columns, pairs   # tests/ is on sys.path

The tests split multi-valued cells with the page's own code and compare headers with the page's
column tables, so a change to the files that the page does not describe fails them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

PAGE = Path(__file__).parents[1] / "docs" / "csv.md"


def _documented_reader() -> Callable[[str], list[str]]:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    [code] = [block for block in blocks if "def cell_values" in block]
    namespace: dict[str, object] = {}
    exec(compile(code, str(PAGE), "exec"), namespace)
    return namespace["cell_values"]  # type: ignore[return-value]


cell_values = _documented_reader()


def pairs(cell: str) -> list[tuple[str, str]]:
    """The ``name=value`` pairs of a cell, as the page says in words: values end at a ``;``
    without a backslash before it (the space after it is the separator's), a name at the first
    ``=`` without one, and a backslash means the next character is text."""
    result: list[tuple[str, str]] = []
    if not cell:
        return result
    parts = ["", ""]
    side = 0
    chars = iter(cell)
    for char in chars:
        if char == "\\":
            parts[side] += next(chars)
        elif char == ";":
            assert next(chars) == " ", cell
            result.append((parts[0], parts[1]))
            parts, side = ["", ""], 0
        elif char == "=" and side == 0:
            side = 1
        else:
            parts[side] += char
    assert side == 1, cell  # every pair has its "="
    return [*result, (parts[0], parts[1])]


def documented_columns() -> dict[str, list[str]]:
    """Each ``## `NAME.csv``` section's column table: the first cell of each row below the
    table's header, in order."""
    tables: dict[str, list[str]] = {}
    current: str | None = None
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"## `([a-z]+\.csv)`", line)
        if heading:
            current = heading[1]
            tables[current] = []
        elif line.startswith("## "):
            current = None
        elif current is not None and line.startswith("|"):
            tables[current].append(line)
    columns = {}
    for name, lines in tables.items():
        assert lines[0].startswith("| column |") and lines[1].startswith("| --- |"), name
        columns[name] = [line.split("|")[1].strip() for line in lines[2:]]
    return columns
