"""Records of the evidence model about the audit itself: the period, the auditor's sample,
the comparison with the previous pack, the inputs with their hashes, the corrective actions and
the meshStack event log section. ``generator.evidence.model`` re-exports them; see its
docstring for what every record of the model promises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.status import Status


@dataclass(frozen=True, slots=True)
class PeriodRange:
    """The audit period as ISO dates (written as ``from`` and ``to``)."""

    start: str = field(metadata={"json": "from"})
    end: str = field(metadata={"json": "to"})


@dataclass(frozen=True, slots=True)
class SampleBand:
    max: int | None
    size: int


@dataclass(frozen=True, slots=True)
class SampleAttribute:
    """A test attribute: what the auditor verifies on each sampled change, and for what controls."""

    name: str
    check: str
    controls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SamplePopulation:
    environment: str
    population: int
    size: int
    whole: bool  # the population is no larger than its sample size: the sample is the population
    attributes: tuple[SampleAttribute, ...]
    shas: tuple[str, ...]
    # In words: which attributes meshcomply tested on every change, and what the sample is for
    # (none is drawn where no control tests the changes one by one).
    tested: str


@dataclass(frozen=True, slots=True)
class Sample:
    seed: str
    seed_by: str | None  # who supplied the seed on the command line; None: the audited party
    seed_basis: str  # where the seed comes from, and whether the audited party could know it
    method: str
    table: tuple[SampleBand, ...]
    table_basis: str  # where the size table comes from and what it rests on
    populations: tuple[SamplePopulation, ...]


@dataclass(frozen=True, slots=True)
class PreviousPack:
    period: PeriodRange
    head: str


@dataclass(frozen=True, slots=True)
class StatusChange:
    id: str
    title: str
    before: Status
    after: Status


@dataclass(frozen=True, slots=True)
class MappingChange:
    id: str
    change: str  # added, removed or mapping
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DecisionChange:
    ref: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class ChangesSince:
    previous: PreviousPack
    status_changes: tuple[StatusChange, ...]
    new_exceptions: tuple[str, ...]
    mapping_changes: tuple[MappingChange, ...]
    decision_changes: tuple[DecisionChange, ...]


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file the verdicts came from, with its SHA-256 (see evidence/inputs.py)."""

    kind: str  # config, controls, exceptions, findings, signing keys, document, ...
    path: str  # relative to meshcomply.yml's folder; a controls file: to the library folder
    sha256: str
    bytes: int


@dataclass(frozen=True, slots=True)
class InputsRecord:
    library: str  # "built-in" (shipped with meshcomply) or its folder, as files' paths are
    files: tuple[InputFile, ...]


@dataclass(frozen=True, slots=True)
class CorrectiveActionRecord:
    """An entry of the findings register (evidence/findings.py) and how it stands in the pack."""

    deviation: str  # the deviation's id, DEV- and 12 hex digits
    root_cause: str
    action: str
    owner: str
    due: str  # ISO date: due by the end of that day
    state: str  # open, in_progress or done
    ticket: str | None
    overdue: bool  # not done, and due before the build date (else the cut-off)
    matched: bool  # the deviation is one of this pack's
    # The line the entry starts on in the register (inputs name the file), so an auditor can
    # trace what the pack cites to its source; absent (None) in packs written before it.
    line: int | None = None


@dataclass(frozen=True, slots=True)
class MeshEventRecord:
    """One meshStack event a rule judged or a deviation cites (the export holds all of them)."""

    uuid: str
    created_at: str  # UTC, as the export writes it
    title: str
    event_type: str
    author_type: str
    author: str
    workspace: str | None
    description: str


@dataclass(frozen=True, slots=True)
class EventPopulation:
    """The events one event rule judged (under the controls mapping it with the same params),
    and the seeded sample an auditor re-performs the rule on."""

    rule: str
    params: dict[str, Any]
    controls: tuple[str, ...]
    population: int
    size: int
    uuids: tuple[str, ...]  # every member, by (created_at, uuid)
    sample: tuple[str, ...]  # in rank order


@dataclass(frozen=True, slots=True)
class EventLogSection:
    """meshStack's event log as the pack judged it: the export read, populations and samples."""

    export: str  # the export file's name
    sha256: str
    url: str  # the endpoint the events were collected from
    collected_at: str
    count: int  # events in the export
    complete: bool  # False: part of the period is older than the retention (gaps)
    gaps: tuple[str, ...]
    reproduce: str  # the API request that fetches the export's events again
    method: str  # how the samples are drawn
    populations: tuple[EventPopulation, ...]
    events: tuple[MeshEventRecord, ...]  # every event in a population or a deviation
