"""Parsing ``git log --pretty=raw -z --raw`` into Commit records.

The raw format is used because it is the only cheap way to see a commit's ``gpgsig`` header (the
``%G?`` placeholder runs gpg or ssh-keygen for every signed commit). Its shape, per commit::

    commit <sha>\\n<headers, continuation lines start with a space>\\n\\n
        <message, every line indented by four spaces>\\n
    [\\n:<old mode> <new mode> <old blob> <new blob> <status>\\0<path>\\0[<path>\\0]...]\\0

``--raw`` rather than ``--name-status``: the same entries, each with the blob its path holds after
the commit, so a file's versions are read by blob id (history.py) without asking git to resolve
``<commit>:<path>`` for each. It costs git nothing (the diff knows the ids) and the parser one
slice per entry: the fields have fixed widths.

git re-encodes messages to UTF-8 when a commit declares another encoding; bytes that are still
not UTF-8 (no or a wrong declaration) are decoded with replacement characters, never an error.
A commit whose author or committer line is missing or whose date cannot be read (not a number of
seconds, an offset that is not ``+hhmm`` within a day, a moment past the year 9999) is
UnreadableCommit naming it: no date or person is ever made up for it. git stops reading a
commit's header at a NUL byte and then shows no message at all; the commits it showed without one
are collected (``parse_log``'s `unshown`) so the reader can tell an empty message from a cut
header.

This is the hot loop of ingestion (tens of thousands of commits), so headers are found with
``bytes.find`` rather than line loops, and identities and file changes, which repeat endlessly,
are shared objects (less memory, and a smaller, faster cache).
"""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Iterable, Iterator
from functools import lru_cache

from generator.history.model import Commit, FileChange, Identity
from generator.history.trailers import parse_trailers, split_message

LOG_OPTIONS = (
    "--pretty=raw",
    "-z",
    "--first-parent",
    "--diff-merges=first-parent",
    "--root",
    "--raw",
    "-M",
    "--no-abbrev",
    "--no-show-signature",
)
_GITLINK = b"160000"  # a submodule's commit: no file content in this repository


class UnreadableCommit(ValueError):
    """A commit whose header cannot be read in full; the message names it and what is wrong."""

    def __init__(self, sha: str, problem: str):
        super().__init__(f"commit {sha}: {problem}")
        self.sha = sha


def parse_log(tokens: Iterable[bytes], unshown: list[str] | None = None) -> Iterator[Commit]:
    """Commits from the NUL-separated tokens of a raw log, in the order git printed them;
    UnreadableCommit for one whose people or dates cannot be read. The shas of commits git
    showed no message for are added to `unshown`."""
    return _Parser(unshown).commits(tokens)


