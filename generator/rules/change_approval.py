"""change-approval: every change to environments with the named roles was approved by another.

Segregation of duties: an approval by one of the change's own authors does not count, and the
change fails as self-approved. See docs/evidence.md for the verdict on an empty population.
"""

from __future__ import annotations

from typing import Any

from generator.evidence.context import (
    ROLES_PARAM,
    RuleContext,
    empty_population_result,
    environments_phrase,
    every,
    missing_roles_result,
    newest_date,
    plural,
    was_were,
)
from generator.evidence.registry import Failure, Rule, RuleResult, SampleCheck
from generator.history.model import Change
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


def self_approvers(change: Change) -> list[str]:
    """Names of the approvers who are also authors of the change (reader's flag as fallback)."""
    names = [a.name for a in change.approvers if any(a.matches(b) for b in change.authors)]
    if not names and change.self_approved:
        names = [a.name for a in change.authors[:1]] or [change.commit.author.name]
    return list(dict.fromkeys(names))


DEVIATION_KINDS = {
    "unapproved": "The change carries no approval.",
    "self_approved": "The change's only approvals are by its own authors.",
    "too_few_approvers": "The change has fewer approvals than the mapping requires.",
}


def approval_problem(change: Change, minimum: int = 1) -> tuple[str, str] | None:
    """(category, message) of what is wrong with a change's approval, None when it is fine.

    The category names the count in ``details``; ``KIND_OF`` gives its deviation kind.
    """
    if not change.approvers:
        return "no_approver", "no approver"
    if change.self_approved:
        return "self_approved", f"self-approved by {', '.join(self_approvers(change))}"
    if len(change.approvers) < minimum:
        count = plural(len(change.approvers), "approver")
        return "too_few_approvers", f"{count} (minimum {minimum})"
    return None


KIND_OF = {
    "no_approver": "unapproved",
    "self_approved": "self_approved",
    "too_few_approvers": "too_few_approvers",
}
_CATEGORY_WORDS = {
    "no_approver": "without an approver",
    "self_approved": "self-approved",
    "too_few_approvers": "with too few approvers",
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
    failures = []
    counts = dict.fromkeys(_CATEGORY_WORDS, 0)
    for change in population:
        problem = approval_problem(change, minimum)
        if problem:
            category, message = problem
            counts[category] += 1
            failures.append(Failure(message=message, sha=change.commit.sha, kind=KIND_OF[category]))
    total, failed = len(population), len(failures)
    by = "someone" if minimum == 1 else f"at least {minimum} people"
    if failures:
        breakdown = ", ".join(f"{n} {_CATEGORY_WORDS[c]}" for c, n in counts.items() if n)
        status = Status.DEVIATIONS
        reason = (
            f"{failed} of {plural(total, noun)} {was_were(failed)} not properly approved: "
            f"{breakdown}."
        )
    else:
        status = Status.NO_DEVIATIONS
        reason = (
            f"{every(total, noun)} {was_were(total)} approved by {by} other than "
            f"{'its author' if total == 1 else 'their authors'}."
        )
    return RuleResult(
        status=status,
        reason=reason,
        population=total,
        passed=total - failed,
        failed=failed,
        cited=tuple(c.commit.sha for c in population),
        failures=tuple(failures),
        details={"min_approvers": minimum, **counts},
        last_evidence=newest_date(c.commit.committed_at for c in population),
    )


RULE = Rule(
    kind="change-approval",
    summary="Every change to the environments with the named roles was approved by a non-author.",
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    sample_check=SampleCheck(
        attribute="approval",
        check="An approver other than the change's authors is recorded: a configured approval "
        "trailer in the message (git show -s --format=%B SHA) or, where the configuration "
        "counts it, the merge committer (git show -s --format='%cn <%ce>' SHA).",
        roles=lambda params: params["roles"],
    ),
    deviation_kinds=DEVIATION_KINDS,
)
