"""Judging every control of the library against one installation's history.

Each evidence entry of a control runs its rule; the register of accepted exceptions is matched
against every failure (a deviation); the control's status is the weakest of the results of its
rules that can find a deviation (a rule declaring no deviation kinds reports figures only: its
result is informational and never makes a control "no deviations"). Roll-ups
everywhere (control from results, Statement of Applicability row from controls) use ``weakest``:
``deviations`` < ``not_tested`` < ``design_only`` < ``no_deviations``, and ``not_applicable``
only when every input is. A rule's result is ``deviations`` exactly when it has failures, and
every failure's kind is one its rule declares: anything else is a BuildError naming the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from jsonschema import Draft202012Validator

from generator.errors import BuildError, InputError, Problem
from generator.evidence.context import (
    ControlLike,
    EvidenceSpecLike,
    RuleContext,
    part_of,
    plural,
)
from generator.evidence.deviations import deviation_counts
from generator.evidence.documents import DocumentVersion
from generator.evidence.exceptions import ExceptionsRegister, exceptions_report
from generator.evidence.model import (
    ACCEPTED,
    OPEN,
    ControlRecord,
    DocumentRecord,
    ExceptionRecord,
    FailureRecord,
    Implementation,
    PeriodRange,
    ResultRecord,
)
from generator.evidence.registry import Failure, RuleResult, all_rules
from generator.status import Status, weakest

NO_EVIDENCE_REASON = "No evidence is mapped to this control, so it is not tested."


def newest(dates: Iterable[str | None]) -> str | None:
    """The latest ISO date of those given (ISO dates order as text)."""
    present = [d for d in dates if d]
    return max(present) if present else None


@dataclass(frozen=True)
class EvaluatedEvidence:
    """One evidence entry of a control, its rule's result and which failures are accepted."""

    spec: EvidenceSpecLike
    result: RuleResult
    accepted: tuple[str | None, ...]  # per failure: the id of the exception accepting it
    # Its rule declares no deviation kinds, so it can find none: figures only, not judged.
    informational: bool = False

    def record(self) -> ResultRecord:
        result = self.result
        return ResultRecord(
            rule=self.spec.kind,
            params=dict(self.spec.params),
            status=result.status,
            reason=result.reason,
            figures={
                "population": result.population,
                "passed": result.passed,
                "failed": result.failed,
            },
            cited=tuple(result.cited),
            failures=tuple(
                failure_record(failure, accepted)
                for failure, accepted in zip(result.failures, self.accepted, strict=True)
            ),
            details=result.details,
            last_evidence=result.last_evidence,
            documents=tuple(dict.fromkeys(d.sha256 for d in result.documents)),
            informational=self.informational,
        )


@dataclass(frozen=True)
class ControlEvaluation:
    id: str
    title: str
    description: str
    owner: str
    responsibility: str
    customer_part: str | None
    implements: tuple[Any, ...]  # items with ref, coverage, rationale
    proves: str
    does_not_prove: str
    status: Status
    reason: str
    results: tuple[EvaluatedEvidence, ...]
    last_evidence: str | None

    def record(self) -> ControlRecord:
        """The control as evidence.json's ``controls`` lists it."""
        results = tuple(r.record() for r in self.results)
        return ControlRecord(
            id=self.id,
            title=self.title,
            description=self.description,
            owner=self.owner,
            responsibility=self.responsibility,
            customer_part=self.customer_part,
            implements=tuple(
                Implementation(i.ref, i.coverage, i.rationale) for i in self.implements
            ),
            proves=self.proves,
            does_not_prove=self.does_not_prove,
            status=self.status,
            deviations=deviation_counts(f for r in results for f in r.failures),
            reason=self.reason,
            results=results,
            last_evidence=self.last_evidence,
        )


def evaluate_control(
    control: ControlLike, context: RuleContext, register: ExceptionsRegister | None = None
) -> ControlEvaluation:
    register = register or ExceptionsRegister()
    evaluated = []
    for index, spec in enumerate(control.evidence):
        result = _run(control, index, spec, context)
        accepted: tuple[str | None, ...] = (
            tuple(_accepting(register, spec.kind, control.id, f, context) for f in result.failures)
            if register.entries
            else (None,) * len(result.failures)  # an empty register accepts nothing
        )
        informational = not all_rules()[spec.kind].deviation_kinds
        evaluated.append(EvaluatedEvidence(spec, result, accepted, informational))
    # A rule that can find no deviation cannot make a control "no deviations": only the rules
    # that judge count (none: not tested).
    status = weakest(e.result.status for e in evaluated if not e.informational)
    return ControlEvaluation(
        id=control.id,
        title=control.title,
        description=control.description,
        owner=control.owner,
        responsibility=control.responsibility,
        customer_part=control.customer_part,
        implements=tuple(control.implements),
        proves=control.proves,
        does_not_prove=_does_not_show(control.does_not_prove, evaluated),
        status=status,
        reason=_reason(status, evaluated),
        results=tuple(evaluated),
        last_evidence=newest(e.result.last_evidence for e in evaluated),
    )