class _Parser:
    def __init__(self, unshown: list[str] | None = None) -> None:
        self.identities: dict[bytes, Identity] = {}
        self.changes: dict[tuple[bytes, bytes, bytes], FileChange] = {}
        # The committer stamp often repeats the author's: its date is parsed once.
        self.last_stamp: bytes = b""
        self.last_date: str | None = None
        self.oid_size = 0  # hex digits of an object id (40 or 64), known from the first entry
        self.unshown = unshown

    def commits(self, tokens: Iterable[bytes]) -> Iterator[Commit]:
        stream = iter(tokens)
        changes = self.changes
        for token in stream:
            if not token.startswith(b"commit "):
                continue  # the empty token that ends a commit's file list
            head, entry = _split_head(token)
            files: list[FileChange] = []
            blobs: list[str | None] = []
            while entry:
                # ":<old mode> <new mode> <old blob> <new blob> <status>": modes have six digits,
                # blob ids the repository's hash length (the space after the old one tells it)
                size = self.oid_size or _oid_size(entry)
                self.oid_size = size
                letter = entry[17 + 2 * size : 18 + 2 * size]
                if letter in (b"R", b"C"):
                    old, new = next(stream, b""), next(stream, b"")
                else:
                    old, new = b"", next(stream, b"")
                key = (letter, new, old)
                change = changes.get(key)
                if change is None:
                    change = FileChange(_text(letter), _text(new), _text(old) if old else None)
                    changes[key] = change
                files.append(change)
                # None where the path holds no file after the commit: deleted, a submodule
                if letter == b"D" or entry.startswith(_GITLINK, 8):
                    blobs.append(None)
                else:
                    blobs.append(entry[16 + size : 16 + 2 * size].decode("ascii"))
                entry = next(stream, b"")
            yield self.commit(head, tuple(files), tuple(blobs))

    def identity(self, value: bytes, encoding: str | None) -> tuple[Identity, str | None]:
        """(Identity, ISO date or None when none can be read) from ``Name <email> <epoch>
        <+hhmm>``, tolerating a missing email."""
        gt = value.rfind(b">")
        if gt == -1 or value.find(b"<") == -1:
            return parse_identity(value, encoding)
        who = value[: gt + 1]
        person = self.identities.get(who)
        if person is None:
            person = parse_identity(who, encoding)[0]
            self.identities[who] = person
        stamp = value[gt + 1 :]
        if stamp != self.last_stamp:
            self.last_stamp = stamp
            self.last_date = _stamp_date(stamp.split())
        return person, self.last_date

    def commit(
        self, raw: bytes, files: tuple[FileChange, ...], blobs: tuple[str | None, ...]
    ) -> Commit:
        headers_end = raw.find(b"\n\n")
        if headers_end == -1:
            headers, message = raw + b"\n", b""
        else:
            headers, message = raw[: headers_end + 1], raw[headers_end + 2 :]
        sha = raw[7:47].decode("ascii") if raw[47:48] in (b"\n", b" ") else _sha(raw)
        if headers_end == -1 and self.unshown is not None:
            self.unshown.append(sha)
        encoding_value = _header(headers, b"encoding")
        encoding = encoding_value.decode("ascii", "replace") if encoding_value else None
        author_raw, committer_raw = _header(headers, b"author"), _header(headers, b"committer")
        if author_raw is None or committer_raw is None:
            raise UnreadableCommit(sha, _missing_person(author_raw, committer_raw))
        author, authored_at = self.identity(author_raw, encoding)
        committer, committed_at = self.identity(committer_raw, encoding)
        if authored_at is None or committed_at is None:
            role, stamp = (
                ("author", author_raw) if authored_at is None else ("committer", committer_raw)
            )
            raise UnreadableCommit(sha, f"its {role} date cannot be read ({_shown(stamp)})")
        # Every message line is indented by four spaces; blank lines are four spaces too.
        text = _decode(message[4:].replace(b"\n    ", b"\n").rstrip(b"\n"), encoding)
        subject, body = split_message(text)
        return Commit(
            sha,
            _parents(headers),
            author,
            authored_at,
            committer,
            committed_at,
            subject,
            body,
            parse_trailers(body) if ":" in body else (),
            files,
            _signature(headers),
            None,  # signature_verified: set by the reader when keys are configured
            None,
            None,
            blobs,
        )


def _split_head(token: bytes) -> tuple[bytes, bytes]:
    """(commit text, first status or b"") from the token that starts a commit."""
    cut = token.rfind(b"\n")
    if cut != -1 and cut + 1 < len(token) and not token.startswith(b" ", cut + 1):
        return token[:cut], token[cut + 1 :]
    return token, b""


def _oid_size(entry: bytes) -> int:
    """The hex digits of the object ids in a raw diff entry (after ":<mode> <mode> ")."""
    return entry.find(b" ", 15) - 15


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _sha(raw: bytes) -> str:
    """The sha of the first line (``commit <sha>``, maybe followed by more), any hash length."""
    return raw[7:].split(b"\n", 1)[0].split(b" ", 1)[0].decode("ascii", "replace")


