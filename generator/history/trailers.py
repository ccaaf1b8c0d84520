"""Commit message trailers (``Approved-by: Name <email>``), found the way git finds them.

git's rules (trailer.c): trailers live in the last paragraph of the message, never in the first
one (the title). That paragraph is a trailer block if every line is a trailer or a continuation
line, or if it holds a git-generated line (``Signed-off-by:``, ``(cherry picked from commit``) and
at least a quarter of its lines are trailers. Continuation lines start with whitespace and are
unfolded into the trailer above them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from generator.history.model import Identity

_TRAILER = re.compile(r"^([A-Za-z0-9-]+)[ \t]*:(.*)$")
_GIT_GENERATED = ("Signed-off-by: ", "(cherry picked from commit ")
_IDENTITY = re.compile(r"^(.*?)\s*<([^<>]*)>\s*$")
CO_AUTHOR = "co-authored-by"


def split_message(message: str) -> tuple[str, str]:
    """(subject, body) as git shows them: the first paragraph joined into one line, the rest."""
    message = message.strip("\n")
    first_break = message.find("\n")
    if first_break == -1:
        return message.strip(), ""
    if message.startswith("\n", first_break + 1):  # the usual one-line subject, then a blank
        return message[:first_break].strip(), message[first_break + 2 :].strip("\n").rstrip()
    lines = message.split("\n")
    end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    subject = " ".join(line.strip() for line in lines[:end])
    return subject, "\n".join(lines[end:]).strip("\n").rstrip()


def parse_trailers(body: str) -> tuple[tuple[str, str], ...]:
    """The trailers of a message body (the part after the subject), as (key, value) pairs."""
    lines = body.rstrip().split("\n")
    start = len(lines)
    while start > 0 and lines[start - 1].strip():
        start -= 1
    block = [line for line in lines[start:] if not line.startswith("#")]
    if not block:
        return ()
    trailers: list[list[str]] = []
    non_trailers = 0
    generated = False
    for line in block:
        if line.startswith(_GIT_GENERATED):
            generated = True
        match = _TRAILER.match(line)
        if match:
            trailers.append([match.group(1), match.group(2).strip()])
        elif line[:1].isspace() and trailers:
            trailers[-1][1] = f"{trailers[-1][1]} {line.strip()}".strip()
        else:
            non_trailers += 1
    if not trailers:
        return ()
    if non_trailers and not (generated and len(trailers) * 3 >= non_trailers):
        return ()
    return tuple((key, value) for key, value in trailers)


@lru_cache(maxsize=4096)  # the same few approvers sign thousands of changes
def identity(value: str) -> Identity:
    """An Identity from a trailer value: "Name <email>", a bare email, or just a name."""
    match = _IDENTITY.match(value.strip())
    if match:
        return Identity(match.group(1).strip(), match.group(2).strip())
    value = value.strip()
    if "@" in value and " " not in value:
        return Identity(value, value)
    return Identity(value, "")


def identities(trailers: tuple[tuple[str, str], ...], names: tuple[str, ...]) -> list[Identity]:
    """The identities in trailers whose key is one of `names` (compared case-insensitively)."""
    if not trailers:
        return []
    wanted = _casefolded(names)
    return [identity(value) for key, value in trailers if key.casefold() in wanted and value]


@lru_cache(maxsize=64)
def _casefolded(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(name.casefold() for name in names)
