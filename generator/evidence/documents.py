"""Evidence documents: a document kept by hand, its bytes' SHA-256 and its structured front matter.

A test or review performed outside git (a penetration test, an access review) is recorded in a
document with YAML front matter (for a ``.yaml``/``.yml`` document, its top-level mapping):

```yaml
date: 2026-03-11                       # when it was performed (required)
period: 2026-01-01..2026-03-31         # the time it covers (optional)
result: pass                           # pass, pass_with_findings or fail (optional)
performed_by: Jane Doe                 # a name or a list of names (optional)
approved_by: [John Roe]                # a name or a list of names (optional)
scope: VPN accounts and cluster roles  # what it covered (optional)
```

Other keys (``title``, ``owner``) are allowed and ignored. Every known key given with a malformed
value is a ``Problem`` located at its line in the document (all of them at once); a document
without a ``result`` has no recorded outcome, which the ``manual`` rule states as such (it is
never a pass). Parsing is separate from reading so it can be tested on plain text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from generator.errors import InputError, Problem
from generator.history.model import Identity
from generator.yamlio import Document, load_yaml_text


class Result(StrEnum):
    """A document's recorded outcome, written in its front matter and in evidence.json as the
    member's word; ``label`` is the words a person reads for it (PDF, portal, reasons), taken
    from here and nowhere else."""

    PASS = "pass"
    PASS_WITH_FINDINGS = "pass_with_findings"
    FAIL = "fail"

    @property
    def label(self) -> str:
        return _RESULT_LABELS[self]


_RESULT_LABELS = {
    Result.PASS: "passed",
    Result.PASS_WITH_FINDINGS: "passed with findings",
    Result.FAIL: "failed",
}
PASS, PASS_WITH_FINDINGS, FAIL = Result.PASS, Result.PASS_WITH_FINDINGS, Result.FAIL
RESULTS = tuple(Result)
NO_RESULT = "none recorded"  # the words for a document that records no result


def result_label(result: str | None) -> str:
    """The words a person reads for a recorded result (a member or its word), or for none."""
    return Result(result).label if result is not None else NO_RESULT


MAX_TEXT = 200  # characters kept of a name or scope: a pack quotes, it does not copy documents


@dataclass(frozen=True)
class FrontMatter:
    """The structured facts of one document version (None / () where it gives none)."""

    date: dt.date | None
    covers: tuple[dt.date, dt.date] | None  # the period covered, inclusive
    result: Result | None
    performed_by: tuple[str, ...]
    approved_by: tuple[str, ...]
    scope: str | None
    date_line: int = 1  # where the date is written, for problems found against it later


@dataclass(frozen=True)
class ParsedDocument:
    """A document's front matter, or every problem that kept it from being read."""

    facts: FrontMatter | None
    problems: tuple[Problem, ...]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_document(
    text: str, where: str, *, yaml_document: bool, date_key: str = "date"
) -> ParsedDocument:
    """The front matter of ``text`` (``where`` names it in problems: path, maybe ``@sha``).

    ``yaml_document``: the whole text is the mapping (a .yaml/.yml document); otherwise the
    front matter is the block between a first line ``---`` and the next ``---`` (or ``...``).
    """
    if yaml_document:
        header, offset = text, 0
    else:
        lines = text.lstrip("\ufeff").splitlines()
        if not lines or lines[0].strip() != "---":
            return _failed(where, 1, "has no YAML front matter (a first line '---')")
        closing = next(
            (i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")), None
        )
        if closing is None:
            return _failed(where, 1, "has unterminated YAML front matter (no closing '---')")
        header, offset = "\n".join(lines[1:closing]), 1  # the line of the opening ---
    try:
        loaded = load_yaml_text(header, where)
    except InputError as exc:
        return ParsedDocument(None, tuple(_shift(p, offset) for p in exc.problems))
    if not isinstance(loaded.data, dict):
        return _failed(where, 1 + offset, "has front matter that is not a mapping")
    reader = _Reader(loaded, offset)
    facts = FrontMatter(
        date=reader.date(date_key, required=True),
        covers=reader.period("period"),
        result=reader.result("result"),
        performed_by=reader.names("performed_by"),
        approved_by=reader.names("approved_by"),
        scope=reader.text("scope"),
        date_line=loaded.where((date_key,))[0] + offset,
    )
    if reader.problems:
        return ParsedDocument(None, tuple(sorted(reader.problems)))
    return ParsedDocument(facts, ())


def _failed(where: str, line: int, message: str) -> ParsedDocument:
    return ParsedDocument(None, (Problem(where, line, 1, message),))


def _shift(problem: Problem, offset: int) -> Problem:
    return Problem(problem.path, problem.line + offset, problem.col, problem.message)


def parse_date(value: Any) -> dt.date | None:
    """A ``YYYY-MM-DD`` date (or an ISO timestamp's date, as written); None otherwise."""
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(value).date()
    except ValueError:
        return None


class _Reader:
    """Typed values of the front matter's known keys, collecting a located problem for each
    malformed one (line numbers counted in the whole document)."""

    def __init__(self, loaded: Document, offset: int):
        self.loaded, self.offset = loaded, offset
        self.data: dict[str, Any] = loaded.data
        self.problems: list[Problem] = []

    def _problem(self, key: str, message: str) -> None:
        self.problems.append(_shift(self.loaded.problem((key,), message), self.offset))

    def _written(self, key: str) -> str:
        return self.loaded.written((key,), self.data[key])

    def date(self, key: str, *, required: bool = False) -> dt.date | None:
        if key not in self.data:
            if required:
                where = Problem(self.loaded.path, 1 + self.offset, 1, f"has no '{key}'")
                self.problems.append(where)
            return None
        parsed = parse_date(self.data[key])
        if parsed is None:
            self._problem(key, f"'{key}: {self._written(key)}' is not a date (YYYY-MM-DD)")
        return parsed

    def period(self, key: str) -> tuple[dt.date, dt.date] | None:
        if key not in self.data:
            return None
        value = self.data[key]
        parts = value.split("..") if isinstance(value, str) else []
        dates = [parse_date(part.strip()) for part in parts]
        if len(dates) != 2 or None in dates:
            self._problem(
                key, f"'{key}: {self._written(key)}' is not FIRST..LAST with dates as YYYY-MM-DD"
            )
            return None
        first, last = dates[0], dates[1]
        assert first is not None and last is not None
        if first > last:
            self._problem(key, f"'{key}: {self._written(key)}' ends before it starts")
            return None
        return first, last

    def result(self, key: str) -> Result | None:
        if key not in self.data:
            return None
        value = self.data[key]
        if value not in RESULTS:
            allowed = ", ".join(RESULTS)
            self._problem(key, f"'{key}: {self._written(key)}' is not one of {allowed}")
            return None
        return Result(value)

    def names(self, key: str) -> tuple[str, ...]:
        if key not in self.data:
            return ()
        value = self.data[key]
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(i, str) and i.strip() for i in items):
            self._problem(key, f"'{key}' must be a name or a list of names")
            return ()
        return tuple(i.strip()[:MAX_TEXT] for i in items)

    def text(self, key: str) -> str | None:
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, str) or not value.strip():
            self._problem(key, f"'{key}' must be text")
            return None
        return " ".join(value.split())[:MAX_TEXT]


