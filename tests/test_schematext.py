"""Change records written while checked (schematext) equal the plain path: bytes, verdicts."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from generator.errors import BuildError
from generator.evidence import codec
from generator.evidence.jsonstream import _encode
from generator.evidence.model import ChangeRecord, FileChange, Identity
from generator.evidence.schematext import Misfit, Unsupported, record_encoder
from generator.testing import synthetic_evidence
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
    for schema in ({"type": "string", "format": "date"}, {"anyOf": []}, {"type": "integer"}):
        with pytest.raises(Unsupported):
            record_encoder(schema, {}, 2)
    model = synthetic_evidence(changes=30, hostile=True)
    fast = codec.dumps(model)
    monkeypatch.setattr(codec, "_change_writer", lambda: None)
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
    """A keyword added to the change schema that the writer does not check would silently send
    every build back to the plain path's three walks: this says so instead."""
    assert codec._change_writer() is not None
