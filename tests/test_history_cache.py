"""The history cache: no re-reading without new commits, incremental reads with new ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import GitRepo

from generator.cachefiles import read_pickle, write_pickle
from generator.config import EnvironmentConfig, InstallationConfig, Period
from generator.history import cache, read_history, reader
from generator.history.cache import CachedHistory, HistoryCache
from generator.history.model import Commit, FileChange, Identity

PERIOD = Period.parse("2026-01-01..2026-03-31")
PROD = "environments/production"


def installation(path: Path) -> InstallationConfig:
    env = EnvironmentConfig("production", (f"{PROD}/**",), None, "required")
    return InstallationConfig("acme", "./acme", path, "main", (env,))


@pytest.fixture
def repo(tmp_path) -> GitRepo:
    r = GitRepo.create(tmp_path / "acme")
    r.commit("Initial", files={f"{PROD}/a.yaml": "a: 0\n"}, date="2025-12-01T10:00:00+00:00")
    for day in range(10, 15):
        r.commit(f"Day {day}", files={f"{PROD}/a.yaml": f"a: {day}\n"},
                 date=f"2026-01-{day}T10:00:00+00:00")  # fmt: skip
    return r


@pytest.fixture
def parsed(monkeypatch):
    """Counts the commits parsed from git log output, i.e. history actually re-read."""
    seen: list[str] = []
    original = reader.parse_log

    def counting(tokens, unshown=None):
        for commit in original(tokens, unshown):
            seen.append(commit.subject)
            yield commit

    monkeypatch.setattr(reader, "parse_log", counting)
    return seen


def test_a_rebuild_without_new_commits_reads_no_history(repo, tmp_path, parsed):
    first = read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    assert len(parsed) == 6
    parsed.clear()
    again = read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    assert parsed == []
    assert again.commits == first.commits and again.changes == first.changes


def test_new_commits_are_read_incrementally(repo, tmp_path, parsed):
    read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    parsed.clear()
    repo.commit("Day 20", files={f"{PROD}/a.yaml": "a: 20\n"}, date="2026-01-20T10:00:00+00:00")
    history = read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    assert parsed == ["Day 20"]
    assert [c.subject for c in history.commits][-2:] == ["Day 14", "Day 20"]
    assert len(history.changes) == 6


def test_a_rewritten_branch_is_read_again_in_full(repo, tmp_path, parsed):
    read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    repo.reset_hard("HEAD~2")
    repo.commit(
        "Replacement", files={f"{PROD}/a.yaml": "a: 99\n"}, date="2026-01-21T10:00:00+00:00"
    )
    parsed.clear()
    history = read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    # the attempt to extend the cache reads the new commit, then the whole line is read again
    assert parsed == ["Replacement", "Replacement", "Day 12", "Day 11", "Day 10", "Initial"]
    assert [c.commit.subject for c in history.changes] == [
        "Day 10", "Day 11", "Day 12", "Replacement",
    ]  # fmt: skip


def test_an_unreadable_cache_file_is_ignored(repo, tmp_path):
    read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    cache_file = HistoryCache(repo.path, tmp_path / "cache").file
    cache_file.write_bytes(b"not a pickle")
    history = read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    assert len(history.changes) == 5


def test_a_cached_head_that_was_garbage_collected(repo, tmp_path):
    read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    repo.reset_hard("HEAD~3")
    repo.git("reflog", "expire", "--expire=now", "--all")
    repo.git("gc", "--quiet", "--prune=now")
    repo.commit("After gc", files={f"{PROD}/a.yaml": "a: 1\n"}, date="2026-01-22T10:00:00+00:00")
    history = read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    assert [c.commit.subject for c in history.changes] == ["Day 10", "Day 11", "After gc"]


def chunk_files(folder: Path) -> list[str]:
    return sorted(path.name for path in (folder / "history").glob("*.rows"))


def test_cached_commits_equal_parsed_ones(repo, tmp_path):
    parsed = read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    loaded = HistoryCache(repo.path, tmp_path / "cache").load()
    assert loaded.commits == parsed.commits and loaded.head == parsed.head
    for commit in loaded.commits:
        assert type(commit) is Commit
        assert hash(commit.author) == hash(Identity(commit.author.name, commit.author.email))
    with pytest.raises(AttributeError):
        loaded.commits[0].sha = "x"  # type: ignore[misc]


ANN = Identity("Ann", "ann@example.com")
BOB = Identity("Bob", "bob@example.com")


def unusual_commits() -> list[Commit]:
    """Two commits whose every field differs from its default and from the other's."""
    first = Commit(
        sha="1" * 40, parents=(), author=ANN, authored_at="2026-01-01T10:00:00+01:00",
        committer=BOB, committed_at="2026-01-01T11:00:00+01:00", subject="First",
        body="Body\n\nApproved-by: Bob <bob@example.com>",
        trailers=(("Approved-by", "Bob <bob@example.com>"),),
        files=(FileChange("R", "new.yaml", "old.yaml"),), signature="ssh",
        signature_verified=True, signer="bob@example.com", signing_key="SHA256:bob",
        blobs=("a" * 40,),
    )  # fmt: skip
    second = Commit(
        sha="2" * 40, parents=("1" * 40, "3" * 40), author=BOB,
        authored_at="2026-01-02T10:00:00+00:00", committer=ANN,
        committed_at="2026-01-02T12:00:00+00:00", subject="Merge", body="", trailers=(),
        files=(FileChange("A", "x.yaml"),), signature="gpg", signature_verified=False,
        signer="Ann <ann@example.com>", signing_key="0123ABCD", blobs=(None,),
    )  # fmt: skip
    return [first, second]


