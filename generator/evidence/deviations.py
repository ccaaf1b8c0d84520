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
    """Every deviation of the controls once, by kind and id."""
    # id -> [the first showing's rule, then each showing's control id and failure]: one look-up
    # per failure (on a long history nearly every deviation is shown once, by one control).
    shown: dict[str, list[Any]] = {}
    for control in controls:
        control_id = control.id
        for result in control.results:
            rule = result.rule
            for failure in result.failures:
                showings = shown.get(failure.id)
                if showings is None:
                    shown[failure.id] = [rule, control_id, failure]
                else:
                    showings += (control_id, failure)
    order = sorted([(showings[2].kind, ident) for ident, showings in shown.items()])
    return tuple(_deviation_record(ident, shown[ident]) for _, ident in order)


def _deviation_record(ident: str, showings: list[Any]) -> DeviationRecord:
    rule, first = showings[0], showings[2]
    if len(showings) == 3:
        controls: tuple[str, ...] = (showings[1],)
        state, exception = OPEN if first.state == OPEN else ACCEPTED, first.exception
    else:
        controls = tuple(sorted(set(showings[1::2])))
        state, exception = _merged(showings[2::2])[ident]
    return DeviationRecord(
        id=ident,
        kind=first.kind,
        rule=rule,
        message=first.message,
        sha=first.sha,
        items=first.items,
        window=first.window,
        controls=controls,
        state=state,
        exception=exception if state == ACCEPTED else None,
    )


def summary_counts(deviations: Iterable[DeviationRecord]) -> DeviationCounts:
    """A pack's deviations by state (each once)."""
    states = [d.state for d in deviations]
    return DeviationCounts(open=states.count(OPEN), accepted=states.count(ACCEPTED))
