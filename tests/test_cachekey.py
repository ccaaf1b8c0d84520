"""Sealed cache files: a build reads only what a holder of its cache key wrote (cachekey.py)."""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import stat
from pathlib import Path

import pytest
import test_build
from test_build import PACK

from generator.cachefiles import read_pickle, write_pickle, write_sealed
from generator.cachekey import (
    ANOTHER_KEY,
    DAMAGED,
    ENV,
    KEY_BYTES,
    KEY_FILE,
    NO_KEY,
    UNSEALED,
    CacheKey,
    _warn_once,
)
from generator.history import cache as history_cache
from generator.history.cache import HistoryCache
from generator.history.model import Commit, Identity
from generator.history.parsedcache import BlobParser, ParsedCache
from generator.releasenotes import notecache
from generator.releasenotes.notecache import NoteCache

KEY_A, KEY_B = "a" * 64, "b" * 64
MALLORY = Identity("Mallory", "mallory@example.com")
project = test_build.project  # the tiny installation of the build tests (a fixture)


@pytest.fixture(autouse=True)
def no_env_key(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    _warn_once.cache_clear()


def build(project: Path, cache_dir: Path, out: str, monkeypatch) -> bytes:
    monkeypatch.setenv("MESHCOMPLY_CACHE", str(cache_dir))
    result = test_build.run(project, "--out", out)
    assert result.exit_code == 0, result.output
    return (project / out / PACK / "evidence.json").read_bytes()


def forge_authors(cache_dir: Path, project: Path, seal_with: CacheKey | None) -> None:
    """Every cached commit's author made Mallory: unsealed (seal_with None) or sealed."""
    store = HistoryCache(project / "acme", cache_dir)
    index = read_pickle(store.file, store.cache_key, history_cache.INDEX_RECORDS)
    for chunk in index["history"].chunks:
        file = store.folder / chunk.name
        rows = [
            (*row[:2], MALLORY, *row[3:])
            for row in read_pickle(file, store.cache_key, history_cache.ROW_RECORDS)
        ]
        if seal_with is None:
            file.write_bytes(pickle.dumps(rows, protocol=5))
        else:
            write_pickle(file, seal_with, rows)


@pytest.mark.parametrize("forgery", ["unsealed", "another key", "this key"])
def test_a_forged_history_cache_never_changes_the_evidence(project, tmp_path, monkeypatch, forgery):
    cold = build(project, tmp_path / "fresh", "cold", monkeypatch)
    cache_dir = tmp_path / "cache"
    assert build(project, cache_dir, "first", monkeypatch) == cold
    seal_with = {
        "unsealed": None,
        "another key": CacheKey(tmp_path / "elsewhere"),
        "this key": CacheKey(cache_dir),  # a holder of the key: what the cache says is used
    }[forgery]
    forge_authors(cache_dir, project, seal_with)
    evidence = build(project, cache_dir, "forged", monkeypatch)
    if forgery == "this key":
        assert evidence != cold and b"mallory@example.com" in evidence
    else:
        assert evidence == cold
        # ... and the cache was written anew, so the next build is warm and right.
        commits = HistoryCache(project / "acme", cache_dir).load().commits
        assert commits and MALLORY not in {commit.author for commit in commits}


def test_a_flipped_byte_anywhere_makes_a_missing_cache(tmp_path):
    key = CacheKey(tmp_path)
    file = tmp_path / "history" / "state.pickle"
    write_pickle(file, key, {"authors": ["Ann"] * 20})
    good = file.read_bytes()
    problems = set()
    for at in range(len(good)):
        damaged = bytearray(good)
        damaged[at] ^= 0x20
        file.write_bytes(bytes(damaged))
        problems.add(key.read_sealed(file).problem)
        assert read_pickle(file, key) is None
    assert problems == {UNSEALED, ANOTHER_KEY, DAMAGED}  # magic, format, key id, tag, payload
    file.write_bytes(good)
    assert read_pickle(file, key) == {"authors": ["Ann"] * 20}
    # A sealed file moved to another name (another repository's state) is not that file.
    other = tmp_path / "history" / "other.pickle"
    other.write_bytes(good)
    assert key.read_sealed(other).problem == DAMAGED


def test_damaged_payloads_sealed_with_the_key_never_raise(tmp_path):
    # Pickle raises ValueError, OverflowError, MemoryError, UnicodeDecodeError, ... on bad bytes:
    # even sealed by a holder of the key, every one is a missing cache.
    import random

    key = CacheKey(tmp_path)
    file = tmp_path / "history" / "rows.pickle"
    good = pickle.dumps([("a" * 40, (Identity("Ann", "ann@example.com"),))] * 50, protocol=5)
    rng = random.Random(7)
    for _ in range(500):
        damaged = bytearray(good)
        damaged[rng.randrange(len(damaged))] ^= rng.randrange(1, 256)
        write_sealed(file, key, lambda out, data=bytes(damaged): out.write(data))
        read_pickle(file, key, history_cache.ROW_RECORDS)  # something or None; never raises


def saved_history(cache_dir: Path, repo: Path) -> HistoryCache:
    """A history cache of three commits saved for `repo` in `cache_dir`."""
    store = HistoryCache(repo, cache_dir)
    commits, parents = [], ()
    for number in range(3):
        date = f"2026-01-0{number + 1}T00:00:00+00:00"
        commits.append(
            Commit(f"{number:040x}", parents, MALLORY, date, MALLORY, date, "c", "", (), ())
        )
        parents = (commits[-1].sha,)
    store.save(history_cache.CachedHistory(head=commits[-1].sha, commits=commits))
    return store


def test_env_key_a_writes_b_reads_nothing_a_reads(tmp_path, monkeypatch, caplog):
    cache_dir, repo = tmp_path / "cache", tmp_path / "repo"
    monkeypatch.setenv(ENV, KEY_A)
    stored = saved_history(cache_dir, repo).load().commits
    assert len(stored) == 3
    monkeypatch.setenv(ENV, KEY_B)
    with caplog.at_level(logging.WARNING):
        assert HistoryCache(repo, cache_dir).load().commits == []
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "written with another cache key than this build's (MESHCOMPLY_CACHE_KEY)" in warning
    monkeypatch.setenv(ENV, KEY_A)
    assert HistoryCache(repo, cache_dir).load().commits == stored
    # With the environment's key no key file is read or written.
    assert not (cache_dir / KEY_FILE).exists()
    monkeypatch.delenv(ENV)
    assert HistoryCache(repo, cache_dir).load().commits == []  # the folder's own key: another
    assert (cache_dir / KEY_FILE).exists()


def test_the_key_file_is_made_private_once_and_reused(tmp_path, monkeypatch):
    cache_dir, repo = tmp_path / "cache", tmp_path / "repo"
    stored = saved_history(cache_dir, repo).load().commits
    key_file = cache_dir / KEY_FILE
    secret = key_file.read_bytes()
    assert len(secret) == KEY_BYTES and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert HistoryCache(repo, cache_dir).load().commits == stored
    saved_history(cache_dir, repo)
    assert key_file.read_bytes() == secret  # never replaced
    assert [p.name for p in cache_dir.iterdir() if p.is_file()] == [KEY_FILE]  # no temp left
    # A folder copied elsewhere takes its key along: still trusted (a local folder, as before).
    import shutil

    shutil.copytree(cache_dir, tmp_path / "copy")
    assert HistoryCache(repo, tmp_path / "copy").load().commits == stored


def test_without_hard_links_the_key_file_is_made_in_place(tmp_path, monkeypatch):
    def no_links(source, target):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr("generator.cachekey.os.link", no_links)
    secret = CacheKey(tmp_path).secret()
    key_file = tmp_path / KEY_FILE
    assert secret == key_file.read_bytes() and len(secret) == KEY_BYTES
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert CacheKey(tmp_path).secret() == secret
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]


