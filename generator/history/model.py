"""The plain data read from an installation's git history.

These are the facts the evidence rules judge. Dates are ISO 8601 strings with the offset git
recorded (``2026-03-02T10:15:00+01:00``) so nothing is lost; ``timewords.utc()`` turns one into a
datetime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple


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


class Commit(NamedTuple):
    """One commit of the first-parent line.

    Commits and changes are NamedTuples, the other records frozen dataclasses: all are immutable
    records with named fields, but a long history builds hundreds of thousands of these two, and a
    frozen dataclass's __init__ (one object.__setattr__ per field) takes four times as long as a
    NamedTuple's and more memory (measured: 135 vs 31 ms and 24 vs 15 MB for 100,000 commits).
    Build them with their constructor, or ``Commit._make(row)`` from a tuple of every field (as
    the history cache does: it raises on a row of another length).
    """

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
    # Who the configured keys say made a good signature (an allowed-signers principal, an
    # OpenPGP user id) and the key's fingerprint; None where not verified or not good.
    signer: str | None = None
    signing_key: str | None = None
    # For each entry of `files`, the blob its (new) path holds after the commit; None where it
    # holds no file (deleted, a submodule). () for a commit not read from git's log (tests).
    blobs: tuple[str | None, ...] = ()

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    def blob_left(self, path: str) -> str | None:
        """The blob this commit's change left at `path`, which it touched: None when it deleted
        the file, renamed it away or put a submodule there. Needs `blobs` (git's log gave them)."""
        for change, blob in zip(self.files, self.blobs, strict=True):
            if change.path == path:
                return blob
        return None


@dataclass(frozen=True)
class Tag:
    name: str
    sha: str  # the commit the tag points to
    annotated: bool
    tagger: Identity | None
    tagged_at: str | None
    message: str = ""
    oid: str = ""  # the tag object's id (annotated tags; "" for lightweight ones)
    # Its signature (none, gpg, ssh, x509) and, for a release tag of a change in the period with
    # keys configured, the verdict (history/tagsigning.py): verified, who the keys say signed
    # and the key's fingerprint (None where not verified or not good).
    signature: str = "none"
    verified: bool | None = None
    signer: str | None = None
    signing_key: str | None = None


class Approval(NamedTuple):
    """One approver of a change and how the history evidences it (``Strength``'s values):
    ``signed`` (they signed the commit, or a release tag of it), ``merged`` (they made the
    merge), ``trailer``."""

    approver: Identity
    evidence: str
    tag: str | None = None  # the signed release tag evidencing the approval; None: the commit


class Change(NamedTuple):
    """A member of the audit population: a first-parent commit that touched an environment.

    A NamedTuple like Commit (see there why); every field is given when one is built.
    """

    commit: Commit
    environments: tuple[str, ...]
    approvers: tuple[Identity, ...]
    authors: tuple[Identity, ...]  # for a merge: the authors of the merged branch
    self_approved: bool
    signed: bool
    verified: bool | None
    # The release version this change set in each environment whose version it moved ({}: none).
    releases: dict[str, str]
    approvals: tuple[Approval, ...]  # the approvers, in order, each with its evidence


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


class ParsedVersion(NamedTuple):
    """One file version as a parser made it of its text (history.parsed_history)."""

    sha: str
    date: str
    value: Any  # the parser's value; None where the file did not exist or could not be read
    problem: str | None = None  # why it could not be read as text (over 1 MiB, binary)
