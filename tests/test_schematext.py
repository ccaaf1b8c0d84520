"""Sections written while checked (schematext) equal the plain path: bytes, verdicts.

The change records first (the most numerous), then every other section of a model with every
kind of record: deviations, controls with their failures, documents, the event log, ...
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from generator.errors import BuildError
from generator.evidence import codec
from generator.evidence.changes_since import compare
from generator.evidence.deviations import deviation_records
from generator.evidence.jsonstream import _encode
from generator.evidence.model import (
    ChangeRecord,
    CorrectiveActionRecord,
    DeviationRecord,
    DocumentRecord,
    EvidenceModel,
    ExceptionRecord,
    FailureRecord,
    FileChange,
    Identity,
    PeriodRange,
)
from generator.evidence.schematext import Misfit, Unsupported, record_encoder
from generator.testing import _event_log, synthetic_evidence
from generator.validate import load_schema

SCHEMA = load_schema("evidence")
ITEMS = SCHEMA["properties"]["changes"]["items"]
WRITE = record_encoder(ITEMS, SCHEMA["$defs"], 2)
VALIDATOR = Draft202012Validator({**ITEMS, "$defs": SCHEMA["$defs"]})


def plain_text(change: ChangeRecord) -> str:
    return _encode(codec.to_plain(change), 2)


def test_every_change_of_a_hostile_model_is_written_as_the_plain_path_writes_it():
    model = synthetic_evidence(changes=120, hostile=True)
    assert [WRITE(c) for c in model.changes] == [plain_text(c) for c in model.changes]
    assert (
        codec.dumps(model) == json.dumps(codec.to_plain(model), indent=2, ensure_ascii=False) + "\n"
    )


_TEXT = st.text(st.characters(codec="utf-8"), max_size=10)
_PEOPLE = st.builds(Identity, _TEXT, _TEXT)
_SHA = st.text("0123456789abcdef", min_size=40, max_size=40)


BASE = synthetic_evidence(changes=1).changes[0]


# No deadline: the machines running the suite are shared, and the property is not about time.
@settings(max_examples=150, derandomize=True, database=None, deadline=None)
@given(
    parents=st.lists(_SHA, max_size=3).map(tuple),
    environments=st.lists(_TEXT, min_size=1, max_size=3).map(tuple),
    people=st.lists(_PEOPLE, max_size=3).map(tuple),
    text=_TEXT,
    files=st.lists(st.builds(FileChange, _TEXT, _TEXT, st.none() | _TEXT), max_size=3).map(tuple),
    flags=st.tuples(st.booleans(), st.booleans(), st.none() | st.booleans()),
    releases=st.dictionaries(_TEXT, _TEXT, max_size=3),
)
def test_generated_changes_are_written_as_the_plain_path_writes_them(
    parents, environments, people, text, files, flags, releases
):
    base = BASE
    change = replace(
        base,
        parents=parents,
        environments=environments,
        approvers=people,
        authors=people[::-1],
        subject=text,
        body=text * 3,
        files=files,
        self_approved=flags[0],
        signed=flags[1],
        verified=flags[2],
        releases=releases,
        author=people[0] if people else base.author,
    )
    assert WRITE(change) == plain_text(change)


def _broken(change: ChangeRecord) -> list[ChangeRecord]:
    """The change with every field given wrong or edge values a typed record can carry."""
    variants = []
    for field in dataclasses.fields(change):
        for value in (7, None, "x", (), {}, True):
            variants.append(replace(change, **{field.name: value}))
    person = change.author
    variants += [
        replace(change, sha="A" * 40),
        replace(change, sha="a" * 39),
        replace(change, sha="a" * 64),
        replace(change, sha="a" * 40 + "\n"),
        replace(change, parents=("not-a-sha",)),
        replace(change, parents=["a" * 40]),
        replace(change, environments=("staging", 3)),
        replace(change, author=Identity(1, "e")),
        replace(change, author=FileChange("M", "p", None)),
        replace(change, approvers=(person, "n <e>")),
        replace(change, approvers=(person, Identity("n", None))),
        replace(change, files=(FileChange("M", None, None),)),
        replace(change, files=(FileChange("M", "p", 3),)),
        replace(change, files=(("M", "p", None),)),
        replace(change, signature="pgp"),
        replace(change, verified="yes"),
        replace(change, releases={"production": 1}),
        replace(change, subject="ok\u2028\x00"),
    ]
    return variants


def test_the_written_check_agrees_with_jsonschema_on_broken_records():
    change = synthetic_evidence(changes=1, hostile=True).changes[0]
    verdicts = []
    for variant in [change, *_broken(change)]:
        try:
            # the generic path: the spelled-out one (codec._change) turns a mapping given for a
            # list into a list, which would hide the very mistake compared here
            plain = json.loads(json.dumps(codec.record_plain(variant)))
        except (AttributeError, TypeError, ValueError):
            continue  # the plain path cannot even make JSON of it: nothing to compare with
        try:
            written = WRITE(variant)
        except Misfit:
            written = None
        schema_says = VALIDATOR.is_valid(plain)
        verdicts.append((schema_says, written is not None))
        if written is not None:
            assert written == plain_text(variant)
    assert all(schema_says == check_says for schema_says, check_says in verdicts), verdicts
    assert len(verdicts) > 100 and sum(not ok for ok, _ in verdicts) > 80
    assert verdicts[0] == (True, True)
    # Stricter than json where the schema cannot tell: a key that is not text is refused,
    # not written as text.
    with pytest.raises(Misfit):
        WRITE(replace(change, releases={1: "2026.1.0"}))


def test_a_schema_keyword_it_does_not_check_is_refused_and_the_plain_path_is_taken(
    monkeypatch: pytest.MonkeyPatch,
):
    for schema in (
        {"type": "string", "format": "date"},
        {"anyOf": []},
        {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        {"oneOf": [{"type": ["string", "null"]}, {"type": "null"}]},  # null fits both
        {"const": 3},
        {"type": "array", "uniqueItems": True, "items": {"type": "object"}},
        {"type": ["string", "integer"]},
    ):
        with pytest.raises(Unsupported):
            record_encoder(schema, {}, 2)
    model = rich_model()
    fast = codec.dumps(model)
    monkeypatch.setattr(codec, "_section_writers", lambda: {})
    assert codec.dumps(model) == fast


def test_a_change_that_does_not_fit_stops_the_file_and_every_problem_is_named(tmp_path: Path):
    model = synthetic_evidence(changes=30)
    changes = list(model.changes)
    changes[5] = replace(changes[5], sha="not-a-sha")
    changes[9] = replace(changes[9], signature="pgp")
    path = tmp_path / "evidence.json"
    with pytest.raises(BuildError) as refused:
        codec.write_model(replace(model, changes=tuple(changes)), path)
    message = str(refused.value)
    assert "$.changes[5].sha: 'not-a-sha' does not match" in message
    assert "$.changes[9].signature: 'pgp' is not one of" in message
    assert not path.exists()


def test_the_shipped_schema_is_written_by_the_compiled_writer():
    """A keyword added to the schema that the writer does not check would silently send every
    build back to the plain path's three walks: this says so instead. Only the two constant
    sections (``const``) take the plain path."""
    written = codec._section_writers()
    assert set(SCHEMA["properties"]) - set(written) == {"schema_version", "tool"}


# --- every other section ----------------------------------------------------------------------


def rich_model() -> EvidenceModel:
    """A hostile synthetic model with a record of every kind, windows, floats and nested
    details: what the sections' writers and the plain path are compared on."""
    model = synthetic_evidence(changes=20, hostile=True)
    previous = synthetic_evidence(changes=8, seed=1, period=("2025-07-01", "2025-12-31"))
    window = {"from_sha": None, "to_sha": "a" * 40, "from": "2026-01-01", "hours": 1.5e-7}
    failure = FailureRecord(
        "DEV-0123456789ab", "late", None, ("x\u2028", "=1"), window, "late\x00", "accepted", "EX-1"
    )
    control = model.controls[0]
    result = replace(
        control.results[0],
        failures=(*control.results[0].failures, failure),
        params={"hours": 48, "roles": ("production",), "nested": {"a": [1.0, None, {}]}},
        details={"latencies": ({"version": "1.0", "hours": math.inf}, {}), "empty": []},
        figures={"population": 3, "passed": 1, "failed": 2, "share": 0.5},
        documents=("b" * 64,),
    )
    controls = (replace(control, results=(result,)), *model.controls[1:])
    document = DocumentRecord(
        "docs/review.md", "repository", "c" * 40, "2026-03-11T16:45:00+01:00", "b" * 64, 812,
        "2026-03-11", PeriodRange("2026-01-01", "2026-03-31"), "pass", ("Lena",), (), None, (),
        ("MS-ACC-02",), "c" * 40, Identity("Lena", "lena@example.com"),
        Identity("Ole", "ole@example.com"),
    )  # fmt: skip
    undated = replace(
        document, commit=None, changed_in=None, author=None, committer=None, date=None,
        covers=None, result=None, problems=("x",),
    )  # fmt: skip
    exception = ExceptionRecord(
        "EX-1", ("late", "other"), None, None, window, None, None, "why", "Ann", "T-1",
        "2026-12-31", "active", ("DEV-1",),
    )  # fmt: skip
    action = CorrectiveActionRecord(
        "DEV-0123456789ab", "cause", "act", "Ann", "2026-09-30", "open", None, False, True
    )
    model = replace(
        model,
        controls=controls,
        deviations=deviation_records(controls),
        documents=(document, undated),
        exceptions=(
            exception,
            replace(exception, window=None, control="MS-CHG-01"),
            replace(exception, window=None, deviation="DEV-0123456789ab"),
            replace(exception, window=None, event="c2a54d56-c8cc-4062-ae6a-a179b58e41ac"),
        ),
        corrective_actions=(action,),
        event_log=_event_log("acme", hostile=True),
        promotions=(
            *model.promotions,
            replace(model.promotions[0], staging=None, staging_hours=None),
        ),
    )
    return replace(model, changes_since=compare(previous, model))


