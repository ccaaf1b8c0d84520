"""CSV text of many rows at once, column by column: the bytes ``csv.writer`` writes.

The pack's tables have about 2.8 million cells on the 100k-commit benchmark. Written row by row,
each cell costs a Python step to neutralise a formula (``safe_cell``) and a C step in ``csv`` to
decide on quotes: most of the tables' time. Here a chunk of rows is turned into columns, and each
column is checked at once: whether any of its cells is anything but text, starts like a formula
or needs quotes is one C loop over the column (a search of the column's cells joined by a
character that is never special), so only a column holding such a cell is treated cell by cell.

The text is ``csv.writer(out, lineterminator="\\n")`` writing ``safe_row`` of each row (Python
3.11's rules: a cell holding the delimiter, the quote character or a line terminator character
is quoted, a quote doubled; a row of one empty cell is ``""``); rows of fewer than two cells take
that plain path. ``tests/test_csvtext.py`` compares both on hostile cells.

Two cell formats every table shares (docs/csv.md documents them for the auditor):
``list_cell`` writes a multi-valued cell, its values joined with ``"; "`` (a backslash and a
semicolon inside a value written ``\\\\`` and ``\\;``, so a file path or name holding ``;``
cannot read as two values), and ``utc_cell`` writes a moment meshcomply computed as
``YYYY-MM-DDTHH:MM:SSZ``. git's own commit times are not moments meshcomply computed: they are
written as ``git log --format=%cI`` prints them, offset and all, and never pass ``utc_cell``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What csv.writer quotes with the excel dialect and "\n" as line terminator: the delimiter, the
# quote character and the terminator's character (a lone "\r" is written as it is).
_NEEDS_QUOTES = re.compile('[,"\n]')
_QUOTE_CHARACTERS = (",", '"', "\n")
_APART = "\x00"  # joins a column's cells for one search: it is none of the characters above
_AFTER_APART = re.compile(_APART + "[" + re.escape("".join(_FORMULA_STARTS)) + "]")
# Rows turned into columns at once: bounds the cells held besides the text written.
CHUNK = 2048

_FIXED_CELLS = {None: "", True: "true", False: "false"}
_FIXED_TYPES = (bool, type(None))
_TEXT = {str}
_TEXT_OR_FIXED = {str, bool, type(None)}
_NUMBERS = {int, float}


# A multi-valued cell's separator: "; " everywhere; a value's own ";" and "\\" are escaped.
LIST_SEPARATOR = "; "
_LIST_SPECIALS = re.compile(r"[\\;]")
_PAIR_SPECIALS = re.compile(r"[\\;=]")  # a name=value pair's name: "=" escaped too
# A UTC moment to the second as rules write one (Z or +00:00): the written cell is its first 19
# characters and "Z"; another offset or a fraction takes datetime's slower way.
_UTC_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|\+00:00)")


def escaped(value: str, pair_name: bool = False) -> str:
    """A value as written inside a multi-valued cell: each ``\\`` and ``;`` (and, for the name
    of a ``name=value`` pair, each ``=``) preceded by a backslash, so one reading rule (a
    backslash means the next character is text) splits every such cell unambiguously."""
    specials = _PAIR_SPECIALS if pair_name else _LIST_SPECIALS
    return specials.sub(r"\\\g<0>", value) if specials.search(value) else value


def list_cell(values: Sequence[str]) -> str:
    """Values of one cell joined with ``"; "``, each escaped; no values: the empty cell."""
    text = LIST_SEPARATOR.join(values)
    # The joined text holds one ";" per separator and no backslash unless a value holds one:
    # then nothing needs escaping (the common case, checked in C on 100,000s of cells).
    if "\\" not in text and text.count(";") == len(values) - 1:
        return text
    return LIST_SEPARATOR.join([escaped(v) for v in values])


def utc_cell(value: Any) -> Any:
    """A moment meshcomply computed, as ``YYYY-MM-DDTHH:MM:SSZ`` (seconds' fraction kept if it
    has one), whatever offset the evidence model holds it with (a window's bounds are written
    ``+00:00`` by some rules, ``Z`` by others, and its deviation id hashes that text, so the
    model keeps it). A date (a recurring control's interval) or any other value a rule wrote is
    not a moment and stays as it is."""
    if type(value) is not str:
        return value
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:  # a date, or a time without offset: no UTC moment to write
        return value
    if _UTC_TEXT.fullmatch(value):  # already UTC to the second: only the suffix changes
        return value[:19] + "Z"
    return moment.astimezone(dt.UTC).isoformat().removesuffix("+00:00") + "Z"


def safe_cell(value: Any) -> str:
    """A value as a cell: null empty, booleans true/false, text starting like a formula
    (``= + - @``, tab or CR) prefixed with an apostrophe so that a spreadsheet shows it as text
    (OWASP CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def safe_row(values: Iterable[Any]) -> list[str]:
    """safe_cell of each value; text, null and true/false checked inline, without a call per
    cell (the path of a column holding anything but text)."""
    return [
        ("'" + v if v.startswith(_FORMULA_STARTS) else v)
        if type(v) is str
        else _FIXED_CELLS[v]
        if type(v) in _FIXED_TYPES
        else safe_cell(v)
        for v in values
    ]


def _written(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def plain_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The table as csv.writer writes it row by row (the header as it is, each row made safe):
    what ``csv_pieces`` joined must equal."""
    return _written([header]) + _written(map(safe_row, rows))


def csv_pieces(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The table's text (the header, then ``safe_row`` of each row) in pieces of at most CHUNK
    rows: joined, the same text as ``plain_text``."""
    yield _written([header])
    remaining = iter(rows)
    while chunk := list(islice(remaining, CHUNK)):
        if len(set(map(len, chunk))) != 1 or len(chunk[0]) < 2:
            yield _written(map(safe_row, chunk))  # rows of varying or tiny widths: csv's way
        else:
            yield _lines([_cells(column) for column in zip(*chunk, strict=True)])


def _lines(columns: list[Sequence[str]]) -> str:
    return "\n".join(map(",".join, zip(*columns, strict=True))) + "\n"


def _cells(values: Sequence[Any]) -> Sequence[str]:
    """A column's cells as csv writes them: made safe, quoted where needed."""
    kinds = set(map(type, values))
    if kinds == _TEXT:
        texts: Sequence[str] = values
    elif kinds <= _TEXT_OR_FIXED:  # the fixed cells (empty, true, false) never start a formula
        texts = list(map(_FIXED_CELLS.get, values, values))
    elif kinds <= _NUMBERS:
        texts = list(map(str, values))
    else:
        texts = safe_row(values)
    probe = _APART.join(texts)
    # A cell starting like a formula starts the probe or follows a separator (a cell holding
    # the separator may look so too: the cell by cell check below decides).
    if probe.startswith(_FORMULA_STARTS) or _AFTER_APART.search(probe):
        texts = [("'" + text if text.startswith(_FORMULA_STARTS) else text) for text in texts]
    if any(map(probe.__contains__, _QUOTE_CHARACTERS)):
        texts = [_quoted(text) if _NEEDS_QUOTES.search(text) else text for text in texts]
    return texts


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
