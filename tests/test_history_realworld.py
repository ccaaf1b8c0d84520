"""Refusals (what cannot prove completeness) and tolerance of real-world repositories."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import GitRepo, git_date

from generator.config import EnvironmentConfig, InstallationConfig, Period
from generator.errors import BuildError
from generator.history import read_history
from generator.history.history import UnreadableFileError
from generator.history.model import Identity

PERIOD = Period.parse("2026-01-01..2026-03-31")
PROD = "environments/production"


def installation(path: Path, ref: str = "main") -> InstallationConfig:
    env = EnvironmentConfig("production", (f"{PROD}/**",), None, "required")
    return InstallationConfig("acme", "./acme", path, ref, (env,))


def small_repo(path: Path) -> GitRepo:
    repo = GitRepo.create(path)
    repo.commit("Initial", files={f"{PROD}/a.yaml": "a: 1\n"}, date="2025-12-01T10:00:00+00:00")
    repo.commit("Change", files={f"{PROD}/a.yaml": "a: 2\n"}, date="2026-01-10T10:00:00+00:00")
    return repo


def read(
    repo_path: Path,
    tmp_path: Path,
    period: Period = PERIOD,
    *,
    ref: str = "main",
    previous_head: str | None = None,
):
    return read_history(installation(repo_path, ref), period, cache_dir=tmp_path / "cache",
                        previous_head=previous_head)  # fmt: skip


def test_shallow_clone_is_refused(tmp_path):
    shallow = small_repo(tmp_path / "full").clone(tmp_path / "shallow", depth=1)
    with pytest.raises(BuildError, match=r"acme \(\./acme\): the repository is a shallow clone"):
        read(shallow.path, tmp_path)


def test_missing_ref_is_refused(tmp_path):
    small_repo(tmp_path / "acme")
    with pytest.raises(BuildError, match=r"acme \(\./acme\): ref 'release' does not exist"):
        read(tmp_path / "acme", tmp_path, ref="release")


def test_a_folder_that_is_not_a_repository_is_refused(tmp_path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(BuildError, match="not a git repository"):
        read(tmp_path / "plain", tmp_path)


def test_period_after_the_newest_commit_is_refused(tmp_path):
    small_repo(tmp_path / "acme")
    with pytest.raises(
        BuildError, match=r"period 2026-02-01\.\.2026-02-28 starts after the newest"
    ):
        read(tmp_path / "acme", tmp_path, Period.parse("2026-02-01..2026-02-28"))


def test_period_before_the_first_commit_is_refused(tmp_path):
    small_repo(tmp_path / "acme")
    with pytest.raises(BuildError, match="ends before the first commit of 'main'"):
        read(tmp_path / "acme", tmp_path, Period.parse("2025-01-01..2025-11-30"))


def test_period_starting_before_the_first_commit_is_read(tmp_path):
    small_repo(tmp_path / "acme")
    history = read(tmp_path / "acme", tmp_path, Period.parse("2025-12-01..2026-01-31"))
    assert [c.commit.subject for c in history.changes] == ["Initial", "Change"]


def test_messages_in_other_encodings_are_decoded(tmp_path):
    repo = small_repo(tmp_path / "acme")
    repo.commit("Caf\xe9 latin-1\n\nR\xe9sum\xe9".encode("latin-1"), encoding="ISO-8859-1",
                files={f"{PROD}/a.yaml": "a: 3\n"}, date="2026-01-11T10:00:00+00:00")  # fmt: skip
    repo.commit(b"Broken \xff bytes\n\nApproved-by: B\xf6b <bob@example.com>\n",
                files={f"{PROD}/a.yaml": "a: 4\n"}, date="2026-01-12T10:00:00+00:00")  # fmt: skip
    changes = read(repo.path, tmp_path).changes
    assert (changes[1].commit.subject, changes[1].commit.body) == ("Café latin-1", "Résumé")
    undeclared = changes[2]
    assert undeclared.commit.subject.startswith("Broken ") and "bytes" in undeclared.commit.subject
    assert [a.email for a in undeclared.approvers] == ["bob@example.com"]


def test_missing_emails_and_broken_identities(tmp_path):
    repo = small_repo(tmp_path / "acme")
    repo.commit("No email", author="Nobody <>", files={f"{PROD}/a.yaml": "a: 3\n"},
                date="2026-01-11T10:00:00+00:00", trailers=[("Approved-by", "nobody")])  # fmt: skip
    tree = repo.git("rev-parse", "HEAD^{tree}").strip()
    raw = (
        f"tree {tree}\nparent {repo.head()}\n"
        f"author Broken Person {git_date('2026-01-12T10:00:00+01:00')}\n"
        f"committer Broken Person {git_date('2026-01-12T10:00:00+01:00')}\n\nHand-made\n"
    )
    broken = repo.git("hash-object", "-t", "commit", "-w", "--literally", "--stdin",
                      input=raw.encode()).strip()  # fmt: skip
    repo.git("update-ref", "refs/heads/main", broken)
    history = read(repo.path, tmp_path)
    assert history.commits[-1].author == Identity("Broken Person", "")
    assert history.commits[-1].committed_at == "2026-01-12T10:00:00+01:00"
    no_email = next(c for c in history.changes if c.commit.subject == "No email")
    assert no_email.authors == (Identity("Nobody", ""),)
    assert no_email.approvers == (Identity("nobody", ""),)
    assert no_email.self_approved  # without emails, names are compared


def test_empty_commits_are_on_the_line_but_not_in_the_population(tmp_path):
    repo = small_repo(tmp_path / "acme")
    repo.commit("Empty", date="2026-01-11T10:00:00+00:00")
    history = read(repo.path, tmp_path)
    assert history.commits[-1].subject == "Empty" and history.commits[-1].files == ()
    assert [c.commit.subject for c in history.changes] == ["Change"]


def test_huge_and_binary_files_count_but_are_never_read_as_text(tmp_path):
    repo = small_repo(tmp_path / "acme")
    huge = repo.commit("Huge", files={f"{PROD}/dump.bin": b"\0" * (2 * 1024 * 1024)},
                       date="2026-01-11T10:00:00+00:00")  # fmt: skip
    binary = repo.commit("Binary", files={f"{PROD}/logo.png": b"\x89PNG\r\n\x1a\n\0\0"},
                         date="2026-01-12T10:00:00+00:00")  # fmt: skip
    history = read(repo.path, tmp_path)
    assert [c.commit.subject for c in history.changes] == ["Change", "Huge", "Binary"]
    with pytest.raises(UnreadableFileError, match=r"dump.bin at \w{12}: file is 2097152 bytes, "
                       "over the 1024 KiB"):  # fmt: skip
        history.file_at(f"{PROD}/dump.bin", huge)
    with pytest.raises(UnreadableFileError, match=r"logo.png at \w{12}: file is binary; not read"):
        history.file_at(f"{PROD}/logo.png", binary)


def test_rewritten_history_is_detected(tmp_path):
    repo = small_repo(tmp_path / "acme")
    first = read(repo.path, tmp_path).head
    repo.commit("More", files={f"{PROD}/a.yaml": "a: 3\n"}, date="2026-01-11T10:00:00+00:00")
    assert read(repo.path, tmp_path, previous_head=first).rewritten is False
    second = repo.head()
    repo.reset_hard(first)
    repo.commit("Rewritten", files={f"{PROD}/a.yaml": "a: 9\n"}, date="2026-01-12T10:00:00+00:00")
    rewritten = read(repo.path, tmp_path, previous_head=second)
    assert rewritten.rewritten is True
    assert [c.subject for c in rewritten.commits] == ["Initial", "Change", "Rewritten"]
    gone = "0123456789abcdef0123456789abcdef01234567"
    assert read(repo.path, tmp_path, previous_head=gone).rewritten is True


def test_a_url_repository_is_read_from_its_mirror(tmp_path):
    from generator.history.clone import ensure_clone

    origin = small_repo(tmp_path / "origin")
    url = f"file://{origin.path}"
    mirror = ensure_clone(url, tmp_path / "cache")
    env = EnvironmentConfig("production", (f"{PROD}/**",), None, "required")
    acme = InstallationConfig("acme", url, mirror, "main", (env,))
    history = read_history(acme, PERIOD, cache_dir=tmp_path / "cache")
    assert history.head == origin.head()
    assert [(r.figure, r.command) for r in history.reproduce[:2]] == [
        ("clone", f"git clone {url} origin"),
        ("head", "git -C origin rev-parse --verify 'main^{commit}'"),
    ]
