"""The release-note view: a plain dataclass tree, built by ``join.release_view``.

Renderers (Markdown, HTML, Atom, the portal) read only this; every text in it is untrusted and
unescaped: versions, dates, names and subjects from the installation's repository, titles and
descriptions (raw Markdown) from the release notes.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.releasenotes.model import Ticket


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class Approval:
    """An approval the history records for a commit and how it is evidenced: ``signed``,
    ``merged`` or ``trailer`` (an approval line whoever made the commit wrote; see
    generator/evidence/model.py ApprovalRecord), None where the pack does not say."""

    name: str
    email: str
    evidence: str | None


@dataclass(frozen=True)
class Rollout:
    """A version appearing in one environment: the commit that set it and its date."""

    environment: str
    date: str  # ISO 8601 timestamp with offset, as recorded in git
    sha: str


# A ticket is shown as its note has it (title, audiences, component, raw Markdown texts, line):
# the view reuses the note's own record instead of copying 35,000 of them on a long history.
TicketEntry = Ticket


@dataclass(frozen=True)
class TicketGroup:
    """The tickets of one note for one audience and component, in the note's order."""

    audience: str
    component: str | None
    tickets: tuple[TicketEntry, ...]


@dataclass(frozen=True)
class NoteSection:
    """One published release note as it applies to a rollout."""

    version: str
    title: str
    date: str | None  # meshcloud's publication date
    period_start: str | None
    period_end: str | None
    file: str  # the note's file name (never a full path: outputs must not leak local paths)
    included_in: str | None  # the version whose rollout brought this one along, None for its own
    groups: tuple[TicketGroup, ...]  # only the selected audiences; may be empty
    hidden_tickets: int  # tickets left out by the audience filter


@dataclass(frozen=True)
class ConfigChange:
    """One of the installation's own changes to the environment in a release window."""

    sha: str
    date: str  # committed_at
    subject: str
    author: Person
    approvals: tuple[Approval, ...]


@dataclass(frozen=True)
class VersionEntry:
    version: str
    rollout: Rollout | None  # in the viewed environment; None for upcoming versions
    staging: Rollout | None
    production: Rollout | None
    staging_hours: float | None
    approvals: tuple[Approval, ...]  # those the commit that set the version records
    previous: str | None  # the version the environment ran before, when the history shows it
    rollback: bool  # `previous` is a newer version than this one
    included: tuple[str, ...]  # versions between `previous` and this one, newest first
    notes: tuple[NoteSection, ...]  # this version's own note first, then the included ones
    missing_notes: tuple[str, ...]  # this version or included ones without a published note
    changes: tuple[ConfigChange, ...]  # configuration changes until the next rollout


@dataclass(frozen=True)
class ReleaseView:
    installation: str
    environment: str
    period_from: str
    period_to: str
    audiences: tuple[str, ...]  # the selected audiences, in AUDIENCES order
    filtered: bool  # True when an audience filter was given
    since: str | None
    versions: tuple[VersionEntry, ...]  # newest rollout first
    upcoming: tuple[VersionEntry, ...]  # production views only: staged, not yet in production
    approval_evidence: frozenset[str] = frozenset()  # how the approvals shown are evidenced
