"""access-removal: the roles of disabled or deleted users are removed within N days.

From meshStack's event log (the ``events`` source). When a user is disabled or deleted
(``User Disabled``, ``User Deleted``, ``content.username``), every workspace and project role the
user held then must be removed (``... User Role Removed``) within ``max_days``. The roles a user
held are those the exported events show granted and not yet removed, plus any removed after the
user was disabled (a role granted before the export began shows once it is removed). A user
enabled again (``User Enabled``) before the deadline keeps their roles legitimately.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from generator.evidence import eventlog as ev
from generator.evidence.context import (
    RuleContext,
    every,
    number,
    part_of,
    plural,
    was_were,
)
from generator.evidence.registry import Failure, Rule, RuleResult
from generator.status import Status

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "max_days": {
            "type": "number",
            "exclusiveMinimum": 0,
            "default": 7,
            "description": "days after disabling or deleting a user by which its roles are gone",
        },
        "titles": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"type": "string", "minLength": 1},
            "default": ["User Disabled", "User Deleted"],
            "description": "event titles that end a user's access",
        },
    },
}

KINDS = {
    "access_not_removed": (
        "A disabled or deleted user kept a role longer than the allowed number of days."
    ),
}


class _Watch:
    """One disabled user and the roles that must go: binding key -> (grant, removal)."""

    def __init__(self, user: str, disabled: ev.EventLike, held: dict[tuple, ev.EventLike]):
        self.user = user
        self.disabled = disabled
        self.bindings: dict[tuple, list[Any]] = {k: [grant, None] for k, grant in held.items()}
        self.enabled: ev.EventLike | None = None


def evaluate(context: RuleContext, params: dict[str, Any]) -> RuleResult:
    data = context.source(ev.SOURCE)
    missing = ev.missing_result(data, "the removal of leavers' roles")
    if missing:
        return missing
    max_days = params.get("max_days", 7)
    titles = set(params.get("titles", ["User Disabled", "User Deleted"]))
    limit = dt.timedelta(days=max_days)
    held: dict[str, dict[tuple, ev.EventLike]] = {}  # username -> binding -> grant
    watching: dict[str, _Watch] = {}
    watches: list[_Watch] = []
    unnamed: list[ev.EventLike] = []
    for event in ev.events_of(data):
        user_scope = ev.scope(event.title).endswith("User")
        if ev.is_grant(event) and user_scope and ev.subject_of(event):
            held.setdefault(str(ev.subject_of(event)), {})[ev.binding_key(event)] = event
        elif ev.is_removal(event) and user_scope and ev.subject_of(event):
            user, key = str(ev.subject_of(event)), ev.binding_key(event)
            held.get(user, {}).pop(key, None)
            watch = watching.get(user)
            if watch is not None:
                slot = watch.bindings.setdefault(key, [None, None])
                slot[1] = slot[1] or event
        elif event.title in titles and ev.in_period(event, context.period):
            user = _username(event)
            if user is None:
                unnamed.append(event)
                continue
            watch = _Watch(user, event, dict(held.get(user, {})))
            watching[user] = watch
            watches.append(watch)
        elif event.title == "User Enabled" and _username(event) in watching:
            watching.pop(str(_username(event))).enabled = event
    if unnamed:
        uuids = ", ".join(e.uuid for e in unnamed[:5])
        return RuleResult(
            status=Status.NOT_TESTED,
            reason=(
                f"{plural(len(unnamed), 'user event')} ({uuids}) name no user "
                "(content.username), so the roles they ended cannot be followed."
            ),
        )
    end = context.period.end_utc_exclusive
    failures, rows, pending = [], [], 0
    population = 0
    members: list[str] = []  # one event per role judged: its grant, else its removal
    for watch in watches:
        disabled_at = watch.disabled.created_at
        for key, (grant, removal) in sorted(watch.bindings.items(), key=lambda kv: str(kv[0])):
            population += 1
            members.append((grant or removal).uuid)
            if removal is not None:
                if removal.created_at - disabled_at <= limit:
                    continue
                until = removal.created_at
            elif watch.enabled is not None and watch.enabled.created_at - disabled_at <= limit:
                continue
            elif disabled_at + limit >= end:
                pending += 1
                continue
            else:
                until = end
            failures.append(_failure(watch, key, grant, removal, disabled_at, until))
            rows.append(ev.event_row(watch.disabled, f"{watch.user} {_verb(watch.disabled)}"))
            if grant is not None:
                rows.append(ev.event_row(grant, "grant"))
            if removal is not None:
                rows.append(ev.event_row(removal, "removal, late"))
    events_in_period = [e for e in ev.events_of(data) if ev.in_period(e, context.period)]
    relevant = [
        e
        for e in events_in_period
        if e.title in titles or e.title == "User Enabled" or ev.is_removal(e) or ev.is_grant(e)
    ]
    details: dict[str, Any] = {
        "max_days": max_days,
        "users": len(watches),
        "pending": pending,
        "reproduce": ev.reproduce(data, context.period, ev.titles_count(relevant)),
        "events": rows,
    }
    failed = len(failures)
    noun = "role of a disabled or deleted user"
    plural_noun = "roles of disabled or deleted users"
    if not population:
        return RuleResult(
            status=Status.NO_DEVIATIONS,
            reason=(
                f"{plural(len(watches), 'user')} {was_were(len(watches))} disabled or deleted in "
                "the period, and the event log shows no role any of them held, so none was left."
            ),
            details=details,
            last_evidence=ev.newest_event_date(w.disabled for w in watches),
        )
    if failures:
        status = Status.DEVIATIONS
        reason = (
            f"{part_of(failed, population, noun, plural_noun)} {was_were(failed)} not removed "
            f"within {number(max_days)} days."
        )
    else:
        status = Status.NO_DEVIATIONS
        reason = (
            f"{every(population, noun, plural_noun)} {was_were(population)} removed within "
            f"{number(max_days)} days (or the user was enabled again)."
        )
    if pending:
        reason += f" {plural(pending, 'role')} of users disabled near the period end not yet due."
    return RuleResult(
        status=status,
        reason=reason,
        population=population,
        passed=population - failed - pending,
        failed=failed,
        failures=tuple(failures),
        details=details,
        last_evidence=ev.newest_event_date(w.disabled for w in watches),
        events=tuple(members),
    )


def _username(event: ev.EventLike) -> str | None:
    name = event.content.get("username")
    return name if isinstance(name, str) and name else None


def _verb(event: ev.EventLike) -> str:
    return "deleted" if event.title.endswith("Deleted") else "disabled"


def _failure(
    watch: _Watch,
    key: tuple,
    grant: ev.EventLike | None,
    removal: ev.EventLike | None,
    disabled_at: dt.datetime,
    until: dt.datetime,
) -> Failure:
    kind, target, _subject, role = key
    days = number((until - disabled_at).total_seconds() / 86400)
    what = f"{role} in {target} ({kind.lower()} role)"
    if removal is not None:
        message = f"{watch.user} {_verb(watch.disabled)}, {what} removed {days} days later"
    else:
        message = f"{watch.user} {_verb(watch.disabled)}, {what} still held {days} days later"
    items = [watch.disabled.uuid]
    items += [e.uuid for e in (grant, removal) if e is not None]
    return Failure(
        message,
        window={
            "from": ev.utc_text(watch.disabled.created_at),
            "to": ev.utc_text(until),
            "hours": round((until - disabled_at).total_seconds() / 3600, 1),
        },
        kind="access_not_removed",
        items=tuple(items),
    )


RULE = Rule(
    kind="access-removal",
    summary=(
        "The roles of users disabled or deleted in meshStack are removed within the allowed "
        "number of days (from the event log)."
    ),
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    reads=("events",),
    deviation_kinds=KINDS,
)