def test_every_section_of_a_rich_model_is_written_as_the_plain_path_writes_it(
    monkeypatch: pytest.MonkeyPatch,
):
    model = rich_model()
    plain = codec.to_plain(model)
    assert codec.schema_problems(plain) == []
    for key, writer in codec._section_writers().items():
        assert "".join(writer(plain_value(model, key))) == _encode(plain[key], 1), key
    expected = json.dumps(plain, indent=2, ensure_ascii=False) + "\n"
    assert codec.dumps(model) == expected
    monkeypatch.setattr(codec, "_section_writers", lambda: {})
    assert codec.dumps(model) == expected


def plain_value(model: EvidenceModel, key: str) -> Any:
    (name,) = [f.name for f in dataclasses.fields(model) if f.metadata.get("json", f.name) == key]
    return getattr(model, name)


_WINDOWS = st.none() | st.dictionaries(
    _TEXT,
    st.none() | st.booleans() | st.integers() | st.floats() | _TEXT | st.lists(_TEXT, max_size=2),
    max_size=4,
)
DEVIATIONS = codec._section_writers()["deviations"]


@settings(max_examples=150, derandomize=True, database=None, deadline=None)
@given(
    text=_TEXT,
    items=st.lists(_TEXT, max_size=3).map(tuple),
    window=_WINDOWS,
    controls=st.lists(_TEXT, min_size=1, max_size=3).map(tuple),
    state=st.sampled_from(("open", "accepted")),
    exception=st.none() | _TEXT,
)
def test_generated_deviations_are_written_as_the_plain_path_writes_them(
    text, items, window, controls, state, exception
):
    deviation = DeviationRecord(
        "DEV-0123456789ab", "late", text, text * 2, None, items, window, controls, state, exception
    )
    listed = (deviation, replace(deviation, sha="d" * 40))
    assert "".join(DEVIATIONS(listed)) == _encode(codec.to_plain(listed), 1)


