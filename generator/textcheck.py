"""Text that cannot be text: a surrogate code point, which only an escape can put in a string.

JSON's ``\\ud800`` and YAML's ``"\\ud800"`` decode to a lone surrogate: a Python string, but no
UTF-8 can hold it, so writing it (evidence.json, a page, a CSV) would fail half-way through a
build. Inputs are checked where they are read, so the problem names the file and the line.
"""

from __future__ import annotations

import json
import re
from typing import Any

# How deep arrays and objects (JSON) or collections (YAML) may nest in any input meshcomply reads:
# evidence.json, exports, meshcomply.yml, registers, repository files. Real inputs nest a few
# levels; the C parsers under the readers recurse per level (libyaml's composer overflows the
# stack tens of thousands deep) and the Python ones stop with RecursionError.
MAX_NESTING = 500

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


# Control characters (C0, DEL, C1): on a page they are invisible or break the XML a PDF is made
# of, on a terminal ESC and BEL act (colours, cursor moves, a bell). Shown as their escapes.
_PAGE_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tab, LF, CR kept
# On a message line also the characters that reorder or hide text (a right-to-left override
# reverses what a terminal shows after it): the format characters of DISGUISING below and the
# tag characters, written as their escapes (\u202e).
_LINE_CONTROLS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufeff\U000e0000-\U000e007f]"
)
_NAMED_CONTROLS = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED_CONTROLS:
        return _NAMED_CONTROLS[char]
    # As Python's repr writes them: \x1b, \u202e, \U000e0041.
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def escape_controls(text: str, *, one_line: bool = False) -> str:
    """`text` with each control character written as its escape (ESC as ``\\x1b``, as a
    message's repr and evidence.json's ``\\u001b`` show it): visible, and acting on no page or
    terminal. Tab, newline and carriage return are kept, unless `one_line` (a message line:
    ``\\t``, ``\\n``, ``\\r``, and each character that reorders or hides text, as ``\\u202e``)."""
    if text.isprintable():  # no control character (the common case, at C speed)
        return text
    return (_LINE_CONTROLS if one_line else _PAGE_CONTROLS).sub(_escape, text)


# What acts or hides on a page: control characters (but tab, LF, CR: ESC, BEL, NUL, which XML,
# and so a PDF, does not even allow) and bidirectional and invisible format characters (a
# right-to-left override hiding a file extension).
# The release notes' writers show the same characters the same way (releasenotes/notetree.py).
# All of them are in the Basic Multilingual Plane: the release notes carry each through parsing
# as a stand-in at U+F0000 plus its code (notetree.py).
DISGUISING = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff]"
)
# Tag characters (U+E0000 to U+E007F) are invisible and can spell out hidden text ("ASCII
# smuggling"): a page shows them too; the release notes leave them out (notetree.visible).
_PAGE_HIDDEN = re.compile(DISGUISING.pattern[:-1] + "\U000e0000-\U000e007f]")


def code_point(char: str) -> str:
    """How a page shows a character that acts or hides: ``<U+001B>`` (as text, not HTML)."""
    return f"<U+{ord(char):04X}>"


def code_points_shown(html: str) -> str:
    """Finished HTML with each character that acts or hides on a page shown as its code point,
    ``<U+001B>``: what the portal and the PDF do to every page, so no template, filter or macro
    can let one through."""
    return _PAGE_HIDDEN.sub(lambda m: f"&lt;U+{ord(m.group()):04X}&gt;", html)


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``text[offset]``."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


# A string or a bracket, to find where values nest too deeply (only once the decoder has said so).
_NESTING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def too_deep(text: str, start: int, depth: int = 0) -> int:
    """Where the JSON value at ``start``, inside ``depth`` arrays and objects, goes deeper than
    MAX_NESTING (the decoder, which goes further, has said it goes too deep); ``start`` if
    that is not in ``text``."""
    outside = depth
    for match in _NESTING.finditer(text, start):
        bracket = match.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return match.start()
        elif bracket in "]}":
            depth -= 1
            if depth <= outside:
                break
    return start


class NestingError(json.JSONDecodeError):
    """JSON nested too deep for the decoder, at the bracket past MAX_NESTING: a decode error
    like any other (a ValueError with ``msg``, ``lineno`` and ``colno``)."""


def json_loads(text: str | bytes, *, exact: bool = False, **options: Any) -> Any:
    """``json.loads``, where arrays and objects nested too deep for the decoder (its
    RecursionError, a traceback) are a NestingError located at the bracket past MAX_NESTING.
    ``exact``: also refuse a value the decoder could read that nests more than MAX_NESTING deep
    (for a reader that recurses through it again), found by a scan only when the text has more
    brackets than that (the scan costs about twice the decoding)."""
    try:
        data = json.loads(text, **options)
    except RecursionError:
        data = too_deep
    if data is not too_deep and not (exact and _brackets(text) > MAX_NESTING):
        return data
    source = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    at = too_deep(source, 0)  # 0: not too deep (the 501st bracket is never the first)
    if data is not too_deep and at == 0:
        return data
    message = f"arrays and objects nested more than {MAX_NESTING} deep"
    raise NestingError(message, source, at)


def _brackets(text: str | bytes) -> int:
    if isinstance(text, bytes):
        return text.count(b"[") + text.count(b"{")
    return text.count("[") + text.count("{")
