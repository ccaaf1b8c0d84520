"""The evidence model: one installation and period, as typed records.

This is what evidence.json holds and the only thing renderers read. Every record is a frozen,
slotted dataclass whose fields are, in order, the keys evidence.json writes
(``generator.evidence.codec`` turns a model into JSON and back, checking the schema both ways).
Lists are tuples and are sorted where they are made, so the same inputs give the same bytes.
Only the rule-specific parts (``params``, ``figures``, ``details``, a failure's ``window``) are
free-form mappings; everything else a renderer reads is a named field.

Identities and file entries are the history's own records (``Identity``, ``FileChange``): the
model lists the very objects git gave, so a long history's change records cost no copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.evidence.auditrecords import ChangesSince as ChangesSince
from generator.evidence.auditrecords import CorrectiveActionRecord as CorrectiveActionRecord
from generator.evidence.auditrecords import DecisionChange as DecisionChange
from generator.evidence.auditrecords import EventLogSection as EventLogSection
from generator.evidence.auditrecords import EventPopulation as EventPopulation
from generator.evidence.auditrecords import InputFile as InputFile
from generator.evidence.auditrecords import InputsRecord as InputsRecord
from generator.evidence.auditrecords import MappingChange as MappingChange
from generator.evidence.auditrecords import MeshEventRecord as MeshEventRecord
from generator.evidence.auditrecords import PeriodRange as PeriodRange
from generator.evidence.auditrecords import PreviousPack as PreviousPack
from generator.evidence.auditrecords import Sample as Sample
from generator.evidence.auditrecords import SampleAttribute as SampleAttribute
from generator.evidence.auditrecords import SampleBand as SampleBand
from generator.evidence.auditrecords import SamplePopulation as SamplePopulation
from generator.evidence.auditrecords import StatusChange as StatusChange
from generator.history.model import FileChange, Identity
from generator.status import Status

SCHEMA_VERSION = 3

__all__ = ["FileChange", "Identity"]  # re-exported: records of the model like the ones below


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    version: str


@dataclass(frozen=True, slots=True)
class ReproduceStep:
    figure: str
    command: str
    expected: str


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """Where the history came from, and how to re-perform its figures with plain git."""

    repo: str
    ref: str
    head: str
    head_date: str
    history_rewritten: bool
    # Release files the reader could not read at some commit: no version is guessed.
    warnings: tuple[str, ...]
    reproduce: tuple[ReproduceStep, ...]


@dataclass(frozen=True, slots=True)
class CutOffRecord:
    """Up to when the pack speaks (see evidence/cutoff.py): the build and the last day evaluated.

    The repository as read is the ``source`` record's head and head date.
    """

    built_at: str | None  # SOURCE_DATE_EPOCH as ISO 8601 UTC; None when it was not set
    evaluated_to: str  # ISO date: the last day evaluated, the period end or the build date
    newest_commit: str  # the latest committer date on the history's line, as git wrote it
    notes: tuple[str, ...]  # the period reaching beyond the newest commit or the build date


@dataclass(frozen=True, slots=True)
class EnvironmentRecord:
    name: str
    role: str  # staging, production or other: what rules and promotions go by
    paths: tuple[str, ...]
    approval: str
    population: int


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    """An approver of a change and how the history evidences it: ``signed`` (a good signature
    the configured keys bind to the approver, on the commit or on a release tag of it),
    ``merged`` (the approver made the merge commit) or ``trailer`` (an approval line written
    into the message)."""

    approver: Identity
    evidence: str
    tag: str | None  # the signed release tag evidencing it; None: the commit itself


@dataclass(frozen=True, slots=True)
class ScopeGroupRecord:
    """One group of the reconciliation (generator/history/reconcile.py has the definitions)."""

    kind: str  # environments, shared, unaccounted, out_of_scope or no_change
    name: str  # the shared scope's or out-of-scope entry's name; "" for the others
    paths: tuple[str, ...]
    reaches: tuple[str, ...]  # the environments a change in the group is a change to
    justification: str  # out_of_scope: why, as configured; "" for the others
    commits: int
    command: str  # plain git (with sort, comm, wc) printing `commits`
    # The group's commits, except for the environments group: those are the changes (the
    # changes not listed under a shared group).
    shas: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReconciliationRecord:
    """Every first-parent commit of the period in exactly one group: commits = sum of groups."""

    commits: int
    command: str  # plain git printing `commits`
    groups: tuple[ScopeGroupRecord, ...]


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """A member of the change population: a first-parent commit that touched an environment."""

    sha: str
    parents: tuple[str, ...]
    environments: tuple[str, ...]
    author: Identity
    authored_at: str
    committer: Identity
    committed_at: str
    subject: str
    body: str
    files: tuple[FileChange, ...]
    approvers: tuple[Identity, ...]
    approvals: tuple[ApprovalRecord, ...]  # the approvers, each with its evidence
    authors: tuple[Identity, ...]
    self_approved: bool
    signed: bool
    signature: str
    verified: bool | None
    # Who the configured keys say made the good signature (allowed-signers principal, OpenPGP
    # user id) and the key's fingerprint; None without a verified signature.
    signer: str | None
    signing_key: str | None
    releases: dict[str, str]  # environment -> the version this change set there, by name


@dataclass(frozen=True, slots=True)
class ReleaseRecord:
    version: str
    environment: str
    sha: str
    date: str
    source: str  # "file" or "tag"
    in_period: bool  # false for the version an environment ran when the period began


@dataclass(frozen=True, slots=True)
class EventRecord:
    sha: str
    date: str


@dataclass(frozen=True, slots=True)
class PromotionRecord:
    version: str
    staging: EventRecord | None
    production: EventRecord | None
    staging_hours: float | None
    production_approvers: tuple[Identity, ...]


@dataclass(frozen=True, slots=True)
class Implementation:
    ref: str
    coverage: str  # full or partial
    rationale: str


OPEN, ACCEPTED = "open", "accepted"  # a deviation's state


@dataclass(frozen=True, slots=True)
class FailureRecord:
    """One deviation a rule found, as its result lists it."""

    id: str  # DEV- and 12 hex digits: generator.evidence.deviations.deviation_id
    kind: str  # a deviation kind the rule declares
    sha: str | None
    items: tuple[str, ...]  # what it cites besides sha: more shas, document paths, event ids
    window: dict[str, Any] | None  # from_sha, to_sha, from, to, hours
    message: str
    state: str  # open or accepted
    exception: str | None  # the register entry accepting this deviation


@dataclass(frozen=True, slots=True)
class DeviationCounts:
    """A control's deviations, each counted once: open ones and those the register accepts."""

    open: int
    accepted: int


