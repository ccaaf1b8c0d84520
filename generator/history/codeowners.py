"""A CODEOWNERS file (GitHub's syntax, which GitLab reads too) as rules: who owns which path.

Each line is a path pattern followed by owners (``@user``, ``@org/team`` or an e-mail address);
the last line whose pattern matches a path names its owners, and a matching line without owners
leaves the path unowned. Patterns follow GitHub's documented rules: a leading ``/`` or a ``/``
inside anchors the pattern at the repository root, otherwise it matches at any depth; ``*``
stays within a folder, ``**`` crosses folders, ``?`` is one character; a pattern names a file or
a folder with everything below it, except that ``folder/*`` names the folder's own files only.

The file comes from the repository, so it is untrusted: the patterns are turned into regular
expressions built here and run on RE2 (linear time), the file's size is capped by the history
reader (1 MiB) and its lines here. Lines meshcomply cannot read the way GitHub does (negation,
character ranges, an owner that is no handle or address) are listed as problems, each with its
line, never skipped silently: who owns the paths they speak of cannot be told.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from generator.patterns import compile_pattern, glob_source

MAX_RULES = 10_000
MAX_LINE_CHARS = 4_096
_OWNER = re.compile(r"@[A-Za-z0-9][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_.-]+)?|[^@\s]+@[^@\s]+")


@dataclass(frozen=True)
class OwnerRule:
    line: int
    pattern: str
    owners: tuple[str, ...]  # as written: @user, @org/team or an e-mail address


@dataclass(frozen=True)
class Codeowners:
    rules: tuple[OwnerRule, ...]
    problems: tuple[str, ...]  # "line N: what is wrong", in line order

    def owners(self, path: str) -> tuple[str, ...]:
        """The owners the last matching line names; () for a path no line owns."""
        for rule in reversed(self.rules):
            if _regex(rule.pattern).fullmatch(path):
                return rule.owners
        return ()


def parse_codeowners(text: str) -> Codeowners:
    """The rules of a CODEOWNERS text and every line that cannot be read as GitHub reads it."""
    rules: list[OwnerRule] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if len(rules) >= MAX_RULES:
            problems.append(f"line {number}: more than {MAX_RULES:,} rules; the rest is not read")
            break
        if len(line) > MAX_LINE_CHARS:
            problems.append(f"line {number}: longer than {MAX_LINE_CHARS:,} characters")
            continue
        words = line.split("#", 1)[0].split() if " #" in line else line.split()
        pattern, owners = words[0], tuple(words[1:])
        wrong = _pattern_problem(pattern) or next(
            (f"owner {o!r} is no @user, @org/team or e-mail address" for o in owners
             if not _OWNER.fullmatch(o)),
            None,
        )  # fmt: skip
        if wrong:
            problems.append(f"line {number}: {wrong}")
            continue
        rules.append(OwnerRule(number, pattern, owners))
    return Codeowners(tuple(rules), tuple(problems))


def _pattern_problem(pattern: str) -> str | None:
    if pattern.startswith("!"):
        return f"pattern {pattern!r} negates ('!'), which CODEOWNERS does not support"
    if "[" in pattern or "]" in pattern:
        return f"pattern {pattern!r} uses a character range ('['), not supported"
    if "\\" in pattern:
        return f"pattern {pattern!r} escapes a character ('\\'), which meshcomply does not read"
    return None


@lru_cache(maxsize=4096)
def _regex(pattern: str) -> Any:
    """The pattern as an RE2 expression over a path relative to the repository root."""
    anchored = pattern.startswith("/") or "/" in pattern.strip("/")
    body = pattern.strip("/")
    own_files_only = body.endswith("/*")
    out = [] if anchored else ["(?:.*/)?"]
    out.append(glob_source(body))
    if not own_files_only:
        out.append("(?:/.*)?")  # a folder names everything below it
    return compile_pattern("".join(out))
