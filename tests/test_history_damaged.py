"""Hand-made and damaged commits and tags (``git hash-object --literally``): what cannot be read
is an error naming the commit, or a release named in the warnings, never a made-up date or
person; odd but readable dates (1970, 2100) are read as what they are."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import GitRepo, clean_env, git_date

from generator.build import config_sections
from generator.config import load_config
from generator.errors import BuildError
from generator.history.reader import read_history

ROOT = Path(__file__).resolve().parents[1]
PROD = "environments/production/meshstack.yaml"
CONFIG = """\
period: 2026-01-01..2026-03-31
installations:
  acme:
    repo: ./acme
    ref: main
    environments:
      production:
        paths: ["environments/production/**"]
        release: {tag_pattern: '^production/(?P<version>[0-9]+\\.[0-9]+\\.[0-9]+)$'}
"""
GOOD = git_date("2026-01-20T10:00:00+00:00")


def make_project(folder: Path) -> GitRepo:
    repo = GitRepo.create(folder / "acme")
    repo.commit("Initial", files={PROD: "meshstack: {version: 1.0.0}\n"},
                date="2025-12-01T10:00:00+00:00")  # fmt: skip
    repo.commit("Change", files={PROD: "meshstack: {version: 1.1.0}\n"},
                date="2026-01-10T10:00:00+00:00")  # fmt: skip
    (folder / "meshcomply.yml").write_text(CONFIG)
    return repo


def hand_made(repo: GitRepo, headers: bytes, message: bytes = b"\nHand-made\n") -> str:
    """A commit object written as given on top of main, which then points to it."""
    tree = repo.git("rev-parse", "HEAD^{tree}").strip()
    raw = f"tree {tree}\nparent {repo.head()}\n".encode() + headers + message
    sha = repo.git("hash-object", "-t", "commit", "-w", "--literally", "--stdin",
                   input=raw).strip()  # fmt: skip
    repo.git("update-ref", "refs/heads/main", sha)
    return sha


def read(folder: Path):
    config = load_config(folder / "meshcomply.yml", config_sections())
    return read_history(config.installations[0], config.period, cache_dir=folder / "cache")


def person(role: str, stamp: str) -> bytes:
    return f"{role} Ann <ann@example.com> {stamp}\n".encode()


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        (person("author", GOOD), "it has no committer line"),
        (person("committer", GOOD), "it has no author line"),
        (b"", "it has no author and committer line"),
        (person("author", GOOD) + person("committer", "garbage +0000"),
         "its committer date cannot be read ('Ann <ann@example.com> garbage +0000')"),
        (person("author", "1768903200") + person("committer", GOOD),
         "its author date cannot be read"),  # no offset
        (person("author", GOOD) + person("committer", "999999999999 +0000"),
         "its committer date cannot be read"),  # the year 33658
        (person("author", "253402300799 +0100") + person("committer", GOOD),
         "its author date cannot be read"),  # 9999-12-31T23:59:59Z is the year 10000 at +01:00
        (person("author", GOOD) + person("committer", "1768903200 -9999"),
         "its committer date cannot be read"),  # an offset of more than a day
        (person("author", GOOD) + person("committer", "1768903200 +0160"),
         "its committer date cannot be read"),  # sixty minutes
        (person("author", "-1 +0000") + person("committer", GOOD),
         "its author date cannot be read"),
        (b"author Ann <ann@example.com> 17689\x0003200 +0000\n" + person("committer", GOOD),
         "it has no committer line"),  # git stops reading at the NUL
        (person("author", GOOD) + person("committer", "soon\x1b[2J \u202e0000+"),
         "its committer date cannot be read ('Ann <ann@example.com> soon\\x1b[2J \\u202e0000+')"),
    ],
    ids=["no-committer", "no-author", "nobody", "garbage", "no-offset", "year-33658",
         "year-10000", "offset-9999", "offset-0160", "negative", "nul-in-author", "escapes"],
)  # fmt: skip
def test_an_unreadable_person_or_date_is_an_error_naming_the_commit(tmp_path, headers, problem):
    repo = make_project(tmp_path)
    sha = hand_made(repo, headers)
    with pytest.raises(BuildError) as caught:
        read(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"acme (./acme): commit {sha}: {problem}")
    assert "meshcomply does not guess" in message and "`git fsck`" in message


def test_a_nul_in_the_header_after_the_people_is_an_error_an_empty_message_is_not(tmp_path):
    repo = make_project(tmp_path)
    people = person("author", GOOD) + person("committer", GOOD)
    empty = hand_made(repo, people, b"\n")
    history = read(tmp_path)
    assert (history.commits[-1].sha, history.commits[-1].subject) == (empty, "")
    history.close()
    # git shows no message for it either way: the header is read whole to tell them apart
    cut = hand_made(repo, people + b"x-note a\0b\n", b"\nApproved-by: Bob <bob@example.com>\n")
    with pytest.raises(BuildError, match=f"commit {cut}: its header holds a NUL byte"):
        read(tmp_path)


def test_the_build_exits_1_with_one_line_and_writes_nothing(tmp_path):
    repo = make_project(tmp_path)
    sha = hand_made(repo, person("author", GOOD) + person("committer", "soon +0000"))
    code = "from generator.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "build", "--quiet", "--format", "json", "--out", "out"],
        cwd=tmp_path, env=clean_env({"PYTHONPATH": str(ROOT)}), capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        f"meshcomply: error: acme (./acme): commit {sha}: its committer date cannot be read "
        "('Ann <ann@example.com> soon +0000'); meshcomply does not guess what it cannot read "
        "(`git fsck` names such commits; rewriting the history from before it is the only repair)"
    ]
    assert not (tmp_path / "out" / "packs").exists()


def redate(repo: GitRepo, stamp: str) -> str:
    """Main's last commit written again with `stamp` as both dates (git commit refuses dates
    before 1973 in its date variables; the object format takes any)."""
    raw = repo.git("cat-file", "commit", "HEAD").encode()
    headers, message = raw.split(b"\n\n", 1)
    lines = [
        line[: line.rindex(b">") + 1] + f" {stamp}".encode()
        if line.startswith((b"author ", b"committer "))
        else line
        for line in headers.split(b"\n")
    ]
    sha = repo.git("hash-object", "-t", "commit", "-w", "--stdin",
                   input=b"\n".join(lines) + b"\n\n" + message).strip()  # fmt: skip
    repo.git("update-ref", "refs/heads/main", sha)
    return sha


def test_dates_in_1970_and_2100_are_read_as_they_are_and_kept_out_of_the_period(tmp_path):
    repo = make_project(tmp_path)
    for year, stamp in (("1970", "0 +0000"), ("2100", "4102444800 +0000"),
                        ("1970", "86400 -0100")):  # fmt: skip
        repo.commit(f"Dated {year}", files={PROD: f"meshstack: {{version: {year}.0.{stamp[0]}}}\n"})
        redate(repo, stamp)
    repo.commit("In the period", files={PROD: "meshstack: {version: 1.2.0}\n"},
                date="2026-02-01T10:00:00+00:00")  # fmt: skip
    history = read(tmp_path)
    try:
        dated = [(c.subject, c.committed_at) for c in history.commits[2:5]]
        assert dated == [
            ("Dated 1970", "1970-01-01T00:00:00+00:00"),
            ("Dated 2100", "2100-01-01T00:00:00+00:00"),
            ("Dated 1970", "1970-01-01T23:00:00-01:00"),
        ]
        assert [c.commit.subject for c in history.changes] == ["Change", "In the period"]
        [count] = [c for c in history.reproduce if c.figure == "population: production"]
        auditor = subprocess.run(["sh", "-c", count.command], cwd=tmp_path, env=clean_env(),
                                 capture_output=True, text=True, check=True)  # fmt: skip
        assert auditor.stdout.strip() == count.expected == "2"
    finally:
        history.close()


def tag_object(repo: GitRepo, target: str, kind: str, name: str, tagger: str) -> str:
    raw = f"object {target}\ntype {kind}\ntag {name}\n{tagger}\nRelease\n".encode()
    return repo.git("hash-object", "-t", "tag", "-w", "--literally", "--stdin",
                    input=raw).strip()  # fmt: skip


def test_release_tags_of_trees_blobs_or_with_unreadable_dates_are_named(tmp_path):
    repo = make_project(tmp_path)
    head = repo.head()
    tree = repo.git("rev-parse", "HEAD^{tree}").strip()
    blob = repo.git("rev-parse", f"HEAD:{PROD}").strip()
    repo.git("update-ref", "refs/tags/production/1.1.0", head)  # a good release
    repo.git("update-ref", "refs/tags/production/2.0.0", tree)
    repo.git(
        "update-ref",
        "refs/tags/production/2.1.0",
        tag_object(repo, blob, "blob", "production/2.1.0", f"tagger T <t@x> {GOOD}\n"),
    )
    repo.git(
        "update-ref",
        "refs/tags/production/2.2.0",
        tag_object(repo, head, "commit", "production/2.2.0", "tagger T <t@x> junk +0000\n"),
    )
    repo.git(
        "update-ref",
        "refs/tags/production/2.3.0",
        tag_object(repo, head, "commit", "production/2.3.0", f"tagger T <t@x> {GOOD}\n"),
    )
    repo.git("update-ref", "refs/tags/notes/tree", tree)  # no release tag: not named
    history = read(tmp_path)
    try:
        assert sorted(e.version for e in history.releases) == ["1.1.0", "2.3.0"]
        [tagged] = [t for t in history.tags if t.name == "production/2.3.0"]
        assert tagged.tagged_at == "2026-01-20T10:00:00+00:00"
        assert history.warnings == [
            "release tag production/2.0.0 points to a tree, not a commit; version not read",
            "release tag production/2.1.0 is a tag of a blob, not of a commit; version not read",
            "release tag production/2.2.0 has a tagger date that cannot be read; version not read",
        ]
    finally:
        history.close()
