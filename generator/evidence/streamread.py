"""evidence.json read with its long lists left in the file: the site step's reader.

``codec.read_model`` parses the whole file into JSON values and builds every record: on the
100k-commit benchmark (a 238 MB file) that held about 800 MB for as long as the portal was
built, though the portal pages its change tables and shows the first rows of the rest. This
reader goes through the file once, in blocks, and checks it as ``read_model`` does (the
schema version, the schema, every violation located by its JSON path), but keeps the members of
the lists that grow with the history (``STREAMED``: the changes, the deviations, each result's
failures and cited commits) only as their byte ranges in the file. The model it returns is the
same typed ``EvidenceModel``, with those lists as ``StoredList``: a read-only sequence that
decodes its members from the file when they are asked for (length, index, slice, iteration),
so what a renderer holds is what it shows. ``tests/test_streamread.py`` compares the models and
the portal's pages with ``read_model``'s.

The lists are found by their place in the document, whatever its layout: the file is scanned
as JSON (objects and arrays on the way to a streamed list are walked key by key, every other
value is parsed whole with ``json``), so a pack rewritten by another tool reads the same.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import weakref
from array import array
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, overload

from generator.errors import BuildError, InputError, Problem
from generator.evidence.codec import from_plain
from generator.evidence.jsonscan import Scanner, Syntax, node
from generator.evidence.model import SCHEMA_VERSION, ChangeRecord, DeviationRecord, FailureRecord
from generator.evidence.schemacheck import (
    SCHEMA_NAME,
    changes_fit,
    compiled,
    inlined,
    json_path,
    worded,
    worded_problems,
)

T = TypeVar("T")
ANY = None  # in a STREAMED path: any index of a list
# The lists kept in the file, by their path in the document, with their members' record type.
STREAMED: tuple[tuple[tuple[str | None, ...], type | None], ...] = (
    (("changes",), ChangeRecord),
    (("deviations",), DeviationRecord),
    (("controls", ANY, "results", ANY, "failures"), FailureRecord),
    (("controls", ANY, "results", ANY, "cited"), None),  # shas: strings as they are
)
_BLOCK = 1 << 20
_CHUNK = 2000  # members decoded at a time while a StoredList is iterated
_CONTINUATION_BYTES = bytes(range(0x80, 0xC0))  # of UTF-8: a character's bytes after its first


class _PackFile:
    """evidence.json opened once: scanned and checked through this handle, then read by the
    StoredLists through it, refused if it changed since it was opened.

    The fingerprint is taken by ``fstat`` before the first byte is read and compared after the
    scan and around every later read: size and mtime alone let a same-size rewrite with the
    mtime put back (``cp -p``, ``rsync -t``) through, but no one can set the ctime, and the
    inode and device tell a file put in its place. ``digest`` is the sha256 of the bytes
    scanned, for a caller that verified the file against its manifest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDONLY)
        self.close = weakref.finalize(self, os.close, self._fd)
        self.stamp = self._stamp()
        self.digest = hashlib.sha256()

    def _stamp(self) -> tuple[int, ...]:
        status = os.fstat(self._fd)
        return (
            status.st_size,
            status.st_mtime_ns,
            status.st_ctime_ns,
            status.st_ino,
            status.st_dev,
        )

    def unchanged(self) -> bool:
        return self._stamp() == self.stamp

    def next_block(self, size: int) -> bytes:
        """The scan's next block (hashed as it goes)."""
        block = os.read(self._fd, size)
        self.digest.update(block)
        return block

    def position(self, offset: int) -> tuple[int, int]:
        """The line and column (in characters) of the byte at ``offset``, for a problem; read
        in blocks, as a pack may be one line of hundreds of megabytes."""
        line, column, at = 1, 1, 0
        while at < offset:
            block = os.pread(self._fd, min(_BLOCK, offset - at), at)
            if not block:
                break
            at += len(block)
            if (newline := block.rfind(b"\n")) >= 0:
                line, column = line + block.count(b"\n"), 1
                block = block[newline + 1 :]
            column += len(block.translate(None, _CONTINUATION_BYTES))
        return line, column

    def read(self, start: int, end: int) -> bytes:
        try:
            changed = not self.unchanged()
            data = b"" if changed else os.pread(self._fd, end - start, start)
            changed = changed or len(data) != end - start or not self.unchanged()
        except OSError as exc:
            raise BuildError(f"{self.path}: cannot read: {exc.strerror}") from None
        if changed:
            raise BuildError(f"{self.path}: changed after it was verified")
        return data


