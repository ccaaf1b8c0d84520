"""A per-repository cache of parsed history, so a rebuild without new commits reads no history.

Commits are immutable, so whatever was parsed for a sha stays true: the first-parent line up to a
head, release-file values per (sha, file, key) and the authors each merge brought in. Indices
into the line (commits touching a release file, merges) stay true while the line only grows.
Answers that depend on the head (period start, populations, signature checks) are kept for the
cached head and extended when a new head continues its first-parent line (see answers.py).

On disk, in the user's cache folder: one state file per repository and the line's commits in
chunk files it names. Chunk files are never changed: new commits on top of the cached line go to
a new chunk, so the save after a release writes those commits, not the whole line again. Every
file is written atomically and sealed with the cache key (cachekey.py); anything that cannot be
read, was not sealed with this build's key, does not fit together, or was written for other
record fields is ignored and rewritten. Concurrent builds of one repository take turns on
``<digest>.lock`` (``cachefiles.cache_lock``): shared while the index and its chunks are loaded,
exclusive while one is saved; a save removes every chunk its index does not name (another
build's, superseded), so no orphan is left, and writes the line anew when a chunk it loaded was
removed by another build's save meanwhile.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.cachefiles import (
    cache_lock,
    default_cache_dir,
    read_pickle,
    remove_unused_chunks,
    write_pickle,
)
from generator.cachekey import CacheKey
from generator.history.gitenv import GRAPH_RULES
from generator.history.model import Commit, FileChange, Identity

FORMAT = 7  # 6: Commit.blobs (git log --raw); 7: no made-up dates (rawlog.UnreadableCommit)
# Part of the key: a line read under other rules for replace refs and grafts is never served.
KEY = (FORMAT, GRAPH_RULES)
# A row holds a Commit's fields in this order. The names are part of the stored format, so a cache
# written for other fields (one added with a default included) is ignored, never read into
# records missing a value.
FIELDS = Commit._fields
MAX_CHUNKS = 32  # then the line is written as one chunk again: many small files load slower

Row = tuple[Any, ...]
# The classes a row holds besides plain data: only these are loaded from a cache file.
ROW_RECORDS = (Identity, FileChange)


@dataclass(frozen=True)
class Chunk:
    name: str  # file name in the cache folder
    count: int  # commits in it
    last: str  # sha of its newest commit


@dataclass
class CachedHistory:
    head: str = ""
    commits: list[Commit] = field(default_factory=list)  # first-parent line, oldest first
    release_values: dict[tuple[str, str, str], tuple[str | None, str | None]] = field(
        default_factory=dict
    )
    merge_authors: dict[str, tuple[Identity, ...]] = field(default_factory=dict)  # by merge sha
    touching: dict[str, list[int]] = field(default_factory=dict)  # path -> indices in `commits`
    merges: list[int] = field(default_factory=list)  # indices in `commits` of merge commits
    answers: dict[Any, Any] = field(default_factory=dict)  # valid for `head` only
    chunks: list[Chunk] = field(default_factory=list)  # the files holding `commits` when loaded

    def state(self) -> tuple[Any, ...]:
        """Changes whenever something was added (entries are only ever added, never altered)."""
        return (
            self.head,
            len(self.commits),
            len(self.release_values),
            len(self.merge_authors),
            frozenset(self.touching),
            frozenset(self.answers),
        )

    def __getstate__(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key != "commits"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.commits = []  # filled from the chunks by HistoryCache.load


# The classes the index file holds besides plain data (its merge authors are Identity records).
INDEX_RECORDS = (CachedHistory, Chunk, *ROW_RECORDS)


class HistoryCache:
    def __init__(self, repo_path: Path, cache_dir: Path | None = None):
        digest = hashlib.sha256(str(repo_path.resolve()).encode("utf-8")).hexdigest()[:24]
        root = cache_dir or default_cache_dir()
        self.folder = root / "history"
        self.cache_key = CacheKey(root)
        self.digest = digest
        self.file = self.folder / f"{digest}.pickle"
        self.lock = self.folder / f"{digest}.lock"

    def load(self) -> CachedHistory:
        """The cached history, empty when there is none, it cannot be read or another build's
        save holds the lock longer than cachefiles.LOCK_WAIT."""
        if not self.file.exists():
            return CachedHistory()
        with cache_lock(self.lock, shared=True) as held:
            return self._load() if held else CachedHistory()

    def _load(self) -> CachedHistory:
        stored = read_pickle(self.file, self.cache_key, INDEX_RECORDS)
        if not isinstance(stored, dict) or stored.get("format") != (*KEY, FIELDS):
            return CachedHistory()
        cached = stored.get("history")
        if not isinstance(cached, CachedHistory):
            return CachedHistory()
        rows: list[Row] = []
        for chunk in cached.chunks:
            part = read_pickle(self.folder / chunk.name, self.cache_key, ROW_RECORDS)
            if not isinstance(part, list) or len(part) != chunk.count or part[-1][0] != chunk.last:
                return CachedHistory()
            if rows and part[0][1][:1] != (rows[-1][0],):  # each chunk continues the line
                return CachedHistory()
            rows += part
        if not rows or rows[-1][0] != cached.head:
            return CachedHistory()
        try:
            cached.commits = _commits(rows)
        except TypeError:  # a row of another length: not written for these fields
            return CachedHistory()
        return cached

    def save(self, history: CachedHistory) -> None:
        """Write the state, and the commits the chunks do not hold yet (all of them when the
        line no longer starts with what the chunks hold, or another build removed one of them),
        under the exclusive lock: every chunk the new index does not name is then no other
        build's save under way or load, and is removed."""
        with cache_lock(self.lock) as held:
            if held:  # else another build's save is stuck: keep nothing rather than wait on
                self._save(history)

    def _save(self, history: CachedHistory) -> None:
        old = list(history.chunks)
        stored = sum(chunk.count for chunk in old)
        commits = history.commits
        continues = 0 < stored <= len(commits) and commits[stored - 1].sha == old[-1].last
        kept = all((self.folder / chunk.name).is_file() for chunk in old)
        chunks = old if continues and kept and len(old) < MAX_CHUNKS else []
        first = stored if chunks else 0
        if first < len(commits):
            chunks = [*chunks, self._write_chunk(commits[first:])]
        history.chunks = chunks
        write_pickle(self.file, self.cache_key, {"format": (*KEY, FIELDS), "history": history})
        pattern = f"{self.digest}-*.rows"
        every = {path.name for path in self.folder.glob(pattern)}
        remove_unused_chunks(self.folder, pattern, {chunk.name for chunk in chunks}, every)

    def _write_chunk(self, commits: list[Commit]) -> Chunk:
        name = f"{self.digest}-{secrets.token_hex(8)}.rows"
        write_pickle(self.folder / name, self.cache_key, _rows(commits))
        return Chunk(name, len(commits), commits[-1].sha)


def _rows(commits: list[Commit]) -> list[Row]:
    """Commits as plain tuples of their fields, equal values shared so pickle stores them once.

    Plain tuples, because unpickling a record type costs twice what building it from a tuple does
    (pickle calls its constructor with every field as an argument), and a first parent is the
    previous commit's sha, a trailer block or a file list often repeats: a shared object is written
    once and read back as a reference.
    """
    shared: dict[Any, Any] = {}
    files_by_id: dict[tuple[int, ...], Any] = {}  # FileChange objects are already shared
    rows = []
    for commit in commits:
        files = commit.files
        rows.append(
            tuple(
                commit._replace(
                    sha=shared.setdefault(commit.sha, commit.sha),
                    parents=tuple([shared.setdefault(parent, parent) for parent in commit.parents]),
                    body=shared.setdefault(commit.body, commit.body),
                    trailers=shared.setdefault(commit.trailers, commit.trailers),
                    files=files_by_id.setdefault(tuple(map(id, files)), files),
                )
            )
        )
    return rows


def _commits(rows: list[Row]) -> list[Commit]:
    """Commit records from rows (TypeError for a row that does not hold every field)."""
    return list(map(Commit._make, rows))
