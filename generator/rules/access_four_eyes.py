"""access-four-eyes: role grants follow an access request approved by someone else.

From meshStack's event log (the ``events`` source): every role grant (``... Role Added``) that
followed an access request must have been approved by someone other than the requester, and a
grant of a privileged role (configurable) needs an approved request at all. Requests, approvals
and grants are joined on the binding they are about: kind (workspace/project, user/group),
target, subject and role; within one binding, the oldest open request is the one approved or
rejected, the oldest approved request the one granted.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from generator.evidence import eventlog as ev
from generator.evidence.context import (
    RuleContext,
    every,
    part_of,
    plural,
    was_were,
)
from generator.evidence.registry import Failure, Rule, RuleResult
from generator.status import Status

PRIVILEGED_DEFAULT = ["Workspace Owner", "Workspace Manager", "Project Admin"]

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "privileged_roles": {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string", "minLength": 1},
            "default": PRIVILEGED_DEFAULT,
            "description": "roles whose grant needs an approved access request",
        },
    },
}

KINDS = {
    "self_approved_access": (
        "A role was granted on an access request that its own requester approved."
    ),
    "grant_without_request": ("A privileged role was granted without an approved access request."),
}

_TITLES = ("Role Added", "Access Request Submitted", "Access Request Approved")


def evaluate(context: RuleContext, params: dict[str, Any]) -> RuleResult:
    data = context.source(ev.SOURCE)
    missing = ev.missing_result(data, "four-eyes approval of role grants")
    if missing:
        return missing
    privileged = set(params.get("privileged_roles", PRIVILEGED_DEFAULT))
    events = ev.events_of(data)
    open_requests: dict[tuple, deque] = {}
    approved: dict[tuple, deque] = {}
    grants, failures, rows = [], [], []
    counts = {"after_request": 0, "without_request": 0, "request_not_in_export": 0}
    for event in events:
        key = ev.binding_key(event)
        if ev.is_request(event):
            open_requests.setdefault(key, deque()).append(event)
        elif ev.is_approval(event):
            pending = open_requests.get(key)
            request = pending.popleft() if pending else None
            approved.setdefault(key, deque()).append((request, event))
        elif ev.is_rejection(event):
            pending = open_requests.get(key)
            if pending:
                pending.popleft()  # settled: a later approval is of a later request
        elif ev.is_grant(event) and ev.in_period(event, context.period):
            grants.append(event)
            queue = approved.get(key)
            if not queue:
                counts["without_request"] += 1
                if ev.role_of(event) in privileged:
                    failures.append(_without_request(event))
                    rows.append(ev.event_row(event, "privileged grant, no approved request"))
                continue
            request, approval = queue.popleft()
            counts["after_request"] += 1
            if request is None:
                counts["request_not_in_export"] += 1
            elif ev.same_author(request, approval):
                failures.append(_self_approved(event, request, approval))
                rows += [
                    ev.event_row(request, "request"),
                    ev.event_row(approval, "approved by the requester"),
                    ev.event_row(event, "grant"),
                ]
    total, failed = len(grants), len(failures)
    in_period = [e for e in events if ev.in_period(e, context.period)]
    relevant = [e for e in in_period if any(e.title.endswith(t) for t in _TITLES)]
    details: dict[str, Any] = {
        "privileged_roles": sorted(privileged),
        **counts,
        "reproduce": ev.reproduce(data, context.period, ev.titles_count(relevant)),
        "events": rows,
    }
    if not grants:
        return RuleResult(
            status=Status.NO_DEVIATIONS,
            reason=(
                f"The event log records no role grant in the period "
                f"({plural(len(in_period), 'event')} read), so none lacked an approval."
            ),
            details=details,
            last_evidence=ev.newest_event_date(in_period),
        )
    if failures:
        self_approved = sum(1 for f in failures if f.kind == "self_approved_access")
        parts = [
            f"{self_approved} approved by the requester" if self_approved else "",
            f"{failed - self_approved} of a privileged role without an approved request"
            if failed - self_approved
            else "",
        ]
        reason = (
            f"{part_of(failed, total, 'role grant')} {was_were(failed)} not approved by a "
            f"second person: {', '.join(p for p in parts if p)}."
        )
        status = Status.DEVIATIONS
    else:
        reason = (
            f"{every(total, 'role grant')} {was_were(total)} approved by someone other than the "
            f"requester or, without a request, of a role that is not privileged "
            f"({counts['after_request']} after an approved request)."
        )
        status = Status.NO_DEVIATIONS
    return RuleResult(
        status=status,
        reason=reason,
        population=total,
        passed=total - failed,
        failed=failed,
        failures=tuple(failures),
        details=details,
        last_evidence=ev.newest_event_date(grants),
        events=tuple(e.uuid for e in grants),
    )


def _self_approved(grant: ev.EventLike, request: ev.EventLike, approval: Any) -> Failure:
    return Failure(
        f"{ev.role_of(grant)} for {ev.subject_of(grant)} in {ev.target_of(grant)}: the access "
        f"request was approved by its own requester ({approval.author_type} {approval.author})",
        window={"from": ev.utc_text(request.created_at), "to": ev.utc_text(grant.created_at)},
        kind="self_approved_access",
        items=(request.uuid, approval.uuid, grant.uuid),
    )


def _without_request(grant: ev.EventLike) -> Failure:
    return Failure(
        f"{ev.role_of(grant)} for {ev.subject_of(grant)} in {ev.target_of(grant)} granted by "
        f"{grant.author_type} {grant.author} without an approved access request",
        window={"from": ev.utc_text(grant.created_at), "to": ev.utc_text(grant.created_at)},
        kind="grant_without_request",
        items=(grant.uuid,),
    )


RULE = Rule(
    kind="access-four-eyes",
    summary=(
        "Role grants in meshStack's event log follow an access request approved by someone other "
        "than the requester; privileged roles are never granted without one."
    ),
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    reads=("events",),
    deviation_kinds=KINDS,
)
