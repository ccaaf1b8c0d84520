"""``--fail-on``: when a build's findings fail a CI job, on the status vocabulary.

Each choice names what fails the job; they widen in order. ``open`` counts deviations no
accepted exception covers; the others follow the statuses' strength (generator/status.py): a
control at that status or weaker fails. Deviations are counted from the model's top-level
``deviations``, so one shown under two controls counts once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from generator.evidence.model import DeviationCounts
from generator.status import Status

# choice -> what fails the job (the CLI's help and docs/cli.md say the same)
FAIL_ON = {
    "open": "an open deviation (one no accepted exception covers)",
    "deviations": "any deviation, open or accepted",
    "not_tested": "any deviation, or a control not tested",
    "design_only": "any deviation, a control not tested, or one resting on a document alone",
}
_STATUSES = {
    "deviations": (Status.DEVIATIONS,),
    "not_tested": (Status.DEVIATIONS, Status.NOT_TESTED),
    "design_only": (Status.DEVIATIONS, Status.NOT_TESTED, Status.DESIGN_ONLY),
}


@dataclass(frozen=True)
class PackCounts:
    """What the gate and the CLI's summary line read of one pack."""

    statuses: Mapping[str, int]  # controls per status
    deviations: DeviationCounts  # each deviation once


def counts_text(counts: PackCounts) -> str:
    """``No deviations found: 20, Deviations found: 3, ...; deviations: 2 open, 1 accepted``."""
    controls = ", ".join(
        f"{Status(status).label}: {n}" for status, n in counts.statuses.items() if n
    )
    found = counts.deviations
    return f"controls: {controls}; deviations: {found.open} open, {found.accepted} accepted"


def gate_failure(fail_on: str, packs: Iterable[PackCounts]) -> str | None:
    """Why the gate fails the job (a sentence), None when it passes."""
    packs = list(packs)
    open_ = sum(p.deviations.open for p in packs)
    accepted = sum(p.deviations.accepted for p in packs)
    if fail_on == "open":
        return f"{open_} open deviation{'s' if open_ != 1 else ''}" if open_ else None
    failing = {
        status: sum(p.statuses.get(status, 0) for p in packs) for status in _STATUSES[fail_on]
    }
    parts = [
        f"{n} control{'s' if n != 1 else ''} {Status(s).label.lower()}"
        for s, n in failing.items()
        if n
    ]
    if not parts:
        return None
    if open_ or accepted:
        parts.append(f"deviations: {open_} open, {accepted} accepted")
    return "; ".join(parts)
