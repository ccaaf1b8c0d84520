"""The history cache: no re-reading without new commits, incremental reads with new ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import GitRepo

from generator.config import EnvironmentConfig, InstallationConfig, Period
from generator.history import read_history, reader
from generator.history.cache import HistoryCache

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

    def counting(tokens):
        for commit in original(tokens):
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