def evaluate_library(
    controls: Iterable[ControlLike],
    context: RuleContext,
    register: ExceptionsRegister | None = None,
) -> list[ControlEvaluation]:
    """Every control's evaluation, by control id."""
    ordered = sorted(controls, key=lambda c: c.id)
    register = register or ExceptionsRegister()
    register.check_controls(c.id for c in ordered)
    evaluations = [evaluate_control(c, context, register) for c in ordered]
    register.check_references(
        (evidence.spec.kind, f.id, tuple(f.items))
        for evaluation in evaluations
        for evidence in evaluation.results
        for f in evidence.result.failures
    )
    return evaluations


def accepted_by_exception(evaluations: Sequence[ControlEvaluation]) -> dict[str, list[str]]:
    """Exception id -> the failures it accepted, by deviation id."""
    accepted: dict[str, list[str]] = {}
    for evaluation in evaluations:
        for evidence in evaluation.results:
            for failure, exception_id in zip(
                evidence.result.failures, evidence.accepted, strict=True
            ):
                if exception_id is not None:
                    accepted.setdefault(exception_id, []).append(_failure_key(failure))
    return accepted


def exception_records(
    register: ExceptionsRegister, evaluations: Sequence[ControlEvaluation]
) -> tuple[ExceptionRecord, ...]:
    """evidence.json's ``exceptions``: every register entry, its status and what it accepted."""
    return exceptions_report(register, accepted_by_exception(evaluations))


def document_records(evaluations: Sequence[ControlEvaluation]) -> tuple[DocumentRecord, ...]:
    """evidence.json's ``documents``: every document version any rule read, once per source,
    path and SHA-256 (the earliest commit it was read at), with the controls that read it."""
    found: dict[tuple[str, str, str], DocumentVersion] = {}
    controls: dict[tuple[str, str, str], set[str]] = {}
    for evaluation in evaluations:
        for evidence in evaluation.results:
            for version in evidence.result.documents:
                key = (version.source, version.path, version.sha256)
                known = found.get(key)
                if known is None or (version.committed_at or "", version.commit or "") < (
                    known.committed_at or "",
                    known.commit or "",
                ):
                    found[key] = version
                controls.setdefault(key, set()).add(evaluation.id)
    records = [_document_record(found[key], sorted(controls[key])) for key in found]
    return tuple(sorted(records, key=lambda r: (r.path, r.committed_at or "", r.source, r.sha256)))


def _document_record(version: DocumentVersion, controls: list[str]) -> DocumentRecord:
    facts = version.facts
    covers = facts.covers if facts else None
    return DocumentRecord(
        path=version.path,
        source=version.source,
        commit=version.commit,
        committed_at=version.committed_at,
        changed_in=version.written.sha if version.written else None,
        author=version.written.author if version.written else None,
        committer=version.written.committer if version.written else None,
        sha256=version.sha256,
        bytes=version.size,
        date=facts.date.isoformat() if facts and facts.date else None,
        covers=PeriodRange(covers[0].isoformat(), covers[1].isoformat()) if covers else None,
        result=facts.result if facts else None,
        performed_by=facts.performed_by if facts else (),
        approved_by=facts.approved_by if facts else (),
        scope=facts.scope if facts else None,
        problems=tuple(str(p) for p in version.parsed.problems),
        controls=tuple(controls),
    )


def _failure_key(failure: Failure) -> str:
    """A failure as an exception's ``matched`` lists it: its deviation id (commit and window
    failures alike, and event deviations, which have neither)."""
    return failure.id


def _location(control: ControlLike) -> str:
    return str(getattr(control, "path", None) or control.id)


