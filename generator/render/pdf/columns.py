"""The column widths of a rule's details tables in the PDF, from what the columns hold.

Tables are laid out with fixed widths (style.css: automatic layout measures every word of every
cell first and costs WeasyPrint several times the time), and a details table's columns are not
known before the rule writes them: equal shares gave a column of counts a third of the page
while request URLs beside it ran over eight lines, a commit id broke over three lines, and a
header ("Workspace", "Verdict") ran into the next column. Widths are estimated in characters of
the table's 7.1 pt type on the page's 178 mm text width.
"""

from __future__ import annotations

import re
from typing import Any

from generator.render.words import is_commit_id, value_text

# A column of commit ids only: 40 digits on one line at the size table.detail prints them
# (a SHA-256 id in two lines of 32, html._commit_lines).
COMMIT_COLUMN = 28.0
# Beyond this share, commit ids are not given whole lines (three such columns leave too little).
COMMIT_SHARE = 70.0
# A column's share of the rest follows the length of its longest value, between these bounds
# (in characters).
NARROWEST, WIDEST = 6, 48
# A value without a space up to this length (a version, a count, a date) is kept on one line.
WHOLE_WORD = 14

_TEXT_WIDTH_PT = 178 / 25.4 * 72  # A4 less the page margins (style.css @page)
_CHAR_PT = 7.1 * 0.64  # an average character of table.data's type, digits included
_BOLD = 1.2  # a header's character, in bold, against a body one
_PADDING_PT = 2 * 1.4 / 25.4 * 72  # th, td padding on both sides
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def _shown(value: Any) -> str:
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return value[:10]  # printed as its date over its time (html._when)
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return value_text(value)


def _percent(characters: float) -> float:
    return (characters * _CHAR_PT + _PADDING_PT) / _TEXT_WIDTH_PT * 100


def _is_commits(values: list[Any]) -> bool:
    return any(isinstance(v, str) for v in values) and all(
        v is None or is_commit_id(v) for v in values
    )


def _least(column: str, shown: list[str]) -> float:
    """The narrowest share that keeps the header's longest word and every short value whole."""
    words = [len(word) * _BOLD for word in str(column).split()] or [0.0]
    whole = [len(text) for text in shown if len(text) <= WHOLE_WORD and " " not in text]
    return _percent(max([*words, *whole]))


def _spread(total: float, weights: list[float], least: list[float]) -> list[float]:
    """`total` shared by `weights`, each share at least its `least` (all scaled down together
    when even the least shares do not fit)."""
    if sum(least) >= total:
        return [total * n / sum(least) for n in least]
    fixed = [False] * len(weights)
    while True:
        free = total - sum(n for n, f in zip(least, fixed, strict=True) if f)
        weight = sum(w for w, f in zip(weights, fixed, strict=True) if not f)
        shares = [
            n if f else free * w / weight for w, n, f in zip(weights, least, fixed, strict=True)
        ]
        short = [not f and s < n for s, n, f in zip(shares, least, fixed, strict=True)]
        if not any(short):
            return shares
        fixed = [f or s for f, s in zip(fixed, short, strict=True)]


def detail_widths(columns: list[str], rows: list[list[Any]]) -> list[float] | None:
    """Percent widths of a details table's columns: COMMIT_COLUMN for each column of commit ids
    only; the rest shared by the length of each column's longest value, each column at least as
    wide as its header's longest word (headers break only between words) and its short values;
    None without rows."""
    if not rows:
        return None
    commits, weights, least = [], [], []
    for index, column in enumerate(columns):
        values = [row[index] for row in rows]
        shown = [_shown(v) for v in values]
        commits.append(_is_commits(values))
        weights.append(float(min(max(max(len(t) for t in shown), NARROWEST), WIDEST)))
        least.append(_least(column, shown))
    if sum(commits) * COMMIT_COLUMN > COMMIT_SHARE or all(commits):
        commits = [False] * len(columns)
    rest = 100 - sum(commits) * COMMIT_COLUMN
    others = [i for i, commit in enumerate(commits) if not commit]
    shares = _spread(rest, [weights[i] for i in others], [least[i] for i in others])
    widths = [COMMIT_COLUMN] * len(columns)
    for i, share in zip(others, shares, strict=True):
        widths[i] = round(share, 2)
    return widths
