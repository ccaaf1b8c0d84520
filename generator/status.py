"""The status vocabulary: one enum for every status a rule, control or SoA row can have.

The members are strings (``StrEnum``), so they are written to evidence.json, compared with and
shown in templates exactly like the words they stand for. Each member carries the words a person
reads (``label``) and one sentence saying what it means (``meaning``): the PDF, the portal, the
CLI, OSCAL and the docs take them from here and nowhere else, so they cannot say different things.

The tool reports test results, never a conclusion such as "effective": that is the auditor's.
Declaration order is the order statuses are listed in (summaries, tables); ``rank`` is their
strength, used by every roll-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Status(StrEnum):
    NO_DEVIATIONS = "no_deviations"
    DEVIATIONS = "deviations"
    DESIGN_ONLY = "design_only"
    NOT_TESTED = "not_tested"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        """The words a person reads for this status (PDF, portal, CLI)."""
        return _LABELS[self]

    @property
    def meaning(self) -> str:
        """One sentence saying what this status means."""
        return _MEANINGS[self]

    @property
    def rank(self) -> int:
        """Strength, weakest first: deviations < not_tested < design_only < no_deviations.

        ``not_applicable`` ranks above all: a roll-up is not applicable only if every part is.
        """
        return _RANK[self]

    @classmethod
    def parse(cls, value: object) -> Status | None:
        """The member named by ``value`` (a member or its word), else None."""
        if isinstance(value, cls):
            return value
        return cls._value2member_map_.get(value) if isinstance(value, str) else None  # type: ignore[return-value]


_LABELS = {
    Status.NO_DEVIATIONS: "No deviations found",
    Status.DEVIATIONS: "Deviations found",
    Status.DESIGN_ONLY: "Design only",
    Status.NOT_TESTED: "Not tested",
    Status.NOT_APPLICABLE: "Not applicable",
}
_MEANINGS = {
    Status.NO_DEVIATIONS: (
        "The rules tested the whole population of the period and found no deviation."
    ),
    Status.DEVIATIONS: (
        "The rules found at least one deviation; each is listed, either accepted in the "
        "exceptions register or open."
    ),
    Status.DESIGN_ONLY: (
        "A current document shows the control is designed; nothing tested that it operated "
        "in the period."
    ),
    Status.NOT_TESTED: (
        "The control could not be tested: there was no data for the period, or a rule could "
        "not run (the reason says which)."
    ),
    Status.NOT_APPLICABLE: "Excluded in the Statement of Applicability.",
}
_RANK = {
    Status.DEVIATIONS: 0,
    Status.NOT_TESTED: 1,
    Status.DESIGN_ONLY: 2,
    Status.NO_DEVIATIONS: 3,
    Status.NOT_APPLICABLE: 4,
}
# Weakest first: the order a summary looks for the worst status in.
BY_RANK = tuple(sorted(Status, key=lambda s: s.rank))


def weakest(statuses: Iterable[Status | str | None]) -> Status:
    """The roll-up of statuses; ``not_tested`` for none (missing evidence is never a pass).

    ``None`` entries (rows with no status of their own) are skipped.
    """
    given = [Status(s) for s in statuses if s is not None]
    if not given:
        return Status.NOT_TESTED
    return min(given, key=_RANK.__getitem__)