REPOSITORY, EVIDENCE_FOLDER = "repository", "evidence folder"


@dataclass(frozen=True)
class WrittenIn:
    """The commit that wrote a repository version (the last first-parent commit changing the
    file up to the one it was read at) and who git records as its author and committer: who
    put the document's statements there, which its own front matter cannot tell."""

    sha: str
    author: Identity
    committer: Identity


@dataclass(frozen=True)
class DocumentVersion:
    """One version of a document as read: where from, its bytes' SHA-256 and its front matter."""

    path: str
    source: str  # REPOSITORY or EVIDENCE_FOLDER
    commit: str | None  # the commit it was read at (repository), None in the evidence folder
    committed_at: str | None  # that commit's date
    sha256: str  # of the file's bytes, exactly as stored
    size: int
    parsed: ParsedDocument
    written: WrittenIn | None = None  # None in the evidence folder: no history says who wrote it

    @property
    def where(self) -> str:
        """How problems and deviations name it: ``path@<12 hex digits>`` or ``path`` (folder)."""
        return f"{self.path}@{self.commit[:12]}" if self.commit else self.path

    @property
    def facts(self) -> FrontMatter | None:
        return self.parsed.facts


def version_of(
    path: str,
    data: bytes,
    *,
    source: str,
    commit: str | None,
    committed_at: str | None,
    date_key: str = "date",
    written: WrittenIn | None = None,
) -> DocumentVersion:
    """A document version from its bytes (undecodable text is a located problem)."""
    where = f"{path}@{commit[:12]}" if commit else path
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        parsed = ParsedDocument(None, (Problem(where, line, 1, "is not valid UTF-8"),))
    else:
        if "\0" in text[:8192]:
            parsed = ParsedDocument(None, (Problem(where, 1, 1, "is binary, not a text"),))
        else:
            yaml_document = path.endswith((".yaml", ".yml"))
            parsed = parse_document(text, where, yaml_document=yaml_document, date_key=date_key)
    return DocumentVersion(
        path, source, commit, committed_at, sha256_hex(data), len(data), parsed, written
    )
