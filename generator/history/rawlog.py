"""Parsing ``git log --pretty=raw -z --name-status`` into Commit records.

The raw format is used because it is the only cheap way to see a commit's ``gpgsig`` header (the
``%G?`` placeholder runs gpg or ssh-keygen for every signed commit). Its shape, per commit::

    commit <sha>\\n<headers, continuation lines start with a space>\\n\\n
        <message, every line indented by four spaces>\\n
    [\\n<status>\\0<path>\\0[<path>\\0]...]\\0

git re-encodes messages to UTF-8 when a commit declares another encoding; bytes that are still
not UTF-8 (no or a wrong declaration) are decoded with replacement characters, never an error.
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
    "--name-status",
    "-M",
    "--no-abbrev",
    "--no-show-signature",
)
_EPOCH = "1970-01-01T00:00:00+00:00"
_SIGNATURE_HEADERS = (b"gpgsig", b"gpgsig-sha256")


def parse_log(tokens: Iterable[bytes]) -> Iterator[Commit]:
    """Commits from the NUL-separated tokens of a raw log, in the order git printed them."""
    stream = iter(tokens)
    for token in stream:
        if not token.startswith(b"commit "):
            continue  # the empty token that ends a commit's file list
        head, status = _split_head(token)
        files: list[FileChange] = []
        while status:
            letter = status[:1].decode("ascii", "replace")
            if letter in ("R", "C"):
                old, new = next(stream, b""), next(stream, b"")
                files.append(FileChange(letter, _text(new), _text(old)))
            else:
                files.append(FileChange(letter, _text(next(stream, b""))))
            status = next(stream, b"")
        yield _commit(head, tuple(files))


def _split_head(token: bytes) -> tuple[bytes, bytes]:
    """(commit text, first status or b"") from the token that starts a commit."""
    cut = token.rfind(b"\n")
    if cut != -1 and cut + 1 < len(token) and not token.startswith(b" ", cut + 1):
        return token[:cut], token[cut + 1 :]
    return token, b""


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _commit(raw: bytes, files: tuple[FileChange, ...]) -> Commit:
    headers_end = raw.find(b"\n\n")
    if headers_end == -1:
        header_blob, message_blob = raw, b""
    else:
        header_blob, message_blob = raw[:headers_end], raw[headers_end + 2 :]
    lines = header_blob.split(b"\n")
    sha = lines[0][7:].split(b" ", 1)[0].decode("ascii", "replace")
    parents: list[str] = []
    author = committer = b""
    signature = "none"
    encoding = None
    previous = b""
    for line in lines[1:]:
        if line.startswith(b" "):
            if previous in _SIGNATURE_HEADERS and signature == "unknown":
                signature = _signature_kind(line)
            continue
        key, _, value = line.partition(b" ")
        previous = key
        if key == b"parent":
            parents.append(value.decode("ascii", "replace"))
        elif key == b"author":
            author = value
        elif key == b"committer":
            committer = value
        elif key in _SIGNATURE_HEADERS:
            signature = _signature_kind(value)
        elif key == b"encoding":
            encoding = value.decode("ascii", "replace")
    message = _decode(b"\n".join(line[4:] for line in message_blob.split(b"\n") if line), encoding)
    subject, body = split_message(message)
    author_id, authored_at = parse_identity(author, encoding)
    committer_id, committed_at = parse_identity(committer, encoding)
    return Commit(
        sha=sha,
        parents=tuple(parents),
        author=author_id,
        authored_at=authored_at,
        committer=committer_id,
        committed_at=committed_at,
        subject=subject,
        body=body,
        trailers=parse_trailers(body),
        files=files,
        signature=signature,
    )


def _signature_kind(first_line: bytes) -> str:
    text = first_line.strip()
    if b"SSH SIGNATURE" in text:
        return "ssh"
    if b"SIGNED MESSAGE" in text:
        return "x509"
    if b"PGP" in text:
        return "gpg"
    return "unknown"  # decided by the next line (a header value starting on its own line)


def _decode(raw: bytes, encoding: str | None) -> str:
    """Text in the commit's declared encoding when git left it to us, else lenient UTF-8."""
    if encoding:
        try:
            codecs.lookup(encoding)
            return raw.decode(encoding, "replace")
        except LookupError:
            pass
    return raw.decode("utf-8", "replace")


def parse_identity(value: bytes, encoding: str | None) -> tuple[Identity, str]:
    """(Identity, ISO date) from ``Name <email> <epoch> <+hhmm>``, tolerating broken ones."""
    lt = value.find(b"<")
    gt = value.find(b">", lt + 1)
    if lt == -1 or gt == -1:
        # No <email>: keep what is there as the name, and a trailing date if there is one.
        words = value.split()
        stamp = words[-2:] if len(words) >= 2 and words[-2].isdigit() else []
        name = b" ".join(words[: len(words) - len(stamp)])
        date = _iso_date(stamp[0], stamp[1:]) if stamp else _EPOCH
        return Identity(_decode(name, encoding), ""), date
    name = _decode(value[:lt], encoding).strip()
    email = _decode(value[lt + 1 : gt], encoding).strip()
    stamp = value[gt + 1 :].split()
    return Identity(name, email), _iso_date(stamp[0] if stamp else b"0", stamp[1:2])


def _iso_date(epoch: bytes, zone: list[bytes]) -> str:
    try:
        return dt.datetime.fromtimestamp(
            int(epoch), _zone(zone[0] if zone else b"+0000")
        ).isoformat()
    except (ValueError, OverflowError, OSError):
        return _EPOCH


@lru_cache(maxsize=256)
def _zone(text: bytes) -> dt.timezone:
    try:
        sign = -1 if text[:1] == b"-" else 1
        digits = text.lstrip(b"+-")
        minutes = int(digits[:-2] or b"0") * 60 + int(digits[-2:])
        return dt.timezone(sign * dt.timedelta(minutes=minutes))
    except (ValueError, IndexError):
        return dt.UTC
