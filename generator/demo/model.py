"""Plain data shared by the demo generator's modules: people, planned commits, planted findings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    # Offsets follow the person's office: "berlin" (CET/CEST), "utc" for the pipeline.
    zone: str = "berlin"

    def ident(self) -> str:
        return f"{self.name} <{self.email}>"


# path -> new file content, or None to delete the file
Edits = dict[str, str | None]


@dataclass(frozen=True)
class BranchCommit:
    when: dt.datetime
    author: Person
    message: str
    edits: Edits


@dataclass(frozen=True)
class TagPlan:
    name: str
    tagger: Person
    when: dt.datetime
    message: str


@dataclass(frozen=True)
class PlannedCommit:
    """One commit on main: a direct commit (no branch) or the merge of a short-lived branch."""

    key: str  # stable handle for tests, docs and the exceptions register, e.g. "promote:2026.9.0"
    when: dt.datetime  # commit date; the author date too unless authored_at is set
    author: Person
    committer: Person
    message: str
    edits: Edits = field(default_factory=dict)  # direct commits only
    branch: str | None = None
    branch_commits: tuple[BranchCommit, ...] = ()
    signed: bool = True
    tag: TagPlan | None = None
    signing_key_of: Person | None = None  # whose key signs it; default: the committer's

    @property
    def is_merge(self) -> bool:
        return self.branch is not None


@dataclass(frozen=True)
class PlantedFinding:
    """A deliberate deviation the evidence engine must report (and the only ones in the period)."""

    installation: str
    rule: str  # evidence rule kind that finds it
    title: str
    expected: str  # what the pack should say
    commit_key: str | None = None  # the PlannedCommit that carries it
    window: tuple[str, str] | None = None  # ISO dates (from, to) for config windows
    window_end_key: str | None = None  # the PlannedCommit that ends the window
    path: str | None = None  # for manual documents
    events: tuple[str, ...] = ()  # for event rules: the uuids of the events behind it
    exception_id: str | None = None  # set when the exceptions register accepts it
    kind: str = ""  # the deviation kind the rule reports (generator/status.py's vocabulary)
    # filled in once the repository exists
    sha: str | None = None
    window_shas: tuple[str, str] | None = None
