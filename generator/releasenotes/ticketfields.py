"""The field lines under a release note's ticket heading: audience, component and others.

``**Audience:** Partner<br>**Component:** panel`` and the older spellings the published notes
used over the years (see docs/release-notes.md); the parser (parser.py) asks this module what a
line's fields are and collects them per ticket, warning about what it cannot read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from generator.releasenotes.model import AUDIENCES

# (0-based line index, message, what was done instead)
Warn = Callable[[int, str, str], None]

# "**Audience:** X<br>" today, "**Audience:** X" and "*Audience:* X" in older notes, and more
# fields beside the audience ("**Audience:** Partner<br>**Component:** panel", 2019-2022) or on
# lines of their own ("*Target:* chore", 2018). The name is short and bounded: linear on any line.
_FIELD = re.compile(
    r"([*_]{0,2})([A-Za-z][A-Za-z0-9 /-]{0,39}?)(?:[*_]{1,2}\s*:|\s*:[*_]{0,2})(.*)"
)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_KNOWN_FIELDS = {"audience": "audience", "audiences": "audience", "component": "component"}
_LINE_BREAKS = ("<br>", "<br/>", "<br />", "\\")
# Case and a plural "s" drift ("Customers" in 2018); anything else is reported, not guessed.
_AUDIENCE_SPELLINGS = {
    spelling: name for name in AUDIENCES for spelling in (name.casefold(), name.casefold() + "s")
}


def _without_line_break(value: str) -> str:
    # endswith, not a "(<br>)*$" regex, which backtracks quadratically on long lines.
    value = value.strip()
    lowered = value.lower()
    for mark in _LINE_BREAKS:
        if lowered.endswith(mark):
            return value[: len(value) - len(mark)].strip()
    return value


# (known field or None, name as written, value) per field of a metadata line.
_Fields = tuple[tuple[str | None, str, str], ...]


def fields_of(line: str) -> _Fields | None:
    """The fields of a metadata line, split at its `<br>`s; None if the line starts otherwise.

    A segment after a `<br>` that is not a field comes back as (None, "", text).
    """
    if ":" not in line:
        return None  # most lines of a description: no regex
    # The same audience lines recur on every ticket of every note; long lines are not kept.
    return _cached_fields(line) if len(line) <= 200 else _read_fields(line)


@lru_cache(maxsize=1024)
def _cached_fields(line: str) -> _Fields | None:
    return _read_fields(line)


def _read_fields(line: str) -> _Fields | None:
    found: list[tuple[str | None, str, str]] = []
    for segment in _BREAK.split(line.strip()):
        segment = segment.strip()
        if not segment:
            continue  # the trailing "<br>" of "**Audience:** User<br>"
        match = _FIELD.fullmatch(segment)
        name = match[2].strip() if match else ""
        kind = _KNOWN_FIELDS.get(name.casefold())
        # Unknown names only as emphasised fields: a plain "Note: ..." is text.
        if match is None or (kind is None and not match[1]):
            if not found:
                return None
            found.append((None, "", segment))
            continue
        found.append((kind, name, _without_line_break(match[3])))
    return tuple(found) or None


class TicketMetadata:
    """What a ticket's field lines say: audiences, components and other fields."""

    __slots__ = ("components", "fields", "has_audience", "known", "others", "title", "warn")

    def __init__(self, warn: Warn, title: str):
        self.warn, self.title = warn, title
        self.known: frozenset[str] = frozenset()
        self.others: list[str] = []  # audiences outside AUDIENCES, as written
        self.components: list[str] = []
        self.fields: list[tuple[str, str]] = []
        self.has_audience = False

    def read(self, index: int, fields: _Fields, description: list[str]) -> None:
        for kind, name, value in fields:
            if kind == "audience":
                self.audience(index, value)
            elif kind == "component":
                self.components += [value] if value else []
            elif name:
                self.fields.append((name, value))
            else:
                message = f"text {quote(value)} after a <br> is not a field"
                self.warn(index, message, "kept in the description")
                description.append(value)

    def audience(self, index: int, value: str) -> None:
        found, unknown = _read_audiences(value)
        self.known |= found
        self.has_audience = self.has_audience or bool(found or unknown)
        for item in unknown:
            if item.casefold() not in (other.casefold() for other in self.others):
                self.others.append(item)
            message = f"unknown audience {quote(item)} in ticket {quote(self.title)}"
            expected = ", ".join(AUDIENCES)
            self.warn(index, f"{message} (expected {expected})", "shown to every audience")

    def audiences(self) -> tuple[str, ...]:
        if not self.has_audience:
            return AUDIENCES
        known = _in_order(self.known)
        return (*known, *self.others) if self.others else known


@lru_cache(maxsize=256)  # a few spellings recur on every ticket of every note
def _read_audiences(value: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """(the audiences named in an audience line, the items that name none, as written)."""
    found: set[str] = set()
    unknown: list[str] = []
    for item in value.split(","):
        spelling = " ".join(item.split()).casefold()
        if not spelling:
            continue  # "User, , Partner" or a trailing comma
        if spelling in _AUDIENCE_SPELLINGS:
            found.add(_AUDIENCE_SPELLINGS[spelling])
        else:
            unknown.append(" ".join(item.split()))
    return frozenset(found), tuple(unknown)


@lru_cache(maxsize=16)  # one entry per subset of AUDIENCES
def _in_order(audiences: frozenset[str]) -> tuple[str, ...]:
    return tuple(name for name in AUDIENCES if name in audiences)


def quote(text: str) -> str:
    # Messages quote untrusted text: repr() escapes control characters, the cut keeps them short.
    return repr(text if len(text) <= 80 else text[:77] + "...")
