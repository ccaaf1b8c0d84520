"""Records straight to evidence.json's text, checked against their JSON schema on the way.

The change records are most of a long history's model (88,000 on the 100k-commit benchmark).
The plain path turns each into JSON values, checks those against the schema and lays them out
(``codec.to_plain``, ``codec.changes_fit``, ``jsonstream``): three walks over the same data. Here
the item schema is compiled once into one function per keyword set, which checks a typed record's
values while it writes them, in the layout of ``json.dumps(indent=2, ensure_ascii=False)``.

Only the keywords the change schema uses are understood (``type``, ``pattern``, ``enum``,
``items``, ``minItems``, ``properties``, ``required``, ``additionalProperties``, ``$ref``); a
schema with any other keyword is ``Unsupported`` and the caller takes the plain path. A record
that does not fit raises ``Misfit`` without saying why: the caller asks the plain path to word
every violation. ``tests/test_schematext.py`` compares both paths, bytes and verdicts.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from operator import attrgetter
from typing import Any

from generator.evidence.jsonstream import INDENT

Encoder = Callable[[Any], str]

_string = json.encoder.c_encode_basestring or json.encoder.py_encode_basestring  # type: ignore[attr-defined]
_NOTES = frozenset(("description", "title", "$comment"))
_UNDERSTOOD = _NOTES | {
    "type",
    "pattern",
    "enum",
    "items",
    "minItems",
    "properties",
    "required",
    "additionalProperties",
}


_SEQUENCES = (tuple, list)


class Unsupported(ValueError):
    """The schema uses a keyword this writer does not check."""


class Misfit(ValueError):
    """A value does not fit the schema (the plain path says how)."""


def record_encoder(schema: Mapping[str, Any], defs: Mapping[str, Any], depth: int) -> Encoder:
    """A function giving one value's text at ``depth``; raises Misfit for a value not fitting."""
    return _compile(schema, defs, depth)


def _compile(schema: Mapping[str, Any], defs: Mapping[str, Any], depth: int) -> Encoder:
    if "$ref" in schema:
        if set(schema) - _NOTES - {"$ref"}:
            raise Unsupported("$ref beside other keywords")
        prefix = "#/$defs/"
        ref = schema["$ref"]
        if not ref.startswith(prefix) or ref[len(prefix) :] not in defs:
            raise Unsupported(f"reference {ref}")
        return _compile(defs[ref[len(prefix) :]], defs, depth)
    unknown = set(schema) - _UNDERSTOOD
    if unknown:
        raise Unsupported(", ".join(sorted(unknown)))
    if "enum" in schema:
        return _enum(schema)
    kinds = schema.get("type")
    if isinstance(kinds, list):
        if len(kinds) != 2 or "null" not in kinds:
            raise Unsupported(f"type {kinds}")
        (kind,) = [k for k in kinds if k != "null"]
        inner = _compile({**schema, "type": kind}, defs, depth)
        return lambda value: "null" if value is None else inner(value)
    if kinds == "string":
        return _text(schema.get("pattern"))
    if kinds == "boolean":
        return _boolean
    if kinds == "array":
        return _array(schema, defs, depth)
    if kinds == "object" and "properties" in schema:
        return _record(schema, defs, depth)
    if kinds == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        return _mapping(schema, defs, depth)
    raise Unsupported(f"type {kinds}")


def _enum(schema: Mapping[str, Any]) -> Encoder:
    allowed = schema["enum"]
    if set(schema) - _NOTES - {"enum"} or not all(type(v) is str for v in allowed):
        raise Unsupported("enum of other than strings")
    members = frozenset(allowed)

    def encode(value: Any) -> str:
        if isinstance(value, str) and value in members:
            return _string(value)
        raise Misfit

    return encode


def _text(pattern: str | None) -> Encoder:
    search = re.compile(pattern).search if pattern else None

    def encode(value: Any) -> str:
        if not isinstance(value, str) or (search and not search(value)):
            raise Misfit
        return _string(value)

    return encode


def _boolean(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    raise Misfit


def _array(schema: Mapping[str, Any], defs: Mapping[str, Any], depth: int) -> Encoder:
    item = _compile(schema.get("items", {"type": "string"}), defs, depth + 1)
    least = schema.get("minItems", 0)
    open_, close = "[\n" + INDENT * (depth + 1), "\n" + INDENT * depth + "]"
    separator = ",\n" + INDENT * (depth + 1)

    def encode(value: Any) -> str:
        if type(value) not in _SEQUENCES or len(value) < least:
            raise Misfit
        if not value:
            return "[]"
        return open_ + separator.join([item(v) for v in value]) + close

    return encode


def _mapping(schema: Mapping[str, Any], defs: Mapping[str, Any], depth: int) -> Encoder:
    if set(schema) - _NOTES - {"type", "additionalProperties"}:
        raise Unsupported("object keywords beside additionalProperties")
    member = _compile(schema["additionalProperties"], defs, depth + 1)
    open_, close = "{\n" + INDENT * (depth + 1), "\n" + INDENT * depth + "}"
    separator = ",\n" + INDENT * (depth + 1)

    def encode(value: Any) -> str:
        if type(value) is not dict:
            raise Misfit
        if not value:
            return "{}"
        for key in value:
            if type(key) is not str:
                raise Misfit  # json would write it as text; the schema's keys are text
        body = separator.join([_string(k) + ": " + member(v) for k, v in value.items()])
        return open_ + body + close

    return encode


def _record(schema: Mapping[str, Any], defs: Mapping[str, Any], depth: int) -> Encoder:
    properties = schema["properties"]
    closed = schema.get("additionalProperties") is False
    if not properties or not closed or set(schema.get("required", ())) != set(properties):
        raise Unsupported("objects other than closed records with every property required")
    members = {key: _compile(sub, defs, depth + 1) for key, sub in properties.items()}
    indent, close = "\n" + INDENT * (depth + 1), "\n" + INDENT * depth + "}"

    @cache
    def layout(cls: type) -> tuple[tuple[str, Callable[[Any], Any], Encoder], ...] | None:
        # A record type fits when its JSON keys are exactly the schema's; written in field order.
        if not dataclasses.is_dataclass(cls):
            return None
        keys = [(f.metadata.get("json", f.name), f.name) for f in dataclasses.fields(cls)]
        if {key for key, _ in keys} != set(members) or len(keys) != len(members):
            return None
        prefixes = [
            ("{" if i == 0 else ",") + indent + _string(key) + ": "
            for i, (key, _) in enumerate(keys)
        ]
        return tuple(
            (prefix, attrgetter(name), members[key])
            for prefix, (key, name) in zip(prefixes, keys, strict=True)
        )

    def encode(value: Any) -> str:
        parts = layout(type(value))
        if parts is None:
            raise Misfit
        return "".join([prefix + member(get(value)) for prefix, get, member in parts]) + close

    return encode
