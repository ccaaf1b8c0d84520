"""approval-gate: every change that moved the release version of the staging or production
environment was approved.

This is the customer's manual gate: releases roll out to staging automatically, and to production
only once the customer approves. The population is the release points in the period: changes that
set a new version in the environment (file-based releases) and the commits that tagged releases
reached (tag-based releases).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from generator.config import Role
from generator.evidence.approvals import (
    UNKNOWN_APPROVERS,
    UNKNOWN_APPROVERS_MEANING,
    UNREADABLE,
    UNREADABLE_MEANING,
    ApprovalJudge,
    allowed_phrase,
    basis_phrase,
    trailer_limit,
)
from generator.evidence.context import (
    RuleContext,
    count_text,
    empty_population_result,
    every,
    missing_roles_result,
    part_of,
    was_were,
)
from generator.evidence.registry import Failure, Rule, RuleResult, SampleCheck
from generator.history.model import Change
from generator.status import Status
from generator.timewords import utc

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "role": {
            "enum": [Role.STAGING.value, Role.PRODUCTION.value],
            "default": Role.PRODUCTION.value,
            "description": "the role of the environment whose release version the gate guards",
        },
    },
}


@dataclass(frozen=True)
class ReleasePoint:
    sha: str
    version: str
    date: str
    change: Change | None  # None: the commit is not a member of the population


def release_points(context: RuleContext, environment: str) -> list[ReleasePoint]:
    """Every commit that moved the environment's version in the period, oldest first.

    A tagged release whose commit is not a member of the population has no change: its approval
    cannot be shown, which the rule reports as a failure.
    """
    changes = {c.commit.sha: c for c in context.history.changes}
    points: dict[str, ReleasePoint] = {}
    for change in context.history.changes:
        if environment in change.releases:
            commit = change.commit
            version = change.releases[environment]
            points[commit.sha] = ReleasePoint(commit.sha, version, commit.committed_at, change)
    for event in context.history.releases:
        if event.environment == environment and context.in_period(event.date):
            change = changes.get(event.sha)
            points.setdefault(event.sha, ReleasePoint(event.sha, event.version, event.date, change))
    return sorted(points.values(), key=lambda p: (utc(p.date), p.sha))


def evaluate(context: RuleContext, params: dict[str, Any]) -> RuleResult:
    role = params.get("role", Role.PRODUCTION.value)
    missing = missing_roles_result(context, [role])
    if missing:
        return missing
    environment = context.environments_with_roles([role])[0]  # the only one with the role
    points = release_points(context, environment)
    what = f"{role} releases"
    if not points:
        return empty_population_result(
            context,
            [environment],
            what,
            status=Status.NOT_TESTED,
            reason=f"No release reached {role} in the period, so the gate was not used.",
        )
    judge = ApprovalJudge(context)
    failures = []
    # Of the releases that passed: the evidence their approval rests on.
    evidence: Counter[str] = Counter()
    for point in points:
        kind = "unapproved"
        if point.change is None:
            message = "release commit is not a change to the environment; no approval found"
        else:
            problem, basis = judge.judge(point.change, [environment])
            message = problem.message if problem else ""
            kind = problem.kind if problem else kind
            if basis:
                evidence[basis] += 1
        if message:
            failures.append(
                Failure(message=f"{point.version}: {message}", sha=point.sha, kind=kind)
            )
    total, failed = len(points), len(failures)
    noun = f"{role} release"
    if failures:
        status = Status.DEVIATIONS
        unread = sum(f.kind == UNREADABLE for f in failures)
        unknown = sum(f.kind == UNKNOWN_APPROVERS for f in failures)
        verdict = "not shown to be approved" if unread or unknown else "not approved"
        told = []
        if unread:
            told.append(f"{unread} whose approvers could not be told: CODEOWNERS could not be read")
        if unknown:
            told.append(
                f"{unknown} whose approvers could not be told: no CODEOWNERS in effect, or lines "
                "of it that cannot be read"
            )
        which = f" ({'; '.join(told)})" if told else ""
        reason = (
            f"{part_of(failed, total, noun)} in the period {was_were(failed)} {verdict} "
            f"by the customer{which}."
        )
        if total > failed:
            reason += f" The other {count_text(total - failed)} passed{basis_phrase(evidence)}."
    else:
        status = Status.NO_DEVIATIONS
        allowed = allowed_phrase(context, [environment])
        authors = "its author" if total == 1 else "their authors"
        who = f" ({allowed})" if allowed else ""
        if evidence["trailer"]:
            verb = "carries" if total == 1 else "carry"
            reason = (
                f"{every(total, noun)} in the period {verb} a recorded approval by someone "
                f"other than {authors}{who}{basis_phrase(evidence)}."
            )
        else:
            reason = (
                f"{every(total, noun)} in the period {was_were(total)} approved by someone "
                f"other than {authors}{who}{basis_phrase(evidence)}."
            )
    limit = trailer_limit(context, [environment])
    return RuleResult(
        status=status,
        reason=reason,
        population=total,
        passed=total - failed,
        failed=failed,
        cited=tuple(p.sha for p in points),
        failures=tuple(failures),
        details={
            "environment": environment,
            "approvers": allowed_phrase(context, [environment]) or "anyone other than the authors",
            "releases": [{"version": p.version, "sha": p.sha} for p in points],
        },
        last_evidence=context.newest_date(p.date for p in points),
        does_not_show=(limit,) if limit else (),
    )


RULE = Rule(
    kind="approval-gate",
    summary="Every change that moved an environment's release version was approved.",
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    sample_check=SampleCheck(
        attribute="release approval",
        check="Where the change set a new release version in the environment, an approver other "
        "than its authors who may approve it is recorded on it, as strongly as the environment "
        "requires (as for approval); other changes pass.",
        roles=lambda params: [params.get("role", Role.PRODUCTION.value)],
    ),
    deviation_kinds={
        "unapproved": (
            "A release reached the environment without an approval (or its commit is not a "
            "change to the environment, so no approval can be shown)."
        ),
        "self_approved": "One of the release's approvers is also one of its authors.",
        "approver_not_allowed": "The release was approved only by people the environment's "
        "configuration does not allow to approve it (approvers: groups or CODEOWNERS).",
        "approval_too_weak": "The release's approval is evidenced more weakly than the "
        "environment requires (approval_strength: trailer < merged < signed).",
        UNREADABLE: UNREADABLE_MEANING.format(what="release"),
        UNKNOWN_APPROVERS: UNKNOWN_APPROVERS_MEANING.format(what="release"),
    },
)
