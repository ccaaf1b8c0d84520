"""The Statement of Applicability with implementation status, for evidence.json's ``soa``.

``generator.coverage.soa_rows`` decides each Annex A and ISO/IEC 27017 control (implemented,
inherited or excluded); this adds what the period's evaluation says. An implemented row's status
is the weakest of its implementing controls' statuses and its ``last_evidence`` the newest of
theirs, and ``tested_from`` says whether that status was tested from data (meshStack's event
log, the git history) or from documents. An excluded row is ``not_applicable``, the one place
that status is used. Inherited rows have no status (null): nothing of ours operates them, so
there is nothing of ours to judge, and a made-up status would read as a finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from generator.errors import BuildError
from generator.evidence.evaluate import ControlEvaluation, newest
from generator.evidence.model import SoaRow
from generator.evidence.registry import all_rules
from generator.status import Status, weakest

_FIELDS = (
    "ref",
    "title",
    "theme",
    "decision",
    "justification",
    "implemented_by",
    "responsibility",
    "coverage",
    "refs_2013",
)


def _row_fields(row: Any) -> dict[str, Any]:
    if isinstance(row, Mapping):
        return {name: row[name] for name in _FIELDS}
    return {name: getattr(row, name) for name in _FIELDS}


BASES = ("events", "git", "documents")  # Rule.reads values, in the order a row lists them


def tested_from(evaluations: Iterable[ControlEvaluation]) -> tuple[str, ...]:
    """What the controls' rules tested from (their ``Rule.reads``), in ``BASES`` order."""
    rules = all_rules()
    found = {
        basis
        for evaluation in evaluations
        for evidence in evaluation.results
        if not evidence.informational  # figures only: the status was not tested from them
        for basis in getattr(rules.get(evidence.spec.kind), "reads", ("git",))
    }
    return tuple(basis for basis in BASES if basis in found)


def soa_rows(
    library_rows: Iterable[Any], evaluations: Iterable[ControlEvaluation]
) -> tuple[SoaRow, ...]:
    """One record per SoA row, in the order given (catalog order), keys in evidence.json order.

    ``library_rows`` are ``generator.coverage.SoaRow`` objects (or dicts with the same keys).
    """
    by_id = {e.id: e for e in evaluations}
    records = []
    for row in library_rows:
        fields = _row_fields(row)
        implemented_by = list(fields["implemented_by"])
        missing = [cid for cid in implemented_by if cid not in by_id]
        if missing:
            verb = "was" if len(missing) == 1 else "were"
            raise BuildError(
                f"Statement of Applicability: {fields['ref']} is implemented by "
                f"{', '.join(missing)}, which {verb} not evaluated"
            )
        implementing = [by_id[cid] for cid in implemented_by]
        decision = fields["decision"]
        status = (
            weakest(e.status for e in implementing)
            if decision == "implemented"
            else Status.NOT_APPLICABLE
            if decision == "excluded"
            else None
        )
        records.append(
            SoaRow(
                ref=fields["ref"],
                title=fields["title"],
                theme=fields["theme"],
                applicable=fields["decision"] != "excluded",
                decision=fields["decision"],
                justification=fields["justification"],
                implemented_by=tuple(implemented_by),
                responsibility=fields["responsibility"],
                coverage=fields["coverage"],
                status=status,
                last_evidence=newest(e.last_evidence for e in implementing),
                refs_2013=tuple(fields["refs_2013"]),
                tested_from=tested_from(implementing) if decision == "implemented" else (),
            )
        )
    return tuple(records)
