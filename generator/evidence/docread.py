"""Reading evidence documents: from the installation repository's history or the evidence folder.

Every version is read as bytes, hashed (SHA-256, what ``git show <commit>:<path> | sha256sum``
gives) and its front matter parsed. A version git or the folder cannot give as text (over 1 MiB,
binary, not UTF-8, a symlink out of the folder) is a located problem, never an absent document.
"""

from __future__ import annotations

import fnmatch
import posixpath
from dataclasses import dataclass, field

from generator.errors import Problem
from generator.evidence.context import RuleContext
from generator.evidence.documents import (
    EVIDENCE_FOLDER,
    REPOSITORY,
    DocumentVersion,
    WrittenIn,
    version_of,
)
from generator.history.gitio import MAX_TEXT_BYTES, OversizeError
from generator.history.history import UnreadableFileError
from generator.history.model import FileVersion
from generator.timewords import utc


@dataclass
class Read:
    """What a read found: versions (oldest first) and the problems that kept others out."""

    versions: list[DocumentVersion] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def history_versions(context: RuleContext, path: str, date_key: str) -> Read:
    """The document as in effect at the period start, then each version committed in the period.

    Versions where the file did not exist are skipped. The one before the period is the latest
    committed before it: an older one could only be evidence older than it.
    """
    read = Read()
    for version in context.history.file_versions(path):
        _repository_version(context, path, version, date_key, read)
    return read


def current_version(context: RuleContext, path: str, date_key: str) -> Read:
    """The document in effect at the period end: the repository's, else the evidence folder's."""
    versions = context.history.file_versions(path)
    if versions and (versions[-1].text is not None or versions[-1].problem is not None):
        read = Read()
        _repository_version(context, path, versions[-1], date_key, read)
        return read
    return folder_versions(context, [path], date_key)


def _repository_version(
    context: RuleContext, path: str, version: FileVersion, date_key: str, read: Read
) -> None:
    where = f"{path}@{version.sha[:12]}"
    if version.problem is not None:
        read.problems.append(Problem(where, 1, 1, f"cannot be read: {version.problem}"))
        return
    if version.text is None or not version.sha:
        return
    _read_at(context, path, version.sha, version.date, date_key, read)


def _read_at(
    context: RuleContext, path: str, sha: str, committed_at: str, date_key: str, read: Read
) -> None:
    """The file's bytes at a commit as a document version, or a located problem, into ``read``."""
    try:
        data = context.history.file_bytes_at(path, sha)
    except UnreadableFileError as exc:
        read.problems.append(Problem(f"{path}@{sha[:12]}", 1, 1, f"cannot be read: {exc.reason}"))
        return
    if data is not None:
        wrote = context.history.changed_in(path, sha)
        written = WrittenIn(wrote.sha, wrote.author, wrote.committer) if wrote else None
        read.versions.append(
            version_of(
                path,
                data,
                source=REPOSITORY,
                commit=sha,
                committed_at=committed_at,
                date_key=date_key,
                written=written,
            )
        )


def matching_versions(context: RuleContext, pattern: str, date_key: str) -> Read:
    """Every file matching ``pattern`` (``folder/name-*.md``: a wildcard in the name only) in
    the tree in effect at the period end, else in the evidence folder; one version each."""
    folder, name = posixpath.split(pattern)
    end = context.period.end_utc_exclusive
    # The tree in effect at the period end: its last commit, or the last one before it.
    last = next((c for c in reversed(context.history.commits) if utc(c.committed_at) < end), None)
    if last is not None:
        paths = [
            p
            for p in context.history.paths_at(last.sha, folder)
            if posixpath.dirname(p) == folder and fnmatch.fnmatchcase(posixpath.basename(p), name)
        ]
        if paths:
            read = Read()
            for path in paths:
                _read_at(context, path, last.sha, last.committed_at, date_key, read)
            return read
    root = context.installation.evidence_dir
    if root is None or not (root / folder).is_dir():
        return Read()
    names = sorted(
        f"{folder}/{p.name}" if folder else p.name
        for p in (root / folder).iterdir()
        if fnmatch.fnmatchcase(p.name, name)
    )
    return folder_versions(context, names, date_key)


def folder_versions(context: RuleContext, paths: list[str], date_key: str) -> Read:
    read = Read()
    folder = context.installation.evidence_dir
    if folder is None:
        return read
    root = folder.resolve()
    for path in paths:
        target = (root / path).resolve()
        # The schema forbids "..", but a symlink could still point outside the folder.
        if not target.is_relative_to(root):
            read.problems.append(Problem(path, 1, 1, "points outside the evidence folder"))
            continue
        if not target.is_file():
            continue
        try:
            size = target.stat().st_size
            if size > MAX_TEXT_BYTES:
                raise OversizeError(size)
            data = target.read_bytes()
        except OversizeError as exc:
            read.problems.append(Problem(path, 1, 1, f"cannot be read: file is {exc}"))
            continue
        except OSError as exc:
            read.problems.append(Problem(path, 1, 1, f"cannot be read: {exc.strerror}"))
            continue
        read.versions.append(
            version_of(
                path, data, source=EVIDENCE_FOLDER, commit=None, committed_at=None,
                date_key=date_key,
            )
        )  # fmt: skip
    return read
