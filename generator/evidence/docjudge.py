"""The ``manual`` rule's verdicts on the document versions it read (see generator/rules/manual.py).

``judge_current`` judges one document in effect at the period end against a maximum age;
``judge_recurring`` judges a recurring control's occurrences against its schedule. Both return a
``RuleResult`` whose failures carry the deviation kinds the rule declares: ``stale_document``,
``not_performed``, ``failed_result``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from generator.errors import Problem
from generator.evidence.context import (
    RuleContext,
    count_text,
    part_of,
    plural,
    utc_date,
)
from generator.evidence.docread import Read
from generator.evidence.documents import (
    EVIDENCE_FOLDER,
    FAIL,
    PASS,
    PASS_WITH_FINDINGS,
    DocumentVersion,
    FrontMatter,
    result_label,
)
from generator.evidence.recurrence import (
    CURRENT,
    MISSED,
    PERFORMED,
    STALE,
    Frequency,
    IntervalCheck,
    Occurrence,
    Schedule,
    schedule,
)
from generator.evidence.registry import Failure, RuleResult
from generator.status import Status

PASSING = (PASS, PASS_WITH_FINDINGS)


def located_problems(read: Read) -> list[Problem]:
    """Every problem of the read and of each version's front matter, plus dates a version
    cannot have: after the commit that recorded it."""
    problems = list(read.problems)
    for version in read.versions:
        problems.extend(version.parsed.problems)
        facts = version.facts
        if facts is None or facts.date is None or version.committed_at is None:
            continue
        committed = dt.date.fromisoformat(utc_date(version.committed_at))
        if facts.date > committed:
            message = (
                f"is dated {facts.date}, after the commit that recorded it ({committed}): "
                "a document cannot record what has not happened yet"
            )
            problems.append(Problem(version.where, facts.date_line, 1, message))
    return problems


def _facts(version: DocumentVersion) -> FrontMatter:
    assert version.facts is not None and version.facts.date is not None  # checked by the rule
    return version.facts


def _date(version: DocumentVersion) -> dt.date:
    date = _facts(version).date
    assert date is not None
    return date


def _outcome(version: DocumentVersion) -> str:
    """What the document says of its result: its own statement, which the reason repeats as
    such ("recorded as passed"), never as a fact the pack established."""
    result = _facts(version).result
    return f"recorded as {result_label(result)}" if result else "recorded without a result"


def _passing(version: DocumentVersion) -> bool:
    return _facts(version).result in PASSING


def unversioned(versions: list[DocumentVersion]) -> list[DocumentVersion]:
    """The versions read from the evidence folder: outside version control, so their date and
    result are only what each document states about itself, with no history behind them."""
    return [v for v in versions if v.source == EVIDENCE_FOLDER]


def _unversioned_note(versions: list[DocumentVersion]) -> str:
    names = ", ".join(dict.fromkeys(v.path for v in versions))
    return (
        f"{names} is read from the evidence folder, not under version control: its date and "
        "result are self-declared, with no history showing when it was written or by whom"
    )


def _failed(version: DocumentVersion) -> Failure:
    message = f"{version.where}, dated {_date(version)}, records a failed result"
    return Failure(message, version.commit, kind="failed_result", items=(version.where,))


def _row(version: DocumentVersion) -> dict[str, Any]:
    facts = _facts(version)
    return {
        "document": version.where,
        "date": str(facts.date),
        "result": result_label(facts.result),
        "sha256": version.sha256,
    }


def judge_current(
    context: RuleContext, subject: str, version: DocumentVersion, maximum: int
) -> RuleResult:
    """One document in effect at the period end, at most ``maximum`` days old."""
    start, end = context.period.start, context.period.end
    dated, facts = _date(version), _facts(version)
    age = (end - dated).days
    details: dict[str, Any] = {
        "max_age_days": maximum,
        "age_days": age,
        "documents": [_row(version)],
    }
    common: dict[str, Any] = {
        "cited": (version.commit,) if version.commit else (),
        "details": details,
        "last_evidence": dated.isoformat(),
        "documents": (version,),
    }
    if dated > end:
        return RuleResult(
            status=Status.NOT_TESTED,
            reason=f"{subject} is dated {dated}, after the period end {end}.",
            **common,
        )
    failures: list[Failure] = []
    sentences = [f"{subject} is dated {dated}, {plural(age, 'day')} old at the period end"]
    if age > maximum:
        sentences[0] += f", older than its maximum of {plural(maximum, 'day')}: it is stale"
        message = f"{version.where} is dated {dated}, {plural(age, 'day')} old (maximum {maximum})"
        failures.append(
            Failure(message, version.commit, kind="stale_document", items=(version.where,))
        )
    else:
        sentences[0] += f" (maximum {maximum})"
    if facts.result == FAIL:
        failures.append(_failed(version))
    performed_in_period = start <= dated <= end
    if failures:
        status = Status.DEVIATIONS
        sentences.append(f"It is {_outcome(version)}")
    elif facts.result in PASSING and performed_in_period and not unversioned([version]):
        status = Status.NO_DEVIATIONS
        sentences.append(f"The test it records is dated in the period and {_outcome(version)}")
    else:
        status = Status.DESIGN_ONLY
        if facts.result is None:
            why = "it is recorded without a result"
        elif performed_in_period:  # and read from the evidence folder
            why = f"it is dated in the period and {_outcome(version)}, but self-declared"
        else:
            why = f"the test it records is dated before the period ({_outcome(version)})"
        sentences.append(
            f"It shows the control is designed; {why}, so nothing shows it operated in the period"
        )
    if unversioned([version]):
        sentences.append(_unversioned_note([version]))
    # A design_only result tested nothing: its population is empty (passed + failed always is).
    tested = int(status is not Status.DESIGN_ONLY)
    return RuleResult(
        status=status,
        reason=". ".join(s.rstrip(".") for s in sentences) + ".",
        population=tested,
        passed=int(status is Status.NO_DEVIATIONS),
        failed=int(bool(failures)),
        failures=tuple(failures),
        **common,
    )


def occurrences(versions: list[DocumentVersion]) -> list[Occurrence[DocumentVersion]]:
    """One occurrence per distinct date, the latest version recording it (oldest first)."""
    by_date: dict[dt.date, DocumentVersion] = {}
    for version in versions:  # oldest first: a later version of the same date replaces it
        by_date[_date(version)] = version
    return [Occurrence(date, version) for date, version in sorted(by_date.items())]


def judge_recurring(
    context: RuleContext,
    subject: str,
    label: str,
    versions: list[DocumentVersion],
    frequency: Frequency,
) -> RuleResult:
    """A control due once per calendar interval of ``frequency`` over the period; ``label`` is
    the document (or pattern) a missing occurrence would be, ``subject`` it with its owner."""
    start, end = context.period.start, context.period.end
    plan = schedule(occurrences(versions), start, end, frequency)
    counted = [o.payload for o in plan.counted]
    failures = [_missing(check, label, frequency, plan) for check in plan.failing]
    failures += [_failed(v) for v in counted if _facts(v).result == FAIL]
    failed_checks = [c for c in plan.checks if _check_failed(c)]
    passed_checks = [
        c
        for c in plan.checks
        if c.occurrences
        and all(_facts(o.payload).result in PASSING for o in c.occurrences)
        and c not in failed_checks
    ]
    in_period = [v for v in counted if start <= _date(v) <= end]
    if failures:
        status = Status.DEVIATIONS
    elif len(passed_checks) == len(plan.checks) and in_period and not unversioned(counted):
        status = Status.NO_DEVIATIONS
    else:
        status = Status.DESIGN_ONLY
    reason = _recurring_reason(subject, plan, status, counted, in_period, failed_checks)
    # The population is the requirements whose outcome is known (passed or failed); one whose
    # occurrences record no result is listed in the reason and the schedule, never a pass.
    passed = len(passed_checks) if status is not Status.DESIGN_ONLY else 0
    return RuleResult(
        status=status,
        reason=reason,
        population=passed + len(failed_checks),
        passed=passed,
        failed=len(failed_checks),
        cited=tuple(dict.fromkeys(v.commit for v in counted if v.commit)),
        failures=tuple(failures),
        details={
            "frequency": frequency.value,
            "earliest_counted": plan.earliest.isoformat(),
            "schedule": [_schedule_row(check) for check in plan.checks],
            "documents": [_row(v) for v in versions],
        },
        last_evidence=str(max(_date(v) for v in counted)) if counted else None,
        documents=tuple(versions),
    )


def _check_failed(check: IntervalCheck[DocumentVersion]) -> bool:
    return check.verdict in (MISSED, STALE) or any(
        _facts(o.payload).result == FAIL for o in check.occurrences
    )


def _missing(
    check: IntervalCheck[DocumentVersion],
    label: str,
    frequency: Frequency,
    plan: Schedule[DocumentVersion],
) -> Failure:
    interval = check.interval
    window = {"from": interval.start.isoformat(), "to": interval.end.isoformat()}
    if check.verdict == MISSED:
        message = f"no occurrence dated in {interval.text}"
        return Failure(message, kind="not_performed", items=(label,), window=window)
    newest = check.occurrences[-1].payload if check.occurrences else None
    older = plan.too_old[-1].payload if plan.too_old else None
    shown = newest or older
    if shown is None:
        message = f"no occurrence at all within one {frequency.noun} before the period end"
        return Failure(message, kind="stale_document", items=(label,), window=window)
    message = (
        f"the newest occurrence, {shown.where} dated {_date(shown)}, is more than one "
        f"{frequency.noun} old at the period end"
    )
    return Failure(message, shown.commit, kind="stale_document", items=(shown.where,))


_VERDICT_WORDS = {
    PERFORMED: "performed",
    MISSED: "not performed",
    CURRENT: "current",
    STALE: "stale",
}


def _schedule_row(check: IntervalCheck[DocumentVersion]) -> dict[str, Any]:
    latest = check.occurrences[-1].payload if check.occurrences else None
    return {
        "interval": check.interval.text,
        "required": "due in the period" if check.due else "current at the period end",
        "verdict": _VERDICT_WORDS[check.verdict],
        "evidence": ", ".join(o.payload.where for o in check.occurrences) or "none",
        "result": ", ".join(_outcome(o.payload) for o in check.occurrences) if latest else "",
    }


def _recurring_reason(
    subject: str,
    plan: Schedule[DocumentVersion],
    status: Status,
    counted: list[DocumentVersion],
    in_period: list[DocumentVersion],
    failed_checks: list[IntervalCheck[DocumentVersion]],
) -> str:
    noun = plan.frequency.noun
    sentences = [f"{subject} is due every {noun}"]
    sentences += [_check_phrase(check, noun) for check in plan.checks]
    early = [v for v in counted if v not in in_period]  # counted, not after the end: before
    if early:
        dates = ", ".join(str(_date(v)) for v in early)
        sentences.append(
            f"Evidence dated before the period ({dates}) counts only because it is within one "
            f"{noun} before the period start (from {plan.earliest})"
        )
    if plan.too_old:
        dates = ", ".join(str(o.date) for o in plan.too_old)
        sentences.append(f"Older evidence ({dates}) does not count")
    if status is Status.DEVIATIONS:
        known = len(failed_checks) + sum(
            1
            for c in plan.checks
            if c not in failed_checks
            and c.occurrences
            and all(_facts(o.payload).result in PASSING for o in c.occurrences)
        )
        sentences.append(f"{part_of(len(failed_checks), known, 'requirement')} failed")
    elif status is Status.NO_DEVIATIONS:
        sentences.append(
            f"Every occurrence relied on is recorded as passed; {count_text(len(in_period))} "
            "dated in the period"
        )
    elif unversioned(counted) and in_period and all(_passing(v) for v in counted):
        sentences.append(
            "Every occurrence relied on is recorded as passed, but only by itself: it shows the "
            "control is designed, and nothing shows it operated in the period"
        )
    elif not in_period:
        sentences.append(
            "None was performed in the period, so nothing shows the control operated in it"
        )
    else:
        sentences.append(
            "Not every occurrence relied on records a result, so nothing shows the control "
            "operated as intended"
        )
    if unversioned(counted):
        sentences.append(_unversioned_note(unversioned(counted)))
    return ". ".join(sentences) + "."


def _check_phrase(check: IntervalCheck[DocumentVersion], noun: str) -> str:
    """``2026-Q1: 2026-03-11, passed with findings``, ``2026-Q2: none, not performed``."""
    label = check.interval.label
    if not check.due:
        label += " (open at the period end)"
    found = "; ".join(f"{_date(o.payload)}, {_outcome(o.payload)}" for o in check.occurrences)
    if check.verdict == MISSED:
        return f"{label}: none, not performed"
    if check.verdict == STALE:
        if found:
            return f"{label}: the newest, {found}, is more than one {noun} old, stale"
        return f"{label}: no occurrence within one {noun} before the period end, stale"
    return f"{label}: {found}"
