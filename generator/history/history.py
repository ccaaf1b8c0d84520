"""InstallationHistory: everything read from one repository for one period, plus file lookups."""

from __future__ import annotations

import bisect
import contextlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from generator.config import InstallationConfig, Period
from generator.errors import BuildError
from generator.history.gitio import Blob, GitRunner, OversizeError
from generator.history.model import (
    Change,
    Commit,
    FileVersion,
    ParsedVersion,
    Promotion,
    ReleaseEvent,
    ReproduceCommand,
    Tag,
)
from generator.history.parsedcache import BlobParser, Parsed, ParsedCache, Unparsable
from generator.history.reconcile import Reconciliation
from generator.timewords import utc

_SHA = re.compile(r"[0-9a-fA-F]{4,64}")
_Version = TypeVar("_Version", FileVersion, ParsedVersion)

# git keeps a path as bytes, and `git log --raw` names one that is not UTF-8 with U+FFFD in place
# of each bad byte (rawlog.py): two files differing only there share one name here, and
# `<sha>:<name>` finds neither. Such a name is never read, each of its versions is a visible gap.
# A valid UTF-8 name really holding U+FFFD is treated alike: from the decoded name alone the two
# cannot be told apart, and a gap is the conservative answer.
AMBIGUOUS_NAME = (
    "its name is not valid UTF-8, so git's entries for it cannot be told apart from another file's"
)


def name_problem(path: str) -> str | None:
    """Why no version of `path` can be read whatever git holds (see AMBIGUOUS_NAME); None if
    it can be."""
    return AMBIGUOUS_NAME if "\ufffd" in path else None


class UnreadableFileError(BuildError):
    """A file that is there but cannot be read as text (over 1 MiB, or binary)."""

    def __init__(self, label: str, path: str, sha: str, reason: str):
        super().__init__(f"{label}: {path} at {sha[:12]}: {reason}; not read")
        self.reason = reason