def _header(headers: bytes, name: bytes) -> bytes | None:
    """The value of the first header `name` (headers end with a newline; continuations ignored)."""
    start = headers.find(b"\n" + name + b" ")
    if start == -1:
        return None
    start += len(name) + 2
    return headers[start : headers.find(b"\n", start)]


def _parents(headers: bytes) -> tuple[str, ...]:
    parents = []
    start = headers.find(b"\nparent ")
    while start != -1:
        end = headers.find(b"\n", start + 8)
        parents.append(headers[start + 8 : end].decode("ascii", "replace"))
        start = headers.find(b"\nparent ", end)
    return tuple(parents)


def _signature(headers: bytes) -> str:
    """none, ssh, x509 or gpg, from the armour of a gpgsig or gpgsig-sha256 header."""
    start = headers.find(b"\ngpgsig")
    if start == -1:
        return "none"
    armour = headers[start : start + 120]
    if b"SSH SIGNATURE" in armour:
        return "ssh"
    if b"SIGNED MESSAGE" in armour:
        return "x509"
    return "gpg"


def _decode(raw: bytes, encoding: str | None) -> str:
    """Text in the commit's declared encoding when git left it to us, else lenient UTF-8."""
    if encoding:
        try:
            codecs.lookup(encoding)
            return raw.decode(encoding, "replace")
        except LookupError:
            pass
    return raw.decode("utf-8", "replace")


def parse_identity(value: bytes, encoding: str | None) -> tuple[Identity, str | None]:
    """(Identity, ISO date) from ``Name <email> <epoch> <+hhmm>``, tolerating a missing email;
    the date None when there is none or it cannot be read (the caller says which commit)."""
    lt = value.find(b"<")
    gt = value.find(b">", lt + 1)
    if lt == -1 or gt == -1:
        # No <email>: keep what is there as the name, and a trailing date if there is one.
        words = value.split()
        stamp = words[-2:] if len(words) >= 2 and words[-2].isdigit() else []
        name = b" ".join(words[: len(words) - len(stamp)])
        return Identity(_decode(name, encoding), ""), _stamp_date(stamp)
    name = _decode(value[:lt], encoding).strip()
    email = _decode(value[lt + 1 : gt], encoding).strip()
    return Identity(name, email), _stamp_date(value[gt + 1 :].split())


def _stamp_date(stamp: list[bytes]) -> str | None:
    """The ISO date of git's ``<epoch> <+hhmm>``, None unless it is exactly that and a moment
    Python can hold: git reads a date it cannot parse as 0 (1970), which is no date."""
    if len(stamp) != 2 or not stamp[0].isdigit():
        return None
    zone = _zone(stamp[1])
    if zone is None:
        return None
    try:
        return dt.datetime.fromtimestamp(int(stamp[0]), zone).isoformat()
    except (ValueError, OverflowError, OSError):  # past the year 9999
        return None


@lru_cache(maxsize=256)
def _zone(text: bytes) -> dt.timezone | None:
    """The offset ``+hhmm``/``-hhmm``; None for anything else or one of a day or more."""
    if len(text) != 5 or text[:1] not in (b"+", b"-") or not text[1:].isdigit():
        return None
    minutes = int(text[1:3]) * 60 + int(text[3:5])
    if int(text[3:5]) >= 60 or minutes >= 24 * 60:
        return None
    return dt.timezone((-1 if text[:1] == b"-" else 1) * dt.timedelta(minutes=minutes))


def _missing_person(author: bytes | None, committer: bytes | None) -> str:
    missing = " and ".join(
        role for role, value in (("author", author), ("committer", committer)) if value is None
    )
    return (
        f"it has no {missing} line (a hand-made commit, or a NUL byte in its header, where git "
        "stops reading it)"
    )


def _shown(stamp: bytes) -> str:
    """A header value as an error may show it: at most 80 characters, quoted by repr, which
    writes each control or format character as its escape (\\x1b, \\u202e) as messages do."""
    text = stamp.decode("utf-8", "replace")
    return repr(text if len(text) <= 80 else text[:79] + "…")