def _run(
    control: ControlLike, index: int, spec: EvidenceSpecLike, context: RuleContext
) -> RuleResult:
    where = f"{control.id} evidence[{index}]"
    rules = all_rules()  # a broken registry is a BuildError naming the module
    rule = rules.get(spec.kind)
    if rule is None:
        known = ", ".join(rules) or "none registered"
        message = f"{where}: unknown evidence kind '{spec.kind}' (known: {known})"
        raise InputError([Problem(_location(control), 1, 1, message)])
    errors = sorted(Draft202012Validator(rule.params_schema).iter_errors(spec.params), key=str)
    if errors:
        raise InputError(
            Problem(_location(control), 1, 1, f"{where} ({spec.kind}) params: {e.message}")
            for e in errors
        )
    try:
        result = rule.evaluate(context, dict(spec.params))
    except (InputError, BuildError):
        raise
    except Exception as exc:
        # A rule (possibly a plugin) crashing is a build failure to report, not a traceback.
        raise BuildError(
            f"{where}: rule '{spec.kind}' failed: {type(exc).__name__}: {exc}"
        ) from exc
    status = Status.parse(result.status) if isinstance(result, RuleResult) else None
    if status is None:
        raise BuildError(f"{where}: rule '{spec.kind}' returned no valid RuleResult")
    _check_result(where, spec.kind, rule.deviation_kinds, status, result)
    # A plugin may give the status as its word; the model holds the enum member.
    return result if result.status is status else replace(result, status=status)


def _check_result(where: str, kind: str, declared: Any, status: Status, result: RuleResult) -> None:
    """The vocabulary's contract: deviations iff failures, each of a kind the rule declares."""
    if status == Status.NOT_APPLICABLE:
        raise BuildError(
            f"{where}: rule '{kind}' returned not_applicable, which only the Statement of "
            "Applicability gives (say not_tested, with the reason)"
        )
    if (status == Status.DEVIATIONS) != bool(result.failures):
        raise BuildError(
            f"{where}: rule '{kind}' returned {status} with "
            f"{plural(len(result.failures), 'failure')} (deviations exactly when it has failures)"
        )
    for failure in result.failures:
        if failure.kind not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise BuildError(
                f"{where}: rule '{kind}' reported a deviation of kind '{failure.kind}', which it "
                f"does not declare (declared: {known})"
            )


def failure_record(failure: Failure, exception: str | None) -> FailureRecord:
    """A rule's failure as the model lists it: its id, and accepted by ``exception`` or open."""
    return FailureRecord(
        id=failure.id,
        kind=failure.kind,
        sha=failure.sha,
        items=tuple(failure.items),
        window=failure.window,
        message=failure.message,
        state=ACCEPTED if exception else OPEN,
        exception=exception,
    )


def _accepting(
    register: ExceptionsRegister, kind: str, control_id: str, failure: Failure, context: RuleContext
) -> str | None:
    commit_date = context.commit_date(failure.sha) if failure.sha else None
    entry = register.accepting(kind, control_id, failure, commit_date)
    return entry.id if entry else None


def _does_not_show(written: str, evaluated: list[EvaluatedEvidence]) -> str:
    """The control's does_not_prove, followed by what its results say their evidence cannot
    show in this installation (each sentence once)."""
    added = dict.fromkeys(s for e in evaluated for s in e.result.does_not_show if s not in written)
    return " ".join([written, *added]) if added else written


def _reason(status: Status, evaluated: list[EvaluatedEvidence]) -> str:
    """The reasons of the results that decided the status, and how many deviations are accepted."""
    if not evaluated:
        return NO_EVIDENCE_REASON
    judged = [e for e in evaluated if not e.informational]
    figures = ", ".join(dict.fromkeys(e.spec.kind for e in evaluated if e.informational))
    if not judged:
        return (
            f"Its rules ({figures}) report figures only and can find no deviation, so nothing "
            "tests this control."
        )
    deciding = [e for e in judged if e.result.status == status] or judged
    reason = " ".join(e.result.reason for e in deciding)
    failures = [a for e in evaluated for a in e.accepted]
    accepted = [a for a in failures if a is not None]
    if accepted:
        ids = ", ".join(dict.fromkeys(accepted))
        verb = "is" if len(accepted) == 1 else "are"
        still = len(failures) - len(accepted)
        rest = f"; {still} {'is' if still == 1 else 'are'} open." if still else "."
        reason += (
            f" {part_of(len(accepted), len(failures), 'deviation')} {verb} accepted in the "
            f"exceptions register ({ids}){rest}"
        )
    if figures:
        reason += (
            f" {figures} reports figures only (it can find no deviation) and does not count "
            "towards the status."
        )
    return reason