@dataclass
class InstallationHistory:
    installation: InstallationConfig
    period: Period
    head: str  # the sha `ref` pointed to when the history was read
    head_date: str  # its committer date
    commits: list[Commit]  # the first-parent line of ref up to head, oldest first
    tags: list[Tag]
    changes: list[Change]  # the population of every environment (see changes_limited_to)
    releases: list[ReleaseEvent]  # first appearance of each version per environment, oldest first
    promotions: list[Promotion]  # versions that reached staging or production in the period
    reproduce: list[ReproduceCommand]
    rewritten: bool  # the previously recorded head is no longer part of this history
    # Release files that could not be read at some commit (too large, binary, invalid): shown in
    # the pack so a missing release event is never silent.
    warnings: list[str] = field(default_factory=list)
    runner: GitRunner | None = field(default=None, repr=False, compare=False)
    period_start: int = 0  # index in `commits` of the first commit dated in or after the period
    # None: `changes` holds every environment's population. Otherwise the reader was asked for
    # these environments only, and `changes` holds just their populations (a change keeps all
    # the environments it belongs to): counting another environment's changes in it gives 0.
    changes_limited_to: tuple[str, ...] | None = None
    # Population size per environment as git counted it, whatever `changes` is limited to.
    population_sizes: dict[str, int] = field(default_factory=dict)
    # Every first-parent commit of the period in exactly one group (reconcile.py); None only
    # for histories made without the reader (tests of other parts).
    reconciliation: Reconciliation | None = None
    # The commits of the reconciliation's unaccounted group as changes to no environment
    # (environments ()): outside every declared path, they are judged as in scope.
    unplaced: list[Change] = field(default_factory=list)
    # The verified release tags dated before the period's end, by the commit they point to (the
    # reader's choice, tagsigning.py): what counts as a change's signed approval or mismatch.
    signed_tags: dict[str, tuple[Tag, ...]] = field(default_factory=dict)
    # file_versions' answers, read once per path whichever rules ask (the history is read-only).
    _file_versions: dict[str, list[FileVersion]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _file_history: dict[str, list[tuple[int, FileVersion]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # What parsers made of blobs, kept between builds (parsedcache.py); None: for this run only.
    parsed_cache: ParsedCache | None = field(default=None, repr=False, compare=False)
    _parsed_here: dict[str, dict[str, Parsed]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def in_period(self, commit: Commit) -> bool:
        return self.period.contains(utc(commit.committed_at))

    def population(self, environment: str) -> list[Change]:
        """An environment's changes; ValueError for one a limited history did not read."""
        limited = self.changes_limited_to
        if limited is not None and environment not in limited:
            raise ValueError(
                f"history read for {', '.join(limited)} only: no changes of '{environment}'"
            )
        return [c for c in self.changes if environment in c.environments]

    def file_versions(self, path: str) -> list[FileVersion]:
        """The file as in effect at the period start, then after each period commit changing it.

        The first entry is the file at the last first-parent commit before the period (sha "" and
        the period start as date when the repository has no commit before the period); text is
        None whenever the file did not exist. The others follow, oldest first: one per
        first-parent commit in the period whose change touched `path` (renames included).
        """
        known = self._file_versions.get(path)
        if known is None:
            indexes = list(self._touching.get(path, ()))
            if self.period_start > 0:
                known = self._versions(path, [self.period_start - 1, *indexes])
            else:
                known = [FileVersion("", self.period.start_utc.isoformat(), None)]
                known += self._versions(path, indexes)
            self._file_versions[path] = known
        return list(known)

    def file_history(self, path: str) -> list[tuple[int, FileVersion]]:
        """The file after every first-parent commit up to the period end that touched it (renames
        included), oldest first, with the commit's index in `commits`; text None where it did not
        exist. Each path's versions are read once, whichever rules ask.
        """
        known = self._file_history.get(path)
        if known is None:
            indexes = self._touching_line.get(path, [])
            known = list(zip(indexes, self._versions(path, indexes), strict=True))
            self._file_history[path] = known
        return list(known)

    def parsed_history(self, path: str, parser: BlobParser) -> list[tuple[int, ParsedVersion]]:
        """`file_history`'s versions as `parser` makes them of their text (value None where
        the file did not exist or could not be read, the problem then said, and warned of, as
        `file_history` does). Each blob is parsed once, and what was parsed is kept between
        builds: only blobs no earlier build parsed are read from git at all."""
        indexes = self._touching_line.get(path, [])
        blobs = [self._left(path, index) for index in indexes]
        return list(zip(indexes, self._parsed(path, indexes, blobs, parser), strict=True))

    def parsed_versions(self, path: str, parser: BlobParser) -> list[ParsedVersion]:
        """`file_versions` as `parser` makes them of their text, as `parsed_history` does."""
        indexes = list(self._touching.get(path, ()))
        if self.period_start > 0:
            indexes.insert(0, self.period_start - 1)
            first = []
        else:
            first = [ParsedVersion("", self.period.start_utc.isoformat(), None)]
        blobs = [self._blob_at(path, index) for index in indexes]
        return first + self._parsed(path, indexes, blobs, parser)

    def _parsed(
        self, path: str, indexes: list[int], blobs: list[str | None], parser: BlobParser
    ) -> list[ParsedVersion]:
        """The versions with `blobs` at the commits at `indexes`, parsed by `parser`: from
        the parsed-files cache, or read by blob id (each distinct one once) and parsed."""
        if (unnamed := name_problem(path)) is not None:
            return [self._gap(path, index, unnamed, ParsedVersion) for index in indexes]
        cache = self.parsed_cache
        known = cache.known(parser) if cache else self._parsed_here.setdefault(parser.name, {})
        needed: dict[str, str] = {}
        for index, blob in zip(indexes, blobs, strict=True):
            if blob is not None and blob not in known and blob not in needed:
                needed[blob] = f"{path} at commit {self.commits[index].sha}"
        if needed:
            for blob, found in self._runner().blobs().read_blobs(needed).items():
                parsed = _parsed(found, parser)
                if cache:
                    cache.add(parser, blob, parsed)
                else:
                    known[blob] = parsed
        versions = []
        for index, blob in zip(indexes, blobs, strict=True):
            commit = self.commits[index]
            problem, value = known[blob] if blob is not None else (None, None)
            if problem is not None:
                self._warn(path, commit.sha, problem)
            versions.append(ParsedVersion(commit.sha, commit.committed_at, value, problem))
        return versions

    @cached_property
    def _touching_line(self) -> dict[str, list[int]]:
        """Path -> indexes in `commits` of every commit up to the period end touching it: one
        walk of the first-parent line for every file any rule asks about."""
        end = self.period.end_utc_exclusive
        last = len(self.commits)
        while last > self.period_start and utc(self.commits[last - 1].committed_at) >= end:
            last -= 1
        touching: dict[str, list[int]] = {}
        for index in range(last):
            for change in self.commits[index].files:
                for path in (change.path, change.old_path):
                    if path is None:
                        continue
                    indexes = touching.setdefault(path, [])
                    if not indexes or indexes[-1] != index:
                        indexes.append(index)
        return touching

    @cached_property
    def _touching(self) -> dict[str, list[int]]:
        """Path -> indexes in `commits` of the period commits whose change touched it (renames
        included), oldest first: one walk of the history for every file any rule asks about."""
        touching: dict[str, list[int]] = {}
        for index in range(self.period_start, len(self.commits)):
            commit = self.commits[index]
            if not self.in_period(commit):
                continue
            for change in commit.files:
                for path in (change.path, change.old_path):
                    if path is None:
                        continue
                    indexes = touching.setdefault(path, [])
                    if not indexes or indexes[-1] != index:
                        indexes.append(index)
        return touching

    def _versions(self, path: str, indexes: list[int]) -> list[FileVersion]:
        """The file at the commits at `indexes`, read by blob id in one pipelined batch, each
        distinct blob once (`file_at` answers each the same way). One that cannot be read as
        text is a version with a problem, named once in the warnings (a visible gap, never a
        guessed content). Versions that are the same blob share one text."""
        if not indexes:
            return []
        if (unnamed := name_problem(path)) is not None:
            return [self._gap(path, index, unnamed, FileVersion) for index in indexes]
        blobs = [self._blob_at(path, index) for index in indexes]
        needed: dict[str, str] = {}
        for index, blob in zip(indexes, blobs, strict=True):
            if blob is not None and blob not in needed:
                needed[blob] = f"{path} at commit {self.commits[index].sha}"
        found = self._runner().blobs().read_blobs(needed) if needed else {}
        texts: dict[bytes, str] = {}
        versions = []
        for index, blob in zip(indexes, blobs, strict=True):
            commit = self.commits[index]
            try:
                text = self._text(path, commit.sha, found[blob] if blob else None, texts)
            except UnreadableFileError as exc:
                versions.append(self._gap(path, index, exc.reason, FileVersion))
            else:
                versions.append(FileVersion(commit.sha, commit.committed_at, text))
        return versions

    def _gap(self, path: str, index: int, problem: str, kind: type[_Version]) -> _Version:
        """The version of `path` at the commit at `index` that could not be read for `problem`,
        named once in the warnings."""
        commit = self.commits[index]
        self._warn(path, commit.sha, problem)
        return kind(commit.sha, commit.committed_at, None, problem)

    def _warn(self, path: str, sha: str, problem: str) -> None:
        warning = f"{path} at {sha[:12]}: {problem}; its settings are not read"
        if warning not in self.warnings:
            self.warnings.append(warning)

    def _blob_at(self, path: str, index: int) -> str | None:
        """The blob `path` holds after the commit at `index` (None: no file there).

        The line starts at a root commit and each commit's changes are against its first parent,
        so the last commit up to `index` that touched `path` decides (see `_left`).
        """
        touching = self._touching_line.get(path, [])
        at = bisect.bisect_right(touching, index) - 1
        return self._left(path, touching[at]) if at >= 0 else None

    def _left(self, path: str, index: int) -> str | None:
        """The blob the change of the commit at `index` left at `path`, which it touched: None
        when it deleted the file or renamed it away."""
        return self.commits[index].blob_left(path)

    def changed_in(self, path: str, sha: str) -> Commit | None:
        """The first-parent commit up to `sha` that last changed `path`: the one that wrote the
        version `sha` has (None: `sha` is not on the line up to the period end, or no commit up to
        it touched `path`)."""
        at = next(
            (i for i in range(len(self.commits) - 1, -1, -1) if self.commits[i].sha == sha), -1
        )
        touching = self._touching_line.get(path, [])
        found = bisect.bisect_right(touching, at) - 1
        return self.commits[touching[found]] if at >= 0 and found >= 0 else None

    def file_at(self, path: str, sha: str) -> str | None:
        """A file's text as of a commit; None if it did not exist there (or is not a file).

        UnreadableFileError for a file over 1 MiB or a binary one: configuration is text, and
        reading a huge binary as text would only hide that something unexpected is there; and
        for a name that is not valid UTF-8 (see AMBIGUOUS_NAME).
        """
        if not _SHA.fullmatch(sha):
            raise BuildError(f"{self._label()}: {sha!r} is not a commit sha")
        if (unnamed := name_problem(path)) is not None:
            raise UnreadableFileError(self._label(), path, sha, unnamed)
        try:
            found: Blob = self._runner().blobs().read(f"{sha}:{path}")
        except OversizeError as exc:
            found = exc
        return self._text(path, sha, found, {})

    def _text(self, path: str, sha: str, found: Blob, texts: dict[bytes, str]) -> str | None:
        """The text of what reading `path` at `sha` gave (see `file_at`); `texts` keeps the
        texts decoded so far by content."""
        problem = unreadable(found)
        if problem is not None:
            raise UnreadableFileError(self._label(), path, sha, problem)
        if found is None or isinstance(found, OversizeError) or found[0] != "blob":
            return None
        data = found[1]
        text = texts.get(data)
        if text is None:
            text = texts[data] = data.decode("utf-8-sig", "replace")
        return text

    def file_bytes_at(self, path: str, sha: str) -> bytes | None:
        """A file's bytes as of a commit, exactly as stored (what a SHA-256 of it is taken
        over); None if it did not exist there. UnreadableFileError over 1 MiB, or for a name
        that is not valid UTF-8 (see AMBIGUOUS_NAME)."""
        if not _SHA.fullmatch(sha):
            raise BuildError(f"{self._label()}: {sha!r} is not a commit sha")
        if (unnamed := name_problem(path)) is not None:
            raise UnreadableFileError(self._label(), path, sha, unnamed)
        try:
            found = self._runner().blobs().read(f"{sha}:{path}")
        except OversizeError as exc:
            raise UnreadableFileError(self._label(), path, sha, f"file is {exc}") from None
        if found is None or found[0] != "blob":
            return None
        return found[1]

    def paths_at(self, sha: str, folder: str) -> list[str]:
        """The files below ``folder`` (``""``: the whole tree) as of a commit, sorted, each once.

        A name that is not valid UTF-8 is given as git log --raw gives it, with U+FFFD in place
        of each bad byte (so names differing only there are one entry): it is no path of the
        tree, `name_problem` says so, and `file_at` and `file_bytes_at` refuse it with
        UnreadableFileError (AMBIGUOUS_NAME), so a caller reading what is listed shows it as a
        file that cannot be read, never as absent or as another file's content.
        """
        if not _SHA.fullmatch(sha):
            raise BuildError(f"{self._label()}: {sha!r} is not a commit sha")
        spec = [f"{folder.rstrip('/')}/"] if folder else []
        args = ("ls-tree", "-r", "-z", "--name-only", "--full-tree", sha, "--", *spec)
        return sorted({p.decode("utf-8", "replace") for p in self._runner().stream(*args) if p})

    def commit_exists(self, sha: str) -> bool:
        """Whether the repository has this commit, on the first-parent line or not."""
        if not _SHA.fullmatch(sha):
            return False
        return self._runner().blobs().info(f"{sha}^{{commit}}") is not None

    def last_commit_in_period(self) -> Commit | None:
        for commit in reversed(self.commits[self.period_start :]):
            if self.in_period(commit):
                return commit
        return None

    def close(self) -> None:
        """Keep what was parsed for the next build, and end the git process that answers file
        questions (also ended when garbage-collected)."""
        if self.parsed_cache is not None:
            with contextlib.suppress(OSError):  # the cache only saves time
                self.parsed_cache.save()
        if self.runner is not None:
            self.runner.close()

    def _runner(self) -> GitRunner:
        if self.runner is None:
            raise BuildError(f"{self._label()}: history was detached from its repository")
        return self.runner

    def _label(self) -> str:
        return f"{self.installation.name} ({self.installation.shown_repo})"


def unreadable(found: Blob) -> str | None:
    """Why what reading a file gave cannot be read as text (over 1 MiB, binary); None if it
    can, or if there is no file."""
    if isinstance(found, OversizeError):
        return f"file is {found}"
    if found is not None and found[0] == "blob" and b"\0" in found[1][:8192]:
        return "file is binary"
    return None


def _parsed(found: Blob, parser: BlobParser) -> Parsed:
    """What `parser` makes of a blob read by id: (problem, None) when it is no text."""
    problem = unreadable(found)
    if problem is not None:
        return problem, None
    if found is None or isinstance(found, OversizeError) or found[0] != "blob":
        return None, None
    try:
        return None, parser.parse(found[1].decode("utf-8-sig", "replace"))
    except Unparsable as exc:
        return str(exc), None
