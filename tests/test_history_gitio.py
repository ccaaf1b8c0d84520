"""GitRunner.stream: NUL-separated tokens arrive whole, however git's output is cut up."""

from __future__ import annotations

import subprocess

import pytest
from gitrepo import GitRepo, clean_env

from generator.errors import BuildError
from generator.history import gitio
from generator.history.gitio import GitRunner


def repo_with_long_messages(path, commits: int = 40) -> GitRepo:
    repo = GitRepo.create(path)
    for n in range(commits):
        # Messages of varying length so tokens straddle every kind of chunk boundary.
        repo.commit(f"Change {n}\n\n" + "word " * (n * 997 % 3000), files={"a.txt": f"{n}\n"})
    return repo


def expected_tokens(path, *args: str) -> list[bytes]:
    out = subprocess.run(
        ["git", *args], cwd=path, env=clean_env(), capture_output=True, check=True
    ).stdout
    tokens = out.split(b"\0")
    return tokens[:-1] if tokens[-1] == b"" else tokens


@pytest.mark.parametrize("chunk", [1, 7, 4096, 1 << 20])
def test_tokens_are_whole_for_any_chunk_size(tmp_path, monkeypatch, chunk):
    repo = repo_with_long_messages(tmp_path / "repo")
    monkeypatch.setattr(gitio, "CHUNK", chunk)
    args = ("log", "-z", "--format=%H%n%B")
    tokens = list(GitRunner(repo.path, "test", clean_env()).stream(*args))
    assert tokens == expected_tokens(repo.path, *args)
    assert len(tokens) == 40


def test_output_larger_than_a_pipe_is_read_in_full(tmp_path):
    repo = repo_with_long_messages(tmp_path / "repo", commits=120)
    args = ("log", "-z", "--format=%H%n%B")
    tokens = list(GitRunner(repo.path, "test", clean_env()).stream(*args))
    assert sum(len(token) for token in tokens) > 1 << 20  # more than a widened pipe holds
    assert tokens == expected_tokens(repo.path, *args)


def test_a_failing_command_is_a_build_error_naming_the_repository(tmp_path):
    repo = repo_with_long_messages(tmp_path / "repo", commits=1)
    runner = GitRunner(repo.path, "acme (./acme)", clean_env())
    with pytest.raises(BuildError, match=r"acme \(\./acme\): git log failed"):
        list(runner.stream("log", "no-such-ref"))
