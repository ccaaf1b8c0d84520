"""access-expiry: privileged role grants and API keys carry an expiration date.

From meshStack's event log (the ``events`` source): every grant of a privileged role
(``... Role Added``) and every ``API Key Created`` event must carry ``content.expirationDate``,
and no ``... Role Expiration Date Changed`` event may take a privileged role's date away. An
event whose content has no ``expirationDate`` key at all cannot tell whether the access expires:
such events are counted and, when nothing else failed, the rule says ``not_tested`` with them.
"""

from __future__ import annotations

from typing import Any

from generator.evidence import eventlog as ev
from generator.evidence.context import (
    RuleContext,
    count_text,
    every,
    part_of,
    plural,
    was_were,
)
from generator.evidence.registry import Failure, Rule, RuleResult
from generator.rules.access_four_eyes import PRIVILEGED_DEFAULT
from generator.status import Status

API_KEY_CREATED = "API Key Created"
EXPIRY = "expirationDate"

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "privileged_roles": {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string", "minLength": 1},
            "default": PRIVILEGED_DEFAULT,
            "description": "roles whose grants must expire",
        },
        "api_keys": {
            "type": "boolean",
            "default": True,
            "description": "whether API keys must be created with an expiration date",
        },
    },
}

KINDS = {
    "no_expiry": (
        "A privileged role or an API key was given without an expiration date, or its date was "
        "removed."
    ),
}


def _population(events: list[ev.EventLike], privileged: set[str], api_keys: bool) -> list:
    chosen = []
    for event in events:
        if (
            (ev.is_grant(event) and ev.role_of(event) in privileged)
            or (
                ev.scope(event.title)
                and event.title.endswith(" Role Expiration Date Changed")
                and ev.role_of(event) in privileged
            )
            or (api_keys and event.title == API_KEY_CREATED)
        ):
            chosen.append(event)
    return chosen


def _what(event: ev.EventLike) -> str:
    if event.title == API_KEY_CREATED:
        name = event.content.get("name") or event.content.get("displayName") or event.uuid
        return f"API key {name}"
    return f"{ev.role_of(event)} for {ev.subject_of(event)} in {ev.target_of(event)}"


def _nouns(roles: bool, api_keys: bool) -> tuple[str, str]:
    if roles and api_keys:
        return "privileged grant or API key", "privileged grants and API keys"
    if api_keys:
        return "API key", "API keys"
    return "privileged grant", "privileged grants"


def evaluate(context: RuleContext, params: dict[str, Any]) -> RuleResult:
    data = context.source(ev.SOURCE)
    missing = ev.missing_result(data, "the expiry of privileged access and API keys")
    if missing:
        return missing
    privileged = set(params.get("privileged_roles", PRIVILEGED_DEFAULT))
    api_keys = params.get("api_keys", True)
    in_period = [e for e in ev.events_of(data) if ev.in_period(e, context.period)]
    population = _population(in_period, privileged, api_keys)
    failures, rows, unknown = [], [], []
    for event in population:
        if EXPIRY not in event.content:
            unknown.append(event)
            continue
        if event.content.get(EXPIRY):
            continue
        verb = "lost its expiration date" if event.title.endswith("Changed") else "has none"
        failures.append(
            Failure(
                f"{_what(event)}: {verb} ({event.title}, {event.author_type} {event.author})",
                window={"from": ev.utc_text(event.created_at), "to": ev.utc_text(event.created_at)},
                kind="no_expiry",
                items=(event.uuid,),
            )
        )
        rows.append(ev.event_row(event, "no expirationDate"))
    rows += [ev.event_row(e, "content has no expirationDate key") for e in unknown[:50]]
    details: dict[str, Any] = {
        "privileged_roles": sorted(privileged),
        "api_keys": api_keys,
        "undetermined": len(unknown),
        "reproduce": ev.reproduce(data, context.period, ev.titles_count(population)),
        "events": rows,
    }
    total, failed = len(population), len(failures)
    noun, nouns = _nouns(bool(privileged), api_keys)
    last = ev.newest_event_date(population)
    if failures:
        reason = (
            f"{part_of(failed, total, noun, nouns)} {was_were(failed)} given without an "
            "expiration date."
        )
        if unknown:
            reason += f" For {count_text(len(unknown))} more, the event content does not say."
        status = Status.DEVIATIONS
    elif unknown:
        return RuleResult(
            status=Status.NOT_TESTED,
            reason=(
                f"For {part_of(len(unknown), total, noun, nouns)} the event content has no "
                f"{EXPIRY}, so whether they expire cannot be told from the event log."
            ),
            population=total,
            details=details,
            last_evidence=last,
            events=tuple(e.uuid for e in population),
        )
    elif not population:
        return RuleResult(
            status=Status.NO_DEVIATIONS,
            reason=(
                f"The event log records no {nouns} in the period "
                f"({plural(len(in_period), 'event')} read), so none lacked an expiration date."
            ),
            details=details,
            last_evidence=ev.newest_event_date(in_period),
        )
    else:
        reason = f"{every(total, noun, nouns)} {was_were(total)} given with an expiration date."
        status = Status.NO_DEVIATIONS
    return RuleResult(
        status=status,
        reason=reason,
        population=total,
        passed=total - failed - len(unknown),
        failed=failed,
        failures=tuple(failures),
        details=details,
        last_evidence=last,
        events=tuple(e.uuid for e in population),
    )


RULE = Rule(
    kind="access-expiry",
    summary=(
        "Privileged role grants and API keys in meshStack's event log carry an expiration date."
    ),
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    reads=("events",),
    deviation_kinds=KINDS,
)
