"""What changed since the previous period's pack: statuses, exceptions and mappings.

The previous pack is read only through its evidence.json (schema-checked, as the typed model),
exactly as a renderer would read it: with its long lists left in the file (``streamread``),
which the comparison never reads: a previous pack of a long history is not held whole.
"""

from __future__ import annotations

from pathlib import Path

from generator.evidence.model import (
    ChangesSince,
    ControlRecord,
    DecisionChange,
    EvidenceModel,
    MappingChange,
    PreviousPack,
    StatusChange,
)
from generator.evidence.streamread import read_stored_model


def load_previous(pack_dir: Path) -> EvidenceModel:
    """The previous pack's model; InputError naming the file for a missing or invalid one."""
    return read_stored_model(pack_dir / "evidence.json")


def _refs(control: ControlRecord) -> set[str]:
    return {item.ref for item in control.implements}


def compare(previous: EvidenceModel, current: EvidenceModel) -> ChangesSince:
    """The ``changes_since`` section of the current model."""
    before = {c.id: c for c in previous.controls}
    after = {c.id: c for c in current.controls}
    status_changes = tuple(
        StatusChange(cid, after[cid].title, before[cid].status, after[cid].status)
        for cid in sorted(before.keys() & after.keys())
        if before[cid].status != after[cid].status
    )
    mapping_changes = []
    for cid in sorted(before.keys() | after.keys()):
        old, new = before.get(cid), after.get(cid)
        if old is None or new is None:
            change = "added" if old is None else "removed"
            mapping_changes.append(MappingChange(cid, change, (), ()))
            continue
        added, removed = sorted(_refs(new) - _refs(old)), sorted(_refs(old) - _refs(new))
        if added or removed:
            mapping_changes.append(MappingChange(cid, "mapping", tuple(added), tuple(removed)))
    old_soa = {row.ref: row.decision for row in previous.soa}
    decision_changes = tuple(
        DecisionChange(row.ref, old_soa[row.ref], row.decision)
        for row in current.soa
        if row.ref in old_soa and old_soa[row.ref] != row.decision
    )
    known_exceptions = {e.id for e in previous.exceptions}
    return ChangesSince(
        previous=PreviousPack(previous.period, previous.source.head),
        status_changes=status_changes,
        new_exceptions=tuple(
            sorted(e.id for e in current.exceptions if e.id not in known_exceptions)
        ),
        mapping_changes=tuple(mapping_changes),
        decision_changes=decision_changes,
    )
