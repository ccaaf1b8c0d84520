"""What parsers made of file versions, kept per blob between builds (``$MESHCOMPLY_CACHE/parsed/``).

A blob's content never changes, so what a parser makes of it never does either, as long as the
parser is the same: entries are keyed by (parser name, blob id), and the whole cache by the code
that parsed them. That key is ``cachefiles.code_version()`` (a digest of every source file of the
package), PyYAML's version and whether its C loader is used, and Python's version: a change to a
parser, to anything it calls, or to the libraries under it gives another key, with no list of
functions to keep up to date and no format number to remember to bump; the price is one full
re-parse after an upgrade. Without the package's sources there is nothing to tell code versions
apart by, and nothing is kept.

On disk, per repository (blob ids are only meaningful within one): an index ``<digest>.pickle``
naming chunk files ``<digest>-<random>.parsed`` with each one's entry count. Chunks are never
changed: a build that parsed new blobs (after new commits) writes those in a new chunk and a new
index; after MAX_CHUNKS chunks everything is written as one chunk again. Nothing read is trusted:
every file is sealed with the cache key (cachekey.py: a tag over its name and bytes), and a chunk
is used only when its seal is right, it unpickles into plain data (no class is ever loaded) and
holds as many entries as its index says. An index or chunk that is damaged, truncated or missing
is ignored with a warning, its entries parsed again and written anew; an index of other code, or
written before sealing, is ignored silently and replaced; one sealed with another key is ignored
with one warning (cachekey.py). Concurrent builds of
one repository take turns on ``<digest>.lock`` (``cachefiles.cache_lock``): shared while the
index and its chunks are loaded, exclusive while one is saved. A save reads the index as it is
on disk then and adds its chunk to the chunks named there, so what another build saved since
this one loaded is kept, and no chunk an index names, or a build is reading, is ever removed.
Chunks no index names (a build killed while saving) are removed a day later
(``cachefiles.remove_unused_chunks``).
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from generator.cachefiles import (
    cache_lock,
    code_version,
    default_cache_dir,
    read_pickle,
    remove_unused_chunks,
    unpickled,
    write_pickle,
)
from generator.cachekey import ANOTHER_KEY, DAMAGED, MISSING, CacheKey

FORMAT = 3  # 3: chunks are sealed, their index names no SHA-256
MAX_CHUNKS = 16  # then everything is one chunk again: many small files load slower
_log = logging.getLogger(__name__)

# What a parser made of a blob: (problem, value). problem: why the blob is no text (over the
# size limit, binary), value then None; else value is the parser's result (None: not a file).
Parsed = tuple[str | None, Any]


class Unparsable(Exception):
    """Raised by a BlobParser's `parse` for a text it will not read (a YAML alias bomb, nesting
    past the bounds): the version is then one that could not be read, with this exception's
    words as its problem, as a binary one is."""


@dataclass(frozen=True)
class BlobParser:
    """A way of reading a file version, named for the cache: `parse` turns its text into a
    value of plain data (dicts, lists, tuples, strings, bytes, numbers, None: no class, which a
    cached chunk may not hold), never None itself, or raises Unparsable; callers must not
    change the value."""

    name: str
    parse: Callable[[str], Any]


class Chunk(NamedTuple):
    name: str  # file name in the folder
    count: int  # entries in it


Entries = dict[str, dict[str, Parsed]]  # parser name -> blob id -> Parsed


class ParsedCache:
    """One repository's parsed blobs: loaded on first use, saved by `save` when it grew."""

    def __init__(self, repo_path: Path, cache_dir: Path | None = None):
        digest = hashlib.sha256(str(repo_path.resolve()).encode("utf-8", "surrogateescape"))
        root = cache_dir or default_cache_dir()
        self.folder = root / "parsed"
        self.cache_key = CacheKey(root)
        self.digest = digest.hexdigest()[:24]
        self.file = self.folder / f"{self.digest}.pickle"
        self.lock = self.folder / f"{self.digest}.lock"
        self.entries: Entries | None = None  # None until loaded
        self.new: Entries = {}
        self.chunks: list[Chunk] = []  # the chunks read and trusted
        self.replaced: set[str] = set()  # chunk files not to keep

    def known(self, parser: BlobParser) -> dict[str, Parsed]:
        """Blob id -> Parsed for what is known of `parser`'s results (add with `add`)."""
        if self.entries is None:
            self.entries = self._load()
        return self.entries.setdefault(parser.name, {})

    def blob_ids(self) -> set[str]:
        """Every blob id some parser's result is known for (what builds have parsed)."""
        if self.entries is None:
            self.entries = self._load()
        return {blob for parsed in self.entries.values() for blob in parsed}

    def add(self, parser: BlobParser, blob: str, parsed: Parsed) -> None:
        self.known(parser)[blob] = parsed
        self.new.setdefault(parser.name, {})[blob] = parsed

    def save(self) -> None:
        """Write what was parsed since loading: in a new chunk beside the chunks the index on
        disk names now, or everything in one (under the lock: see the module's docstring)."""
        if not self.new or self.entries is None or not _key()[1]:
            return
        with cache_lock(self.lock) as held:
            if held:  # else another build's save is stuck: keep nothing rather than wait on
                self._save()

    def _save(self) -> None:
        current = self._current_chunks()
        if len(current) >= MAX_CHUNKS:
            chunks = [self._write_chunk(self._all_entries(current))]
        else:
            chunks = [*current, self._write_chunk(self.new)]
        write_pickle(self.file, self.cache_key, {"key": _key(), "chunks": chunks})
        used = {chunk.name for chunk in chunks}
        replaced = self.replaced | {chunk.name for chunk in [*self.chunks, *current]}
        remove_unused_chunks(self.folder, f"{self.digest}-*.parsed", used, replaced)
        self.chunks, self.new, self.replaced = chunks, {}, set()

    def _current_chunks(self) -> list[Chunk]:
        """The chunks the index names now: those this build loaded, and those other builds of
        the repository saved since (those found damaged on loading left out)."""
        index = read_pickle(self.file, self.cache_key, (Chunk,))
        chunks = index.get("chunks") if isinstance(index, dict) else None
        if index is None or index.get("key") != _key() or not isinstance(chunks, list):
            return list(self.chunks)
        if not all(type(chunk) is Chunk for chunk in chunks):
            return list(self.chunks)
        return [chunk for chunk in chunks if chunk.name not in self.replaced]

    def _all_entries(self, chunks: list[Chunk]) -> Entries:
        """This build's entries and those of the `chunks` it did not load (saved since)."""
        loaded = {chunk.name for chunk in self.chunks}
        entries: Entries = {}
        for chunk in chunks:
            part = None if chunk.name in loaded else self._read_chunk(chunk)
            for name, parsed in (part or {}).items():
                entries.setdefault(name, {}).update(parsed)
        for name, parsed in (self.entries or {}).items():
            entries.setdefault(name, {}).update(parsed)
        return entries

    def _load(self) -> Entries:
        if not _key()[1] or not self.file.exists():
            return {}
        with cache_lock(self.lock, shared=True) as held:
            return self._load_locked() if held else {}

    def _load_locked(self) -> Entries:
        sealed = self.cache_key.read_sealed(self.file)
        if sealed.problem and sealed.problem != DAMAGED:  # gone, or not this key's: no warning
            return {}
        index = unpickled(sealed, (Chunk,))
        chunks = index.get("chunks") if isinstance(index, dict) else None
        if not isinstance(chunks, list) or not all(type(chunk) is Chunk for chunk in chunks):
            self._warn(self.file, "cannot be read")
            return {}
        if index.get("key") != _key():  # written by other code: quietly parsed anew
            self.replaced = {chunk.name for chunk in chunks}
            return {}
        entries: Entries = {}
        for chunk in chunks:
            part = self._read_chunk(chunk)
            if part is None:
                self.replaced.add(chunk.name)
                continue
            self.chunks.append(chunk)
            for name, parsed in part.items():
                entries.setdefault(name, {}).update(parsed)
        return entries

    def _read_chunk(self, chunk: Chunk) -> Entries | None:
        file = self.folder / chunk.name
        sealed = self.cache_key.read_sealed(file)
        if sealed.problem:
            if sealed.problem != ANOTHER_KEY:  # that one is told once for the whole cache
                self._warn(
                    file, "is missing or damaged" if sealed.problem == MISSING else "is damaged"
                )
            return None
        try:
            part = _PlainUnpickler(sealed.payload()).load()
        except Exception as exc:  # any failure: the chunk is not used
            self._warn(file, f"cannot be read ({type(exc).__name__})")
            return None
        if not _well_formed(part, chunk.count):
            self._warn(file, "does not hold what its index says")
            return None
        return part

    def _write_chunk(self, entries: Entries) -> Chunk:
        name = f"{self.digest}-{secrets.token_hex(8)}.parsed"
        write_pickle(self.folder / name, self.cache_key, entries)
        return Chunk(name, sum(len(parsed) for parsed in entries.values()))

    def _warn(self, file: Path, what: str) -> None:
        _log.warning(
            "warning: the parsed-files cache %s %s; it is ignored, and what it held is parsed "
            "again and cached anew",
            file,
            what,
        )


def _key() -> tuple[Any, ...]:
    """What the entries depend on besides the blobs: this code, the YAML and JSON libraries."""
    return (
        FORMAT,
        code_version(),
        yaml.__version__,
        bool(getattr(yaml, "__with_libyaml__", False)),
        sys.version_info[:2],
    )


def _well_formed(part: object, count: int) -> bool:
    if not isinstance(part, dict):
        return False
    total = 0
    for name, parsed in part.items():
        if not isinstance(name, str) or not isinstance(parsed, dict):
            return False
        for blob, entry in parsed.items():
            if not isinstance(blob, str) or not isinstance(entry, tuple) or len(entry) != 2:
                return False
        total += len(parsed)
    return total == count


class _PlainUnpickler(pickle.Unpickler):
    """Loads plain data only: a tampered chunk cannot make it import or call anything."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")
