"""A folder of release notes: every note parsed (parser.py), duplicates resolved, version-sorted.

Parsing thousands of notes costs about a second, and published notes never change: with a
``cache_dir``, a note whose file bytes (and parser) are unchanged since an earlier run is taken
from a cache instead of being parsed again. Only notes that parsed cleanly are cached, so every
problem is still found and reported on every run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
from functools import cache
from pathlib import Path

from generator.cachefiles import read_pickle, write_pickle
from generator.releasenotes.model import ReleaseNote
from generator.releasenotes.parser import (
    Problem,
    ReleaseNoteError,
    decode_note,
    parse_note,
    read_note,
)
from generator.releasenotes.versions import version_key

_log = logging.getLogger(__name__)

CACHE_FORMAT = 1
# What a parse result depends on besides the file: the code that makes it.
_PARSER_SOURCES = ("parser.py", "model.py", "versions.py")

# file name: (digest of its bytes, the note, its title line)
Entries = dict[str, tuple[bytes, ReleaseNote, int]]


def load_release_notes(folder: Path, cache_dir: Path | None = None) -> list[ReleaseNote]:
    """Every note in `folder` (not recursive), ordered by version_key.

    With `cache_dir`, notes parsed in an earlier run are reused while their files are unchanged.
    """
    if not folder.is_dir():
        raise ReleaseNoteError([(str(folder), 0, "release-note folder does not exist")])
    cache = _NoteCache(folder, cache_dir) if cache_dir is not None and _parser_digest() else None
    known = cache.load() if cache is not None else {}
    entries: Entries = {}
    problems: list[Problem] = []
    parsed: list[tuple[ReleaseNote, int]] = []
    # Sorting names is the same order as sorting the Paths of one folder, and much faster.
    for name in sorted(os.listdir(folder)):
        path = folder / name
        if not _is_note_file(path):
            continue
        try:
            data = read_note(path)
            digest = hashlib.blake2b(data, digest_size=20).digest() if cache else b""
            cached = _cached(known.get(name), digest)
            if cached is None:
                note, title_line = parse_note(path, decode_note(str(path), data))
            else:
                note, title_line = cached
                if note.path != str(path):  # the same folder, named another way this time
                    note = dataclasses.replace(note, path=str(path))
            entries[name] = (digest, note, title_line)
            parsed.append((note, title_line))
        except ReleaseNoteError as exc:
            problems.extend(exc.problems)
    if cache is not None and _changed(known, entries):
        with contextlib.suppress(OSError):  # the cache only saves time; never a reason to fail
            cache.save(entries)
    notes = _without_duplicates(parsed, problems)
    if problems:
        raise ReleaseNoteError(problems)
    return sorted(notes, key=lambda note: version_key(note.version, note.date))


def _cached(entry: object, digest: bytes) -> tuple[ReleaseNote, int] | None:
    # Checked, not trusted blindly: the cache is a file like any other.
    if isinstance(entry, tuple) and len(entry) == 3 and entry[0] == digest:
        note, title_line = entry[1], entry[2]
        if isinstance(note, ReleaseNote) and isinstance(title_line, int):
            return note, title_line
    return None


def _changed(known: Entries, entries: Entries) -> bool:
    if entries.keys() != known.keys():
        return True
    return any(_cached(known[name], entry[0]) is None for name, entry in entries.items())


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


class _NoteCache:
    """One pickle per notes folder in the user's own cache folder, like the history cache.

    A file that cannot be read, was written by another format or by other parser code, is
    ignored and rewritten.
    """

    def __init__(self, folder: Path, cache_dir: Path):
        digest = hashlib.sha256(str(folder.resolve()).encode("utf-8", "surrogateescape"))
        self.file = cache_dir / "release-notes" / f"{digest.hexdigest()[:24]}.pickle"

    def load(self) -> Entries:
        stored = read_pickle(self.file)
        valid = isinstance(stored, dict) and stored.get("format") == CACHE_FORMAT
        if not valid or stored.get("parser") != _parser_digest():
            return {}
        entries = stored.get("entries")
        return entries if isinstance(entries, dict) else {}

    def save(self, entries: Entries) -> None:
        stored = {"format": CACHE_FORMAT, "parser": _parser_digest(), "entries": entries}
        write_pickle(self.file, stored)


@cache
def _parser_digest() -> str:
    # Any change to the parser's code invalidates what it parsed before, without a version to bump.
    # "" (no cache) when the sources are not installed, as in a bytecode-only install.
    here = Path(__file__).parent
    digest = hashlib.sha256()
    try:
        for name in _PARSER_SOURCES:
            digest.update((here / name).read_bytes())
    except OSError:
        return ""
    return digest.hexdigest()
