"""What the PDF and the portal show of meshStack's event log, from the evidence model alone.

Plain values for the templates: the export read, each event population with its sample's
events, and the events behind each deviation (with the deviation's kind and message). Strings
from the model reach the templates unchanged; the templates escape them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from generator.evidence.model import EvidenceModel, fields_of

# What a SoA row's status was tested from (SoaRow.tested_from), in words.
TESTED_FROM = {"events": "meshStack event log", "git": "git history", "documents": "documents"}


def tested_from_text(bases: tuple[str, ...] | list[str]) -> str:
    """``meshStack event log, git history``: a row's ``tested_from`` for a person."""
    return ", ".join(TESTED_FROM.get(basis, basis) for basis in bases)


def event_log_view(model: EvidenceModel) -> dict[str, Any] | None:
    """None when the pack has no event log."""
    section = model.event_log
    if section is None:
        return None
    by_uuid = {event.uuid: event for event in section.events}
    behind: list[dict[str, Any]] = []
    per_population: Counter[tuple[str, str]] = Counter()
    for deviation in model.deviations:
        cited = [uuid for uuid in deviation.items if uuid in by_uuid]
        if not cited:
            continue
        for control in deviation.controls:
            per_population[(deviation.rule, control)] += 1
        for uuid in cited:
            behind.append(
                {
                    **fields_of(by_uuid[uuid]),
                    "rule": deviation.rule,
                    "deviation_id": deviation.id,
                    "deviation_kind": deviation.kind,
                    "deviation": deviation.message,
                    "state": deviation.state,
                }
            )
    populations = []
    for population in section.populations:
        deviations = max(
            (per_population[(population.rule, c)] for c in population.controls), default=0
        )
        populations.append(
            {
                **fields_of(population),
                "deviations": deviations,
                "sample_rows": [fields_of(by_uuid[u]) for u in population.sample if u in by_uuid],
            }
        )
    return {
        **fields_of(section),
        "populations": populations,
        "deviation_events": behind,
    }