def test_a_key_file_meshcomply_did_not_make_turns_the_caches_off(tmp_path, caplog):
    (tmp_path / KEY_FILE).write_bytes(b"short")
    key = CacheKey(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert key.secret() is None
        with pytest.raises(OSError):
            write_pickle(tmp_path / "history" / "x.pickle", key, {})
    assert [r.getMessage() for r in caplog.records] == [
        f"warning: the cache key file {tmp_path / KEY_FILE} is not one meshcomply made (5 bytes); "
        "no cache is read or written (delete it to start the cache anew)"
    ]
    assert (tmp_path / KEY_FILE).read_bytes() == b"short"  # never replaced
    assert not (tmp_path / "history").exists()


def _make_key(folder: str, results) -> None:
    results.put(CacheKey(Path(folder)).secret())


def test_builds_racing_to_make_the_key_file_end_with_one_key(tmp_path):
    context = multiprocessing.get_context("fork")
    for attempt in range(10):
        folder = tmp_path / f"cache{attempt}"
        results = context.Queue()
        makers = [context.Process(target=_make_key, args=(str(folder), results)) for _ in "ab"]
        for maker in makers:
            maker.start()
        secrets = {results.get(timeout=60) for _ in makers}
        for maker in makers:
            maker.join(timeout=60)
        assert secrets == {(folder / KEY_FILE).read_bytes()}


def test_an_empty_env_key_reads_and_writes_no_cache(tmp_path, monkeypatch, caplog):
    cache_dir, repo = tmp_path / "cache", tmp_path / "repo"
    stored = saved_history(cache_dir, repo).load().commits  # with the folder's key file
    monkeypatch.setenv(ENV, "")  # a CI secret the job does not get (a fork's pull request)
    with caplog.at_level(logging.WARNING):
        store = HistoryCache(repo, cache_dir)
        assert store.load().commits == []
        assert store.cache_key.read_sealed(store.file).problem == NO_KEY
        with pytest.raises(OSError):
            saved_history(cache_dir, repo)
    assert [r.getMessage() for r in caplog.records] == [
        "warning: MESHCOMPLY_CACHE_KEY is set but empty (a CI secret this job does not get?): "
        "no cache is read or written, the build reads everything from git"
    ]
    monkeypatch.delenv(ENV)
    assert HistoryCache(repo, cache_dir).load().commits == stored  # nothing was overwritten


def test_a_short_env_key_is_refused_with_a_clear_message(project, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "secret")
    monkeypatch.setenv("MESHCOMPLY_CACHE", str(tmp_path / "cache"))
    result = test_build.run(project, "--out", "out")
    assert result.exit_code == 1
    assert result.output.endswith(
        "meshcomply: error: MESHCOMPLY_CACHE_KEY has 6 characters; a cache key needs at least 32 "
        "(make one with `openssl rand -hex 32`), or leave it unset to use the key file in the "
        "cache folder\n"
    )
    assert sorted(p.name for p in (project / "out").iterdir()) == [".meshcomply.lock"]


PARSER = BlobParser("test.lines", str.splitlines)


def parsed_entries(repo: Path, cache_dir: Path) -> dict:
    return dict(ParsedCache(repo, cache_dir).known(PARSER))


def test_the_parsed_files_cache_is_read_only_with_its_key(tmp_path, monkeypatch, caplog):
    cache_dir, repo = tmp_path / "cache", tmp_path / "repo"
    monkeypatch.setenv(ENV, KEY_A)
    for blob in ("one", "two", "three"):  # three chunks
        cache = ParsedCache(repo, cache_dir)
        cache.known(PARSER)
        cache.add(PARSER, blob, (None, [blob]))
        cache.save()
    assert len(list((cache_dir / "parsed").glob("*.parsed"))) == 3
    assert sorted(parsed_entries(repo, cache_dir)) == ["one", "three", "two"]
    monkeypatch.setenv(ENV, KEY_B)
    with caplog.at_level(logging.WARNING):
        assert parsed_entries(repo, cache_dir) == {}
    assert len(caplog.records) == 1  # one warning for the cache, none per chunk
    assert "another cache key" in caplog.records[0].getMessage()
    monkeypatch.setenv(ENV, KEY_A)
    assert sorted(parsed_entries(repo, cache_dir)) == ["one", "three", "two"]
    # A chunk forged by someone without the key (its count right, a value altered) is refused.
    cache = ParsedCache(repo, cache_dir)
    cache.known(PARSER)
    chunk = cache.folder / cache.chunks[0].name
    blob = next(iter(read_pickle(chunk, cache.cache_key)[PARSER.name]))
    chunk.write_bytes(pickle.dumps({PARSER.name: {blob: (None, ["forged"])}}))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        found = parsed_entries(repo, cache_dir)
    assert blob not in found and ["forged"] not in [value for _, value in found.values()]
    assert [r.getMessage().split(" is ")[0] for r in caplog.records] == [
        f"warning: the parsed-files cache {chunk}"
    ]


def test_the_release_notes_cache_is_read_only_with_its_key(tmp_path, monkeypatch):
    notes, cache_dir = tmp_path / "notes", tmp_path / "cache"
    notes.mkdir()
    monkeypatch.setenv(ENV, KEY_A)
    NoteCache(notes, cache_dir, "code").save({"a.md": "entry"}, {"a.md": "entry"})
    assert NoteCache(notes, cache_dir, "code").load() == {"a.md": "entry"}
    monkeypatch.setenv(ENV, KEY_B)
    assert NoteCache(notes, cache_dir, "code").load() == {}
    monkeypatch.setenv(ENV, KEY_A)
    store = NoteCache(notes, cache_dir, "code")
    assert store.load() == {"a.md": "entry"}
    (chunk,) = (cache_dir / "release-notes").glob("*.notes")
    forged = (f"{notecache.CACHE_FORMAT}:code", {"a.md": "forged"})
    chunk.write_bytes(pickle.dumps(forged, protocol=5))  # unsealed
    assert NoteCache(notes, cache_dir, "code").load() == {}
    assert not (cache_dir / KEY_FILE).exists()
