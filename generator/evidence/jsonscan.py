"""JSON read from a file in blocks, its long arrays' members seen one by one with their byte
ranges instead of being held: the scanner under ``evidence/streamread.py``, which says which
arrays are kept in the file and checks their members (``Visitor``).

Objects and arrays on the way to a kept array are walked key by key; every other value is
parsed whole with ``json``. A repeated key is told to the visitor, and its last value is the
one returned, as ``json`` reads it.
"""

from __future__ import annotations

import codecs
import json
import re
from array import array
from collections.abc import Callable
from json.decoder import scanstring
from typing import Any, Protocol

Path = tuple[str | int, ...]  # a place in the document: keys and indexes
_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER_GOES_ON = re.compile(r"[0-9.eE+-]*\Z")  # what may follow "3" to the end of a block
_NEAR_END = 16  # characters: a decode error this close to a block's end may be a cut token
_DECODER = json.JSONDecoder()


class Syntax(ValueError):
    """Not valid JSON at a byte of the file; ``where``: inside which kept member, if any."""

    where: Path | None = None


class Visitor(Protocol):
    def on_the_way(self, path: Path) -> bool:
        """Whether a container at ``path`` is walked (it leads to a kept array)."""

    def kept(self, path: Path) -> Callable[[Path, Any], None] | None:
        """For an array kept in the file: what is told each member (its path, its value)."""

    def kept_array(self, path: Path, starts: array, ends: array) -> None:
        """The kept array's members' byte ranges, once it is read."""

    def repeated(self, path: Path) -> None:
        """The key at ``path`` appears again: what was found below it is replaced."""


class Scanner:
    """The file's text in blocks, with the byte offset of any position read so far."""

    def __init__(self, read: Callable[[int], bytes], block: int) -> None:
        self._read, self._block = read, block
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.text, self.pos, self.eof = "", 0, False
        self._mark_char, self._mark_byte = 0, 0  # text[0:mark_char] is mark_byte bytes long

    def more(self) -> bool:
        """Read the next block; False at the end of the file."""
        if self.eof:
            return False
        block = self._read(self._block)
        self.eof = not block
        keep = self.pos
        offset = self.byte(keep)
        self.text = self.text[keep:] + self._decoder.decode(block, final=self.eof)
        self.pos, self._mark_char, self._mark_byte = 0, 0, offset
        return True

    def byte(self, index: int) -> int:
        """The byte offset in the file of ``text[index]`` (asked in increasing order)."""
        self._mark_byte += len(self.text[self._mark_char : index].encode("utf-8"))
        self._mark_char = index
        return self._mark_byte

    def peek(self) -> str:
        """The next character after whitespace ("" at the end of the file)."""
        while True:
            self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text) or not self.more():
                return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self, expected: str) -> None:
        if self.peek() != expected:
            self.fail(f"expected {expected!r}")
        self.pos += 1

    def value(self) -> Any:
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                if self._cut(exc) and self.more():
                    continue
                self.pos = exc.pos
                self.fail(exc.msg)
            # "3", "3." or "3e" at the end of the block: the number may go on in the next one
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not (number and _NUMBER_GOES_ON.match(self.text, end)) or not self.more():
                self.pos = end
                return value

    def _cut(self, error: json.JSONDecodeError) -> bool:
        """Whether the error may be a token cut by the block's end (else it is reported at
        once, not after reading the rest of the file)."""
        return (
            error.msg.startswith("Unterminated string") or error.pos >= len(self.text) - _NEAR_END
        )

    def key(self) -> str:
        if self.peek() != '"':
            self.fail("expected a key in double quotes")
        while True:
            try:
                key, end = scanstring(self.text, self.pos + 1)
            except json.JSONDecodeError as exc:
                if self._cut(exc) and self.more():
                    continue
                self.pos = exc.pos
                self.fail(exc.msg)
            self.pos = end
            return key

    def fail(self, message: str) -> None:
        raise Syntax(f"{message} (byte {self.byte(min(self.pos, len(self.text)))})")


def node(scan: Scanner, path: Path, visitor: Visitor) -> Any:
    """The value at ``path``, kept arrays as []."""
    start = scan.peek()
    take = visitor.kept(path) if start == "[" else None
    if take is not None:
        _members(scan, path, take, visitor)
        return []
    on_the_way = visitor.on_the_way(path)
    if on_the_way and start == "{":
        scan.pos += 1
        members: dict[str, Any] = {}
        if scan.peek() == "}":
            scan.pos += 1
            return members
        while True:
            key = scan.key()
            if key in members:
                visitor.repeated((*path, key))
            scan.take(":")
            members[key] = node(scan, (*path, key), visitor)
            if scan.peek() == ",":
                scan.pos += 1
                continue
            scan.take("}")
            return members
    if on_the_way and start == "[":
        scan.pos += 1
        items: list[Any] = []
        if scan.peek() == "]":
            scan.pos += 1
            return items
        while True:
            items.append(node(scan, (*path, len(items)), visitor))
            if scan.peek() == ",":
                scan.pos += 1
                continue
            scan.take("]")
            return items
    return scan.value()


def _members(
    scan: Scanner, path: Path, take: Callable[[Path, Any], None], visitor: Visitor
) -> None:
    starts, ends = array("Q"), array("Q")
    scan.take("[")
    if scan.peek() == "]":
        scan.pos += 1
    else:
        while True:
            scan.peek()
            starts.append(scan.byte(scan.pos))
            try:
                member = scan.value()
            except Syntax as exc:
                exc.where = (*path, len(ends))
                raise
            ends.append(scan.byte(scan.pos))
            take((*path, len(ends) - 1), member)
            if scan.peek() == ",":
                scan.pos += 1
                continue
            scan.take("]")
            break
    visitor.kept_array(path, starts, ends)
