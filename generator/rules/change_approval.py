"""change-approval: every change to environments with the named roles was approved by someone
other than its authors, who may approve it, as strongly as its environment requires.

Segregation of duties: an approval by one of the change's own authors does not count, and the
change is self-approved. Who may approve and how strong the evidence must be come from each
environment's ``approvers`` and ``approval_strength`` in meshcomply.yml (generator/evidence/
approvals.py). See docs/evidence.md for the verdict on an empty population.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from generator.approvalconfig import Strength
from generator.evidence.approvals import (
    APPROVAL_KINDS,
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
    ROLES_PARAM,
    RuleContext,
    count_text,
    empty_population_result,
    environments_phrase,
    every,
    missing_roles_result,
    part_of,
    was_were,
)
from generator.evidence.registry import Failure, Rule, RuleResult, SampleCheck
from generator.status import Status

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["roles"],
    "properties": {
        "roles": ROLES_PARAM,
        "min_approvers": {
            "type": "integer",
            "minimum": 1,
            "default": 1,
            "description": "approvals each change needs, from people other than its authors",
        },
    },
}

_KIND_WORDS = {
    "unapproved": "without an approver",
    "self_approved": "self-approved",
    "too_few_approvers": "with too few approvers",
    "approver_not_allowed": "approved only by people who may not approve them",
    "approval_too_weak": "approved with weaker evidence than required",
    UNREADABLE: "whose approvers could not be told (CODEOWNERS could not be read)",
    UNKNOWN_APPROVERS: "whose approvers could not be told (no CODEOWNERS in effect, or lines of "
    "it that cannot be read)",
}


def evaluate(context: RuleContext, params: dict[str, Any]) -> RuleResult:
    roles = params["roles"]
    minimum = params.get("min_approvers", 1)
    missing = missing_roles_result(context, roles)
    if missing:
        return missing
    environments = context.environments_with_roles(roles)
    noun = f"{environments_phrase(roles)} change"
    what = f"{noun}s"
    population = context.changes_in(environments)
    if not population:
        return empty_population_result(
            context,
            environments,
            what,
            status=Status.NO_DEVIATIONS,
            reason=f"No {what} in the period, so none went unapproved.",
        )
    judge = ApprovalJudge(context)
    failures = []
    counts = dict.fromkeys(APPROVAL_KINDS, 0)
    # Of the changes that passed: the evidence their approval rests on (the approvals that
    # counted, never a failed change's or a not-allowed approver's).
    evidence: Counter[str] = Counter()
    for change in population:
        problem, basis = judge.judge(change, environments, minimum)
        if problem:
            counts[problem.kind] = counts.get(problem.kind, 0) + 1
            failures.append(Failure(problem.message, change.commit.sha, kind=problem.kind))
        elif basis:
            evidence[basis] += 1
    total, failed = len(population), len(failures)
    by = "someone" if minimum == 1 else f"at least {minimum} people"
    allowed = allowed_phrase(context, environments)
    if failures:
        breakdown = ", ".join(f"{count_text(n)} {_KIND_WORDS[k]}" for k, n in counts.items() if n)
        status = Status.DEVIATIONS
        verdict = (
            "not shown to be properly approved"
            if counts.get(UNREADABLE) or counts.get(UNKNOWN_APPROVERS)
            else ("not properly approved")
        )
        reason = f"{part_of(failed, total, noun)} {was_were(failed)} {verdict}: {breakdown}."
        if total > failed:
            reason += f" The other {count_text(total - failed)} passed{basis_phrase(evidence)}."
    else:
        status = Status.NO_DEVIATIONS
        who = f" ({allowed})" if allowed else ""
        authors = "its author" if total == 1 else "their authors"
        if evidence["trailer"]:
            reason = (
                f"{every(total, noun)} {'carries' if total == 1 else 'carry'} a recorded "
                f"approval by {by} other than {authors}{who}{basis_phrase(evidence)}."
            )
        else:
            reason = (
                f"{every(total, noun)} {was_were(total)} approved by {by} other than "
                f"{authors}{who}{basis_phrase(evidence)}."
            )
    limit = trailer_limit(context, environments)
    return RuleResult(
        status=status,
        reason=reason,
        population=total,
        passed=total - failed,
        failed=failed,
        cited=tuple(c.commit.sha for c in population),
        failures=tuple(failures),
        details={
            "min_approvers": minimum,
            **counts,
            "approvers": allowed or "anyone other than the authors",
            "evidence": {s.value: evidence[s.value] for s in reversed(Strength)},
        },
        last_evidence=context.newest_date(c.commit.committed_at for c in population),
        does_not_show=(limit,) if limit else (),
    )


RULE = Rule(
    kind="change-approval",
    summary=(
        "Every change to the environments with the named roles was approved by a non-author "
        "who may approve it, as strongly as its environment requires."
    ),
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    sample_check=SampleCheck(
        attribute="approval",
        check="An approver other than the change's authors is recorded: a configured approval "
        "trailer in the message (git show -s --format=%B SHA) or, where the configuration "
        "counts it, the merge committer (git show -s --format='%cn <%ce>' SHA); where the "
        "environment names who may approve, the approver is one of them, and the approval is "
        "evidenced as strongly as it requires (the change's approvals in changes.csv).",
        roles=lambda params: params["roles"],
    ),
    deviation_kinds={
        **APPROVAL_KINDS,
        UNREADABLE: UNREADABLE_MEANING.format(what="change"),
        UNKNOWN_APPROVERS: UNKNOWN_APPROVERS_MEANING.format(what="change"),
    },
)
