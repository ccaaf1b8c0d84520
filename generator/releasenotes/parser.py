"""Parser for meshcloud's meshStack release notes (Docusaurus blog posts, one file per release).

The published format drifted over the years (see docs/release-notes.md): the parser accepts that
drift and reports, all at once, only what it genuinely cannot read.
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from generator.releasenotes.model import ReleaseNote, Ticket
from generator.releasenotes.ticketfields import TicketMetadata, fields_of, quote
from generator.releasenotes.versions import normalize_version

MAX_BYTES = 2 * 1024 * 1024  # the largest real note is under 10 kB; anything this big is not a note
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows would otherwise translate line endings

Problem = tuple[str, int, str]  # (path, 1-based line or 0 for the whole file, message)


class NoteWarning(NamedTuple):
    """Something a note holds that the parser could not read as written, and what it did."""

    path: str
    line: int  # 1-based, 0 for the whole file
    message: str
    action: str  # what was done instead, e.g. "the note is left out"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}; {self.action}"

    def located(self, shown: Callable[[str], str] = str) -> str:
        """The warning as the commands print it, ``path:line:1: warning: ...``."""
        where = f"{shown(self.path)}:{max(self.line, 1)}:1"
        return f"{where}: warning: {self.message}; {self.action}"


# Only anchored or linear patterns below: notes are untrusted input, lines can be 2 MB long.
_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*))?")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_TRUNCATE = re.compile(r"<!--\s*truncate\s*-->", re.IGNORECASE)
_DATE = r"([0-9]{4}-[0-9]{2}-[0-9]{2})"
# "Release period: A to B" since 2019; "The release spans the period between A to B" in 2018.
_PERIOD = re.compile(
    rf"[*_]*(?:release\s+period|the\s+release\s+spans\s+the\s+period\s+between)\s*:?[*_]*:?"
    rf"\s*{_DATE}\s*(?:to|until|-|\u2013)\s*{_DATE}[.\s]*",
    re.IGNORECASE,
)
_TITLE_VERSION = re.compile(r"(?<![\w.])v?[0-9]+\.[0-9]+\.[0-9]+(?!\.?[0-9])")
_FILE_DATE = re.compile(_DATE + r"(?![0-9])")
_FRONT_MATTER_FIELD = re.compile(r"([A-Za-z_][\w-]*)\s*:(.*)")

_SUBSECTIONS = {"description": "description", "how to use": "how_to_use"}
_MARKS = frozenset("#`~<")  # first characters (after whitespace) of the lines _scan looks at


class ReleaseNoteError(Exception):
    """Unreadable release notes, with every problem found so they can all be fixed in one go."""

    def __init__(self, problems: Iterable[Problem]):
        # Stable sort: messages for the same line keep the order they were found in.
        self.problems: list[Problem] = sorted(problems, key=lambda p: (p[0], p[1]))
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(f"{path}:{line}: {message}" for path, line, message in self.problems)


@dataclass
class _Doc:
    """A note split into lines, with where the Markdown structure is, outside code blocks."""

    path: str
    lines: list[str]
    problems: list[Problem] = field(default_factory=list)  # the note cannot be used
    warnings: list[tuple[int, str, str]] = field(default_factory=list)  # (line, message, action)
    headings: dict[int, tuple[int, str]] = field(default_factory=dict)  # index: (level, text)
    subsections: dict[int, str] = field(default_factory=dict)  # heading index: Ticket field
    in_code: set[int] = field(default_factory=set)
    truncate: int | None = None  # index of the <!--truncate--> line
    details: tuple[int, int] | None = None  # (index, level) of the "Ticket Details" heading

    def report(self, index: int, message: str) -> None:
        self.problems.append((self.path, index + 1, message))

    def warn(self, index: int, message: str, action: str) -> None:
        self.warnings.append((index + 1, message, action))


def parse_release_note(path: Path, text: str | None = None) -> ReleaseNote:
    """Parse one note; `text` (if given) is used instead of reading `path`."""
    if text is None:
        text = decode_note(str(path), read_note(path))
    return parse_note(path, text)[0]


def read_note(path: str | Path) -> bytes:
    """The file's bytes; ReleaseNoteError if it cannot be read or is too large to be a note."""
    name = str(path)
    try:
        # Plain descriptor calls: a file object costs more than reading a 4 kB note, and the
        # size checked is the opened file's, not a name's looked up again.
        handle = os.open(path, os.O_RDONLY | _O_BINARY)
        try:
            size = os.fstat(handle).st_size
            data = _read_all(handle, size) if size <= MAX_BYTES else b""
        finally:
            os.close(handle)
    except OSError as exc:
        raise ReleaseNoteError([(name, 0, f"cannot read file: {exc.strerror or exc}")]) from None
    if size > MAX_BYTES or len(data) > MAX_BYTES:
        raise ReleaseNoteError([(name, 0, "file is larger than 2 MB")])
    return data