def test_every_commit_field_survives_the_cache(tmp_path):
    # The cache stores rows and builds Commits from them: each must equal the commit it stored,
    # field by field, for every field Commit has (defaults included: none is left to one).
    stored = unusual_commits()
    store = HistoryCache(tmp_path / "repo", tmp_path / "cache")
    store.save(CachedHistory(head=stored[-1].sha, commits=stored))
    loaded = HistoryCache(tmp_path / "repo", tmp_path / "cache").load().commits
    assert [type(commit) for commit in loaded] == [Commit, Commit]
    defaults = Commit._field_defaults
    for before, after in zip(stored, loaded, strict=True):
        for name in Commit._fields:
            assert getattr(after, name) == getattr(before, name), name
            assert name not in defaults or getattr(after, name) != defaults[name], name


def test_a_cache_written_for_other_commit_fields_is_ignored(tmp_path):
    # A field added to Commit (with a default or not) changes the stored format: rows of the old
    # fields must never become commits reading a default for the new one.
    stored = unusual_commits()
    store = HistoryCache(tmp_path / "repo", tmp_path / "cache")
    store.save(CachedHistory(head=stored[-1].sha, commits=stored))
    state = read_pickle(store.file, store.cache_key, cache.INDEX_RECORDS)
    write_pickle(store.file, store.cache_key, {**state, "format": (*cache.KEY, cache.FIELDS[:-1])})
    assert HistoryCache(tmp_path / "repo", tmp_path / "cache").load().commits == []
    # Rows one field short under the right format (a damaged file) are refused as well.
    write_pickle(store.file, store.cache_key, state)
    assert HistoryCache(tmp_path / "repo", tmp_path / "cache").load().commits == stored
    chunk = store.folder / state["history"].chunks[0].name
    write_pickle(
        chunk,
        store.cache_key,
        [row[:-1] for row in read_pickle(chunk, store.cache_key, cache.ROW_RECORDS)],
    )
    assert HistoryCache(tmp_path / "repo", tmp_path / "cache").load().commits == []


def test_a_release_adds_a_chunk_and_leaves_the_stored_ones(repo, tmp_path):
    folder = tmp_path / "cache"
    read_history(installation(repo.path), PERIOD, cache_dir=folder)
    first = chunk_files(folder)
    repo.commit("Day 20", files={f"{PROD}/a.yaml": "a: 20\n"}, date="2026-01-20T10:00:00+00:00")
    history = read_history(installation(repo.path), PERIOD, cache_dir=folder)
    assert len(first) == 1 and first[0] in chunk_files(folder) and len(chunk_files(folder)) == 2
    assert HistoryCache(repo.path, folder).load().commits == history.commits


def test_a_rewritten_line_replaces_the_chunks(repo, tmp_path):
    folder = tmp_path / "cache"
    read_history(installation(repo.path), PERIOD, cache_dir=folder)
    first = chunk_files(folder)
    repo.reset_hard("HEAD~2")
    repo.commit("Other", files={f"{PROD}/a.yaml": "a: 9\n"}, date="2026-01-21T10:00:00+00:00")
    history = read_history(installation(repo.path), PERIOD, cache_dir=folder)
    assert len(chunk_files(folder)) == 1 and chunk_files(folder) != first
    assert HistoryCache(repo.path, folder).load().commits == history.commits


def test_many_chunks_are_joined_again(repo, tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "MAX_CHUNKS", 2)
    folder = tmp_path / "cache"
    read_history(installation(repo.path), PERIOD, cache_dir=folder)
    counts = []
    for day in (20, 21, 22):
        repo.commit(f"Day {day}", files={f"{PROD}/a.yaml": f"a: {day}\n"},
                    date=f"2026-01-{day}T10:00:00+00:00")  # fmt: skip
        history = read_history(installation(repo.path), PERIOD, cache_dir=folder)
        counts.append(len(chunk_files(folder)))
        assert HistoryCache(repo.path, folder).load().commits == history.commits
    assert counts == [2, 1, 2]