@dataclass(frozen=True, slots=True)
class DeviationRecord:
    """A deviation once, however many controls show it (evidence.json's ``deviations``)."""

    id: str
    kind: str
    rule: str  # the rule that found it (the first, in control order, if several did)
    message: str
    sha: str | None
    items: tuple[str, ...]
    window: dict[str, Any] | None
    controls: tuple[str, ...]  # the controls it shows under, sorted
    state: str  # open unless accepted wherever it shows
    exception: str | None  # the register entry accepting it (the first, if several)


@dataclass(frozen=True, slots=True)
class ResultRecord:
    """One evidence entry of a control: its rule's verdict."""

    rule: str
    params: dict[str, Any]
    status: Status
    reason: str
    figures: dict[str, Any]  # population, passed, failed
    cited: tuple[str, ...]
    failures: tuple[FailureRecord, ...]
    details: dict[str, Any]
    last_evidence: str | None
    documents: tuple[str, ...]  # the SHA-256 of each document version read (model.documents)
    # A rule that declares no deviation kinds can find none: its result reports figures only
    # and does not count towards the control's status (absent in packs written before it).
    informational: bool = False


@dataclass(frozen=True, slots=True)
class ControlRecord:
    id: str
    title: str
    description: str
    owner: str
    responsibility: str
    customer_part: str | None  # the customer's duties (ISO/IEC 27017 CLD.6.3.1); None: provider
    implements: tuple[Implementation, ...]
    # What the evidence shows and what it does not: a status is read no wider than this.
    proves: str
    does_not_prove: str
    status: Status
    deviations: DeviationCounts
    reason: str
    results: tuple[ResultRecord, ...]
    last_evidence: str | None


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """One version of an evidence document a rule read, once per pack, with what it records.

    ``sha256`` is over the file's bytes as stored: at ``commit`` in the repository (``git show
    <commit>:<path> | sha256sum``) or in the evidence folder (``commit`` is then None).
    """

    path: str
    source: str  # repository or evidence folder
    commit: str | None
    committed_at: str | None
    sha256: str
    bytes: int
    date: str | None  # when the test or review was performed (front matter)
    covers: PeriodRange | None = field(metadata={"json": "period"})
    result: str | None  # pass, pass_with_findings, fail; None: no result recorded
    performed_by: tuple[str, ...]
    approved_by: tuple[str, ...]
    scope: str | None
    problems: tuple[str, ...]  # why its front matter could not be read (located)
    controls: tuple[str, ...]  # the controls whose results read it
    # The commit that wrote this version (the last to change the file up to ``commit``) and who
    # git records as its author and committer; None in the evidence folder (no history). Keys
    # added later, so optional: a pack written before them reads with None ("not on record").
    changed_in: str | None = None
    author: Identity | None = None
    committer: Identity | None = None


