"""Safe YAML loading that remembers where every value came from.

PyYAML silently keeps the last of duplicate keys and will happily expand an alias bomb; both are
refused here. Values are built from the composed node graph so every key path maps to a line and
column, which validation uses to point users at the exact spot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.errors import InputError, Problem
from generator.textcheck import holds_surrogate

MAX_FILE_BYTES = 2 * 1024 * 1024
# An alias bomb multiplies nodes; real configuration files have a few thousand at most.
MAX_EXPANDED_NODES = 200_000

KeyPath = tuple[str | int, ...]

# libyaml composes about 12x faster; the pure-Python parser words syntax errors better, so it
# re-reads only a document that failed.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Document:
    """A loaded YAML file: its data plus the position of every value and mapping key."""

    path: str
    data: Any
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    text: str = ""  # the source, for quoting values as written
    spans: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)  # scalars' [start, end)

    def where(self, keypath: KeyPath, *, key: bool = False) -> tuple[int, int]:
        """Position of the value (or key) at keypath, falling back to its nearest ancestor."""
        keypath = tuple(keypath)
        table = self.key_positions if key else self.positions
        if keypath in table:
            return table[keypath]
        while keypath:
            keypath = keypath[:-1]
            if keypath in self.positions:
                return self.positions[keypath]
        return (1, 1)

    def written(self, keypath: KeyPath, value: Any) -> str:
        """The value at keypath quoted as the file has it: 'yes' where YAML read True.

        Text is quoted as read (repr); other scalars as written, in quotes unless written
        quoted; cut to 80 characters.
        """
        span = self.spans.get(tuple(keypath))
        if span is None or isinstance(value, str):
            return _cut(repr(value))
        source = self.text[span[0] : span[1]]
        if source[:1] in ("'", '"') and source.isprintable():
            return _cut(source)
        return _cut(repr(source))

    def problem(self, keypath: KeyPath, message: str, *, key: bool = False) -> Problem:
        line, col = self.where(keypath, key=key)
        return Problem(self.path, line, col, message)


def _cut(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


class _Builder:
    def __init__(self, path: str):
        self.path = path
        self.spans: dict[KeyPath, tuple[int, int]] = {}
        self.positions: dict[KeyPath, tuple[int, int]] = {}
        self.key_positions: dict[KeyPath, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self.count = 0
        self.scalars = yaml.SafeLoader("")

    def _mark(self, node: yaml.Node) -> tuple[int, int]:
        return (node.start_mark.line + 1, node.start_mark.column + 1)

    def _report(self, node: yaml.Node, message: str) -> None:
        line, col = self._mark(node)
        self.problems.append(Problem(self.path, line, col, message))

    def build(self, node: yaml.Node, keypath: KeyPath) -> Any:
        self.count += 1
        if self.count > MAX_EXPANDED_NODES:
            raise _TooLarge(self._mark(node))
        self.positions[keypath] = self._mark(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, keypath)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*keypath, i)) for i, item in enumerate(node.value)]
        self.spans[keypath] = (node.start_mark.index, node.end_mark.index)
        # Dates stay strings so schemas and outputs see exactly what the user wrote (and
        # 2026-02-30 is not refused here with what YAML's date type thinks of it).
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value
        try:
            value = self.scalars.construct_object(node, deep=True)
        except (ValueError, ArithmeticError, TypeError, LookupError) as exc:  # !!int abc, !!int
            self._report(node, f"{node.value!r} cannot be read as {node.tag}: {exc}")
            return None
        if isinstance(value, dt.date | dt.datetime):
            return node.value
        if isinstance(value, str) and holds_surrogate(value):
            self._report(node, _SURROGATE)
            return None
        return value

    def _mapping(self, node: yaml.MappingNode, keypath: KeyPath) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._report(key_node, "merge keys (<<) are not allowed")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self._report(key_node, "mapping keys must be plain text")
                continue
            key = key_node.value
            if holds_surrogate(key):
                self._report(key_node, _SURROGATE)
                continue
            if key in result:
                first = self.key_positions[(*keypath, key)][0]
                self._report(key_node, f"duplicate key '{key}' (first defined on line {first})")
                continue
            self.key_positions[(*keypath, key)] = self._mark(key_node)
            result[key] = self.build(value_node, (*keypath, key))
        return result


_SURROGATE = (
    "an escape here gives half of a character (a lone surrogate such as \\ud800), which is not "
    "text; write a character outside the basic plane as \\U0001F600 or as itself"
)


class _TooLarge(Exception):
    def __init__(self, position: tuple[int, int]):
        self.position = position


def load_yaml_text(text: str, display_path: str) -> Document:
    """Parse YAML text; raise InputError listing every problem found."""
    try:
        try:
            node = yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"YAML syntax error: {exc.problem or exc.context}"
        raise InputError([Problem(display_path, line, col, message)]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(display_path, 1, 1, f"YAML error: {exc}")]) from None
    builder = _Builder(display_path)
    if node is None:
        return Document(display_path, None)
    try:
        data = builder.build(node, ())
    except _TooLarge as exc:
        line, col = exc.position
        message = f"document expands to more than {MAX_EXPANDED_NODES} values (alias bomb?)"
        raise InputError([Problem(display_path, line, col, message)]) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise InputError([Problem(display_path, line, col, f"YAML error: {exc.problem}")]) from None
    if builder.problems:
        raise InputError(builder.problems)
    return Document(
        display_path, data, builder.positions, builder.key_positions, text, builder.spans
    )


def load_yaml(path: Path, display_path: str | None = None) -> Document:
    """Read and parse a YAML file, refusing oversized and non-UTF-8 files with a message."""
    shown = display_path or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            message = f"file is {size} bytes, over the {MAX_FILE_BYTES // 1024} KiB limit"
            raise InputError([Problem(shown, 1, 1, message)])
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(shown, 1, 1, f"cannot read file: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError([Problem(shown, line, 1, "file is not valid UTF-8")]) from None
    return load_yaml_text(text, shown)
