"""direct-push: no commit reached the branch without an approval other than through a merge.

A direct push is a commit on the first-parent line that is not a merge and carries no approval
(no approval trailer; for a merge, the committer may approve, but a direct push has none). The
population is every first-parent commit of the period in scope: the changes of every environment
(shared scopes included, since a change there is a change to each environment it reaches) and the
commits the reconciliation could not place (unaccounted: outside every declared path, so nothing
declared them out of scope). Commits declared out of scope are not judged.
"""

from __future__ import annotations

from typing import Any

from generator.evidence.context import (
    RuleContext,
    every,
    part_of,
    plural,
    was_were,
)
from generator.evidence.registry import Failure, Rule, RuleResult
from generator.history.model import Change
from generator.status import Status

DIRECT_PUSH = "direct_push"

PARAMS_SCHEMA: dict[str, Any] = {"type": "object", "additionalProperties": False}


def in_scope(context: RuleContext) -> list[Change]:
    """The period's in-scope commits as changes, oldest first (unaccounted ones included)."""
    found = [*context.history.changes, *context.history.unplaced]
    commits = {commit.sha: index for index, commit in enumerate(context.history.commits)}
    return sorted(found, key=lambda change: commits.get(change.commit.sha, -1))


def is_direct_push(change: Change) -> bool:
    return not change.commit.is_merge and not change.approvers


def _where(change: Change, roles: dict[str, str]) -> str:
    """The environments a change touched, by role (as rules name them; an `other` one by name)."""
    if not change.environments:
        return "no environment: outside every declared path"
    named = (roles[e] if roles.get(e) != "other" else f"{e} (other)" for e in change.environments)
    return ", ".join(dict.fromkeys(named))


def evaluate(context: RuleContext, params: dict[str, Any]) -> RuleResult:
    history = context.history
    if history.reconciliation is None or history.changes_limited_to is not None:
        return RuleResult(
            status=Status.NOT_TESTED,
            reason="The history was read without its reconciliation, so the commits in scope "
            "are not known.",
        )
    population = in_scope(context)
    ref = context.installation.ref
    roles = {str(env.name): str(env.role) for env in context.installation.environments}
    if not population:
        return RuleResult(
            status=Status.NO_DEVIATIONS,
            reason=f"No first-parent commit of {ref} in the period changed an in-scope path, so "
            "none was pushed directly.",
        )
    failures = [
        Failure(
            f"pushed directly to {ref} without an approval ({_where(change, roles)})",
            sha=change.commit.sha,
            kind=DIRECT_PUSH,
        )
        for change in population
        if is_direct_push(change)
    ]
    unplaced = len(history.unplaced)
    total, failed = len(population), len(failures)
    noun = "in-scope commit"
    outside = (
        f" ({plural(unplaced, 'of them', 'of them')} outside every declared path)"
        if unplaced
        else ""
    )
    if failures:
        status = Status.DEVIATIONS
        reason = (
            f"{part_of(failed, total, noun)} in the period{outside} {was_were(failed)} "
            f"pushed directly to {ref}: not a merge and without an approval."
        )
    else:
        status = Status.NO_DEVIATIONS
        reason = (
            f"{every(total, noun)} in the period{outside} {was_were(total)} a merge or carried "
            "an approval."
        )
    merges = sum(1 for change in population if change.commit.is_merge)
    return RuleResult(
        status=status,
        reason=reason,
        population=total,
        passed=total - failed,
        failed=failed,
        cited=tuple(change.commit.sha for change in population),
        failures=tuple(failures),
        details={
            "merges": merges,
            "approved_commits": total - merges - failed,
            "unaccounted": unplaced,
        },
        last_evidence=context.newest_date(change.commit.committed_at for change in population),
    )


RULE = Rule(
    kind="direct-push",
    summary="No in-scope commit reached the branch without a merge or an approval.",
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    deviation_kinds={
        DIRECT_PUSH: "A commit on the first-parent line that is not a merge and carries no "
        "approval changed an in-scope path (an environment's, a shared scope's, or one no "
        "declaration covers).",
    },
)