_BAD = (7, -1, 1.5, None, "x", "", (), ("x",), {}, True, Identity("n", "e"))


def _variants(value: Any) -> Iterator[Any]:
    """``value`` with one field of one record (or key of a mapping; the first member of each
    list) given each of the _BAD values, or missing, or beside an extra key."""
    if dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            for bad in _BAD:
                yield replace(value, **{field.name: bad})
            for inner in _variants(getattr(value, field.name)):
                yield replace(value, **{field.name: inner})
    elif isinstance(value, tuple) and value:
        for inner in _variants(value[0]):
            yield (inner, *value[1:])
    elif isinstance(value, dict) and value:
        yield {**value, "extra": "x"}
        for key in value:
            yield {k: v for k, v in value.items() if k != key}
            for bad in _BAD:
                yield {**value, key: bad}


def _generic_plain(value: Any) -> Any:
    # Field by field, as jsonschema should see it: no spelled-out path that might hide a mistake.
    if dataclasses.is_dataclass(value):
        return {
            f.metadata.get("json", f.name): _generic_plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
        }
    if isinstance(value, tuple | list):
        return [_generic_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _generic_plain(v) for k, v in value.items()}
    return value


def test_the_written_check_agrees_with_jsonschema_on_broken_records_of_every_section():
    model = rich_model()
    checked = refused = 0
    for key, writer in codec._section_writers().items():
        if key == "changes":
            continue  # above, with the change records' own variants
        validator = Draft202012Validator({**SCHEMA["properties"][key], "$defs": SCHEMA["$defs"]})
        value = plain_value(model, key)
        if isinstance(value, tuple):
            value = value[:2]
        verdicts = []
        for variant in [value, *_variants(value)]:
            plain = json.loads(json.dumps(_generic_plain(variant)))
            try:
                written = "".join(writer(variant))
            except Misfit:
                written = None
            verdicts.append((validator.is_valid(plain), written is not None))
            if written is not None:
                assert written == _encode(plain, 1), (key, variant)
        disagreeing = [v for v, verdict in zip([value, *_variants(value)], verdicts, strict=True)
                       if verdict[0] != verdict[1]]  # fmt: skip
        assert not disagreeing, (key, disagreeing[:3])
        assert verdicts[0] == (True, True), key
        checked += len(verdicts)
        refused += sum(not valid for valid, _ in verdicts)
    assert checked > 2000 and refused > 1500  # most variants really are violations


