"""Where the notes loader (loader.py) keeps parsed notes between runs: append-only chunk files.

ChunkedCache is the machinery, shared with the renderers' cache of rendered texts (textforms.py);
NoteCache is one notes folder's.

A long archive's cache is some 57 MB, and the normal change between two runs is one new note a
week; rewriting the whole file for it cost more than loading it. So, like the history cache
(history/cache.py), one small index file per notes folder names chunk files that are never
changed: a run that parsed notes writes only those in a new chunk, and a new index naming the old
chunks and the new one. Loading reads the chunks in order, a later chunk's entry for a file name
overriding an earlier one's. Entries for files that are gone, or that a later chunk overrides,
are simply not used; they are dropped when everything is written as one chunk again, after
MAX_CHUNKS chunks or when such dead entries outnumber the used ones.

Concurrent runs take turns on ``<name>.lock`` (cachefiles.cache_lock): shared while the index
and its chunks are loaded, exclusive while one is saved. A chunk is written completely under a
fresh random name before any index names it, and the index is replaced atomically
(cachefiles.write_pickle). A save removes every chunk its index does not name (another run's,
superseded: the index written last wins), so no orphan is left, and writes everything as one
chunk when a chunk it loaded was removed by another run's save meanwhile. A run that cannot have
the lock within cachefiles.LOCK_WAIT goes on without the cache. Nothing read is trusted blindly:
every file is sealed with the cache key (cachekey.py), so only a holder of the key can have
written what is read, and the loader uses an entry only when the file's bytes equal the stored
ones.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Any, NamedTuple

from generator.cachefiles import cache_lock, read_pickle, remove_unused_chunks, write_pickle
from generator.cachekey import CacheKey
from generator.releasenotes.model import ReleaseNote, Ticket

CACHE_FORMAT = 5
MAX_CHUNKS = 16  # then everything is one chunk again: a merge costs a full write, done rarely

# file name: (the file's bytes, the parsed note, its title line). The bytes
# themselves, not a digest: comparing them costs a tenth of hashing them, and nothing is left to
# chance.
Entry = tuple[bytes, ReleaseNote, int]
Entries = dict[str, Entry]


class Chunk(NamedTuple):
    name: str  # file name in the cache folder
    count: int  # entries in it


class ChunkedCache:
    """A dict kept as immutable chunk files that a small index file names (see above).

    In `folder`: the index `<name>.pickle` and chunks `<name>-<random><suffix>`. `key` says what
    the entries depend on (a format and the code that made them): files with another key are
    ignored, and replaced by the next save. Files are sealed with `cache_key`.
    """

    suffix = ".chunk"
    records: tuple[type, ...] = ()  # the classes a chunk's entries hold, besides plain data

    def __init__(self, folder: Path, name: str, key: str, cache_key: CacheKey):
        self.folder = folder
        self.name = name
        self.file = folder / f"{name}.pickle"
        self.lock = folder / f"{name}.lock"
        self.key = key
        self.cache_key = cache_key
        self.chunks: list[Chunk] = []  # the readable chunks the loaded index named
        self.stored = 0  # entries in them, overridden ones included
        self.replaced: set[str] = set()  # chunks not to keep: unreadable, or another key's

    def load(self) -> dict[Any, Any]:
        """The entries of all chunks, a later chunk's overriding an earlier one's."""
        if not self.file.exists():
            return {}
        with cache_lock(self.lock, shared=True) as held:
            return self._load() if held else {}

    def _load(self) -> dict[Any, Any]:
        index = read_pickle(self.file, self.cache_key, (Chunk,))
        if not isinstance(index, dict):
            return {}
        names = index.get("chunks")
        if not isinstance(names, list) or not all(type(chunk) is Chunk for chunk in names):
            return {}
        if index.get("key") != self.key:
            self.replaced = {chunk.name for chunk in names}
            return {}
        entries: dict[Any, Any] = {}
        for chunk in names:
            part = self._read_chunk(chunk)
            if part is None:
                self.replaced.add(chunk.name)
                continue
            self.chunks.append(chunk)
            self.stored += chunk.count
            if entries:
                entries.update(part)
            else:
                entries = part  # the one large chunk, as most runs find it: no copy
        return entries

    def save(self, entries: dict[Any, Any], new: dict[Any, Any]) -> None:
        """Store `new` (entries parsed this run) in a new chunk; or all `entries` (every entry
        this run used, `new` among them) as one chunk when the chunks are too many or mostly
        dead. Writes nothing when nothing is new and little is dead."""
        with cache_lock(self.lock) as held:
            if held:  # else another run's save is stuck: keep nothing rather than wait on
                self._save(entries, new)

    def _save(self, entries: dict[Any, Any], new: dict[Any, Any]) -> None:
        dead = self.stored - (len(entries) - len(new))
        gone = not all((self.folder / chunk.name).is_file() for chunk in self.chunks)
        # Dead entries cost every load their reading; more than half the used ones is too many.
        if gone or len(self.chunks) >= MAX_CHUNKS or dead > len(entries) // 2:
            chunks = [self._write_chunk(entries)] if entries else []
        elif new:
            chunks = [*self.chunks, self._write_chunk(new)]
        else:
            return
        write_pickle(self.file, self.cache_key, {"key": self.key, "chunks": chunks})
        pattern = f"{self.name}-*{self.suffix}"
        every = {path.name for path in self.folder.glob(pattern)}
        remove_unused_chunks(self.folder, pattern, {chunk.name for chunk in chunks}, every)
        self.chunks, self.stored, self.replaced = chunks, sum(c.count for c in chunks), set()

    def _read_chunk(self, chunk: Chunk) -> dict[Any, Any] | None:
        stored = read_pickle(self.folder / chunk.name, self.cache_key, self.records)
        # Checked against the index: a chunk for another key, or not the one named.
        if not isinstance(stored, tuple) or len(stored) != 2:
            return None
        key, part = stored
        if key != self.key or not isinstance(part, dict):
            return None
        return part if len(part) == chunk.count else None

    def _write_chunk(self, entries: dict[Any, Any]) -> Chunk:
        name = f"{self.name}-{secrets.token_hex(8)}{self.suffix}"
        write_pickle(self.folder / name, self.cache_key, (self.key, entries))
        return Chunk(name, len(entries))


class NoteCache(ChunkedCache):
    """The cache of one notes folder, for parser code with digest `code`."""

    suffix = ".notes"
    records = (ReleaseNote, Ticket)

    def __init__(self, folder: Path, cache_dir: Path, code: str):
        digest = hashlib.sha256(str(folder.resolve()).encode("utf-8", "surrogateescape"))
        super().__init__(
            cache_dir / "release-notes",
            digest.hexdigest()[:24],
            f"{CACHE_FORMAT}:{code}",
            CacheKey(cache_dir),
        )

    def load(self) -> Entries:
        return super().load()
