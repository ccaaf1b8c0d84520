"""Parser for meshcloud's meshStack release notes (Docusaurus blog posts, one file per release).

The published format drifted over the years (see docs/release-notes.md): the parser accepts that
drift and reports, all at once, only what it genuinely cannot read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from generator.releasenotes.model import AUDIENCES, ReleaseNote, Ticket
from generator.releasenotes.versions import normalize_version, version_key

MAX_BYTES = 2 * 1024 * 1024  # the largest real note is under 10 kB; anything this big is not a note

Problem = tuple[str, int, str]  # (path, 1-based line or 0 for the whole file, message)

_log = logging.getLogger(__name__)

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
# "**Audience:** X<br>" today, "**Audience:** X" and "*Audience:* X" in older notes.
_META = re.compile(r"[*_]{0,2}(audience|component)(?:[*_]{1,2}\s*:|\s*:[*_]{0,2})(.*)", re.I)
_LINE_BREAKS = ("<br>", "<br/>", "<br />", "\\")
_TITLE_VERSION = re.compile(r"(?<![\w.])v?[0-9]+\.[0-9]+\.[0-9]+(?!\.?[0-9])")
_FILE_DATE = re.compile(_DATE + r"(?![0-9])")
_FRONT_MATTER_FIELD = re.compile(r"([A-Za-z_][\w-]*)\s*:(.*)")

# Case and a plural "s" drift ("Customers" in 2018); anything else is reported, not guessed.
_AUDIENCE_SPELLINGS = {
    spelling: name for name in AUDIENCES for spelling in (name.casefold(), name.casefold() + "s")
}
_SUBSECTIONS = {"description": "description", "how to use": "how_to_use"}


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
    problems: list[Problem] = field(default_factory=list)
    headings: dict[int, tuple[int, str]] = field(default_factory=dict)  # index: (level, text)
    in_code: set[int] = field(default_factory=set)
    truncate: int | None = None  # index of the <!--truncate--> line
    details: tuple[int, int] | None = None  # (index, level) of the "Ticket Details" heading

    def report(self, index: int, message: str) -> None:
        self.problems.append((self.path, index + 1, message))


def parse_release_note(path: Path, text: str | None = None) -> ReleaseNote:
    """Parse one note; `text` (if given) is used instead of reading `path`."""
    return _parse(path, text)[0]


def load_release_notes(folder: Path) -> list[ReleaseNote]:
    """Every note in `folder` (not recursive), ordered by version_key."""
    if not folder.is_dir():
        raise ReleaseNoteError([(str(folder), 0, "release-note folder does not exist")])
    problems: list[Problem] = []
    parsed: list[tuple[ReleaseNote, int]] = []
    for path in sorted(folder.iterdir()):
        if _is_note_file(path):
            try:
                parsed.append(_parse(path, None))
            except ReleaseNoteError as exc:
                problems.extend(exc.problems)
    notes = _without_duplicates(parsed, problems)
    if problems:
        raise ReleaseNoteError(problems)
    return sorted(notes, key=lambda note: version_key(note.version, note.date))


def _is_note_file(path: Path) -> bool:
    # Dot files are editor backups and lock files, not published notes.
    name = path.name.lower()
    return name.endswith(".md") and name != "readme.md" and name[0] != "." and path.is_file()


def _without_duplicates(
    parsed: list[tuple[ReleaseNote, int]], problems: list[Problem]
) -> list[ReleaseNote]:
    # The published archive holds one note twice under two file names (2025.13.0); an identical
    # copy is harmless, a different note claiming the same version is not.
    first: dict[str, ReleaseNote] = {}
    for note, title_line in parsed:
        seen = first.setdefault(note.version, note)
        if seen is note:
            continue
        if dataclasses.replace(note, path=seen.path) == seen:
            _log.warning("%s: skipped, identical copy of %s", note.path, seen.path)
        else:
            message = f"duplicate version {note.version} (also in {seen.path})"
            problems.append((note.path, title_line, message))
    return list(first.values())


def _parse(path: Path, text: str | None) -> tuple[ReleaseNote, int]:
    name = str(path)
    text = _read(path) if text is None else _checked_size(name, text)
    text = text.removeprefix("\ufeff")
    # Normalise CRLF/CR, and trailing whitespace which only ever occurs as editing noise.
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    doc = _Doc(name, lines)
    fields, body, has_front_matter = _front_matter(doc)
    version, title, title_line = _version(doc, fields, has_front_matter)
    date = _date(doc, fields, path.name)
    _scan(doc, body)
    # The summary ends at the truncate marker, else at the ticket details, else at any heading.
    ends = (doc.truncate, doc.details[0] if doc.details else None, min(doc.headings, default=None))
    end = next((index for index in ends if index is not None), len(doc.lines))
    summary, period_start, period_end = _summary(doc, body, end)
    tickets = _tickets(doc, body)
    if doc.problems or version is None:
        raise ReleaseNoteError(doc.problems)
    note = ReleaseNote(version, title, date, period_start, period_end, summary, tickets, name)
    return note, title_line


def _read(path: Path) -> str:
    name = str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ReleaseNoteError([(name, 0, "file is larger than 2 MB")])
        data = path.read_bytes()
    except OSError as exc:
        raise ReleaseNoteError([(name, 0, f"cannot read file: {exc.strerror or exc}")]) from None
    try:
        return _checked_size(name, data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        raise ReleaseNoteError([(name, line, message)]) from None


def _checked_size(name: str, text: str) -> str:
    # Most texts are far below the limit even at 4 bytes a character: skip the encoding then.
    if len(text) * 4 > MAX_BYTES and len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise ReleaseNoteError([(name, 0, "file is larger than 2 MB")])
    return text


def _front_matter(doc: _Doc) -> tuple[dict[str, tuple[str, int]], int, bool]:
    """({key: (value, index)}, index of the first body line, whether front matter was read)."""
    lines = doc.lines
    if lines[0] != "---":
        doc.report(0, "missing front matter: the file must start with a '---' line")
        return {}, 0, False
    fields: dict[str, tuple[str, int]] = {}
    problems: list[tuple[int, str]] = []
    for index in range(1, len(lines)):
        line = lines[index]
        if line in ("---", "..."):
            for problem in problems:
                doc.report(*problem)
            return fields, index + 1, True
        # Indented lines, list items and comments belong to YAML values we do not need.
        if not line or line[0] in " \t-#":
            continue
        match = _FRONT_MATTER_FIELD.fullmatch(line)
        if match is None:
            problems.append((index, f"unreadable front-matter line {_quote(line)}"))
        elif match[1].lower() in fields:
            problems.append((index, f"duplicate front-matter key {_quote(match[1])}"))
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
        doc.report(index, f"no version (N.N.N) in title {_quote(title)}")
        return None, title, index + 1
    return normalize_version(match[0]), title, index + 1


def _date(doc: _Doc, fields: dict[str, tuple[str, int]], file_name: str) -> str | None:
    # Docusaurus lets a front-matter date override the date in the file name; so do we.
    if "date" in fields:
        value, index = fields["date"]
        date = _iso_date(value[:10])
        if date is None:
            doc.report(index, f"invalid date {_quote(value)} in front matter")
        return date
    match = _FILE_DATE.match(file_name)
    return _iso_date(match[1]) if match else None


def _iso_date(text: str) -> str | None:
    try:
        return dt.date.fromisoformat(text).isoformat() if len(text) == 10 else None
    except ValueError:
        return None


def _scan(doc: _Doc, start: int) -> None:
    """Record headings and the truncate marker, ignoring anything inside fenced code."""
    fence, fence_start = "", 0
    for index in range(start, len(doc.lines)):
        line = doc.lines[index]
        if fence:
            doc.in_code.add(index)
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = ""
            continue
        if match := _FENCE.match(line):
            fence, fence_start = match[1], index
            doc.in_code.add(index)
        elif match := _HEADING.fullmatch(line):
            level, text = len(match[1]), _heading_text(match[2] or "")
            doc.headings[index] = (level, text)
            if doc.details is None and _section_name(text) == "ticket details":
                doc.details = index, level
        elif doc.truncate is None and _TRUNCATE.fullmatch(line.strip()):
            doc.truncate = index
    if fence:
        doc.report(fence_start, "code block is never closed; the rest of the file is unreadable")


def _heading_text(text: str) -> str:
    # An optional closing "##" sequence is not part of the text ("### C#" keeps its "#").
    unclosed = text.rstrip("#")
    if unclosed != text and (not unclosed or unclosed[-1] in " \t"):
        text = unclosed
    return text.strip()


def _without_line_break(value: str) -> str:
    # endswith, not a "(<br>)*$" regex, which backtracks quadratically on long lines.
    value = value.strip()
    mark = next((m for m in _LINE_BREAKS if value.lower().endswith(m)), "")
    return value[: len(value) - len(mark)].strip()


def _section_name(text: str) -> str:
    return " ".join(text.rstrip(":").split()).casefold()


def _summary(doc: _Doc, start: int, end: int) -> tuple[str, str | None, str | None]:
    """(summary, period start, period end); the period line is data, not summary text."""
    lines = doc.lines[start:end]
    for offset, line in enumerate(lines):
        match = _PERIOD.fullmatch(line.strip())
        if match is None:
            continue
        del lines[offset]
        period = _iso_date(match[1]), _iso_date(match[2])
        if None in period:
            doc.report(start + offset, f"invalid date in release period {_quote(line.strip())}")
        elif period[0] > period[1]:
            doc.report(start + offset, "release period ends before it starts")
        return "\n".join(lines).strip(), period[0], period[1]
    return "\n".join(lines).strip(), None, None


def _tickets(doc: _Doc, body: int) -> tuple[Ticket, ...]:
    if doc.details is not None:
        start, outer = doc.details[0] + 1, doc.details[1]
    else:
        start, outer = (body if doc.truncate is None else doc.truncate + 1), 0
    area = sorted(i for i in doc.headings if i >= start)
    end = next((i for i in area if doc.headings[i][0] <= outer), len(doc.lines))
    # The shallowest heading that is not "Description"/"How to use" is the ticket level, whatever
    # level the note happens to use for it.
    candidates = [
        i for i in area if i < end and _section_name(doc.headings[i][1]) not in _SUBSECTIONS
    ]
    level = min((doc.headings[i][0] for i in candidates), default=0)
    starts = [i for i in candidates if doc.headings[i][0] == level]
    if not starts:
        return ()  # a release without ticket sections (e.g. a maintenance release)
    tickets = (_ticket(doc, s, e) for s, e in zip(starts, [*starts[1:], end], strict=True))
    return tuple(ticket for ticket in tickets if ticket is not None)


def _ticket(doc: _Doc, start: int, end: int) -> Ticket | None:
    title = doc.headings[start][1]
    if not title:
        doc.report(start, "ticket heading has no title")
        return None
    audiences: set[str] = set()
    components: list[str] = []
    parts: dict[str, list[str]] = {"description": [], "how_to_use": []}
    part, in_header, has_audience = "description", True, False
    for index in range(start + 1, end):
        line = doc.lines[index]
        heading = doc.headings.get(index)
        if heading is not None:
            in_header = False  # metadata only counts before the first sub-heading
            name = _SUBSECTIONS.get(_section_name(heading[1]))
            if name is not None:
                part = name
                continue
        elif in_header and index not in doc.in_code and (meta := _META.fullmatch(line.strip())):
            value = _without_line_break(meta[2])
            if meta[1].lower() == "component":
                components += [value] if value else []
            else:
                audiences |= _audiences(doc, index, title, value)
                has_audience = has_audience or bool(value.strip(", "))
            continue
        parts[part].append(line)
    # Unknown values are already reported; "no audience" is for a missing or empty line.
    if not has_audience:
        doc.report(start, f"ticket {_quote(title)} has no audience")
    how_to_use = "\n".join(parts["how_to_use"]).strip("\n")
    return Ticket(
        title=title,
        audiences=tuple(name for name in AUDIENCES if name in audiences),
        component=", ".join(components) or None,
        description="\n".join(parts["description"]).strip("\n"),
        how_to_use=how_to_use or None,
        line=start + 1,
    )


def _audiences(doc: _Doc, index: int, title: str, value: str) -> set[str]:
    found: set[str] = set()
    for item in value.split(","):
        spelling = " ".join(item.split()).casefold()
        if not spelling:
            continue  # "User, , Partner" or a trailing comma
        if spelling in _AUDIENCE_SPELLINGS:
            found.add(_AUDIENCE_SPELLINGS[spelling])
        else:
            expected = ", ".join(AUDIENCES)
            message = f"unknown audience {_quote(item.strip())} in ticket {_quote(title)}"
            doc.report(index, f"{message} (expected {expected})")
    return found


def _quote(text: str) -> str:
    # Messages quote untrusted text: repr() escapes control characters, the cut keeps them short.
    return repr(text if len(text) <= 80 else text[:77] + "...")
