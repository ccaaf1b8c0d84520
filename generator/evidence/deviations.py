"""Deviations: their stable ids, and each one once however many controls show it.

A rule's failure is a deviation of a kind the rule declares. Its id is ``DEV-`` and the first 12
hex digits of the SHA-256 of its canonical JSON (kind, sha, items and window; keys sorted, no
spaces), so the same deviation has the same id in every control, pack and period, and anyone can
recompute it (docs/auditors.md). The summary and ``--fail-on`` count the model's ``deviations``,
where a deviation shown under two controls is listed once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from generator.evidence.model import (
    ACCEPTED,
    OPEN,
    ControlRecord,
    DeviationCounts,
    DeviationRecord,
    FailureRecord,
)

# json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False). JSONEncoder.encode
# makes a new C encoder on every call (a third of an id's cost on a big population): this one
# is made once, with the arguments encode passes (no circular check, as check_circular=False).
_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_c_encode = (
    json.encoder.c_make_encoder(  # type: ignore[attr-defined]
        None, _JSON.default, json.encoder.encode_basestring, None, ":", ",", True, False, True
    )
    if json.encoder.c_make_encoder  # type: ignore[attr-defined]
    else None
)


def _encode(value: dict[str, Any]) -> str:
    return "".join(_c_encode(value, 0)) if _c_encode else _JSON.encode(value)


def canonical(kind: str, sha: str | None, items: Iterable[str], window: Any) -> str:
    """The text a deviation id is the hash of."""
    return _encode({"kind": kind, "sha": sha, "items": list(items), "window": window})


def deviation_id(
    kind: str, sha: str | None, items: Iterable[str] = (), window: Mapping[str, Any] | None = None
) -> str:
    text = canonical(kind, sha, items, dict(window) if window is not None else None)
    return "DEV-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _merged(failures: Iterable[FailureRecord]) -> dict[str, tuple[str, str | None]]:
    """id -> (state, exception) of failures seen together: open unless accepted wherever shown."""
    merged: dict[str, tuple[str, str | None]] = {}
    for failure in failures:
        state, exception = merged.get(failure.id, (ACCEPTED, None))
        if failure.state == OPEN:
            state = OPEN
        merged[failure.id] = (state, exception or failure.exception)
    return merged


def deviation_counts(failures: Iterable[FailureRecord]) -> DeviationCounts:
    """A control's deviations by state, each id counted once."""
    states = [state for state, _ in _merged(failures).values()]
    return DeviationCounts(open=states.count(OPEN), accepted=states.count(ACCEPTED))


def deviation_records(controls: Iterable[ControlRecord]) -> tuple[DeviationRecord, ...]:
    """Every deviation of the controls once, by id."""
    first: dict[str, tuple[str, FailureRecord]] = {}
    shown_in: dict[str, set[str]] = {}
    everywhere: list[FailureRecord] = []
    for control in controls:
        for result in control.results:
            for failure in result.failures:
                first.setdefault(failure.id, (result.rule, failure))
                shown_in.setdefault(failure.id, set()).add(control.id)
                everywhere.append(failure)
    states = _merged(everywhere)
    records = []
    for ident in sorted(first, key=lambda i: (first[i][1].kind, i)):
        rule, failure = first[ident]
        state, exception = states[ident]
        records.append(
            DeviationRecord(
                id=ident,
                kind=failure.kind,
                rule=rule,
                message=failure.message,
                sha=failure.sha,
                items=failure.items,
                window=failure.window,
                controls=tuple(sorted(shown_in[ident])),
                state=state,
                exception=exception if state == ACCEPTED else None,
            )
        )
    return tuple(records)


def summary_counts(deviations: Iterable[DeviationRecord]) -> DeviationCounts:
    """A pack's deviations by state (each once)."""
    states = [d.state for d in deviations]
    return DeviationCounts(open=states.count(OPEN), accepted=states.count(ACCEPTED))
