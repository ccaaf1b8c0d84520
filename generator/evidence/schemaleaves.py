"""The leaves of a schema compiled by ``schematext``: text, enums of text, booleans, numbers,
each or null; each checks and writes many values at once (a column of records), in C loops
where it can: ``all(map(isinstance, ...))``, ``map(search, ...)``, ``map(encode_basestring, ...)``.
"""

from __future__ import annotations

import json
import math
import re
import weakref
from collections.abc import Callable, Sequence
from itertools import compress, repeat
from operator import is_not
from typing import Any

from generator.evidence.jsonstream import _encode

# The texts of many values at one depth, one each, in order: Misfit if any does not fit.
Batch = Callable[[Sequence[Any]], list[str]]

_string = json.encoder.c_encode_basestring or json.encoder.py_encode_basestring  # type: ignore[attr-defined]
TEXT_OR_NULL = (str, type(None))
# The batches of text, an enum of text or null, or either or null, whose values are all text or
# null (schematext writes a record of only such fields once per distinct value). Weakly: the
# tests compile many schemas.
TEXT_LIKE: weakref.WeakSet[Batch] = weakref.WeakSet()


class Misfit(ValueError):
    """A value does not fit the schema (the plain path says how)."""


def _text_like(batch: Batch) -> Batch:
    TEXT_LIKE.add(batch)
    return batch


def or_null(inner: Batch) -> Batch:
    def many(values: Sequence[Any]) -> list[str]:
        present = list(compress(values, map(is_not, values, repeat(None))))
        if len(present) == len(values):
            return inner(values)
        if not present:
            return ["null"] * len(values)
        texts = iter(inner(present))
        return ["null" if value is None else next(texts) for value in values]

    return _text_like(many) if inner in TEXT_LIKE else many


def enum_of_text(allowed: Sequence[str | None]) -> Batch:
    """Values among ``allowed`` (text, and null if it is allowed)."""
    # A str subclass (a StrEnum) is its text; anything else but None is refused before lookup.
    written = {v: "null" if v is None else _string(v) for v in allowed}
    kinds = (str, type(None)) if None in allowed else str

    def many(values: Sequence[Any]) -> list[str]:
        if not all(map(isinstance, values, repeat(kinds))):
            raise Misfit
        try:
            return list(map(written.__getitem__, values))
        except KeyError:
            raise Misfit from None

    return _text_like(many)


def text(pattern: str | None, shortest: int) -> Batch:
    search = re.compile(pattern).search if pattern else None

    def many(values: Sequence[Any]) -> list[str]:
        if not all(map(isinstance, values, repeat(str))):
            raise Misfit
        if search is not None and not all(map(search, values)):
            raise Misfit
        if shortest and min(map(len, values), default=shortest) < shortest:
            raise Misfit
        return list(map(_string, values))

    return _text_like(many)


_BOOLEANS = {True: "true", False: "false"}


def booleans(values: Sequence[Any]) -> list[str]:
    if not all(map(isinstance, values, repeat(bool))):
        raise Misfit
    return list(map(_BOOLEANS.__getitem__, values))


def number(whole: bool, minimum: float | None) -> Batch:
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

    def many(values: Sequence[Any]) -> list[str]:
        if values and set(map(type, values)) == {int}:  # the usual counts: checked at once
            if minimum is not None and min(values) < minimum:
                raise Misfit
            return list(map(int.__repr__, values))
        return list(map(encode, values))

    return many
