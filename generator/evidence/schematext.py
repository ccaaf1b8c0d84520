"""Records straight to evidence.json's text, checked against their JSON schema on the way.

On a long history most of the model is lists that grow with it: 100,000 change records, 90,000
deviations and as many failures under the controls on the 100k-commit benchmark. The plain path
turns each record into JSON values, checks those against the schema (fastjsonschema) and lays
them out (``codec.to_plain``, ``jsonstream``): three walks over the same data, the check alone
most of a build's writing time. Here a section's schema is compiled once into one function per
keyword set, which checks a typed record's values while it writes them, in the layout of
``json.dumps(indent=2, ensure_ascii=False)``.

Only the keywords the evidence schema uses are understood (``type``, ``pattern``, ``minLength``,
``enum``, ``minimum``, ``items``, ``minItems``, ``uniqueItems`` of text, ``properties``,
``required``, ``additionalProperties``, ``$ref``, and ``anyOf``/``oneOf`` of a schema and null);
a schema with any other keyword is ``Unsupported`` and the caller takes the plain path for that
section. A value that does not fit raises ``Misfit`` without saying why: the caller asks the plain
path to word every violation. Free-form objects (``{"type": "object"}``: a rule's params and
details, a deviation's window) are laid out by ``jsonstream`` as the plain path does.
``tests/test_schematext.py`` compares both paths, bytes and verdicts.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from itertools import repeat
from operator import add, attrgetter, call
from typing import Any

from generator.evidence.jsonstream import INDENT, _encode, _flat

Encoder = Callable[[Any], str]
Pieces = Callable[[Any], Iterator[str]]

_string = json.encoder.c_encode_basestring or json.encoder.py_encode_basestring  # type: ignore[attr-defined]
# Keywords that only annotate a schema: they constrain nothing.
NOTE_KEYWORDS = frozenset(("description", "title", "$comment"))
_UNDERSTOOD = NOTE_KEYWORDS | {
    "type",
    "pattern",
    "minLength",
    "enum",
    "minimum",
    "items",
    "minItems",
    "uniqueItems",
    "properties",
    "required",
    "additionalProperties",
}
_SEQUENCES = (tuple, list)


class Unsupported(ValueError):
    """The schema uses a keyword this writer does not check."""


class Misfit(ValueError):
    """A value does not fit the schema (the plain path says how)."""


def _same(value: Any) -> Any:
    return value


def record_encoder(
    schema: Mapping[str, Any],
    defs: Mapping[str, Any],
    depth: int,
    plain: Callable[[Any], Any] = _same,
) -> Encoder:
    """A function giving one value's text at ``depth``; raises Misfit for a value not fitting.

    ``plain`` turns a record inside a free-form object into JSON values (``codec.to_plain``).
    """
    return _Compiler(defs, plain).compile(schema, depth)


def list_pieces(
    schema: Mapping[str, Any],
    defs: Mapping[str, Any],
    depth: int,
    plain: Callable[[Any], Any] = _same,
) -> Pieces:
    """A function giving a list's text at ``depth`` in pieces, one per member (a long list is
    never one string); Misfit, raised while iterating, for a list or member not fitting."""
    if schema.get("type") != "array" or set(schema) - NOTE_KEYWORDS - {"type", "items", "minItems"}:
        raise Unsupported("a list section other than type, items and minItems")
    item = _Compiler(defs, plain).compile(schema.get("items", {}), depth + 1)
    least = schema.get("minItems", 0)
    inner, close = "\n" + INDENT * (depth + 1), "\n" + INDENT * depth + "]"

    def pieces(value: Any) -> Iterator[str]:
        if not isinstance(value, _SEQUENCES) or len(value) < least:
            raise Misfit
        if not value:
            yield "[]"
            return
        separator = "["
        for member in value:
            yield separator + inner + item(member)
            separator = ","
        yield close

    return pieces


@dataclasses.dataclass(frozen=True)
class _Compiler:
    defs: Mapping[str, Any]
    plain: Callable[[Any], Any]

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        if "$ref" not in schema:
            return schema
        if set(schema) - NOTE_KEYWORDS - {"$ref"}:
            raise Unsupported("$ref beside other keywords")
        prefix, ref = "#/$defs/", schema["$ref"]
        if not ref.startswith(prefix) or ref[len(prefix) :] not in self.defs:
            raise Unsupported(f"reference {ref}")
        return self.resolve(self.defs[ref[len(prefix) :]])

    def compile(self, schema: Mapping[str, Any], depth: int) -> Encoder:
        schema = self.resolve(schema)
        alternatives = schema.get("anyOf", schema.get("oneOf"))
        if alternatives is not None:
            return self.nullable(schema, alternatives, depth)
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
            return _or_null(self.compile({**schema, "type": kind}, depth))
        if kinds == "string":
            if "pattern" not in schema and "minLength" not in schema:
                return _any_text
            return _text(schema.get("pattern"), schema.get("minLength", 0))
        if kinds == "boolean":
            return _boolean
        if kinds in ("integer", "number"):
            return _number(kinds == "integer", schema.get("minimum"))
        if kinds == "array":
            return self.array(schema, depth)
        if kinds == "object" and (
            "properties" in schema or isinstance(schema.get("additionalProperties"), Mapping)
        ):
            return self.record(schema, depth)
        if kinds in ("object", None) and not set(schema) - NOTE_KEYWORDS - {"type"}:
            return self.anything(kinds, depth)
        raise Unsupported(f"type {kinds}")

    def nullable(self, schema: Mapping[str, Any], alternatives: Any, depth: int) -> Encoder:
        # anyOf/oneOf of one schema and {"type": "null"}: what a nullable record or $ref says.
        if set(schema) - NOTE_KEYWORDS - {"anyOf", "oneOf"} or not isinstance(alternatives, list):
            raise Unsupported("anyOf/oneOf beside other keywords")
        others = [a for a in alternatives if a != {"type": "null"}]
        if len(alternatives) != 2 or len(others) != 1:
            raise Unsupported("anyOf/oneOf other than a schema or null")
        inner = self.compile(others[0], depth)
        if "oneOf" in schema:
            try:
                inner(None)
            except Misfit:
                pass
            else:  # null would fit both: oneOf refuses it
                raise Unsupported("oneOf whose schema allows null")
        return _or_null(inner)

    def anything(self, kind: str | None, depth: int) -> Encoder:
        # A free-form value, laid out as the plain path does; a record in it made plain first.
        plain = self.plain

        def encode(value: Any) -> str:
            if kind == "object" and not isinstance(value, dict):
                value = plain(value)  # a record is an object once plain
                if not isinstance(value, dict):
                    raise Misfit
            try:
                return _encode(value, depth)
            except TypeError:  # a record inside: its JSON values
                return _encode(plain(value), depth)

        return encode

    def array(self, schema: Mapping[str, Any], depth: int) -> Encoder:
        items = self.resolve(schema.get("items", {}))
        item = self.compile(items, depth + 1)
        least = schema.get("minItems", 0)
        unique = schema.get("uniqueItems", False)
        if unique and items.get("type") != "string" and "enum" not in items:
            raise Unsupported("uniqueItems of other than text")
        if set(items) - NOTE_KEYWORDS - {"type", "pattern"} or items.get("type") != "string":
            texts = None
        else:  # a list of text (shas, say): checked in C loops, laid out by the C encoder
            texts = re.compile(items["pattern"]).search if "pattern" in items else _true
        open_, close = "[\n" + INDENT * (depth + 1), "\n" + INDENT * depth + "]"
        separator = ",\n" + INDENT * (depth + 1)

        def encode(value: Any) -> str:
            if type(value) not in _SEQUENCES or len(value) < least:
                raise Misfit
            if not value:
                return "[]"
            # Uniqueness after the members' types: a list or mapping member cannot be hashed.
            if texts is not None:
                if not all(map(isinstance, value, repeat(str))) or not all(map(texts, value)):
                    raise Misfit
                if unique and len(set(value)) != len(value):
                    raise Misfit
                return _flat(value, depth)
            pieces = [item(v) for v in value]
            if unique and len(set(pieces)) != len(pieces):  # equal values encode equally
                raise Misfit
            return open_ + separator.join(pieces) + close

        return encode

    def record(self, schema: Mapping[str, Any], depth: int) -> Encoder:
        properties = schema.get("properties", {})
        required = frozenset(schema.get("required", ()))
        extra = schema.get("additionalProperties", True)
        members = {key: self.compile(sub, depth + 1) for key, sub in properties.items()}
        if extra is False:
            other = None
        elif extra is True:
            other = self.anything(None, depth + 1)
        else:
            other = self.compile(extra, depth + 1)
        indent, close = "\n" + INDENT * (depth + 1), "\n" + INDENT * depth + "}"
        separator = "," + indent
        # Every member plain text (a person: name and email): checked and escaped in C loops.
        texts = other is None and all(e is _any_text for e in members.values())

        @cache
        def layout(cls: type) -> tuple[Callable[[Any], Any], tuple[str, ...], tuple[Encoder, ...]]:
            # A record type fits when its JSON keys do (field order, all present); else Misfit.
            if not dataclasses.is_dataclass(cls):
                raise Misfit
            keys = [(f.metadata.get("json", f.name), f.name) for f in dataclasses.fields(cls)]
            encoders = tuple(members.get(key, other) for key, _ in keys)
            if not required <= {key for key, _ in keys} or None in encoders:
                raise Misfit
            prefixes = tuple(("{" if i == 0 else ",") + indent + _string(key) + ": "
                             for i, (key, _) in enumerate(keys))  # fmt: skip
            names = [name for _, name in keys]
            get = attrgetter(*names) if len(names) > 1 else lambda v: (getattr(v, names[0]),)
            return get, prefixes, encoders

        def encode(value: Any) -> str:
            if isinstance(value, dict):
                return written_dict(value)
            get, prefixes, encoders = layout(type(value))
            if not prefixes:
                return "{}"
            values = get(value)
            if texts and all(map(isinstance, values, repeat(str))):
                return "".join(map(add, prefixes, map(_string, values))) + close
            return "".join(map(add, prefixes, map(call, encoders, values))) + close

        def written_dict(value: dict[Any, Any]) -> str:
            if not required <= value.keys():
                raise Misfit
            if not value:
                return "{}"
            parts = []
            for key, member in value.items():
                encode = members.get(key, other) if type(key) is str else None
                if encode is None:  # json would write a key that is not text as text: refused
                    raise Misfit
                parts.append(_string(key) + ": " + encode(member))
            return "{" + indent + separator.join(parts) + close

        return encode


def _true(_: Any) -> bool:
    return True


def _or_null(inner: Encoder) -> Encoder:
    return lambda value: "null" if value is None else inner(value)


def _enum(schema: Mapping[str, Any]) -> Encoder:
    allowed = schema["enum"]
    texts = all(type(v) is str or v is None for v in allowed)
    if set(schema) - NOTE_KEYWORDS - {"enum"} or not texts:
        raise Unsupported("enum of other than text and null")
    members = frozenset(v for v in allowed if v is not None)
    nullable = None in allowed

    def encode(value: Any) -> str:
        if isinstance(value, str) and value in members:
            return _string(value)
        if value is None and nullable:
            return "null"
        raise Misfit

    return encode


def _text(pattern: str | None, shortest: int) -> Encoder:
    search = re.compile(pattern).search if pattern else None

    def encode(value: Any) -> str:
        if not isinstance(value, str) or (search and not search(value)) or len(value) < shortest:
            raise Misfit
        return _string(value)

    return encode


def _any_text(value: Any) -> str:
    if not isinstance(value, str):
        raise Misfit
    return _string(value)


def _boolean(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    raise Misfit


def _number(whole: bool, minimum: float | None) -> Encoder:
    # As jsonschema: a bool is no number; an integer is an int or a float without a fraction.
    def encode(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Misfit
        if whole and not isinstance(value, int) and not value.is_integer():
            raise Misfit
        if minimum is not None and value < minimum:
            raise Misfit
        if type(value) is int:
            return int.__repr__(value)
        if isinstance(value, float) and math.isfinite(value):
            return float.__repr__(value)
        return _encode(value, 0)

    return encode
