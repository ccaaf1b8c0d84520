"""File contents over time: file_versions, file_at, commit_exists."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import GitRepo

from generator.config import EnvironmentConfig, InstallationConfig, Period
from generator.errors import BuildError
from generator.history import read_history
from generator.history.history import AMBIGUOUS_NAME, UnreadableFileError, name_problem
from generator.history.model import FileVersion
from generator.history.parsedcache import BlobParser
from generator.timewords import utc

PERIOD = Period.parse("2026-01-01..2026-03-31")
LOGGING = "environments/production/logging.yaml"


def installation(path: Path) -> InstallationConfig:
    env = EnvironmentConfig("production", ("environments/production/**",), None, "required")
    return InstallationConfig("acme", "./acme", path, "main", (env,))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("files")
    r = GitRepo.create(base / "acme")
    r.commit("Initial", files={LOGGING: "enabled: true\n"}, date="2025-12-01T10:00:00+00:00")
    r.commit("Logging off", files={LOGGING: "enabled: false\n"}, date="2026-01-05T10:00:00+00:00")
    r.commit("Unrelated", files={"README": "x\n"}, date="2026-01-06T10:00:00+00:00")
    r.commit("Moved away", renames={LOGGING: "old/logging.yaml"}, date="2026-01-07T10:00:00+00:00")
    r.commit("Back", files={LOGGING: "enabled: true\n"}, date="2026-01-08T10:00:00+00:00")
    r.branch("side")
    side = r.commit("Side", files={"side.txt": "s\n"}, date="2026-01-09T10:00:00+00:00")
    r.checkout("main")
    r.commit("After the period", files={LOGGING: "enabled: false\n"},
             date="2026-04-02T10:00:00+00:00")  # fmt: skip
    history = read_history(installation(r.path), PERIOD, cache_dir=base / "cache")
    return r, history, side


def subject(history, sha):
    return next(c.subject for c in history.commits if c.sha == sha)


def test_file_versions_start_at_the_period_and_follow_each_change(built):
    _repo, history, _side = built
    versions = history.file_versions(LOGGING)
    assert [(subject(history, v.sha), v.date, v.text) for v in versions] == [
        ("Initial", "2025-12-01T10:00:00+00:00", "enabled: true\n"),
        ("Logging off", "2026-01-05T10:00:00+00:00", "enabled: false\n"),
        ("Moved away", "2026-01-07T10:00:00+00:00", None),
        ("Back", "2026-01-08T10:00:00+00:00", "enabled: true\n"),
    ]


def test_file_versions_without_history_before_the_period(built, tmp_path):
    repo, _history, _side = built
    history = read_history(installation(repo.path), Period.parse("2025-11-01..2026-01-05"),
                           cache_dir=tmp_path)  # fmt: skip
    versions = history.file_versions(LOGGING)
    assert (versions[0].sha, versions[0].date, versions[0].text) == (
        "", "2025-11-01T00:00:00+00:00", None,
    )  # fmt: skip
    assert [subject(history, v.sha) for v in versions[1:]] == ["Initial", "Logging off"]


def test_file_at_and_commit_exists(built):
    repo, history, side = built
    initial = history.commits[0].sha
    assert history.file_at(LOGGING, initial) == "enabled: true\n"
    assert history.file_at("no/such/file", initial) is None
    assert history.file_at("environments", initial) is None  # a folder is not a file
    assert history.commit_exists(side)  # off the first-parent line, still in the repository
    assert history.commit_exists(side[:10])
    assert not history.commit_exists("0" * 40)
    assert not history.commit_exists("main")  # shas only, not ref names
    tree = repo.git("rev-parse", "HEAD^{tree}").strip()
    assert not history.commit_exists(tree)
    with pytest.raises(BuildError, match="is not a commit sha"):
        history.file_at(LOGGING, "HEAD")


def test_last_commit_in_period_ignores_later_commits(built):
    _repo, history, _side = built
    assert history.last_commit_in_period().subject == "Back"


def test_file_versions_are_read_once_per_path_whichever_rule_asks(built, monkeypatch):
    repo, history, _side = built
    first = history.file_versions(LOGGING)
    first.clear()  # a caller's copy: changing it changes nothing in the history
    reads = []
    blobs = history.runner.blobs()
    read_blobs = blobs.read_blobs
    monkeypatch.setattr(blobs, "read_blobs", lambda ids: reads.extend(ids) or read_blobs(ids))
    again = history.file_versions(LOGGING)
    assert [v.text for v in again] == [
        "enabled: true\n",
        "enabled: false\n",
        None,
        "enabled: true\n",
    ]
    assert reads == []  # answered from the per-path index, git is not asked again
    moved = history.file_versions("old/logging.yaml")  # a new path: read where it was touched
    assert [subject(history, v.sha) for v in moved] == ["Initial", "Moved away"]
    # by blob id, and only where there is a file: at "Initial" there is none to read
    assert moved[0].text is None and moved[1].text == "enabled: false\n"
    assert reads == [repo.git("rev-parse", f"{moved[1].sha}:old/logging.yaml").strip()]


def test_file_bytes_at_gives_the_stored_bytes_and_paths_at_lists_a_folder(tmp_path):
    repo = GitRepo.create(tmp_path / "docs-repo")
    raw = b"\xef\xbb\xbf---\r\ndate: 2026-01-02\r\n---\r\n"  # BOM and CRLF kept as stored
    first = repo.commit(
        "Reviews",
        files={"docs/reviews/q1.md": raw, "docs/reviews/sub/x.md": "x\n", "docs/other.md": "o\n"},
        date="2026-01-02T10:00:00+00:00",
    )
    history = read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    assert history.file_bytes_at("docs/reviews/q1.md", first) == raw
    assert history.file_at("docs/reviews/q1.md", first) == "---\r\ndate: 2026-01-02\r\n---\r\n"
    assert history.file_bytes_at("docs/reviews/none.md", first) is None
    assert history.paths_at(first, "docs/reviews") == [
        "docs/reviews/q1.md",
        "docs/reviews/sub/x.md",
    ]
    assert history.paths_at(first, "nowhere") == []
    with pytest.raises(BuildError, match="is not a commit sha"):
        history.paths_at("--output=x", "docs")


def test_versions_read_in_bulk_are_what_file_at_reads_one_by_one(tmp_path):
    """file_versions and file_history read every version in one pipelined batch, contents once
    per blob; the answer is the one-at-a-time file_at's, problems and warnings included."""
    repo = GitRepo.create(tmp_path / "acme")
    path = "environments/production/app.yaml"
    contents: list[str | bytes | None] = [
        "a: 1\n",
        "a: 2\n",
        b"\xef\xbb\xbfa: 1\n",  # the first text again behind a byte order mark
        b"bin\0ary\n",
        None,  # deleted
        "a: 1\n",  # a revert: the same blob as the first version
        b"x" * (1024 * 1024 + 1),  # over the limit
        "a: 2\n",
    ]
    repo.commit("Before", files={path: "a: 0\n"}, date="2025-12-01T10:00:00+00:00")
    for day, content in enumerate(contents, start=1):
        date = f"2026-01-{day:02d}T10:00:00+00:00"
        repo.commit(f"Version {day}", files={path: content}, date=date)
    history = read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    plain = PlainHistory(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    try:
        assert history.file_versions(path) == plain.file_versions(path)
        assert history.file_history(path) == plain.file_history(path)
        assert history.warnings == plain.warnings
        texts = [v.text for v in history.file_versions(path)]
        assert texts == ["a: 0\n", "a: 1\n", "a: 2\n", "a: 1\n", None, None, "a: 1\n", None,
                         "a: 2\n"]  # fmt: skip
        assert texts[1] is texts[6]  # one blob, read and decoded once
        problems = [v.problem for v in history.file_versions(path)]
        assert problems[4] == "file is binary"
        assert problems[7] == "file is 1048577 bytes, over the 1024 KiB limit"
        assert [w.split(": ", 1)[1] for w in history.warnings] == [
            "file is binary; its settings are not read",
            "file is 1048577 bytes, over the 1024 KiB limit; its settings are not read",
        ]
    finally:
        history.close()
        plain.history.close()


def test_versions_by_blob_id_are_what_each_commit_path_gives(tmp_path):
    """Versions come by the blob id git log --raw gave each change, never by resolving
    <commit>:<path>; on renames both ways, a rename undone (the same blob again), deletions, a
    merge, a binary file, one over the size limit, and paths turning into a symlink, a folder
    and a submodule, every version equals what file_at reads at that commit."""
    repo = GitRepo.create(tmp_path / "acme")
    prod = "environments/production"
    app, moved, link, folder, sub = (f"{prod}/{name}.yaml" for name in
                                     ("app", "moved", "link", "folder", "sub"))  # fmt: skip
    paths = [app, moved, f"{prod}/elsewhere.yaml", link, folder, f"{folder}/inner.yaml", sub]
    days = iter(range(1, 40))

    def commit(message: str, **changes) -> str:
        return repo.commit(message, date=f"2026-01-{next(days):02d}T10:00:00+00:00", **changes)

    def stage(mode: str, oid: str, path: str) -> None:  # a symlink or submodule, index only
        repo.git("rm", "--quiet", "--cached", "--ignore-unmatch", "--", path)
        repo.git("update-index", "--add", "--cacheinfo", f"{mode},{oid},{path}")

    repo.commit("Before", files={app: "a: 0\n", moved: "m: 1\n", link: "l: 1\n",
                                 folder: "f: 1\n", sub: "s: 1\n"},
                date="2025-12-01T10:00:00+00:00")  # fmt: skip
    commit("Binary", files={app: b"bin\0ary\n"})
    commit("Too large", files={app: b"x" * (1024 * 1024 + 1)})
    commit("Renamed", renames={moved: f"{prod}/elsewhere.yaml"})
    commit("Renamed back", renames={f"{prod}/elsewhere.yaml": moved})  # the same blob again
    commit("Deleted", files={app: None})
    commit("Revert", files={app: "a: 0\n"})
    stage("120000", repo.git("hash-object", "-w", "--stdin", input=b"target.yaml").strip(), link)
    commit("A symlink")
    commit("A file again", files={link: "l: 2\n"})
    commit("A folder", files={folder: None, f"{folder}/inner.yaml": "i: 1\n"})
    stage("160000", repo.head(), sub)
    commit("A submodule")
    repo.branch("side")
    commit("Side", files={app: "a: side\n"})
    repo.checkout("main")
    repo.merge("side", date="2026-01-20T10:00:00+00:00")
    repo.git("rm", "--quiet", "--cached", "--", sub)
    commit("Submodule gone")
    history = read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    plain = PlainHistory(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    try:
        asked: list[list[str]] = []
        blobs = history.runner.blobs()
        read_blobs = blobs.read_blobs
        blobs.read_blobs = lambda ids: asked.append(list(ids)) or read_blobs(ids)
        for path in paths:
            assert history.file_versions(path) == plain.file_versions(path), path
            assert history.file_history(path) == plain.file_history(path), path
        assert history.warnings == plain.warnings and len(history.warnings) == 2
        assert all(len(ids) == len(set(ids)) for ids in asked)  # a blob once, however many use it
        texts = [v.text for v in history.file_versions(moved)]
        assert texts == ["m: 1\n", None, "m: 1\n"]
        assert [v.text for v in history.file_versions(link)] == ["l: 1\n", "target.yaml", "l: 2\n"]
        assert [v.text for v in history.file_versions(sub)] == ["s: 1\n", None, None]
        assert history.file_versions(folder)[-1].text is None
    finally:
        history.close()
        plain.history.close()


def test_files_named_in_bytes_that_are_not_utf8_are_visible_gaps_never_each_others(tmp_path):
    """Two names differing only in bytes that are not UTF-8 both read as the same text with
    U+FFFD: every version of it is a problem, warned of, never the other file's content and
    never "absent"; a name that is valid UTF-8, ASCII or not, reads as before."""
    repo = GitRepo.create(tmp_path / "acme")
    prod = "environments/production"
    ff, fe = (f"{prod}/a{chr(0xDC00 + byte)}.yaml" for byte in (0xFF, 0xFE))  # surrogateescape
    size = f"{prod}/größe.yaml"
    repo.commit("Before", files={ff: "ff: 0\n", fe: "fe: 0\n", size: "größe: 0\n"},
                date="2025-12-01T10:00:00+00:00")  # fmt: skip
    fe_1 = repo.commit("Fe", files={fe: "fe: 1\n", size: "größe: 1\n"},
                       date="2026-01-05T10:00:00+00:00")  # fmt: skip
    ff_2 = repo.commit("Ff", files={ff: "ff: 2\n"}, date="2026-01-06T10:00:00+00:00")
    history = read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    try:
        decoded = f"{prod}/a\ufffd.yaml"
        assert [c.path for c in history.commits[-1].files] == [decoded]
        parser = BlobParser("lines", str.splitlines)
        versions = history.file_versions(decoded)
        both = [history.file_history(decoded), history.parsed_history(decoded, parser)]
        assert [v.sha for v in versions] == [history.commits[0].sha, fe_1, ff_2]
        every = versions + [v for _, v in both[0]] + [v for _, v in both[1]]
        assert len(every) == 9
        assert all(v.problem == AMBIGUOUS_NAME for v in every)
        assert all(getattr(v, "text", None) is None and getattr(v, "value", None) is None
                   for v in every)  # fmt: skip
        assert history.parsed_versions(decoded, parser)[1:] == [
            (v.sha, v.date, None, AMBIGUOUS_NAME) for v in versions[1:]
        ]
        for sha in (fe_1, ff_2):
            with pytest.raises(UnreadableFileError, match="not valid UTF-8"):
                history.file_at(decoded, sha)
            with pytest.raises(UnreadableFileError, match="not valid UTF-8"):
                history.file_bytes_at(decoded, sha)
        assert history.warnings == [
            f"{decoded} at {v.sha[:12]}: {AMBIGUOUS_NAME}; its settings are not read"
            for v in versions
        ]
        assert [v.text for v in history.file_versions(size)] == ["größe: 0\n", "größe: 1\n"]
        assert [v.text for _, v in history.file_history(size)] == ["größe: 0\n", "größe: 1\n"]
        assert history.file_at(size, fe_1) == "größe: 1\n"
        assert [v.value for v in history.parsed_versions(size, parser)] == [
            ["größe: 0"],
            ["größe: 1"],
        ]
    finally:
        history.close()


def test_paths_at_lists_a_name_that_is_not_utf8_once_and_it_reads_as_a_gap(tmp_path):
    """paths_at gives a name that is not UTF-8 with U+FFFD, once for the names it merges; no
    caller can read it as a path: file_bytes_at refuses it, and a document pattern matching it
    is a located problem, never absent and never another file's bytes."""
    from generator.evidence.context import RuleContext
    from generator.evidence.docread import matching_versions

    repo = GitRepo.create(tmp_path / "docs-repo")
    ff, fe = (f"docs/reviews/r-{chr(0xDC00 + byte)}.md" for byte in (0xFF, 0xFE))
    good = "docs/reviews/r-q1.md"
    head = repo.commit("Reviews", files={ff: "---\ndate: 2026-01-02\n---\n",
                                         fe: "---\ndate: 2026-01-03\n---\n",
                                         good: "---\ndate: 2026-01-04\n---\n"},
                       date="2026-01-05T10:00:00+00:00")  # fmt: skip
    history = read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    try:
        merged = "docs/reviews/r-\ufffd.md"
        assert history.paths_at(head, "docs/reviews") == [good, merged]
        assert name_problem(merged) == AMBIGUOUS_NAME and name_problem(good) is None
        with pytest.raises(UnreadableFileError, match="not valid UTF-8"):
            history.file_bytes_at(merged, head)
        read = matching_versions(RuleContext(history), "docs/reviews/r-*.md", "date")
        assert [v.path for v in read.versions] == [good]
        assert [(p.path, p.message) for p in read.problems] == [
            (f"{merged}@{head[:12]}", f"cannot be read: {AMBIGUOUS_NAME}")
        ]
    finally:
        history.close()


class PlainHistory:
    """The versions as file_at reads them, one question to git per version."""

    def __init__(self, installation: InstallationConfig, period: Period, cache_dir: Path):
        self.history = read_history(installation, period, cache_dir=cache_dir)
        self.warnings: list[str] = []

    def version(self, path: str, index: int) -> FileVersion:
        commit = self.history.commits[index]
        try:
            text = self.history.file_at(path, commit.sha)
        except UnreadableFileError as exc:
            warning = f"{path} at {commit.sha[:12]}: {exc.reason}; its settings are not read"
            if warning not in self.warnings:
                self.warnings.append(warning)
            return FileVersion(commit.sha, commit.committed_at, None, exc.reason)
        return FileVersion(commit.sha, commit.committed_at, text)

    def file_versions(self, path: str) -> list[FileVersion]:
        start = self.history.period_start
        indexes = [i for i in range(start, len(self.history.commits)) if self.touches(i, path)]
        indexes = [i for i in indexes if self.history.in_period(self.history.commits[i])]
        return [self.version(path, i) for i in [start - 1, *indexes]]

    def file_history(self, path: str) -> list[tuple[int, FileVersion]]:
        end = PERIOD.end_utc_exclusive
        indexes = [
            i
            for i, commit in enumerate(self.history.commits)
            if utc(commit.committed_at) < end and self.touches(i, path)
        ]
        return [(i, self.version(path, i)) for i in indexes]

    def touches(self, index: int, path: str) -> bool:
        return any(path in (f.path, f.old_path) for f in self.history.commits[index].files)


def test_changed_in_is_the_commit_that_wrote_the_version_read_at_a_later_commit(built):
    _repo, history, _side = built
    by_subject = {c.subject: c for c in history.commits}
    unrelated = by_subject["Unrelated"].sha  # the file as it was then: written by "Logging off"
    assert history.changed_in(LOGGING, unrelated) == by_subject["Logging off"]
    assert history.changed_in(LOGGING, by_subject["Back"].sha) == by_subject["Back"]
    assert history.changed_in("README", by_subject["Initial"].sha) is None  # not there yet
    assert history.changed_in(LOGGING, "0" * 40) is None  # not on the line
