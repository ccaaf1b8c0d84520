"""Where meshcomply keeps its caches, and how a cache file is read and written.

Caches only save time: a file that cannot be read is treated as absent, and a write either
replaces the whole file or leaves the previous one. Every file is sealed with the cache key
(cachekey.py): a file this build's key did not seal for that name is never read.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Collection, Iterator
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import generator
from generator.cachekey import CacheKey, Sealed

# Chunk files younger than this that no index names may belong to a save still under way.
ORPHAN_AGE = 24 * 3600  # seconds
# How long a cache's reader or writer waits for another build's save (well under a second, even
# on the 100k-commit history) before going on without the cache.
LOCK_WAIT = 30.0  # seconds
PACKAGE_DIR = Path(generator.__file__).parent  # whose sources code_version() digests


def default_cache_dir() -> Path:
    """$MESHCOMPLY_CACHE, or ~/.cache/meshcomply."""
    configured = os.environ.get("MESHCOMPLY_CACHE")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "meshcomply"


@cache
def code_version() -> str:
    """The package's version and a digest of all its Python sources; "" without sources.

    A cache of what this code made (parsed notes, rendered texts) is keyed on it, so no other
    code ever reads it: a change in any module, a new helper module included, gives another key,
    with no list of files to keep up to date. Reading the package's files (some 110, 0.8 MB)
    takes a few milliseconds, once per process. Without sources (a bytecode-only install) there
    is nothing to tell code versions apart by, and "" means: do not cache.
    """
    sources = sorted(PACKAGE_DIR.rglob("*.py"))
    if not sources:
        return ""
    digest = hashlib.sha256(generator.__version__.encode("utf-8"))
    try:
        for source in sources:
            name = source.relative_to(PACKAGE_DIR).as_posix().encode("utf-8", "surrogateescape")
            content = source.read_bytes()
            # Lengths first, so no two different sets of files give the same stream of bytes.
            digest.update(b"%d %d\0" % (len(name), len(content)) + name + content)
    except OSError:
        return ""
    return f"{generator.__version__}:{digest.hexdigest()}"


def read_pickle(file: Path, key: CacheKey, records: Collection[type] = ()) -> object | None:
    """The object stored in `file`, None when it is missing or cannot be read.

    Only a file `key` sealed is unpickled, and only into plain data and the `records` types (the
    caller's own classes, built from their fields), never importing or calling anything else.
    Any failure, however the bytes are damaged, is a missing cache, never an error: caches only
    save time.
    """
    return unpickled(key.read_sealed(file), records)


def unpickled(sealed: Sealed, records: Collection[type] = ()) -> object | None:
    """What a sealed file's payload holds (as read_pickle); None when it has none or fails."""
    if sealed.problem:
        return None
    try:
        return _RecordUnpickler(sealed.payload(), records).load()
    except Exception:  # damaged bytes raise ValueError, OverflowError, MemoryError, ...
        return None


class _RecordUnpickler(pickle.Unpickler):
    """Loads plain data and instances of the given classes, nothing else (no import, no call)."""

    def __init__(self, handle: BinaryIO, records: Collection[type]):
        super().__init__(handle)
        self.records = {(cls.__module__, cls.__qualname__): cls for cls in records}

    def find_class(self, module: str, name: str) -> Any:
        found = self.records.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not a record this cache holds")
        return found


def write_pickle(file: Path, key: CacheKey, stored: object) -> None:
    """Write `stored` sealed with `key`, atomically: a crash leaves the previous file, never half
    a file. OSError when it cannot be written, or this build has no key."""
    write_sealed(file, key, lambda out: pickle.dump(stored, out, protocol=5))


def write_sealed(file: Path, key: CacheKey, write: Callable[[BinaryIO], object]) -> None:
    """Write what `write` writes as `file`'s payload, sealed and atomically (as write_pickle)."""
    if key.secret() is None:
        raise OSError(f"no cache key ({key.source}): {file} is not written")
    file.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            key.write_sealed(out, file, write)
        os.replace(temp, file)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def cache_lock(file: Path, *, shared: bool = False, wait: float = LOCK_WAIT) -> Iterator[bool]:
    """Hold the lock file `file` (flock) while a cache's index and the chunks it names are read
    (`shared`) or replaced: a save then never removes a chunk another build is reading or has
    just named in its index. True once held; False when it could not be had within `wait`
    seconds or the folder cannot hold a lock file: caches only save time, so the caller then
    goes on without reading or writing the cache."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        handle = file.open("a+b")
    except OSError:
        yield False
        return
    with handle:
        deadline = time.monotonic() + wait
        mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
        while True:
            try:
                fcntl.flock(handle, mode)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.02)
            except OSError:  # a file system without locks
                yield False
                return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_unused_chunks(folder: Path, pattern: str, used: set[str], replaced: set[str]) -> None:
    """Remove the chunk files matching `pattern` that a save replaced, and those no index names
    that are older than ORPHAN_AGE (left by a crash or a lost race); keep the `used` ones."""
    now = time.time()
    for path in folder.glob(pattern):
        if path.name in used:
            continue
        with contextlib.suppress(OSError):
            if path.name in replaced or now - path.stat().st_mtime > ORPHAN_AGE:
                path.unlink()
