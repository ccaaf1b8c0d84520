"""Records straight to evidence.json's text, checked against their JSON schema on the way.

On a long history most of the model is lists that grow with it: 100,000 change records, 90,000
deviations and as many failures under the controls on the 100k-commit benchmark. The plain path
turns each record into JSON values, checks those against the schema (fastjsonschema) and lays
them out (``codec.to_plain``, ``jsonstream``): three walks over the same data, the check alone
most of a build's writing time. Here a section's schema is compiled once into one function per
keyword set, which checks a typed record's values while it writes them, in the layout of
``json.dumps(indent=2, ensure_ascii=False)``.

Each compiled function takes many values at once (a batch) and gives each one's text: a list of
records is checked and written column by column (every change's sha, then every change's
parents, ...), so a check or an escape is one C loop over a column (``schemaleaves``) rather than
a Python call per value, and a record's text is the join of its keys and its fields' texts. The
members of a batch's lists are one batch too, regrouped by the lists' lengths; a record of text
fields only (a person) is written once per distinct value. A misfit anywhere in a batch is a
misfit of the batch: the caller does not need to know which member, the plain path words it.

Only the keywords the evidence schema uses are understood (``type``, ``pattern``, ``minLength``,
``enum``, ``minimum``, ``items``, ``minItems``, ``uniqueItems`` of text, ``properties``,
``required``, ``additionalProperties``, ``$ref``, and ``anyOf``/``oneOf`` of a schema and null);
a schema with any other keyword is ``Unsupported`` and the caller takes the plain path for that
section. A value that does not fit raises ``Misfit`` without saying why: the caller asks the plain
path to word every violation. Free-form objects (``{"type": "object"}``: a rule's params and
details, a deviation's window) are laid out by ``jsonstream`` as the plain path does.
``tests/test_schematext.py`` compares both paths, bytes and verdicts;
``tests/test_schematext_batches.py`` a misfit among many fitting values, for every shortcut.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cache
from itertools import chain, islice, repeat
from operator import attrgetter
from typing import Any

from generator.evidence.jsonstream import INDENT, _encode, _string
from generator.evidence.schemaleaves import (
    TEXT_LIKE,
    TEXT_OR_NULL,
    Batch,
    Misfit,
    booleans,
    enum_of_text,
    number,
    or_null,
    text,
)

Encoder = Callable[[Any], str]
Pieces = Callable[[Any], Iterator[str]]

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
_SEQUENCE_TYPES = frozenset(_SEQUENCES)
_join = "".join
# A long list is written in chunks of members, each one batch whose text (and columns) is held
# at once: about this many characters, so a chunk of small records (changes) is hundreds of them;
# a list of at most SHORT members (the controls) is written member by member.
CHUNK_TEXT = 1 << 20
SHORT = 64
# Members of lists (a result's failures) checked and written per call: bounds the columns held.
BATCH = 4096


class Unsupported(ValueError):
    """The schema uses a keyword this writer does not check."""


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
    many = _Compiler(defs, plain).compile(schema, depth)
    return lambda value: many((value,))[0]


def list_pieces(
    schema: Mapping[str, Any],
    defs: Mapping[str, Any],
    depth: int,
    plain: Callable[[Any], Any] = _same,
) -> Pieces:
    """A function giving a list's text at ``depth`` in pieces of about CHUNK_TEXT characters (a
    long list is never one string); Misfit, raised while iterating, for a list or member not
    fitting."""
    if schema.get("type") != "array" or set(schema) - NOTE_KEYWORDS - {"type", "items", "minItems"}:
        raise Unsupported("a list section other than type, items and minItems")
    items = _Compiler(defs, plain).compile(schema.get("items", {}), depth + 1)
    least = schema.get("minItems", 0)
    inner, close = "\n" + INDENT * (depth + 1), "\n" + INDENT * depth + "]"
    separator = "," + inner

    def pieces(value: Any) -> Iterator[str]:
        if not isinstance(value, _SEQUENCES) or len(value) < least:
            raise Misfit
        if not value:
            yield "[]"
            return
        opening, start, size = "[" + inner, 0, 1
        while start < len(value):
            texts = items(value[start : start + size])
            text = texts[0] if len(texts) == 1 else separator.join(texts)
            del texts  # the text alone is held while it is written
            yield opening
            yield text
            start += size
            # A short list's members one by one (a control with all its failures is big); a
            # long one's from one on, growing at most fourfold towards CHUNK_TEXT characters.
            if len(value) > SHORT:
                size = max(1, min(size * 4, size * CHUNK_TEXT // len(text)))
            opening = separator
        yield close

    return pieces


@dataclasses.dataclass(frozen=True)
class _Compiler:
    """Compiles a schema into a Batch: a record's fields are checked and written column by
    column (every change's sha, then every change's parents, ...), so a check or an escape is
    one C loop over a column rather than a Python call per value."""

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

    def compile(self, schema: Mapping[str, Any], depth: int) -> Batch:
        schema = self.resolve(schema)
        alternatives = schema.get("anyOf", schema.get("oneOf"))
        if alternatives is not None:
            return self.nullable(schema, alternatives, depth)
        unknown = set(schema) - _UNDERSTOOD
        if unknown:
            raise Unsupported(", ".join(sorted(unknown)))
        if "enum" in schema:
            allowed = schema["enum"]
            if set(schema) - NOTE_KEYWORDS - {"enum"} or not all(
                type(v) is str or v is None for v in allowed
            ):
                raise Unsupported("enum of other than text and null")
            return enum_of_text(allowed)
        kinds = schema.get("type")
        if isinstance(kinds, list):
            if len(kinds) != 2 or "null" not in kinds:
                raise Unsupported(f"type {kinds}")
            (kind,) = [k for k in kinds if k != "null"]
            return or_null(self.compile({**schema, "type": kind}, depth))
        if kinds == "string":
            return text(schema.get("pattern"), schema.get("minLength", 0))
        if kinds == "boolean":
            return booleans
        if kinds in ("integer", "number"):
            return number(kinds == "integer", schema.get("minimum"))
        if kinds == "array":
            return self.array(schema, depth)
        if kinds == "object" and (
            "properties" in schema or isinstance(schema.get("additionalProperties"), Mapping)
        ):
            return self.record(schema, depth)
        if kinds in ("object", None) and not set(schema) - NOTE_KEYWORDS - {"type"}:
            return self.anything(kinds, depth)
        raise Unsupported(f"type {kinds}")

    def nullable(self, schema: Mapping[str, Any], alternatives: Any, depth: int) -> Batch:
        # anyOf/oneOf of one schema and {"type": "null"}: what a nullable record or $ref says.
        if set(schema) - NOTE_KEYWORDS - {"anyOf", "oneOf"} or not isinstance(alternatives, list):
            raise Unsupported("anyOf/oneOf beside other keywords")
        others = [a for a in alternatives if a != {"type": "null"}]
        if len(alternatives) != 2 or len(others) != 1:
            raise Unsupported("anyOf/oneOf other than a schema or null")
        inner = self.compile(others[0], depth)
        if "oneOf" in schema:
            try:
                inner((None,))
            except Misfit:
                pass
            else:  # null would fit both: oneOf refuses it
                raise Unsupported("oneOf whose schema allows null")
        return or_null(inner)

    def anything(self, kind: str | None, depth: int) -> Batch:
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

        return lambda values: list(map(encode, values))

    def array(self, schema: Mapping[str, Any], depth: int) -> Batch:
        items = self.resolve(schema.get("items", {}))
        item = self.compile(items, depth + 1)
        least = schema.get("minItems", 0)
        unique = schema.get("uniqueItems", False)
        if unique and items.get("type") != "string" and "enum" not in items:
            raise Unsupported("uniqueItems of other than text")
        open_, close = "[\n" + INDENT * (depth + 1), "\n" + INDENT * depth + "]"
        separator = ",\n" + INDENT * (depth + 1)
        empty = {open_ + close: "[]"}

        def many(values: Sequence[Any]) -> list[str]:
            # The members of all the lists are one batch, then regrouped by the lists' lengths.
            if not _SEQUENCE_TYPES.issuperset(map(type, values)):
                raise Misfit
            lengths = list(map(len, values))
            if least and min(lengths, default=least) < least:
                raise Misfit
            if sum(lengths) > BATCH:  # list by list, so that not all their columns are held
                return list(map(one_by_one, values))
            texts = iter(item(list(chain.from_iterable(values))))
            if not unique:
                # islice(texts, n) per list, each joined before the next is taken: C loops only.
                joined = map(separator.join, map(islice, repeat(texts), lengths))
                written = list(map(_join, zip(repeat(open_), joined, repeat(close))))
                # An empty list came out as open_ + close (no member's text is empty): "[]".
                return list(map(empty.get, written, written)) if 0 in lengths else written
            # Equal values encode equally; checked on the texts, so a list member (which cannot
            # be hashed) was refused by the members' check first.
            lists = [list(islice(texts, n)) for n in lengths]
            if any(len(set(texts)) != len(texts) for texts in lists):
                raise Misfit
            return [open_ + separator.join(texts) + close if texts else "[]" for texts in lists]

        def one_by_one(value: Sequence[Any]) -> str:
            if not value:
                return "[]"
            if unique:
                texts = list(chain.from_iterable(map(item, _batches(value))))
                if len(set(texts)) != len(texts):
                    raise Misfit
                return _join((open_, separator.join(texts), close))
            # Each batch joined at once: its members' texts are not all held until the end.
            parts = [separator.join(item(batch)) for batch in _batches(value)]
            return _join((open_, separator.join(parts), close))

        return many

    def record(self, schema: Mapping[str, Any], depth: int) -> Batch:
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

        @cache
        def layout(cls: type) -> tuple[Callable[[Any], Any], tuple[str, ...], Any, bool]:
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
            return get, prefixes, encoders, all(e in TEXT_LIKE for e in encoders)

        def many(values: Sequence[Any]) -> list[str]:
            kinds = set(map(type, values))
            if len(kinds) != 1:  # records of several types (or none): each type on its own
                return [many((value,))[0] for value in values]
            (kind,) = kinds
            if kind is dict:
                return list(map(written_dict, values))
            get, prefixes, encoders, text_like = layout(kind)
            if not encoders:
                return ["{}"] * len(values)
            rows = list(map(get, values))
            if text_like and len(rows) > 1:
                # Fields of text or null only (a person): equal rows are equal texts, each
                # distinct one written once (a history has few people and many records).
                if not all(map(isinstance, chain.from_iterable(rows), repeat(TEXT_OR_NULL))):
                    raise Misfit
                distinct = list(dict.fromkeys(rows))
                if len(distinct) < len(rows):
                    written = dict(zip(distinct, fields(distinct, prefixes, encoders), strict=True))
                    return list(map(written.__getitem__, rows))
            return fields(rows, prefixes, encoders)

        def fields(rows: list[Any], prefixes: tuple[str, ...], encoders: Any) -> list[str]:
            # Column by column; a record's text is the join of its first key, its first field's
            # text, its second key, ...
            pieces: list[Iterable[str]] = []
            columns = zip(*rows, strict=True)
            for prefix, encode, column in zip(prefixes, encoders, columns, strict=True):
                pieces += (repeat(prefix), encode(column))
            return list(map(_join, zip(*pieces, repeat(close))))

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
                parts.append(_string(key) + ": " + encode((member,))[0])
            return "{" + indent + separator.join(parts) + close

        return many


def _batches(members: Sequence[Any]) -> Iterator[Sequence[Any]]:
    return (members[start : start + BATCH] for start in range(0, len(members), BATCH))
