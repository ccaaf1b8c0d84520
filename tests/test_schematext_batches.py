"""The compiled writer checks and writes a list's members column by column, many at once: a
member that does not fit among many that do is still caught, wherever it stands, and the text of
many members is the text of each written alone.

Each shortcut of the batches has its case: a person (text fields only) written once per distinct
value, a shas list checked by one pattern over its column, lists of lists regrouped by length
(empty ones among them), nulls among values, counts checked by their minimum, enums of text.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from dataclasses import replace
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from test_schematext import SCHEMA, VALIDATOR, _broken, _generic_plain, _variants, rich_model

from generator.evidence import codec
from generator.evidence.jsonstream import _encode
from generator.evidence.model import ChangeRecord, Identity
from generator.evidence.schematext import BATCH, Misfit, list_pieces, record_encoder
from generator.testing import synthetic_evidence

CHANGES = list_pieces(SCHEMA["properties"]["changes"], SCHEMA["$defs"], 1)


def written(pieces: Any) -> str | None:
    try:
        return "".join(pieces)
    except Misfit:
        return None


def test_a_broken_change_among_good_ones_is_caught_wherever_it_stands():
    model = synthetic_evidence(changes=6, hostile=True)
    good = list(model.changes)
    assert written(CHANGES(good)) == _encode(codec.to_plain(good), 1)
    seen = refused = 0
    for variant in _broken(good[0]):
        try:
            plain = json.loads(json.dumps(codec.record_plain(variant)))
        except (AttributeError, TypeError, ValueError):
            continue
        fits = VALIDATOR.is_valid(plain)
        for at in (0, 3, len(good)):
            listed = [*good[:at], variant, *good[at:]]
            text = written(CHANGES(listed))
            assert (text is not None) == fits, (variant, at)
            if fits:
                assert text == _encode(codec.to_plain(listed), 1)
        seen += 1
        refused += not fits
    assert seen > 100 and refused > 80


def test_a_broken_member_among_good_ones_is_caught_in_every_section():
    """Every section's first record broken each way the per-section test breaks it, placed
    between two good ones: the verdict is jsonschema's and the text the plain path's."""
    model = rich_model()
    checked = 0
    for key, writer in codec._section_writers().items():
        value = getattr(model, _name(model, key))
        if key == "changes" or not isinstance(value, tuple) or not value:
            continue
        schema = {**SCHEMA["properties"][key], "$defs": SCHEMA["$defs"]}
        validator = Draft202012Validator(schema)
        for variant in _variants(value[0]):
            listed = (value[0], variant, *value[1:], value[0])
            plain = json.loads(json.dumps(_generic_plain(listed)))
            text = written(writer(listed))
            assert (text is not None) == validator.is_valid(plain), (key, variant)
            if text is not None:
                assert text == _encode(plain, 1), (key, variant)
            checked += 1
    assert checked > 1000


def _name(model: Any, key: str) -> str:
    (name,) = [f.name for f in dataclasses.fields(model) if f.metadata.get("json", f.name) == key]
    return name


def test_a_person_written_once_for_many_equal_ones_still_checks_every_one():
    people = record_encoder(
        {"type": "array", "items": {"$ref": "#/$defs/identity"}}, SCHEMA["$defs"], 1
    )
    ann = Identity("Ann", "ann@example.com")
    many = [ann] * 50 + [Identity("Bob", "bob@example.com")] * 50
    assert people(many) == _encode([{"name": p.name, "email": p.email} for p in many], 1)
    # A bad value equal (==) to a good one must not borrow the good one's verdict.
    for bad in (Identity("Ann", None), Identity(1, "e"), Identity(True, "e"), ("Ann", "a")):
        for at in (0, 30, 100):
            with pytest.raises(Misfit):
                people([*many[:at], bad, *many[at:]])
    with pytest.raises(Misfit):
        people([Identity(1, "e"), Identity(1, "e")])  # only misfits, all equal


def test_a_bad_sha_in_a_long_list_is_caught_and_a_good_list_written_as_the_plain_path():
    shas = record_encoder({"type": "array", "items": {"$ref": "#/$defs/sha"}}, SCHEMA["$defs"], 1)
    good = [f"{n:040x}" for n in range(3000)]
    assert shas(good) == _encode(good, 1)
    for bad in ("A" * 40, "a" * 39, "a" * 41, None, 7, ["a" * 40]):
        for at in (0, 1500, len(good)):
            with pytest.raises(Misfit):
                shas([*good[:at], bad, *good[at:]])
    assert shas(["a" * 40 + "\n"]) == _encode(["a" * 40 + "\n"], 1)  # as jsonschema's search


@dataclasses.dataclass(frozen=True)
class _Holder:
    lists: Any
    count: Any
    state: Any
    note: Any


class _State(enum.StrEnum):
    OPEN = "open"


_HOLDER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["lists", "count", "state", "note"],
    "properties": {
        "lists": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "count": {"type": "integer", "minimum": 0},
        "state": {"enum": ["open", "accepted", None]},
        "note": {"type": ["string", "null"], "minLength": 2},
    },
}


@pytest.mark.parametrize(
    "bad",
    [
        {"lists": ()},  # minItems, among lists of other lengths
        {"lists": ("a", 1)},
        {"lists": "ab"},
        {"count": -1},
        {"count": True},
        {"count": 1.5},
        {"state": "closed"},
        {"state": 1},
        {"note": "x"},  # minLength among nulls and longer texts
        {"note": 3},
    ],
)
def test_lists_counts_enums_and_nulls_checked_many_at_once_still_catch_one_misfit(bad: dict):
    encode = record_encoder({"type": "array", "items": _HOLDER}, {}, 1)
    good = [
        _Holder(("a",), 0, "open", None),
        _Holder(("a", "b", "c"), 7, None, "text"),
        _Holder(("c",), 10**20, _State.OPEN, None),
        _Holder(("d", "e"), 3.0, "accepted", "no"),
    ]
    assert encode(good) == _encode([dataclasses.asdict(h) for h in good], 1)
    broken = replace(good[1], **bad)
    for at in (0, 2, 4):
        with pytest.raises(Misfit):
            encode([*good[:at], broken, *good[at:]])


def test_empty_and_one_member_lists_among_others_are_laid_out_as_the_plain_path():
    encode = record_encoder(
        {"type": "array", "items": {"type": "array", "items": {"$ref": "#/$defs/identity"}}},
        SCHEMA["$defs"],
        2,
    )
    ann, bob = Identity("Ann", "a"), Identity("Bob", "b")
    for lists in ([[]], [[], []], [[ann], [], [ann, bob], []], [[bob]], [[ann, bob, ann]]):
        plain = [[{"name": p.name, "email": p.email} for p in people] for people in lists]
        assert encode(lists) == _encode(plain, 2)


def test_records_of_several_types_in_one_list_are_each_checked_by_their_type():
    model = synthetic_evidence(changes=3)
    mixed = [model.changes[0], codec.record_plain(model.changes[1]), model.changes[2]]
    assert written(CHANGES(mixed)) == _encode(codec.to_plain(mixed), 1)
    wrong_type = [model.changes[0], model.changes[1].author, model.changes[2]]
    assert written(CHANGES(wrong_type)) is None
    assert written(CHANGES([*model.changes, ChangeRecord])) is None  # a type, not a record


@pytest.mark.parametrize("unique", [False, True])
def test_lists_of_more_members_than_a_batch_are_written_list_by_list_as_the_plain_path(unique):
    """Past BATCH members in all, the lists are written one by one, each in batches: empty
    lists among them stay "[]", and a misfit or a repeat in any batch is caught."""
    inner = {"type": "array", "items": {"$ref": "#/$defs/sha"}, "uniqueItems": unique}
    encode = record_encoder({"type": "array", "items": inner}, SCHEMA["$defs"], 2)
    big = [f"{n:040x}" for n in range(BATCH * 2 + 5)]
    lists = [[], big, [], big[:3], []]
    assert encode(lists) == _encode(lists, 2)
    with pytest.raises(Misfit):
        encode([[], [*big[: BATCH + 1], "not-a-sha", *big[BATCH + 1 :]], []])
    if unique:
        with pytest.raises(Misfit):
            encode([[], [*big, big[BATCH + 3]]])