class StoredList(Sequence[T]):
    """A list of a checked evidence.json, its members decoded from the file when asked for."""

    __slots__ = ("_decode", "_ends", "_file", "_place", "_starts")

    def __init__(
        self,
        file: _PackFile,
        place: tuple[str | int, ...],
        starts: array,
        ends: array,
        decode: Callable[[Any], T],
    ) -> None:
        self._file, self._place, self._decode = file, place, decode
        self._starts, self._ends = starts, ends

    def __len__(self) -> int:
        return len(self._starts)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        if isinstance(index, slice):
            first, stop, step = index.indices(len(self))
            if step != 1:
                return tuple(self[i] for i in range(first, stop, step))
            return tuple(self._members(first, stop))
        position = range(len(self))[index]  # IndexError as a tuple's
        return self._members(position, position + 1)[0]

    def __iter__(self) -> Iterator[T]:
        for first in range(0, len(self), _CHUNK):
            yield from self._members(first, min(first + _CHUNK, len(self)))

    def _members(self, first: int, stop: int) -> list[T]:
        if first >= stop:
            return []
        base = self._starts[first]
        data = self._file.read(base, self._ends[stop - 1])
        starts, ends, decode = self._starts, self._ends, self._decode
        members = []
        for i in range(first, stop):
            try:
                members.append(decode(json.loads(data[starts[i] - base : ends[i] - base])))
            except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
                # Checked bytes always decode: this is a file changed behind the fingerprint.
                where = json_path((*self._place, i))
                raise BuildError(f"{self._file.path}: {where}: cannot be read: {exc}") from None
        return members

    def __repr__(self) -> str:
        return f"<StoredList of {len(self)} in {self._file.path}>"


@dataclasses.dataclass
class _Found:
    """What the scan found (the ``jsonscan.Visitor``): the streamed lists' members' byte ranges
    and the problems of their members, by the list's path."""

    streamed: dict[tuple[str | int, ...], tuple[array, array, type | None]]
    problems: dict[tuple[str | int, ...], list[tuple[str, str]]]

    def on_the_way(self, path: tuple[str | int, ...]) -> bool:
        return _on_the_way(path)

    def kept(
        self, path: tuple[str | int, ...]
    ) -> Callable[[tuple[str | int, ...], Any], None] | None:
        streamed = _pattern(path)
        if streamed is None:
            return None
        pattern = streamed[0]
        fits, problems = _member_check(pattern), self.problems.setdefault(path, [])

        def take(at: tuple[str | int, ...], member: Any) -> None:
            if not fits(member):
                problems.extend(_member_problems(pattern, member, at))

        return take

    def kept_array(self, path: tuple[str | int, ...], starts: array, ends: array) -> None:
        pattern = _pattern(path)
        assert pattern is not None  # kept() said so
        self.streamed[path] = (starts, ends, pattern[1])

    def repeated(self, below: tuple[str | int, ...]) -> None:
        """As ``json`` (and so ``codec.read_model``) does, the last value of a repeated key is
        the one read: what was found below the earlier one is dropped."""
        for place in [place for place in self.problems if place[: len(below)] == below]:
            self.streamed.pop(place, None)
            del self.problems[place]


def _matches(pattern: tuple[str | None, ...], path: tuple[str | int, ...]) -> bool:
    return all(
        p == q or (p is ANY and isinstance(q, int)) for p, q in zip(pattern, path, strict=True)
    )


def _pattern(path: tuple[str | int, ...]) -> tuple[tuple[str | None, ...], type | None] | None:
    for pattern, record in STREAMED:
        if len(pattern) == len(path) and _matches(pattern, path):
            return pattern, record
    return None


def _on_the_way(path: tuple[str | int, ...]) -> bool:
    return any(
        len(pattern) > len(path) and _matches(pattern[: len(path)], path) for pattern, _ in STREAMED
    )


def _at(schema: Any, pattern: tuple[str | None, ...]) -> Any:
    """The schema of the list at ``pattern`` (the way there has no $ref)."""
    for step in pattern:
        schema = schema["items"] if step is ANY else schema["properties"][step]
    return schema


@cache
def _items_schema(pattern: tuple[str | None, ...]) -> dict[str, Any]:
    """The schema of a streamed list's members, with the schema's $defs (for jsonschema)."""
    from generator.validate import load_schema

    schema = load_schema(SCHEMA_NAME)
    return {"$defs": schema["$defs"], **_at(schema, pattern)["items"]}


@cache
def _member_check(pattern: tuple[str | None, ...]) -> Callable[[Any], bool]:
    if pattern == ("changes",):
        return lambda member: changes_fit([member])  # the change records' written-out check
    import fastjsonschema

    from generator.validate import load_schema

    check = compiled(_at(inlined(load_schema(SCHEMA_NAME)), pattern)["items"])

    def fits(member: Any) -> bool:
        try:
            check(member)
        except fastjsonschema.JsonSchemaValueException:
            return False
        return True

    return fits


