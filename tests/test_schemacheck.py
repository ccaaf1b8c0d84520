"""The schema checks' edge cases: a schema the written-out change check cannot write out (a
keyword it does not know, a definition that refers to itself) and a list's repeated items,
worded as what was found."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from generator import validate
from generator.evidence import schemacheck
from generator.testing import synthetic_evidence
from generator.testing_json import as_json
from generator.yamlio import load_yaml_text

TREE = {"tree": {"type": "array", "items": {"$ref": "#/$defs/tree"}}}
NODE = {
    "node": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "kids": {"$ref": "#/$defs/kids"}},
        "required": ["name", "kids"],
        "additionalProperties": False,
    },
    "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}},
}


@pytest.mark.parametrize("defs", [TREE, NODE], ids=["through items", "through properties"])
def test_a_recursive_reference_is_unsupported_not_a_recursion_error(defs):
    first = next(iter(defs))
    with pytest.raises(schemacheck.Unsupported, match="recursive reference"):
        schemacheck.value_check({"$ref": f"#/$defs/{first}"}, defs)


def test_a_definition_used_twice_side_by_side_is_not_recursive():
    defs = {"name": {"type": "string", "minLength": 1}}
    pair = {
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/name"}, "b": {"$ref": "#/$defs/name"}},
        "required": ["a", "b"],
        "additionalProperties": False,
    }
    check = schemacheck.value_check({"type": "array", "items": pair}, defs)
    assert check([{"a": "x", "b": "y"}]) and not check([{"a": "x", "b": ""}])


CASES = [
    ({"$ref": "#/$defs/tree"}, TREE, [[], [[], [[]]], [1], [[], "x"], "x"]),
    (
        {"$ref": "#/$defs/node"},
        NODE,
        [
            {"name": "a", "kids": []},
            {"name": "a", "kids": [{"name": "b", "kids": []}]},
            {"name": "a", "kids": [{"name": "b"}]},
            {"name": "a", "kids": [{"name": 1, "kids": []}]},
        ],
    ),
    ({"type": "array", "uniqueItems": True}, {}, [[1, 2], [1, 1.0], [True, 1], []]),
    ({"type": "string", "maxLength": 3}, {}, ["abc", "abcd", 3]),
]


@pytest.mark.parametrize("schema, defs, values", CASES, ids=["tree", "node", "unique", "max"])
def test_fit_check_falls_back_where_the_written_out_check_cannot_go(schema, defs, values):
    with pytest.raises(schemacheck.Unsupported):
        schemacheck.value_check(schema, defs)
    fits = schemacheck.fit_check(schema, defs)
    validator = Draft202012Validator({**schema, "$defs": defs})
    verdicts = [(fits(value), validator.is_valid(value)) for value in values]
    assert all(ours == theirs for ours, theirs in verdicts)
    assert {ours for ours, _ in verdicts} == {True, False}  # both verdicts are seen


@pytest.fixture
def grown_schema(monkeypatch):
    """The shipped evidence schema with the change records' subject limited by a keyword the
    written-out check does not know (maxLength)."""
    shipped = validate.load_schema("evidence")
    changes = shipped["properties"]["changes"]
    items = changes["items"]
    subject = {**items["properties"]["subject"], "maxLength": 40}
    grown_items = {**items, "properties": {**items["properties"], "subject": subject}}
    grown = {
        **shipped,
        "properties": {**shipped["properties"], "changes": {**changes, "items": grown_items}},
    }
    monkeypatch.setattr(
        validate, "load_schema", lambda name: grown if name == "evidence" else shipped
    )
    schemacheck._changes_check.cache_clear()
    yield
    schemacheck._changes_check.cache_clear()


def test_changes_fit_reads_on_when_the_schema_gains_a_keyword(grown_schema):
    change = as_json(synthetic_evidence(changes=1))["changes"][0]
    assert schemacheck.changes_fit([{**change, "subject": "short"}])
    assert not schemacheck.changes_fit([{**change, "subject": "x" * 41}])


def _soa_with(tested_from: list[str]) -> dict:
    data = as_json(synthetic_evidence(changes=2))
    data["soa"][0]["tested_from"] = tested_from
    return data


def test_repeated_items_are_named_at_each_repeat():
    problems = schemacheck.worded_problems(_soa_with(["git", "events", "git", "documents", "git"]))
    assert problems == [
        ("$.soa[0].tested_from[2]", "'git' is listed 3 times (first at $.soa[0].tested_from[0])"),
        ("$.soa[0].tested_from[4]", "'git' is listed 3 times (first at $.soa[0].tested_from[0])"),
    ]
    assert schemacheck.worded_problems(_soa_with(["events", "events"])) == [
        ("$.soa[0].tested_from[1]", "'events' is listed twice (first at $.soa[0].tested_from[0])")
    ]


def test_yaml_repeats_are_worded_as_json_schema_compares_them():
    schema = {"type": "object", "properties": {"a": {"type": "array", "uniqueItems": True}}}

    def problems(text: str) -> list[str]:
        return [str(p) for p in validate.schema_problems(load_yaml_text(text, "f.yml"), schema)]

    assert problems("a:\n  - x\n  - y\n  - x\n  - x\n") == [
        "f.yml:4:5: a: 'x' is listed 3 times (first on line 2)",
        "f.yml:5:5: a: 'x' is listed 3 times (first on line 2)",
    ]
    # 1 and 1.0 are one number to JSON Schema (jsonschema found the repeat, the wording did not)
    assert problems("a: [1, 1.0]\n") == ["f.yml:1:8: a: '1.0' is listed twice (first on line 1)"]
    assert problems("a: [true, 1, {b: 1}, {b: 1.0}]\n") == [
        "f.yml:1:22: a: {'b': 1.0} is listed twice (first on line 1)"
    ]
    assert problems("a: [true, 1]\n") == []
    assert validate.repeated_items([1, True, 1.0, "1", None, None]) == [[0, 2], [4, 5]]
