"""A folder of release notes: every note parsed (parser.py), duplicates resolved, version-sorted.

Parsing thousands of notes costs about a second, and published notes never change: with a
``cache_dir``, a note whose file bytes are unchanged since an earlier run (and the code is the
same) is taken from a cache instead of being parsed again. Only notes that parsed cleanly are
cached, so every problem is still found and reported on every run. How the cache is stored, so
that a new note costs writing that note only, is notecache.py's part. The notes are plain data:
what the renderers make of their texts is cached by the renderers (textforms.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeGuard

from generator.cachefiles import code_version
from generator.releasenotes.model import ReleaseNote
from generator.releasenotes.notecache import Entries, Entry, NoteCache
from generator.releasenotes.parser import (
    NoteWarning,
    Problem,
    ReleaseNoteError,
    decode_note,
    parse_note,
    read_note,
)
from generator.releasenotes.versions import version_key

_log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class NotesRead:
    """The usable notes of a folder, and what could not be read as written."""

    notes: list[ReleaseNote]  # ordered by version_key
    warnings: list[NoteWarning]  # by file and line


def load_release_notes(
    folder: Path, cache_dir: Path | None = None, *, strict: bool = False
) -> list[ReleaseNote]:
    """Every usable note in `folder` (not recursive), ordered by version_key.

    Warnings (read_release_notes) are logged. ReleaseNoteError when the folder does not exist, no
    note in it is usable, or, with `strict`, for every warning.
    """
    read = read_release_notes(folder, cache_dir, strict=strict)
    for warning in read.warnings:
        _log.warning("%s", warning)
    return read.notes


def read_release_notes(
    folder: Path, cache_dir: Path | None = None, *, strict: bool = False
) -> NotesRead:
    """Every usable note in `folder` with the warnings of the notes it read.

    A note that cannot be used at all (no front matter, no version, unreadable) is left out with
    a warning, as is a second note claiming a version; a note's own warnings say what was read
    otherwise than written. ReleaseNoteError when the folder does not exist or holds no usable
    note, and with `strict` for every warning (the messages without what was done instead).
    With `cache_dir`, notes parsed in an earlier run are reused while their files are unchanged.
    """
    if not folder.is_dir():
        raise ReleaseNoteError([(str(folder), 0, "release-note folder does not exist")])
    code = _code_digest() if cache_dir is not None else ""
    cache = NoteCache(folder, cache_dir, code) if cache_dir is not None and code else None
    known = cache.load() if cache is not None else {}
    names = _note_names(folder)
    entries: Entries = {}
    new: Entries = {}  # parsed this run
    problems: list[Problem] = []
    base = str(folder)
    for name in names:
        # What str(folder / name) gives, without a Path per file.
        path = name if base == "." else os.path.join(base, name)
        try:
            data = read_note(path)
            entry = known.get(name)
            if not _valid(entry, data):
                entry = new[name] = _parsed(path, data)
            elif entry[1].path != path:  # the same folder, named another way this time
                entry = (data, dataclasses.replace(entry[1], path=path), entry[2])
            entries[name] = entry
        except ReleaseNoteError as exc:
            problems.extend(exc.problems)
    if cache is not None:
        with contextlib.suppress(OSError):  # the cache only saves time; never a reason to fail
            cache.save(entries, new)
    notes = _without_duplicates([(entry[1], entry[2]) for entry in entries.values()], problems)
    warnings = [NoteWarning(*problem, "the note is left out") for problem in problems]
    warnings += [NoteWarning(note.path, *warning) for note in notes for warning in note.warnings]
    warnings.sort(key=lambda w: (w.path, w.line))
    if strict and warnings:
        raise ReleaseNoteError((w.path, w.line, w.message) for w in warnings)
    if not notes:
        unusable = [(w.path, w.line, w.message) for w in warnings]
        raise ReleaseNoteError([*unusable, (base, 0, "no usable release note in the folder")])
    return NotesRead(sorted(notes, key=lambda note: version_key(note.version, note.date)), warnings)


def checked_notes(
    folder: Path,
    cache_dir: Path | None,
    *,
    strict: bool = False,
    shown: Callable[[str], str] = str,
) -> NotesRead:
    """read_release_notes for the commands: its problems as one InputError (`path:line:col`),
    paths shown with `shown`; the caller prints the warnings (NoteWarning.located)."""
    from generator.errors import InputError, Problem

    try:
        return read_release_notes(folder, cache_dir, strict=strict)
    except ReleaseNoteError as exc:
        # Line 0 means "the whole file"; the commands' format has no such line: it points at 1.
        raise InputError(
            Problem(shown(path), max(line, 1), 1, message) for path, line, message in exc.problems
        ) from None


def _parsed(path: str, data: bytes) -> Entry:
    note, title_line = parse_note(Path(path), decode_note(path, data))
    return data, note, title_line


def _note_names(folder: Path) -> list[str]:
    # One directory scan instead of a stat per file; the names sort like the folder's Paths.
    with os.scandir(folder) as found:
        return sorted(item.name for item in found if _is_note_name(item.name) and _is_file(item))


def _is_note_name(name: str) -> bool:
    # Dot files are editor backups and lock files, not published notes.
    lowered = name.lower()
    return lowered.endswith(".md") and lowered != "readme.md" and name[0] != "."


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()  # follows symlinks, like Path.is_file
    except OSError:
        return False


def _valid(entry: Entry | None, data: bytes) -> TypeGuard[Entry]:
    # Checked, not trusted blindly: the cache is a file like any other.
    return (
        type(entry) is tuple
        and len(entry) == 3
        and entry[0] == data
        and isinstance(entry[1], ReleaseNote)
        and type(entry[2]) is int
    )


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


@cache
def _code_digest() -> str:
    # What a cached entry depends on besides the file: this package's code (its version and the
    # digest of all its sources, cachefiles.code_version) and Python's. "" (no cache) when the
    # package's sources are not installed.
    code = code_version()
    if not code:
        return ""
    return hashlib.sha256(f"{sys.version}\0{code}".encode()).hexdigest()