def _read_all(handle: int, size: int) -> bytes:
    """The rest of the file, or a little more than MAX_BYTES of it."""
    data = os.read(handle, size + 1)  # all of it, unless it grew; the next read confirms the end
    while len(data) <= MAX_BYTES and (more := os.read(handle, 1 << 16)):
        data += more
    return data


def decode_note(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        raise ReleaseNoteError([(name, line, message)]) from None


def parse_note(path: Path, text: str) -> tuple[ReleaseNote, int]:
    """(the note, the 1-based line of its title) or ReleaseNoteError with all its problems.

    Only what leaves no note to show is a problem (no front matter, no version); whatever else
    cannot be read as written is one of the note's ``warnings``, saying what was done instead.
    """
    name = str(path)
    # Most texts are far below the limit even at 4 bytes a character: skip the encoding then.
    if len(text) * 4 > MAX_BYTES and len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise ReleaseNoteError([(name, 0, "file is larger than 2 MB")])
    text = text.removeprefix("\ufeff")
    # Normalise CRLF/CR, and trailing whitespace which only ever occurs as editing noise.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    doc = _Doc(name, lines)
    fields, body, has_front_matter = _front_matter(doc)
    version, title, title_line = _version(doc, fields, has_front_matter)
    date = _date(doc, fields, path.name)
    _scan(doc, body)
    # The summary ends at the truncate marker, else at the ticket details, else at any heading.
    ends = (doc.truncate, doc.details[0] if doc.details else None, next(iter(doc.headings), None))
    end = next((index for index in ends if index is not None), len(doc.lines))
    summary, period_start, period_end = _summary(doc, body, end)
    tickets = _tickets(doc, body)
    if doc.problems or version is None:
        raise ReleaseNoteError(doc.problems)
    warnings = tuple(sorted(doc.warnings, key=lambda w: w[0]))
    note = ReleaseNote(
        version, title, date, period_start, period_end, summary, tickets, name, warnings
    )
    return note, title_line


def _front_matter(doc: _Doc) -> tuple[dict[str, tuple[str, int]], int, bool]:
    """({key: (value, index)}, index of the first body line, whether front matter was read)."""
    lines = doc.lines
    if lines[0] != "---":
        doc.report(0, "missing front matter: the file must start with a '---' line")
        return {}, 0, False
    fields: dict[str, tuple[str, int]] = {}
    problems: list[tuple[int, str, str]] = []
    for index in range(1, len(lines)):
        line = lines[index]
        if line in ("---", "..."):
            for problem in problems:
                doc.warn(*problem)
            return fields, index + 1, True
        # Indented lines, list items and comments belong to YAML values we do not need.
        if not line or line[0] in " \t-#":
            continue
        match = _FRONT_MATTER_FIELD.fullmatch(line)
        if match is None:
            problems.append((index, f"unreadable front-matter line {quote(line)}", "ignored"))
        elif match[1].lower() in fields:
            message = f"duplicate front-matter key {quote(match[1])}"
            problems.append((index, message, "the first one is used"))
        else:
            fields[match[1].lower()] = (match[2].strip().strip("'\""), index)
    # Unclosed, the whole file looks like front matter: its lines' problems would only be noise.
    doc.report(0, "front matter is not closed by a '---' line")
    return {}, 0, False


def _version(
    doc: _Doc, fields: dict[str, tuple[str, int]], read: bool
) -> tuple[str | None, str, int]:
    """(normalised version or None, title, 1-based title line)."""
    if "title" not in fields:
        if read:  # without front matter, "no title" would only repeat that problem
            doc.report(0, "front matter has no 'title'")
        return None, "", 1
    title, index = fields["title"]
    match = _TITLE_VERSION.search(title)
    if match is None:
        doc.report(index, f"no version (N.N.N) in title {quote(title)}")
        return None, title, index + 1
    return normalize_version(match[0]), title, index + 1


def _date(doc: _Doc, fields: dict[str, tuple[str, int]], file_name: str) -> str | None:
    # Docusaurus lets a front-matter date override the date in the file name; so do we.
    match = _FILE_DATE.match(file_name)
    named = _iso_date(match[1]) if match else None
    if "date" in fields:
        value, index = fields["date"]
        date = _iso_date(value[:10])
        if date is None:
            action = "the file name's date is used" if named else "the note has no date"
            doc.warn(index, f"invalid date {quote(value)} in front matter", action)
            return named
        return date
    return named


def _iso_date(text: str) -> str | None:
    try:
        return dt.date.fromisoformat(text).isoformat() if len(text) == 10 else None
    except ValueError:
        return None


def _scan(doc: _Doc, start: int) -> None:
    """Record headings and the truncate marker, ignoring anything inside fenced code."""
    lines = doc.lines
    fence, fence_start = "", 0
    # Only a line starting (after whitespace) with one of _MARKS can be a heading, a fence or the
    # truncate marker; testing that first spares three regexes on most of a note's lines.
    for index in [i for i in range(start, len(lines)) if lines[i].lstrip()[:1] in _MARKS]:
        line = lines[index]
        if fence:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                doc.in_code.update(range(fence_start, index + 1))
                fence = ""
            continue
        if match := _HEADING.fullmatch(line):
            level, text = len(match[1]), _heading_text(match[2] or "")
            doc.headings[index] = (level, text)
            name = _section_name(text)
            if name in _SUBSECTIONS:
                doc.subsections[index] = _SUBSECTIONS[name]
            elif doc.details is None and name == "ticket details":
                doc.details = index, level
        elif match := _FENCE.match(line):
            fence, fence_start = match[1], index
        elif doc.truncate is None and _TRUNCATE.fullmatch(line.strip()):
            doc.truncate = index
    if fence:
        doc.in_code.update(range(fence_start, len(lines)))
        doc.warn(fence_start, "code block is never closed", "the rest of the file is read as code")


def _heading_text(text: str) -> str:
    # An optional closing "##" sequence is not part of the text ("### C#" keeps its "#").
    unclosed = text.rstrip("#")
    if unclosed != text and (not unclosed or unclosed[-1] in " \t"):
        text = unclosed
    return text.strip()


def _section_name(text: str) -> str:
    return " ".join(text.rstrip(":").split()).casefold()


def _summary(doc: _Doc, start: int, end: int) -> tuple[str, str | None, str | None]:
    """(summary, period start, period end); the period line is data, not summary text."""
    lines = doc.lines[start:end]
    for offset, line in enumerate(lines):
        # Its dates hold "-": most lines can be passed over without the regex.
        match = _PERIOD.fullmatch(line.strip()) if "-" in line else None
        if match is None:
            continue
        del lines[offset]
        period = _iso_date(match[1]), _iso_date(match[2])
        message = None
        if None in period:
            message = f"invalid date in release period {quote(line.strip())}"
        elif period[0] > period[1]:  # type: ignore[operator]  # both are dates here
            message = "release period ends before it starts"
        if message is not None:
            doc.warn(start + offset, message, "no release period is shown")
            period = None, None
        return "\n".join(lines).strip(), period[0], period[1]
    return "\n".join(lines).strip(), None, None


def _tickets(doc: _Doc, body: int) -> tuple[Ticket, ...]:
    if doc.details is not None:
        start, outer = doc.details[0] + 1, doc.details[1]
    else:
        start, outer = (body if doc.truncate is None else doc.truncate + 1), 0
    order = list(doc.headings)  # ascending: _scan records them in line order
    area = order[bisect.bisect_left(order, start) :]
    end = len(doc.lines)
    for position, index in enumerate(area):
        if doc.headings[index][0] <= outer:
            area, end = area[:position], index
            break
    # The shallowest heading that is not "Description"/"How to use" is the ticket level, whatever
    # level the note happens to use for it.
    levels = [(doc.headings[i][0], i) for i in area if i not in doc.subsections]
    if not levels:
        return ()  # a release without ticket sections (e.g. a maintenance release)
    level = min(levels)[0]
    starts = [i for heading_level, i in levels if heading_level == level]
    tickets = []
    for ticket_start, ticket_end in zip(starts, [*starts[1:], end], strict=True):
        inner = area[bisect.bisect_right(area, ticket_start) : bisect.bisect_left(area, ticket_end)]
        ticket = _ticket(doc, ticket_start, ticket_end, inner)
        if ticket is not None:
            tickets.append(ticket)
    return tuple(tickets)


def _ticket(doc: _Doc, start: int, end: int, headings: list[int]) -> Ticket | None:
    """The ticket from its heading at `start` to `end`; `headings` are those in between."""
    title = doc.headings[start][1]
    if not title:
        doc.warn(start, "ticket heading has no title", "its text is left out")
        return None
    lines = doc.lines
    meta = TicketMetadata(doc.warn, title)
    parts: dict[str, list[str]] = {"description": [], "how_to_use": []}
    # Metadata only counts before the first sub-heading. Fields other than the audience and the
    # component count only in the block of field lines right below the heading, up to its last
    # line naming one of those two: a description may well start with "**Note:** ...".
    metadata_end = headings[0] if headings else end
    in_code = doc.in_code
    found = [
        (index, fields_of(lines[index]) if lines[index] and index not in in_code else None)
        for index in range(start + 1, metadata_end)
    ]
    block = start + 1
    for index, fields in found:
        if fields is None:
            if lines[index]:
                break  # the first line of text ends the block
        elif fields[0][0] is not None or any(kind is not None for kind, _, _ in fields):
            block = index + 1
    description = parts["description"]
    for index, fields in found:
        if fields is not None and (fields[0][0] is not None or index < block):
            meta.read(index, fields, description)
        else:
            description.append(lines[index])
    # Each sub-heading's text runs to the next one; "Description" and "How to use" switch the
    # part they go to, any other sub-heading stays in the text.
    part = "description"
    for heading, text_end in zip(headings, [*headings[1:], end][: len(headings)], strict=True):
        if heading in doc.subsections:
            part = doc.subsections[heading]
        else:
            parts[part].append(lines[heading])
        parts[part] += lines[heading + 1 : text_end]
    if not meta.has_audience:
        doc.warn(start, f"ticket {quote(title)} has no audience", "shown to every audience")
    how_to_use = "\n".join(parts["how_to_use"]).strip("\n")
    # Positional: keyword arguments make a frozen dataclass noticeably slower to build.
    return Ticket(
        title,
        meta.audiences(),
        ", ".join(meta.components) or None,
        "\n".join(parts["description"]).strip("\n"),
        how_to_use or None,
        start + 1,
        tuple(meta.fields),
    )
