"""The plain data read from an installation's git history.

These are the facts the evidence rules judge. Dates are ISO 8601 strings with the offset git
recorded (``2026-03-02T10:15:00+01:00``) so nothing is lost; ``utc()`` turns one into a datetime.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, TypeVar

_T = TypeVar("_T")


def utc(timestamp: str) -> dt.datetime:
    """An ISO 8601 timestamp with offset as an aware UTC datetime."""
    return dt.datetime.fromisoformat(timestamp).astimezone(dt.UTC)


def from_fields(cls: type[_T], fields: dict[str, Any]) -> _T:
    """An instance of a frozen dataclass from all its fields at once, for hot loops.

    A frozen dataclass's __init__ sets every field through object.__setattr__, which made up a
    quarter of history parsing; filling the instance dict gives an equal object (it is what
    pickle does) several times faster. `fields` must name every field.
    """
    instance = object.__new__(cls)
    instance.__dict__.update(fields)
    return instance


class CommitBlank:
    """A plain object that becomes a Commit: set every field in order, then ``__class__``.

    For the hottest loops (100,000 records from the cache): a fresh plain object's attributes
    are set at the cost of a store each and live in a dict sharing its keys with every other
    record, which the class switch keeps. That takes half the time and half the memory of
    filling an instance dict (from_fields; measured). The record is an ordinary Commit, equal to
    one made by its constructor. One blank class per record type keeps the shared keys apart.
    """

    # Annotations only (no class attributes): what gets set, for readers and type checkers.
    sha: str
    parents: tuple[str, ...]
    author: Identity
    authored_at: str
    committer: Identity
    committed_at: str
    subject: str
    body: str
    trailers: tuple[tuple[str, str], ...]
    files: tuple[FileChange, ...]
    signature: str
    signature_verified: bool | None


class ChangeBlank:
    """A plain object that becomes a Change (see CommitBlank)."""

    commit: Commit
    environments: tuple[str, ...]
    approvers: tuple[Identity, ...]
    authors: tuple[Identity, ...]
    self_approved: bool
    signed: bool
    verified: bool | None
    releases: dict[str, str]


@dataclass(frozen=True, order=True)
class Identity:
    name: str
    email: str

    def matches(self, other: Identity) -> bool:
        """Same person: emails compared case-insensitively, names when an email is missing."""
        if self.email and other.email:
            return self.email.casefold() == other.email.casefold()
        return self.name.casefold() == other.name.casefold()


@dataclass(frozen=True)
class FileChange:
    status: str  # git's letter: A, M, D, R, C, T
    path: str
    old_path: str | None = None  # the source of a rename or copy


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author: Identity
    authored_at: str
    committer: Identity
    committed_at: str
    subject: str
    body: str
    trailers: tuple[tuple[str, str], ...]
    files: tuple[FileChange, ...]  # against the first parent, renames followed
    signature: str = "none"  # none, gpg, ssh or x509
    signature_verified: bool | None = None  # None: no keys configured to verify against

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


@dataclass(frozen=True)
class Tag:
    name: str
    sha: str  # the commit the tag points to
    annotated: bool
    tagger: Identity | None
    tagged_at: str | None
    message: str = ""


@dataclass(frozen=True)
class Change:
    """A member of the audit population: a first-parent commit that touched an environment."""

    commit: Commit
    environments: tuple[str, ...]
    approvers: tuple[Identity, ...]
    authors: tuple[Identity, ...]  # for a merge: the authors of the merged branch
    self_approved: bool
    signed: bool
    verified: bool | None
    # The release version this change set in each environment whose version it moved.
    releases: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReleaseEvent:
    """A release version appearing in an environment for the first time."""

    version: str
    environment: str
    sha: str
    date: str
    source: str  # "file" or "tag"


@dataclass(frozen=True)
class Promotion:
    """One version's way from staging to production."""

    version: str
    staging: ReleaseEvent | None
    production: ReleaseEvent | None
    staging_hours: float | None  # time in staging before production, None if either is missing
    production_approvers: tuple[Identity, ...] = ()


@dataclass(frozen=True)
class ReproduceCommand:
    """A plain git command an auditor can run to re-perform a figure."""

    figure: str
    command: str
    expected: str


@dataclass(frozen=True)
class FileVersion:
    """The content of one file as of one commit (None: the file did not exist)."""

    sha: str
    date: str
    text: str | None
    # Why the file there could not be read as text (over 1 MiB, binary); text is then None.
    problem: str | None = None