@dataclass(frozen=True, slots=True)
class ExceptionRecord:
    """An entry of the exceptions register, its status in the period and what it accepted."""

    id: str
    rules: tuple[str, ...]  # the rule kinds whose failures it accepts
    control: str | None
    sha: str | None
    window: dict[str, Any] | None
    deviation: str | None  # the deviation id it names, DEV-...
    event: str | None  # the event uuid it names
    justification: str
    accepted_by: str
    ticket: str
    expires: str
    status: str  # active, expired or unused
    matched: tuple[str, ...]
    # The line the entry starts on in the register (inputs name the file), so an auditor can
    # trace what the pack cites to its source; absent (None) in packs written before it.
    line: int | None = None


@dataclass(frozen=True, slots=True)
class SoaRow:
    ref: str
    title: str
    theme: str | None
    applicable: bool
    decision: str  # implemented, inherited or excluded
    justification: str
    implemented_by: tuple[str, ...]
    responsibility: str | None
    coverage: str | None  # implemented: full if one control covers it fully, else partial
    status: Status | None  # None where nothing of ours operates the control
    last_evidence: str | None
    refs_2013: tuple[str, ...]
    # What the status was tested from, of "events" (meshStack's event log), "git" (the
    # configuration history) and "documents" (documents kept by hand); () where not judged.
    tested_from: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HistoryPart:
    """The history's sections of a model: what the release-note join reads, built alone."""

    installation: str
    period: PeriodRange
    source: SourceRecord
    environments: tuple[EnvironmentRecord, ...]
    changes: tuple[ChangeRecord, ...]
    releases: tuple[ReleaseRecord, ...]
    promotions: tuple[PromotionRecord, ...]


@dataclass(frozen=True, slots=True)
class EvidenceModel:
    schema_version: int
    tool: Tool
    installation: str
    period: PeriodRange
    source: SourceRecord
    cut_off: CutOffRecord
    environments: tuple[EnvironmentRecord, ...]
    reconciliation: ReconciliationRecord
    changes: tuple[ChangeRecord, ...]
    releases: tuple[ReleaseRecord, ...]
    promotions: tuple[PromotionRecord, ...]
    controls: tuple[ControlRecord, ...]
    deviations: tuple[DeviationRecord, ...]
    documents: tuple[DocumentRecord, ...]
    exceptions: tuple[ExceptionRecord, ...]
    soa: tuple[SoaRow, ...]
    sample: Sample
    changes_since: ChangesSince | None
    inputs: InputsRecord
    corrective_actions: tuple[CorrectiveActionRecord, ...]
    event_log: EventLogSection | None  # None: the installation has no meshStack event log


def assemble(
    history: HistoryPart,
    *,
    reconciliation: ReconciliationRecord,
    period: PeriodRange,
    cut_off: CutOffRecord,
    tool_version: str,
    controls: tuple[ControlRecord, ...],
    deviations: tuple[DeviationRecord, ...],
    exceptions: tuple[ExceptionRecord, ...],
    soa: tuple[SoaRow, ...],
    sample: Sample,
    inputs: InputsRecord,
    corrective_actions: tuple[CorrectiveActionRecord, ...] = (),
    changes_since: ChangesSince | None = None,
    event_log: EventLogSection | None = None,
    documents: tuple[DocumentRecord, ...] = (),
) -> EvidenceModel:
    return EvidenceModel(
        schema_version=SCHEMA_VERSION,
        tool=Tool("meshcomply", tool_version),
        installation=history.installation,
        period=period,
        source=history.source,
        cut_off=cut_off,
        environments=history.environments,
        reconciliation=reconciliation,
        changes=history.changes,
        releases=history.releases,
        promotions=history.promotions,
        controls=controls,
        deviations=deviations,
        documents=documents,
        exceptions=exceptions,
        soa=soa,
        sample=sample,
        changes_since=changes_since,
        inputs=inputs,
        corrective_actions=corrective_actions,
        event_log=event_log,
    )


def fields_of(record: Any) -> dict[str, Any]:
    """A record's fields by name (shallow): for views that add keys of their own to a record."""
    return {name: getattr(record, name) for name in record.__slots__}
