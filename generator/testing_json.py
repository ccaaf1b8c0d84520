"""A model's JSON values for tests: planting values in a model (synthetic or built) as
evidence.json holds them, and reading them back as reading evidence.json does.

A test that needs a model no build makes (a failure of a kind the demo has none of, a value at
a schema's edge) edits the JSON values; ``from_json`` then checks them against the schema, so a
planted value the schema refuses fails the test instead of reaching a renderer.
"""

from __future__ import annotations

import json
from typing import Any

from generator.evidence.codec import from_plain, loads, to_plain
from generator.evidence.deviations import deviation_counts, deviation_records
from generator.evidence.evaluate import failure_record
from generator.evidence.model import ControlRecord, EvidenceModel
from generator.evidence.registry import Failure


def as_json(model: EvidenceModel) -> dict[str, Any]:
    """The model's JSON values (as evidence.json holds them), for a test to plant values in."""
    return to_plain(model)


def from_json(data: dict[str, Any]) -> EvidenceModel:
    """The typed model of JSON values, schema-checked as reading evidence.json is."""
    return loads(json.dumps(data), "<test model>")


def failure_json(
    sha: str | None,
    message: str,
    *,
    kind: str = "unapproved",
    exception: str | None = None,
    window: dict[str, Any] | None = None,
    items: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A failure as evidence.json lists it (its id computed), for a test to plant in a model."""
    failure = Failure(message, sha, window, kind=kind, items=items)
    return to_plain(failure_record(failure, exception))


def with_deviations(data: dict[str, Any]) -> dict[str, Any]:
    """JSON values whose deviation counts and top-level list follow their controls' failures,
    after a test planted failures in them."""
    controls = [from_plain(c, ControlRecord) for c in data["controls"]]
    for plain, control in zip(data["controls"], controls, strict=True):
        plain["deviations"] = to_plain(
            deviation_counts(f for r in control.results for f in r.failures)
        )
    data["deviations"] = to_plain(deviation_records(controls))
    return data
