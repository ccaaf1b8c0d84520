"""The verdict vocabulary: one enum for every status a rule, control or SoA row can have.

The members are strings (``StrEnum``), so they are written to evidence.json, compared with and
shown in templates exactly like the words they stand for. Declaration order is the order statuses
are listed in (summaries, tables); ``rank`` is their strength, used by every roll-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Status(StrEnum):
    EFFECTIVE = "effective"
    EXCEPTION = "exception"
    NOT_EVIDENCED = "not_evidenced"
    NOT_APPLICABLE = "not_applicable"

    @property
    def rank(self) -> int:
        """Strength, weakest first: ``not_evidenced`` < ``exception`` < ``effective``.

        ``not_applicable`` ranks above all: a roll-up is not applicable only if every part is.
        """
        return _RANK[self]

    @property
    def is_finding(self) -> bool:
        """A status an auditor follows up (``exception`` or ``not_evidenced``)."""
        return self in FINDINGS

    @classmethod
    def parse(cls, value: object) -> Status | None:
        """The member named by ``value`` (a member or its word), else None."""
        if isinstance(value, cls):
            return value
        return cls._value2member_map_.get(value) if isinstance(value, str) else None  # type: ignore[return-value]


_RANK = {
    Status.NOT_EVIDENCED: 0,
    Status.EXCEPTION: 1,
    Status.EFFECTIVE: 2,
    Status.NOT_APPLICABLE: 3,
}
FINDINGS = (Status.EXCEPTION, Status.NOT_EVIDENCED)
# Weakest first: the order a gate or a summary looks for the worst status in.
BY_RANK = tuple(sorted(Status, key=lambda s: s.rank))


def weakest(statuses: Iterable[Status | str | None]) -> Status:
    """The roll-up of statuses; ``not_evidenced`` for none (missing evidence is never a pass).

    ``None`` entries (rows with no status of their own) are skipped.
    """
    given = [Status(s) for s in statuses if s is not None]
    if not given:
        return Status.NOT_EVIDENCED
    return min(given, key=_RANK.__getitem__)
