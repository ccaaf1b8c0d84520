"""Same demo on every run and machine: identical bytes and shas, whatever the user's git setup."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from test_demo_support import all_objects, git, git_env, shared_demo, tree_bytes

from generator.demo import DemoResult, generate_demo
from generator.demo.signing import InProcessSigner, ssh_keygen_signer


@pytest.fixture(scope="session")
def demo() -> DemoResult:
    return shared_demo()


def test_second_generation_in_a_hostile_environment_is_identical(
    demo: DemoResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A user's git setup that would change every sha if it leaked into the generator.
    config = tmp_path / "gitconfig"
    config.write_text(
        "[init]\n\tdefaultBranch = trunk\n[core]\n\tautocrlf = true\n"
        "[commit]\n\tgpgsign = true\n[user]\n\tname = Someone Else\n\temail = else@example.com\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_DEFAULT_HASH", "sha256")
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2001-01-01T00:00:00Z")
    monkeypatch.setenv("TZ", "America/New_York")
    again = generate_demo(tmp_path / "again")
    for name, repo in demo.repositories.items():
        other = again.repositories[name]
        assert other.head == repo.head
        assert other.shas == repo.shas
        assert all_objects(other.path) == all_objects(repo.path)
    first, second = tree_bytes(demo.example), tree_bytes(again.example)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    assert again.findings == demo.findings


def _committer_email(repo: Path, sha: str) -> str:
    return git(repo, "show", "-s", "--format=%ce", sha).strip()


def _rebuild_with_git(repo: Path, sha: str, key_file: Path) -> str:
    """The sha `git commit-tree -S` gives for the same tree, parents, people, dates, message."""
    fields = git(
        repo, "show", "-s", "--format=%T%n%P%n%an%n%ae%n%ad%n%cn%n%ce%n%cd", "--date=raw", sha
    )
    tree, parents, an, ae, ad, cn, ce, cd = fields.split("\n")[:8]
    raw = git(repo, "cat-file", "commit", sha)
    message = raw.split("\n\n", 1)[1]
    env = git_env()
    env.update(
        GIT_AUTHOR_NAME=an, GIT_AUTHOR_EMAIL=ae, GIT_AUTHOR_DATE=ad,
        GIT_COMMITTER_NAME=cn, GIT_COMMITTER_EMAIL=ce, GIT_COMMITTER_DATE=cd,
    )  # fmt: skip
    command = ["git", "-C", str(repo), "-c", "gpg.format=ssh", "-c", f"user.signingKey={key_file}"]
    command += ["commit-tree", tree, "-S"]
    for parent in parents.split():
        command += ["-p", parent]
    result = subprocess.run(
        command, input=message.encode("utf-8"), capture_output=True, env=env, check=True
    )
    return result.stdout.decode().strip()


def test_commits_are_exactly_what_git_commit_tree_would_sign(demo: DemoResult) -> None:
    samples = [
        ("acme", "initial-import"),
        ("acme", "stage:2026.5.0"),
        ("acme", "promote:2026.5.0"),
        ("acme", "emergency:idp-token-cache"),
        ("globex", "change:entra-id-federation:production"),  # committed by the customer
    ]
    with ssh_keygen_signer() as signer:
        for name, key in samples:
            repo = demo.repositories[name]
            committer = _committer_email(repo.path, repo.shas[key])
            key_file = signer.key_file(committer)
            assert _rebuild_with_git(repo.path, repo.shas[key], key_file) == repo.shas[key]


def test_in_process_signatures_equal_ssh_keygen_signatures() -> None:
    pytest.importorskip("cryptography")
    payloads = [b"", b"tree 0\n\nmessage\n", "Tomás Álvarez\n".encode() * 300]
    fast = InProcessSigner()
    with ssh_keygen_signer() as slow:
        for payload in payloads:
            for email in ("lena.fischer@meshcloud.io", "priya.raman@globex.example"):
                assert fast.sign(payload, email) == slow.sign(payload, email)
        assert fast.sign(b"x", "lena.fischer@meshcloud.io") != fast.sign(
            b"x", "jonas.weber@meshcloud.io"
        )


def test_generation_refuses_an_existing_example(tmp_path: Path) -> None:
    (tmp_path / "example").mkdir()
    with pytest.raises(FileExistsError):
        generate_demo(tmp_path)
    assert os.listdir(tmp_path / "example") == []
