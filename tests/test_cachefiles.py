"""Cache files: a damaged or forged one is a missing cache, and loading one never runs code."""

from __future__ import annotations

import os
import pickle
import random
from pathlib import Path

from generator.cachefiles import cache_lock, read_pickle, write_pickle
from generator.cachekey import CacheKey
from generator.history import cache
from generator.history.model import FileChange, Identity


class _Calls:
    """Pickles into a call of `os.system`: what a forged cache file would hold."""

    def __reduce__(self):
        return (os.system, ("touch ran-from-a-cache-file",))


def test_a_forged_cache_file_never_imports_or_calls_anything(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    key = CacheKey(tmp_path)
    forged = tmp_path / "history" / "index.pickle"
    forged.parent.mkdir()
    forged.write_bytes(pickle.dumps({"format": 1, "history": _Calls()}))
    assert read_pickle(forged, key, cache.INDEX_RECORDS) is None
    # Sealed with the key (a holder of the key wrote it): still never run.
    write_pickle(forged, key, {"format": 1, "history": _Calls()})
    assert read_pickle(forged, key, cache.INDEX_RECORDS) is None
    assert not (tmp_path / "ran-from-a-cache-file").exists()
    # Even a class of this package is refused when the caller did not name it.
    write_pickle(forged, key, {"who": Identity("Ann", "ann@example.com")})
    assert read_pickle(forged, key) is None
    assert read_pickle(forged, key, (Identity,)) == {"who": Identity("Ann", "ann@example.com")}


def test_damaged_bytes_are_a_missing_cache_however_they_are_damaged(tmp_path: Path):
    # Flipped bytes make pickle raise ValueError, OverflowError, MemoryError or
    # UnicodeDecodeError besides UnpicklingError: every one must read as "no cache".
    stored = [("a" * 40, (Identity("Ann", "ann@example.com"),), (FileChange("M", "x.yaml", None),))]
    key = CacheKey(tmp_path)
    file = tmp_path / "history" / "rows.pickle"
    write_pickle(file, key, stored * 50)
    good = file.read_bytes()
    assert read_pickle(file, key, cache.ROW_RECORDS) == stored * 50
    rng = random.Random(7)
    for _ in range(2000):
        damaged = bytearray(good)
        for _flip in range(rng.randint(1, 3)):
            damaged[rng.randrange(len(damaged))] ^= rng.randrange(1, 256)
        file.write_bytes(bytes(damaged))
        assert read_pickle(file, key, cache.ROW_RECORDS) is None  # never raises
    file.write_bytes(good[: len(good) // 2])
    assert read_pickle(file, key, cache.ROW_RECORDS) is None


def test_cache_lock_is_shared_by_readers_and_given_up_after_its_wait(tmp_path):
    lock = tmp_path / "cache" / "x.lock"  # its folder is made
    with cache_lock(lock, shared=True) as reading, cache_lock(lock, shared=True) as also:
        assert reading and also
        with cache_lock(lock, wait=0.1) as writing:
            assert writing is False  # a reader holds it: the writer goes on without the cache
    with cache_lock(lock, wait=0.1) as writing:
        assert writing
        with cache_lock(lock, shared=True, wait=0.1) as reading:
            assert reading is False
    (tmp_path / "file").write_text("")
    with cache_lock(tmp_path / "file" / "x.lock") as held:  # no folder can be made there
        assert held is False
