"""evidence.json's JSON values against evidence.schema.json: is it valid, and if not, where.

fastjsonschema, compiled once per process from the schema with its ``$ref``s inlined, answers
whether the values fit: the code it generates for a ``$ref`` calls a function whose argument
(the JSON path, for a message) is formatted from ``locals()`` of a function with thousands of
names, once per referenced value, which on the 100k-commit benchmark's 90,230 deviations took 7.6
of the 7.9 s the check cost; inlined, the check takes 0.5 s. The change records, most of a long
history's model, are checked by ``changes_fit``, compiled from the schema to one expression. Only
when a check finds a violation is jsonschema asked for all of them, worded and located.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from generator.evidence.schematext import NOTE_KEYWORDS, Unsupported

SCHEMA_NAME = "evidence"


class RecursiveReference(ValueError):
    """A definition of the schema refers to itself, through others or its members."""


def inlined(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema with each ``$ref`` to its ``$defs`` replaced by the definition (a copy);
    RecursiveReference if a definition refers back to itself, which cannot be inlined."""
    defs = schema.get("$defs", {})
    prefix = "#/$defs/"

    def walk(node: Any, seen: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [walk(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith(prefix):
            return {key: walk(value, seen) for key, value in node.items() if key != "$defs"}
        name = ref[len(prefix) :]
        if name in seen:
            raise RecursiveReference(f"the schema's {ref} refers to itself")
        target = walk(defs[name], seen | {name})
        beside = {key: walk(value, seen) for key, value in node.items() if key != "$ref"}
        # Keywords beside a $ref apply as well as the definition (2020-12): both, not a merge.
        return {"allOf": [target, beside]} if set(beside) - NOTE_KEYWORDS else target

    return walk(dict(schema), frozenset())


@cache
def _fast_check() -> Callable[[Any], Any]:
    """The schema compiled by fastjsonschema, change records left to ``changes_fit``."""
    from generator.validate import load_schema

    schema = load_schema(SCHEMA_NAME)
    properties = {**schema["properties"], "changes": {"type": "array"}}
    return _compiled({**schema, "properties": properties})


def compiled(schema: Mapping[str, Any]) -> Callable[[Any], Any]:
    """``schema`` (its ``$ref``s to its ``$defs`` inlined) compiled by fastjsonschema."""
    return _compiled(schema)


def _compiled(schema: Mapping[str, Any]) -> Callable[[Any], Any]:
    import fastjsonschema

    try:
        flat = inlined(schema)
    except RecursiveReference:
        flat = dict(schema)  # fastjsonschema follows its $refs itself: slower (see above), right
    # fastjsonschema may rewrite the schema it is given in place: it gets its own copy, so the
    # shared (cached) schema stays as shipped for everything else that reads it.
    return fastjsonschema.compile(copy.deepcopy(flat))


def schema_problems(data: Any) -> list[tuple[str, str]]:
    """Every violation of evidence.schema.json as (JSON path, message); none: []."""
    import fastjsonschema

    try:
        _fast_check()(data)
        if changes_fit(data["changes"]):
            return []
    except fastjsonschema.JsonSchemaValueException:
        pass
    return worded_problems(data)


def worded_problems(data: Any) -> list[tuple[str, str]]:
    """Every violation of evidence.schema.json in `data`, worded by jsonschema (slow: only
    called once a fast check has said there is one; none found is still one, at ``$``)."""
    from jsonschema import Draft202012Validator

    from generator.validate import load_schema

    validator = Draft202012Validator(load_schema(SCHEMA_NAME))
    found = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    return [problem for e in found for problem in worded(e)] or [
        ("$", "does not match the evidence schema")
    ]


def worded(error: Any, at: tuple[str | int, ...] = ()) -> list[tuple[str, str]]:
    """A jsonschema error as (JSON path, message) problems; ``at``: where the value checked is
    in the document. A list with repeated items is a problem at each repeat, naming the item
    and where it was first (jsonschema says only that the list has non-unique elements)."""
    from generator.validate import listed_times, repeated_items

    path = (*at, *error.absolute_path)
    if error.validator == "uniqueItems" and isinstance(error.instance, list):
        groups = repeated_items(error.instance)
        if groups:
            return [
                (
                    json_path((*path, n)),
                    f"{shortened(repr(error.instance[n]))} is listed {listed_times(len(group))} "
                    f"(first at {json_path((*path, group[0]))})",
                )
                for group in groups
                for n in group[1:]
            ]
    return [(json_path(path), shortened(error.message))]


_MESSAGE_CHARS = 300  # of a problem's words: jsonschema quotes the whole value found


def shortened(message: str) -> str:
    """A problem's message, at most _MESSAGE_CHARS long: a value of megabytes in a crafted pack
    (quoted whole by jsonschema) is cut in the middle, keeping what was expected at the end."""
    if len(message) <= _MESSAGE_CHARS:
        return message
    keep = _MESSAGE_CHARS // 2
    return f"{message[:keep]} … {message[-keep:]}"


# The change records are most of a long history's model (100,000 on the 100k-commit benchmark):
# checked by fastjsonschema they cost three times json.dumps of the whole model, checked by
# schematext's compiled writer (which lays out text as it checks) four times this check. Here
# their schema is written out as one Python expression of type, key-set and pattern tests
# (``type(v) is str and ...``), compiled once: the test a hand-written check would make, without
# a second copy of the schema. Only a yes/no: jsonschema words what is wrong
# (tests/test_evidence_codec.py compares the verdicts with jsonschema's on every kind of
# violation).
_TYPES = {"string": "str", "boolean": "bool", "array": "list", "object": "dict"}
_KEYWORDS = {  # what value_check understands, by type
    "string": {"type", "pattern", "minLength"},
    "boolean": {"type"},
    "array": {"type", "items", "minItems"},
    "object": {"type", "properties", "required", "additionalProperties"},
}


def changes_fit(changes: Any) -> bool:
    """Whether every change record fits the schema's ``changes`` items."""
    return _changes_check()(changes)


@cache
def _changes_check() -> Callable[[Any], bool]:
    from generator.validate import load_schema

    schema = load_schema(SCHEMA_NAME)
    return fit_check(schema["properties"]["changes"], schema["$defs"])


def fit_check(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Callable[[Any], bool]:
    """A function saying whether a JSON value fits `schema`: ``value_check``'s where it
    understands the schema, else (a keyword it does not know, a recursive ``$ref``)
    fastjsonschema's, slower and as right, so a schema that grows never breaks reading."""
    try:
        return value_check(schema, defs)
    except Unsupported:
        pass
    import fastjsonschema

    check = _compiled({**schema, "$defs": defs})

    def fits(value: Any) -> bool:
        try:
            check(value)
        except fastjsonschema.JsonSchemaValueException:
            return False
        return True

    return fits


def value_check(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Callable[[Any], bool]:
    """A function saying whether a JSON value fits `schema` (``$ref``s into `defs`); Unsupported
    for a keyword other than ``type``, ``pattern``, ``minLength``, ``enum`` of text and null,
    ``items``, ``minItems``, ``properties`` with all of them ``required`` and no
    ``additionalProperties``, ``additionalProperties`` alone, ``anyOf`` of a schema and null."""
    expression = _Expression(defs)
    source = f"def check(v0):\n    return {expression.of(schema, 'v0', 0)}\n"
    namespace = dict(expression.constants)
    exec(compile(source, f"<{SCHEMA_NAME} schema check>", "exec"), namespace)
    return namespace["check"]


@dataclasses.dataclass
class _Expression:
    """A schema as a Python expression testing a value; regexes and key sets as constants.
    Only key names (as literals) and the names made here go into the source text."""

    defs: Mapping[str, Any]
    constants: dict[str, Any] = dataclasses.field(default_factory=dict)
    expanding: set[str] = dataclasses.field(default_factory=set)  # the $refs being written out

    def constant(self, value: Any) -> str:
        name = f"_c{len(self.constants)}"
        self.constants[name] = value
        return name

    def resolve(self, schema: Mapping[str, Any]) -> tuple[Mapping[str, Any], set[str]]:
        """The schema a chain of ``$ref``s leads to, and the references followed."""
        prefix, seen = "#/$defs/", set()
        while "$ref" in schema:
            ref = schema["$ref"]
            if set(schema) - NOTE_KEYWORDS - {"$ref"}:
                raise Unsupported("$ref beside other keywords")
            if not isinstance(ref, str) or ref.removeprefix(prefix) not in self.defs or ref in seen:
                raise Unsupported(f"reference {ref}")
            seen.add(ref)
            schema = self.defs[ref.removeprefix(prefix)]
        return schema, seen

    def of(self, schema: Mapping[str, Any], value: str, depth: int) -> str:
        schema, refs = self.resolve(schema)
        # A definition met again inside itself (through items, properties...) would be written
        # out without end: a recursive schema is no expression.
        if refs & self.expanding:
            raise Unsupported(f"recursive reference {sorted(refs & self.expanding)[0]}")
        self.expanding |= refs
        try:
            return self._of(schema, value, depth)
        finally:
            self.expanding -= refs

    def _of(self, schema: Mapping[str, Any], value: str, depth: int) -> str:
        keys = set(schema) - NOTE_KEYWORDS
        if "anyOf" in schema:
            alternatives = schema["anyOf"]
            others = [a for a in alternatives if a != {"type": "null"}]
            if keys != {"anyOf"} or len(alternatives) != 2 or len(others) != 1:
                raise Unsupported("anyOf other than a schema or null")
            return f"({value} is None or {self.of(others[0], value, depth)})"
        if "enum" in schema:
            allowed = schema["enum"]
            if keys != {"enum"} or not all(type(v) is str or v is None for v in allowed):
                raise Unsupported("enum of other than text and null")
            members = self.constant(frozenset(allowed))
            return f"((type({value}) is str or {value} is None) and {value} in {members})"
        kind = schema.get("type")
        if isinstance(kind, list):
            if len(kind) != 2 or "null" not in kind:
                raise Unsupported(f"type {kind}")
            (other,) = [k for k in kind if k != "null"]
            return f"({value} is None or {self.of({**schema, 'type': other}, value, depth)})"
        if kind not in _TYPES:
            raise Unsupported(f"type {kind}")
        tests = [f"type({value}) is {_TYPES[kind]}"]
        if not keys <= _KEYWORDS[kind]:
            raise Unsupported(f"{kind} with {', '.join(sorted(keys - _KEYWORDS[kind]))}")
        if "minLength" in schema:
            tests.append(f"len({value}) >= {int(schema['minLength'])}")
        if "pattern" in schema:
            search = self.constant(re.compile(schema["pattern"]).search)
            tests.append(f"{search}({value}) is not None")
        if schema.get("minItems", 0):
            tests.append(f"len({value}) >= {int(schema['minItems'])}")
        if "items" in schema:
            item = f"v{depth + 1}"
            tests.append(f"all({self.of(schema['items'], item, depth + 1)} for {item} in {value})")
        if kind == "object" and keys != {"type"}:
            tests.extend(self.record(schema, value, depth))
        return "(" + " and ".join(tests) + ")"

    def record(self, schema: Mapping[str, Any], value: str, depth: int) -> list[str]:
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        extra = schema.get("additionalProperties", True)
        if extra is False and required == properties.keys():  # a closed record
            keys = self.constant(frozenset(properties))
            return [f"{value}.keys() == {keys}"] + [
                self.of(sub, f"{value}[{key!r}]", depth) for key, sub in properties.items()
            ]
        if not properties and not required and isinstance(extra, Mapping):  # a map
            item = f"v{depth + 1}"
            return [f"all({self.of(extra, item, depth + 1)} for {item} in {value}.values())"]
        raise Unsupported("an object other than a closed record or a map")


def json_path(parts: Any) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def rest_problems(data: dict[str, Any], written: frozenset[str]) -> list[tuple[str, str]]:
    """The schema's violations by the sections not ``written`` (their check is the writer's)."""
    import fastjsonschema

    try:
        _rest_check(written)(data)
        return []
    except fastjsonschema.JsonSchemaValueException as exc:
        return [(json_path(exc.path[1:]), exc.message)]


@cache
def _rest_check(written: frozenset[str]) -> Callable[[Any], Any]:
    """The schema compiled by fastjsonschema, the sections ``written`` left to their writer."""
    from generator.validate import load_schema

    schema = load_schema(SCHEMA_NAME)
    properties = {key: {} if key in written else sub for key, sub in schema["properties"].items()}
    return _compiled({**schema, "properties": properties})