def test_a_missing_chunk_means_reading_the_history_again(repo, tmp_path, parsed):
    folder = tmp_path / "cache"
    first = read_history(installation(repo.path), PERIOD, cache_dir=folder)
    for name in chunk_files(folder):
        (folder / "history" / name).unlink()
    parsed.clear()
    again = read_history(installation(repo.path), PERIOD, cache_dir=folder)
    assert len(parsed) == 6 and again == first


def test_a_cache_of_another_format_is_ignored(repo, tmp_path):
    folder = tmp_path / "cache"
    read_history(installation(repo.path), PERIOD, cache_dir=folder)
    state = HistoryCache(repo.path, folder)
    write_pickle(state.file, state.cache_key, {"format": 1, "history": state.load()})
    assert HistoryCache(repo.path, folder).load().commits == []


def test_a_cache_from_before_blob_ids_is_read_again(repo, tmp_path):
    # Format 5 kept commits without the blob id of each file entry: such a cache (whatever fields
    # it names) is never read into commits without blobs; the history is read from git again.
    folder = tmp_path / "cache"
    first = read_history(installation(repo.path), PERIOD, cache_dir=folder)
    store = HistoryCache(repo.path, folder)
    state = read_pickle(store.file, store.cache_key, cache.INDEX_RECORDS)
    for fields in (cache.FIELDS, cache.FIELDS[:-1]):
        write_pickle(store.file, store.cache_key, {**state, "format": (5, fields)})
        assert HistoryCache(repo.path, folder).load().commits == []
    again = read_history(installation(repo.path), PERIOD, cache_dir=folder)
    assert again.commits == first.commits
    for commit in again.commits:
        assert len(commit.blobs) == len(commit.files)
        for change, blob in zip(commit.files, commit.blobs, strict=True):
            shown = repo.git("rev-parse", f"{commit.sha}:{change.path}").strip() if blob else None
            assert blob == shown, (commit.sha, change)


def test_a_warm_read_writes_no_cache(repo, tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    read_history(installation(repo.path), PERIOD, cache_dir=folder)
    saved = []
    monkeypatch.setattr(HistoryCache, "save", lambda self, history: saved.append(history))
    read_history(installation(repo.path), PERIOD, cache_dir=folder)
    read_history(installation(repo.path), PERIOD, cache_dir=folder, environments=["production"])
    assert saved == []
    read_history(installation(repo.path), Period.parse("2026-01-11..2026-03-31"), cache_dir=folder)
    assert len(saved) == 1  # a new period's answers are kept


def test_two_builds_saving_the_same_repository_leave_no_orphan_chunk(tmp_path):
    """Both loaded the same line; each saves its new commits. The second's index wins and the
    first's chunk is removed at once (under the lock no save can be under way), not a day later."""
    folder = tmp_path / "cache"
    commits = unusual_commits()
    HistoryCache(tmp_path / "repo", folder).save(CachedHistory(commits[0].sha, commits[:1]))
    first, second = (HistoryCache(tmp_path / "repo", folder).load() for _ in range(2))
    more = commits[1]._replace(parents=(commits[0].sha,))
    for loaded in (first, second):
        loaded.head, loaded.commits = more.sha, [*loaded.commits, more]
        HistoryCache(tmp_path / "repo", folder).save(loaded)
    assert chunk_files(folder) == sorted(chunk.name for chunk in second.chunks)
    assert HistoryCache(tmp_path / "repo", folder).load().commits == [commits[0], more]


def test_a_save_after_another_build_joined_the_chunks_names_no_removed_one(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    commits = unusual_commits()
    more = commits[1]._replace(parents=(commits[0].sha,))
    HistoryCache(tmp_path / "repo", folder).save(CachedHistory(commits[0].sha, commits[:1]))
    first, second = (HistoryCache(tmp_path / "repo", folder).load() for _ in range(2))
    monkeypatch.setattr(cache, "MAX_CHUNKS", 1)  # the first build's save joins everything
    first.head, first.commits = more.sha, [*first.commits, more]
    HistoryCache(tmp_path / "repo", folder).save(first)
    monkeypatch.setattr(cache, "MAX_CHUNKS", 32)
    second.head, second.commits = more.sha, [*second.commits, more]
    HistoryCache(tmp_path / "repo", folder).save(second)  # its loaded chunk is gone
    assert HistoryCache(tmp_path / "repo", folder).load().commits == [commits[0], more]
    assert chunk_files(folder) == [chunk.name for chunk in second.chunks]