def _member_problems(
    pattern: tuple[str | None, ...], member: Any, path: tuple[str | int, ...]
) -> list[tuple[str, str]]:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(_items_schema(pattern))
    found = sorted(validator.iter_errors(member), key=lambda e: list(map(str, e.absolute_path)))
    return [problem for e in found for problem in worded(e, path)] or [
        (json_path(path), "does not match the evidence schema")
    ]


@cache
def _skeleton_check() -> Callable[[Any], Any]:
    """The schema with each streamed list's members left to their own check."""
    from generator.validate import load_schema

    schema = json.loads(json.dumps(load_schema(SCHEMA_NAME)))  # a copy to edit
    for pattern, _ in STREAMED:
        listed = _at(schema, pattern)
        # The skeleton holds these lists as [], so a list-level keyword (minItems,
        # uniqueItems, contains...) would be checked against [] and pass: a schema that gains
        # one must be checked here too before it is accepted.
        extra = set(listed) - {"type", "items", "description", "title", "$comment"}
        if listed.get("type") != "array" or extra:
            raise AssertionError(f"{pattern}: the streamed check cannot apply {sorted(extra)}")
        del listed["items"]
    return compiled(schema)


def _skeleton_problems(data: Any) -> list[tuple[str, str]]:
    import fastjsonschema

    try:
        _skeleton_check()(data)
        return []
    except fastjsonschema.JsonSchemaValueException:
        pass
    return worded_problems(data)


def _scan(file: _PackFile) -> tuple[Any, _Found]:
    found = _Found({}, {})
    where = str(file.path)
    try:
        scan = Scanner(file.next_block, _BLOCK)
        data = node(scan, (), found)
        if scan.peek() != "":
            scan.fail("extra data after the document")
    except OSError as exc:
        raise InputError([Problem(where, 1, 1, f"cannot read: {exc.strerror}")]) from None
    except Syntax as exc:
        inside = f" in {json_path(exc.where)}" if exc.where is not None else ""
        line, column = file.position(exc.offset)
        raise InputError([Problem(where, line, column, f"{exc.heading}{exc}{inside}")]) from None
    return data, found


def read_stored_model(path: Path, sha256: str | None = None) -> Any:
    """evidence.json as the typed model, its long lists left in the file (``StoredList``);
    checked as ``codec.read_model`` checks it, every problem an InputError naming the file.
    ``sha256``: the file's checksum in a manifest the caller verified; the bytes read must be
    those (the file may have changed between the verification and this read)."""
    try:
        file = _PackFile(path)
    except OSError as exc:
        raise InputError([Problem(str(path), 1, 1, f"cannot read: {exc.strerror}")]) from None
    try:
        return _checked_model(file, sha256)
    except BaseException:
        file.close()
        raise


def _checked_model(file: _PackFile, sha256: str | None) -> Any:
    where = str(file.path)
    data, found = _scan(file)
    if not file.unchanged():
        raise InputError([Problem(where, 1, 1, "changed while it was read")])
    if sha256 is not None and file.digest.hexdigest() != sha256:
        message = (
            f"changed since it was verified (sha256 {file.digest.hexdigest()}, manifest {sha256})"
        )
        raise InputError([Problem(where, 1, 1, message)])
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        version = data.get("schema_version") if isinstance(data, dict) else None
        message = f"unsupported schema_version {version!r} (this meshcomply reads {SCHEMA_VERSION})"
        raise InputError([Problem(where, 1, 1, message)])
    members = [problem for found_here in found.problems.values() for problem in found_here]
    problems = sorted(_skeleton_problems(data) + members)
    if problems:
        raise InputError(Problem(where, 1, 1, f"{at}: {message}") for at, message in problems)
    lists = {
        place: StoredList(file, place, starts, ends, _record_decoder(record))
        for place, (starts, ends, record) in found.streamed.items()
    }
    model = from_plain(data)
    return _with_lists(model, (), lists)


def _record_decoder(record: type | None) -> Callable[[Any], Any]:
    if record is None:
        return _same
    return lambda value: from_plain(value, record)


def _same(value: Any) -> Any:
    return value


def _with_lists(record: Any, path: tuple[str | int, ...], lists: dict) -> Any:
    """``record`` (a model, a control, a result) with the stored lists below it put in."""
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(record):
        place = (*path, field.name)
        if place in lists:
            changes[field.name] = lists[place]
        elif _on_the_way(place):
            value = getattr(record, field.name)
            changes[field.name] = tuple(
                _with_lists(item, (*place, index), lists) for index, item in enumerate(value)
            )
    return dataclasses.replace(record, **changes) if changes else record
