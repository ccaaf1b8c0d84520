"""Text that cannot be text: a surrogate code point, which only an escape can put in a string.

JSON's ``\\ud800`` and YAML's ``"\\ud800"`` decode to a lone surrogate: a Python string, but no
UTF-8 can hold it, so writing it (evidence.json, a page, a CSV) would fail half-way through a
build. Inputs are checked where they are read, so the problem names the file and the line.
"""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def holds_surrogate(text: str) -> bool:
    """Whether `text` holds a surrogate code point (and so cannot be written as UTF-8)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def lone_surrogate_escape(json_text: str, start: int = 0, end: int | None = None) -> int | None:
    """The offset of the first ``\\uXXXX`` escape in JSON text that decodes to a lone surrogate
    (a high one not followed at once by a low one, or a low one alone); None if there is none.
    A pair (``\\ud83d\\ude00``) is one character and fine. ``start``..``end``: where to look,
    a stretch starting outside a string or at its quote (one JSON value, a key)."""
    end = len(json_text) if end is None else end
    if _SURROGATE_ESCAPE.search(json_text, start, end) is None:
        return None
    pending: tuple[int, int] | None = None  # a high half's (start, end), waiting for its low half
    # Escapes are read left to right, so "\\\\ud800" (a backslash, then text) is not one.
    for match in _ESCAPE.finditer(json_text, start, end):
        code = int(match.group(1), 16) if match.group(1) else None
        if pending is not None:
            if code is not None and 0xDC00 <= code <= 0xDFFF and match.start() == pending[1]:
                pending = None
                continue
            return pending[0]
        if code is None or not 0xD800 <= code <= 0xDFFF:
            continue
        if code >= 0xDC00:
            return match.start()
        pending = (match.start(), match.end())
    return pending[0] if pending is not None else None


def half_character(escape: str) -> str:
    """The problem of a lone surrogate's escape (``\\ud800``), as every JSON reader words it."""
    return f"{escape} escapes half of a character (a lone surrogate): not text"


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``text[offset]``."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1
