"""The exceptions register: deviations someone accountable accepted, per installation.

An entry accepts failures of one rule kind, or of each rule kind it lists (optionally of one
control), at one commit, within a window of whole UTC days, as one deviation named by its id
(``DEV-`` and 12 hex digits, stable across packs) or as the deviations citing one event (by its
uuid): event deviations have no commit. An emergency change that is an unapproved change, a direct
push and a configuration change that skipped staging is one decision, and one entry can say it
accepts all three. An accepted failure stays a failure: its result and control keep the status
``exception``, and the pack shows the entry next to it. Entries whose expiry date is before the
period end are listed as ``expired`` and accept nothing; active entries that match no failure are
listed as ``unused``, so a register cannot quietly accumulate stale acceptances.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.catalog import display_path as shown_path
from generator.errors import InputError, Problem, raise_if
from generator.evidence.context import HistoryLike
from generator.evidence.model import ExceptionRecord
from generator.evidence.registry import Failure, all_rules
from generator.timewords import utc
from generator.validate import load_schema, schema_problems
from generator.yamlio import Document, load_yaml

ACTIVE, EXPIRED, UNUSED = "active", "expired", "unused"


@dataclass(frozen=True)
class RegisteredException:
    id: str
    rules: tuple[str, ...]  # the rule kinds whose failures it accepts
    control: str | None
    sha: str | None  # the full sha
    window: tuple[dt.date, dt.date] | None  # inclusive UTC days
    deviation: str | None  # a deviation id, DEV- and 12 hex digits
    event: str | None  # an event uuid a deviation cites
    justification: str
    accepted_by: str
    ticket: str
    expires: dt.date
    status: str  # active | expired, as of the period end
    path: str
    line: int
    at: tuple[int, int] = (1, 1)  # where the deviation or event is written (line, column)

    def _window_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        assert self.window is not None
        first, last = self.window
        start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
        return start, dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)

    def covers(self, rule: str, control: str, failure: Failure, commit_date: str | None) -> bool:
        """Whether this (active) entry accepts a failure of a rule of a control."""
        if self.status != ACTIVE or rule not in self.rules:
            return False
        if self.control is not None and self.control != control:
            return False
        if self.sha is not None:
            return failure.sha == self.sha
        if self.deviation is not None:
            return failure.id == self.deviation
        if self.event is not None:
            return self.event in failure.items
        start, end = self._window_bounds()
        if failure.window:
            failed_from, failed_to = utc(failure.window["from"]), utc(failure.window["to"])
            if failed_from == failed_to:
                return start <= failed_from < end
            return failed_from < end and start < failed_to
        if commit_date:
            return start <= utc(commit_date) < end
        return False

    def record(self) -> dict[str, Any]:
        """The entry as evidence.json lists it (``status`` and ``matched`` added by the report)."""
        window = None
        if self.window:
            window = {"from": self.window[0].isoformat(), "to": self.window[1].isoformat()}
        return {
            "id": self.id,
            "rules": self.rules,
            "control": self.control,
            "sha": self.sha,
            "window": window,
            "deviation": self.deviation,
            "event": self.event,
            "justification": self.justification,
            "accepted_by": self.accepted_by,
            "ticket": self.ticket,
            "expires": self.expires.isoformat(),
            "line": self.line,
        }


@dataclass(frozen=True)
class ExceptionsRegister:
    entries: tuple[RegisteredException, ...] = ()
    path: str | None = None

    def accepting(
        self, rule: str, control: str, failure: Failure, commit_date: str | None
    ) -> RegisteredException | None:
        """The first active entry, in register order, that accepts the failure."""
        return next(
            (e for e in self.entries if e.covers(rule, control, failure, commit_date)), None
        )

    def check_references(self, found: Iterable[tuple[str, str, tuple[str, ...]]]) -> None:
        """InputError, at the file and line, for an active entry naming a deviation id or an
        event no deviation of this pack has (or only a deviation of a rule it does not list).
        `found` gives each failure of the pack as (rule, deviation id, the items it cites)."""
        if not any(e.status == ACTIVE and (e.deviation or e.event) for e in self.entries):
            return  # nothing names a deviation or an event: no ids to compute
        rules_of: dict[str, set[str]] = {}
        for rule, ident, items in found:
            rules_of.setdefault(ident, set()).add(rule)
            for item in items:
                rules_of.setdefault(item, set()).add(rule)
        problems = []
        for entry in self.entries:
            named = entry.deviation or entry.event
            if entry.status != ACTIVE or named is None:
                continue
            what = f"deviation {named}" if entry.deviation else f"event {named}"
            rules = rules_of.get(named)
            if rules is None:
                cited = (
                    "no deviation of this pack has that id"
                    if entry.deviation
                    else ("no deviation of this pack cites it")
                )
                message = (
                    f"exception {entry.id}: unknown {what}: {cited} (the pack's deviations list "
                    "their ids and the events they cite)"
                )
            elif rules.isdisjoint(entry.rules):
                message = (
                    f"exception {entry.id}: {what} is a deviation of {', '.join(sorted(rules))}, "
                    f"a rule the entry does not list ({', '.join(entry.rules)})"
                )
            else:
                continue
            problems.append(Problem(entry.path, *entry.at, message))
        raise_if(problems)

    def check_controls(self, control_ids: Iterable[str]) -> None:
        """InputError for entries naming a control the library does not have."""
        known = set(control_ids)
        raise_if(
            Problem(e.path, e.line, 1, f"exception {e.id}: unknown control '{e.control}'")
            for e in self.entries
            if e.control is not None and e.control not in known
        )


def load_exceptions(
    path: Path,
    history: HistoryLike,
    display_path: str | None = None,
    control_ids: Iterable[str] | None = None,
) -> ExceptionsRegister:
    """Read and check an installation's register; InputError listing every problem found.

    Every problem of the file at once: what the schema says, and the checks it cannot make
    (rules, commits, dates, and with `control_ids` the controls) on every entry it leaves
    readable enough, so fixing the first problems never reveals more.
    """
    shown = display_path or shown_path(path)
    document = load_yaml(path, shown, recover=True)
    if document.data is None:
        raise InputError([Problem(shown, 1, 1, "the register is empty: write 'exceptions: []'")])
    problems = schema_problems(document, load_schema("exceptions"))
    items = document.data.get("exceptions") if isinstance(document.data, dict) else None
    entries: list[RegisteredException] = []
    first_line: dict[str, int] = {}
    known_controls = None if control_ids is None else set(control_ids)
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue  # the schema said what it should be
        line = document.where(("exceptions", i))[0]
        item_id = item.get("id")
        if isinstance(item_id, str) and item_id in first_line:
            problems.append(
                document.problem(
                    ("exceptions", i, "id"),
                    f"duplicate exception id '{item_id}' (first defined on line "
                    f"{first_line[item_id]})",
                )
            )
            continue
        if isinstance(item_id, str):
            first_line[item_id] = line
        entry = _entry(document, i, item, history, line, problems)
        control = item.get("control")
        if (
            known_controls is not None
            and isinstance(control, str)
            and control not in known_controls
        ):
            message = f"exception {item_id}: unknown control '{control}'"
            problems.append(document.problem(("exceptions", i, "control"), message))
        if entry is not None:
            entries.append(entry)
    raise_if(problems)
    return ExceptionsRegister(tuple(entries), shown)


_SCOPES = ("sha", "window", "deviation", "event")
_DATE_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SHA_FORM = re.compile(r"[0-9a-fA-F]{7,40}")


def _date(
    document: Document, at: tuple[str | int, ...], text: Any, problems: list[Problem]
) -> dt.date | None:
    if not isinstance(text, str) or not _DATE_FORM.fullmatch(text):
        return None  # the schema reported it
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(document.problem(at, f"{text} is not a calendar date"))
        return None


def _entry(
    document: Document,
    i: int,
    item: dict[str, Any],
    history: HistoryLike,
    line: int,
    problems: list[Problem],
) -> RegisteredException | None:
    """The entry, or None when it has problems (all of them noted, the schema's included)."""
    at = ("exceptions", i)
    before = len(problems)
    rules = all_rules()
    rule = item.get("rule")
    written = [((*at, "rule"), rule)] if isinstance(rule, str) else []
    if isinstance(rule, list):
        written = [((*at, "rule", n), kind) for n, kind in enumerate(rule)]
    for where, kind in written:  # a repeated one is the schema's (uniqueItems)
        if isinstance(kind, str) and kind and kind not in rules:
            known = ", ".join(rules)
            problems.append(document.problem(where, f"unknown rule '{kind}' (known: {known})"))
    if sum(key in item for key in _SCOPES) != 1:
        problems.append(
            document.problem(
                at,
                "give one of 'sha', 'window', 'deviation' or 'event' (the deviations it accepts)",
            )
        )
    sha = None
    given_sha = item.get("sha")
    if isinstance(given_sha, str) and _SHA_FORM.fullmatch(given_sha):
        sha = _resolve(document, at, given_sha, history, problems)
    window = None
    given_window = item.get("window")
    if isinstance(given_window, dict):
        first = _date(document, (*at, "window", "from"), given_window.get("from"), problems)
        last = _date(document, (*at, "window", "to"), given_window.get("to"), problems)
        if first and last and last < first:
            problems.append(document.problem((*at, "window"), "window ends before it starts"))
        window = (first, last) if first and last else None
    deviation = item.get("deviation") if isinstance(item.get("deviation"), str) else None
    event = item.get("event") if isinstance(item.get("event"), str) else None
    expires = _date(document, (*at, "expires"), item.get("expires"), problems)
    texts = [item.get(key) for key in ("id", "justification", "accepted_by", "ticket")]
    if len(problems) > before or expires is None or (sha, window, deviation, event) == (None,) * 4:
        return None
    kinds = tuple(kind for _, kind in written if isinstance(kind, str) and kind)
    if not all(isinstance(text, str) and text.strip() for text in texts) or not kinds:
        return None  # the schema reported it
    return RegisteredException(
        id=item["id"],
        rules=kinds,
        control=item.get("control") if isinstance(item.get("control"), str) else None,
        sha=sha,
        window=window,
        deviation=deviation,
        event=event.lower() if event else None,
        justification=item["justification"].strip(),
        accepted_by=item["accepted_by"].strip(),
        ticket=item["ticket"].strip(),
        expires=expires,
        status=ACTIVE if expires >= history.period.end else EXPIRED,
        path=document.path,
        line=line,
        at=document.where((*at, "deviation" if deviation else "event")),
    )


def _resolve(
    document: Document,
    at: tuple[str | int, ...],
    given: str,
    history: HistoryLike,
    problems: list[Problem],
) -> str | None:
    """The full sha of a first-parent commit, from a sha or an unambiguous prefix of one."""
    prefix = given.lower()
    matches = [c.sha for c in history.commits if c.sha.startswith(prefix)]
    ref = history.installation.ref
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        problems.append(
            document.problem((*at, "sha"), f"sha {given} is ambiguous: give more digits")
        )
    elif history.commit_exists(prefix):
        problems.append(
            document.problem(
                (*at, "sha"),
                f"commit {given} is not on the first-parent history of {ref}; failures cite "
                "first-parent commits (for a merged branch, the merge commit)",
            )
        )
    else:
        repo = history.installation.shown_repo
        problems.append(document.problem((*at, "sha"), f"commit {given} does not exist in {repo}"))
    return None


def exceptions_report(
    register: ExceptionsRegister, accepted: dict[str, list[str]]
) -> tuple[ExceptionRecord, ...]:
    """evidence.json's ``exceptions``: every entry with its status and what it matched.

    ``accepted`` maps an entry id to the failures it accepted (their deviation ids), as
    ``generator.evidence.evaluate.accepted_by_exception`` gives.
    """
    report = []
    for entry in register.entries:
        matched = sorted(set(accepted.get(entry.id, [])))
        # An expired entry stays "expired" whatever it would have matched: it accepted nothing.
        status = entry.status if entry.status == EXPIRED or matched else UNUSED
        report.append(ExceptionRecord(**entry.record(), status=status, matched=tuple(matched)))
    return tuple(sorted(report, key=lambda r: r.id))