def test_a_deviation_that_does_not_fit_stops_the_file_and_every_problem_is_named(
    tmp_path: Path,
):
    model = rich_model()
    deviations = list(model.deviations)
    deviations[0] = replace(deviations[0], id="DEV-1")
    deviations[-1] = replace(deviations[-1], controls=())
    path = tmp_path / "evidence.json"
    with pytest.raises(BuildError) as refused:
        codec.write_model(replace(model, deviations=tuple(deviations)), path)
    message = str(refused.value)
    assert "$.deviations[0].id: 'DEV-1' does not match" in message
    assert f"$.deviations[{len(deviations) - 1}].controls: [] should be non-empty" in message
    assert not path.exists()


@pytest.mark.parametrize(
    "items", [{"type": "string"}, {"type": "string", "pattern": "^a"}, {"enum": ["a", "b"]}]
)
def test_a_unique_list_holding_a_list_or_mapping_is_a_misfit_not_a_crash(items: dict):
    encode = record_encoder({"type": "array", "uniqueItems": True, "items": items}, {}, 1)
    assert encode(["a", "ab"] if "pattern" in items else ["a", "b"])
    for bad in (["a", ["a"]], [{"a": 1}, "a"], ["a", "a"]):
        with pytest.raises(Misfit):
            encode(bad)
