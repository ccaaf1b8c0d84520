"""Safe YAML loading that remembers where every value came from.

PyYAML silently keeps the last of duplicate keys and will happily expand an alias bomb; both are
refused here. Values are built from the composed node graph so every key path maps to a line and
column, which validation uses to point users at the exact spot.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.errors import InputError, Problem
from generator.textcheck import MAX_NESTING, escape_controls, holds_surrogate, line_and_column

MAX_FILE_BYTES = 2 * 1024 * 1024
# An alias bomb multiplies nodes; real configuration files have a few thousand at most, and a
# plain file of the 1 MiB a repository file may have holds fewer than this.
MAX_EXPANDED_NODES = 200_000

KeyPath = tuple[str | int, ...]

# libyaml composes about 12x faster; the pure-Python parser words syntax errors better, so it
# re-reads only a document that failed.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Unbounded(Exception):
    """YAML text past the bounds any reader keeps: collections nested more than MAX_NESTING
    deep, an alias inside the value it names, or aliases expanding the document to more than
    MAX_EXPANDED_NODES values (an alias bomb: a few lines that expand to billions)."""

    def __init__(self, line: int, column: int, message: str):
        super().__init__(f"line {line}, column {column}: {message}")
        self.line, self.column, self.message = line, column, message


_STRUCTURE = "[{-:?"  # a collection needs one of these (and a deeper one, another)


def check_bounds(text: str) -> None:
    """Raise Unbounded where `text` is past the bounds, before any loader builds it.

    Only an alias (``*``) can expand a document, and each collection needs its own bracket,
    dash or colon: text with no ``*`` and at most MAX_NESTING of those cannot be past them and
    is not parsed here (the common case, a few C string counts). Otherwise libyaml's event
    stream is walked, which is lazy: a text nested a million deep is refused at the level past
    MAX_NESTING without the rest being read (libyaml's composer would overflow the C stack).
    """
    if "*" not in text and sum(text.count(c) for c in _STRUCTURE) <= MAX_NESTING:
        return
    _walk(text)


# What libyaml builds from 0.2.6 on say when a text nests past their own limit (1,000 levels).
_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"


def _walk(text: str, whole: bool = True) -> None:
    # Per open collection: [values it expands to, its height, its anchor]; per anchor done:
    # (values, height). Merge keys (<<) merge through aliases, so they are counted here too.
    open_: list[list[Any]] = []
    anchors: dict[str, tuple[int, int]] = {}
    total = 0
    try:
        for event in yaml.parse(text, Loader=_FAST_LOADER):
            kind = type(event)
            if kind is yaml.ScalarEvent or kind is yaml.AliasEvent:
                values, height = (1, 0)
                if kind is yaml.AliasEvent:
                    if event.anchor not in anchors:
                        if any(entry[2] == event.anchor for entry in open_):
                            _refuse(event, "an alias inside the value it names (a loop)")
                        continue  # undefined: the loader says so
                    values, height = anchors[event.anchor]
                    if len(open_) + height > MAX_NESTING:
                        _refuse(event, f"this alias nests values more than {MAX_NESTING} deep")
                elif event.anchor is not None:
                    anchors[event.anchor] = (1, 0)
                total += values
                if total > MAX_EXPANDED_NODES:
                    _refuse(event, _BOMB)
                if open_:
                    open_[-1][0] += values
                    open_[-1][1] = max(open_[-1][1], height + 1)
            elif kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
                if len(open_) >= MAX_NESTING:
                    _refuse(event, f"collections nested more than {MAX_NESTING} deep")
                total += 1
                open_.append([1, 1, event.anchor])
            elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
                values, height, anchor = open_.pop()
                if anchor is not None:
                    anchors[anchor] = (values, height)
                if open_:
                    open_[-1][0] += values
                    open_[-1][1] = max(open_[-1][1], height + 1)
            elif kind is yaml.DocumentStartEvent:
                anchors.clear()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if getattr(exc, "problem", None) != _LIBYAML_TOO_DEEP or mark is None:
            return  # the loader reports it, in its own words
        # Such a libyaml scans a flow collection's brackets ahead of its events, so it stops at
        # its limit before the events reach ours: the text up to there is walked again, to name
        # the level past ours; else (it did not get there) the place libyaml stopped.
        if whole:
            _walk(text[: mark.index], whole=False)
        raise Unbounded(
            mark.line + 1, mark.column + 1, f"collections nested more than {MAX_NESTING} deep"
        ) from None


_BOMB = (
    f"aliases here expand the document to more than {MAX_EXPANDED_NODES:,} values (an alias bomb?)"
)


def _refuse(event: yaml.Event, message: str) -> None:
    mark = event.start_mark
    raise Unbounded(mark.line + 1, mark.column + 1, message)


def load_data(text: str) -> Any:
    """Untrusted YAML text's data, as libyaml's safe loader builds it (the last of repeated
    keys wins, merge keys merge), within the bounds of `check_bounds`: raises Unbounded, or
    yaml.YAMLError for text that is not YAML."""
    check_bounds(text)
    return yaml.load(text, Loader=_FAST_LOADER)


@contextmanager
def _deep_enough() -> Iterator[None]:
    """Room on the stack for recursing through MAX_NESTING levels (a few frames each)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 4 * MAX_NESTING + 1000))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


@dataclass
class Document:
    """A loaded YAML file: its data plus the position of every value and mapping key."""

    path: str
    data: Any
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    text: str = ""  # the source, for quoting values as written
    spans: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)  # scalars' [start, end)
    # What the loader could read past (a repeated key: the first kept; a value it could not
    # construct: None), with `recover`: validate.schema_problems reports them with the rest.
    problems: list[Problem] = field(default_factory=list)

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


def load_yaml_text(text: str, display_path: str, *, recover: bool = False) -> Document:
    """Parse YAML text; raise InputError listing every problem found. `recover`: raise only
    for what leaves nothing to read (syntax, bounds, size); the rest is in Document.problems,
    so a caller checking the document's schema reports every problem of the file at once."""
    try:
        check_bounds(text)
    except Unbounded as exc:
        raise InputError([Problem(display_path, exc.line, exc.column, exc.message)]) from None
    try:
        try:
            node = yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as exc:  # located by offset: libyaml's "position 276"
        line, col = line_and_column(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        shown = escape_controls(chr(code), one_line=True)
        message = f"YAML error: character {shown} (U+{code:04X}) is not allowed in YAML"
        raise InputError([Problem(display_path, line, col, message)]) from None
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
        with _deep_enough():
            data = builder.build(node, ())
    except _TooLarge as exc:
        line, col = exc.position
        message = f"document holds more than {MAX_EXPANDED_NODES:,} values"
        raise InputError([Problem(display_path, line, col, message)]) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise InputError([Problem(display_path, line, col, f"YAML error: {exc.problem}")]) from None
    if builder.problems and not recover:
        raise InputError(builder.problems)
    return Document(
        display_path,
        data,
        builder.positions,
        builder.key_positions,
        text,
        builder.spans,
        builder.problems,
    )


def load_yaml(path: Path, display_path: str | None = None, *, recover: bool = False) -> Document:
    """Read and parse a YAML file, refusing oversized and non-UTF-8 files with a message
    (`recover`: as load_yaml_text)."""
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
    return load_yaml_text(text, shown, recover=recover)
