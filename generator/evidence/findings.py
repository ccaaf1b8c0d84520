"""The findings register: corrective actions for open deviations (ISO/IEC 27001 clause 10.2).

Beside the exceptions register (deviations someone accepted), an installation may keep a
findings register: for a deviation the pack lists (by its id, ``DEV-`` and 12 hex digits), the
root cause, the corrective action, its owner, when it is due and its state. The pack lists each
entry with whether it matched a deviation of the pack and whether it is overdue; an open
deviation without an entry shows "no corrective action recorded".

An entry is overdue when it is not done and its due date is before the build date
(``SOURCE_DATE_EPOCH``) or, without one, before the pack's cut-off: so the same inputs give the
same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.catalog import display_path as shown_path
from generator.errors import InputError, Problem, raise_if
from generator.evidence.model import CorrectiveActionRecord, DeviationRecord, EvidenceModel
from generator.validate import load_schema, schema_problems
from generator.yamlio import Document, load_yaml

STATES = ("open", "in_progress", "done")
DONE = "done"
# The words a person reads for each state of a corrective action (PDF, portal).
STATE_LABELS = {"open": "open", "in_progress": "in progress", "done": "done"}
NO_ACTION = "no corrective action recorded"  # an open deviation without a register entry
_DATE_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class CorrectiveAction:
    deviation: str  # DEV-<12 hex>
    root_cause: str
    action: str
    owner: str
    due: dt.date
    state: str  # open, in_progress or done
    ticket: str | None
    path: str
    line: int

    def overdue(self, as_of: dt.date) -> bool:
        return self.state != DONE and self.due < as_of


@dataclass(frozen=True)
class FindingsRegister:
    entries: tuple[CorrectiveAction, ...] = ()
    path: str | None = None

    def for_deviation(self, deviation: str) -> CorrectiveAction | None:
        return next((e for e in self.entries if e.deviation == deviation), None)


def load_findings(path: Path, display_path: str | None = None) -> FindingsRegister:
    """Read and check an installation's findings register; InputError listing every problem.

    Every problem of the file at once, located: the schema's, dates that are not calendar dates,
    and a deviation named twice.
    """
    shown = display_path or shown_path(path)
    document = load_yaml(path, shown, recover=True)
    if document.data is None:
        raise InputError([Problem(shown, 1, 1, "the register is empty: write 'findings: []'")])
    problems = schema_problems(document, load_schema("findings"))
    items = document.data.get("findings") if isinstance(document.data, dict) else None
    entries: list[CorrectiveAction] = []
    first_line: dict[str, int] = {}
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue  # the schema said what it should be
        line = document.where(("findings", i))[0]
        deviation = item.get("deviation")
        if isinstance(deviation, str) and deviation in first_line:
            message = (
                f"deviation {deviation} has a corrective action already (line "
                f"{first_line[deviation]}): one entry per deviation"
            )
            problems.append(document.problem(("findings", i, "deviation"), message))
            continue
        if isinstance(deviation, str):
            first_line[deviation] = line
        entry = _entry(document, i, item, line, problems)
        if entry is not None:
            entries.append(entry)
    raise_if(problems)
    return FindingsRegister(tuple(entries), shown)


def _entry(
    document: Document, i: int, item: dict[str, Any], line: int, problems: list[Problem]
) -> CorrectiveAction | None:
    """The entry, or None when it has problems (the date's noted here, the rest by the schema)."""
    due_text = item.get("due")
    due = None
    if isinstance(due_text, str) and _DATE_FORM.fullmatch(due_text):
        try:
            due = dt.date.fromisoformat(due_text)
        except ValueError:
            problems.append(
                document.problem(("findings", i, "due"), f"{due_text} is not a calendar date")
            )
    texts = [item.get(key) for key in ("deviation", "root_cause", "action", "owner")]
    if due is None or item.get("state") not in STATES:
        return None
    if not all(isinstance(text, str) and text.strip() for text in texts):
        return None
    ticket = item.get("ticket")
    return CorrectiveAction(
        deviation=item["deviation"],
        root_cause=item["root_cause"].strip(),
        action=item["action"].strip(),
        owner=item["owner"].strip(),
        due=due,
        state=item["state"],
        ticket=ticket.strip() if isinstance(ticket, str) else None,
        path=document.path,
        line=line,
    )


def corrective_action_records(
    register: FindingsRegister, deviations: set[str], as_of: dt.date
) -> tuple[CorrectiveActionRecord, ...]:
    """evidence.json's ``corrective_actions``: every entry, in register order, with whether its
    deviation is one of the pack's (``deviations``: their ids) and whether it is overdue."""
    return tuple(
        CorrectiveActionRecord(
            deviation=entry.deviation,
            root_cause=entry.root_cause,
            action=entry.action,
            owner=entry.owner,
            due=entry.due.isoformat(),
            state=entry.state,
            ticket=entry.ticket,
            overdue=entry.overdue(as_of),
            matched=entry.deviation in deviations,
            line=entry.line,
        )
        for entry in register.entries
    )


def as_of(built_at: str | None, evaluated_to: str) -> dt.date:
    """The day overdue is judged on: the build date when recorded, else the cut-off."""
    return dt.date.fromisoformat((built_at or evaluated_to)[:10])


class OpenDeviations:
    """The model's open deviations, each with its corrective action (or None), in the model's
    order: counted once, gone through again when shown, never all held (a long history has tens
    of thousands, which the site step leaves in evidence.json: evidence/streamread.py)."""

    def __init__(
        self,
        deviations: Iterable[DeviationRecord],
        by_deviation: dict[str, CorrectiveActionRecord],
        count: int,
    ) -> None:
        self._deviations, self._by_deviation, self._count = deviations, by_deviation, count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[tuple[DeviationRecord, CorrectiveActionRecord | None]]:
        for deviation in self._deviations:
            if deviation.state == "open":
                yield deviation, self._by_deviation.get(deviation.id)


@dataclass(frozen=True)
class ActionsView:
    """What the PDF and the portal show of the findings register, from the model alone."""

    open: OpenDeviations  # open ones, their action
    other: list[tuple[CorrectiveActionRecord, str]]  # entries for no open deviation, and why
    as_of: str  # the day overdue is judged on
    as_of_basis: str  # which day that is, in words
    overdue: int  # open deviations whose action is overdue
    missing: int  # open deviations without a corrective action
    by_deviation: dict[str, CorrectiveActionRecord]  # the register's entries by deviation id
    # The findings register's file as the pack's inputs name it ("" when they do not); None:
    # none was provided, so pages say so instead of speaking of a register's entries.
    register: str | None = None

    def listed(self, limit: int) -> list[tuple[DeviationRecord, CorrectiveActionRecord | None]]:
        """The open deviations a corrective actions list shows, in order: every one with an
        action (the register is written by hand) and the first `limit` without one; a long
        history's thousands more are only in deviations.csv."""
        without = 0
        rows = []
        for deviation, action in self.open:
            if action is None:
                without += 1
                if without > limit:
                    continue
            rows.append((deviation, action))
        return rows


def actions_view(model: EvidenceModel) -> ActionsView:
    """Each open deviation of the model with its corrective action (or None), in the model's
    order, and the register's other entries: for an accepted deviation or none of this pack."""
    by_deviation = {action.deviation: action for action in model.corrective_actions}
    count = overdue = missing = 0
    states: dict[str, str] = {}  # of the deviations the register names
    for deviation in model.deviations:
        action = by_deviation.get(deviation.id)
        if action is not None:
            states[deviation.id] = deviation.state
        if deviation.state == "open":
            count += 1
            missing += action is None
            overdue += action is not None and action.overdue
    other = []
    for action in model.corrective_actions:
        state = states.get(action.deviation)
        if state == "open":
            continue
        why = (
            "its deviation is accepted in the exceptions register"
            if state is not None
            else "no deviation of this pack has this id"
        )
        other.append((action, why))
    return ActionsView(
        open=OpenDeviations(model.deviations, by_deviation, count),
        other=other,
        as_of=as_of(model.cut_off.built_at, model.cut_off.evaluated_to).isoformat(),
        as_of_basis=(
            "the build date, SOURCE_DATE_EPOCH"
            if model.cut_off.built_at
            else "the cut-off: no build date is recorded without SOURCE_DATE_EPOCH"
        ),
        overdue=overdue,
        missing=missing,
        by_deviation=by_deviation,
        # A pack listing actions without the register among its inputs: unnamed, never "none".
        register=register_path(model, "findings") or ("" if model.corrective_actions else None),
    )


def entry_source(register: str | None, line: int | None) -> str:
    """Where a register entry is written, for a person to trace a cited entry to its source:
    ``acme-exceptions.yml:3``; the file alone for a pack written before entries kept their line,
    ``line 3`` where the pack's inputs do not name the file, "" where neither is known."""
    if line is None:
        return register or ""
    return f"{register}:{line}" if register else f"line {line}"


def register_path(model: EvidenceModel, kind: str) -> str | None:
    """The file of a register the pack was built from (``findings``, ``exceptions``), as its
    inputs record it; None when the installation provided none. Pages name it, so a register's
    entries are shown as that file's words, not as what meshcomply found."""
    return next((f.path for f in model.inputs.files if f.kind == kind), None)
