"""evidence.json as a stream of text, byte-identical to ``json.dumps(value, indent=2,
ensure_ascii=False)``.

Python's json module falls back to its pure-Python encoder whenever ``indent`` is set, which made
serialising a big model a fifth of a whole build, and it returns one string as large as the file.
Here the nesting is laid out in Python, and every container whose members are all scalars (the
bulk of a model: change and release records) is encoded by the C encoder in one call: its item
separator carries the newline and indentation of its depth, so the result is what the indenting
encoder writes. ``tests/test_jsonstream.py`` checks the equality on the demo's models and on
generated values (floats, non-ASCII and control characters, empty containers, odd keys).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import repeat
from typing import Any

INDENT = "  "
_SCALARS = (str, int, float, bool, type(None))


def _flat_encoder(depth: int) -> Callable[[Any, int], list[str]]:
    # One per depth: the C encoder with the indenting encoder's separators at that depth (what
    # JSONEncoder.encode makes on every call).
    while len(_FLAT) <= depth:
        separator = ",\n" + INDENT * (len(_FLAT) + 1)
        _FLAT.append(
            json.encoder.c_make_encoder(  # type: ignore[attr-defined]
                None, _LEAF.default, _string, None, ": ", separator, False, False, True
            )
            if json.encoder.c_make_encoder  # type: ignore[attr-defined]
            else lambda value, _, separator=separator: [
                json.JSONEncoder(ensure_ascii=False, separators=(separator, ": ")).encode(value)
            ]
        )
    return _FLAT[depth]


_FLAT: list[Callable[[Any, int], list[str]]] = []
_LEAF = json.JSONEncoder(ensure_ascii=False)
_string = json.encoder.c_encode_basestring or json.encoder.py_encode_basestring  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Written:
    """A member of the top-level mapping already laid out as text at depth 1, in pieces.

    For sections written by ``schematext`` while they are checked; read once, as they come.
    """

    pieces: Iterable[str]


def iter_json(value: Any) -> Iterator[str]:
    """Pieces of text which, joined, equal ``json.dumps(value, indent=2, ensure_ascii=False)``.

    A piece is at most one member of a top-level list or mapping (one change record, say), so
    writing them one by one never holds the whole document.
    """
    if isinstance(value, dict) and value:
        separator = "{"
        for key, member in value.items():
            yield separator + "\n" + INDENT + _key(key)
            separator = ","
            yield from _members(member)
        yield "\n}"
    elif isinstance(value, list | tuple) and value:
        yield from _members(value, 0)
    else:
        yield _encode(value, 0)


def _members(value: Any, depth: int = 1) -> Iterator[str]:
    # A list directly below the top, one piece per member; anything else is one piece.
    if isinstance(value, Written):
        yield from value.pieces
        return
    if not isinstance(value, list | tuple) or not value or _all_scalars(value):
        yield _encode(value, depth)
        return
    inner = "\n" + INDENT * (depth + 1)
    separator = "["
    for member in value:
        yield separator + inner + _encode(member, depth + 1)
        separator = ","
    yield "\n" + INDENT * depth + "]"


def _all_scalars(members: Any) -> bool:
    return all(map(isinstance, members, repeat(_SCALARS)))


def _key(key: Any) -> str:
    """A mapping key with its ``": "``, converted as json does (1 -> "1", None -> "null")."""
    known = _KEYS.get(key) if isinstance(key, str) else None
    if known is None:
        known = _LEAF.encode({key: 0})[1:-2]
        if isinstance(key, str) and len(_KEYS) < 4096:  # keys repeat in every record
            _KEYS[key] = known
    return known


_KEYS: dict[str, str] = {}


def _encode(value: Any, depth: int) -> str:
    """One value as the indenting encoder lays it out at ``depth``."""
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        if _all_scalars(value.values()):
            return _flat(value, depth)
        inner = ",\n" + INDENT * (depth + 1)
        body = inner.join([_key(k) + _encode(v, depth + 1) for k, v in value.items()])
        return "{" + inner[1:] + body + "\n" + INDENT * depth + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        if _all_scalars(value):
            return _flat(value, depth)
        inner = ",\n" + INDENT * (depth + 1)
        body = inner.join([_encode(v, depth + 1) for v in value])
        return "[" + inner[1:] + body + "\n" + INDENT * depth + "]"
    return _LEAF.encode(value)


def _flat(container: dict[str, Any] | list[Any] | tuple[Any, ...], depth: int) -> str:
    """A non-empty container of scalars, laid out as the indenting encoder does at ``depth``."""
    compact = "".join(_flat_encoder(depth)(container, 0))
    inner = "\n" + INDENT * (depth + 1)
    return compact[0] + inner + compact[1:-1] + "\n" + INDENT * depth + compact[-1]
