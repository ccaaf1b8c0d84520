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
from typing import Any, NoReturn, Protocol

from generator.textcheck import MAX_NESTING, half_character, lone_surrogate_escape, too_deep

Path = tuple[str | int, ...]  # a place in the document: keys and indexes
_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER_GOES_ON = re.compile(r"[0-9.eE+-]*\Z")  # what may follow "3" to the end of a block
_NEAR_END = 16  # characters: a decode error this close to a block's end may be a cut token
_DECODER = json.JSONDecoder()


class Syntax(ValueError):
    """Not valid JSON at a byte of the file (``offset``); ``where``: inside which kept member,
    if any."""

    heading = "not valid JSON: "
    where: Path | None = None

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (byte {offset})")
        self.offset = offset


class NotText(Syntax):
    """Valid JSON that cannot be read: an escape of half a character (a lone surrogate, which
    no UTF-8 can hold, so the text could never be written out) or values nested too deeply
    for the decoder."""

    heading = ""


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
        self._bytes_read = 0
        self._mark_char, self._mark_byte = 0, 0  # text[0:mark_char] is mark_byte bytes long

    def more(self) -> bool:
        """Read the next block; False at the end of the file. A token longer than a block (a
        long string) is read on in blocks as long as what is held of it, so the tries to
        decode it and the copies of the text held add up to a few times its length, not to
        its length times its number of blocks."""
        if self.eof:
            return False
        block = self._read(max(self._block, len(self.text) - self.pos))
        self.eof = not block
        keep = self.pos
        offset = self.byte(keep)
        pending = len(self._decoder.getstate()[0])  # the start of a character cut by the block
        try:
            decoded = self._decoder.decode(block, final=self.eof)
        except UnicodeDecodeError as exc:
            at = self._bytes_read - pending + exc.start
            raise NotText(f"cannot read: not UTF-8 text ({exc.reason})", at) from None
        self._bytes_read += len(block)
        self.text = self.text[keep:] + decoded
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

    def value(self, depth: int = 0) -> Any:
        """The next value whole; ``depth``: how many arrays and objects it is inside."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                if self._cut(exc) and self.more():
                    continue
                self.pos = exc.pos
                self.fail(exc.msg)
            except RecursionError:
                self.pos = too_deep(self.text, self.pos, depth)
                self.fail(f"arrays and objects nested more than {MAX_NESTING} deep", NotText)
            # "3", "3." or "3e" at the end of the block: the number may go on in the next one
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not (number and _NUMBER_GOES_ON.match(self.text, end)) or not self.more():
                self._whole_characters(end)
                self.pos = end
                return value

    def _whole_characters(self, end: int) -> None:
        """Refuse an escape of half a character between the position and ``end`` (one value or
        key): json reads it into a str that no UTF-8 can hold."""
        lone = lone_surrogate_escape(self.text, self.pos, end)
        if lone is not None:
            self.pos = lone
            self.fail(half_character(self.text[lone : lone + 6]), NotText)

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
            self._whole_characters(end)
            self.pos = end
            return key

    def fail(self, message: str, kind: type[Syntax] = Syntax) -> NoReturn:
        raise kind(message, self.byte(min(self.pos, len(self.text))))


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
    return scan.value(len(path))


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
                member = scan.value(len(path) + 1)
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
