"""Regular expressions from the configuration, run on repository text in linear time.

Tag names come from whoever can push to a repository, and Python's backtracking engine can take
exponential time on a pattern like ``^(?P<version>a+)+$`` against ``aaaa...a!``. RE2
(google-re2) matches in time linear in the text whatever the pattern, and refuses at compile time
what it cannot do that way (backreferences, lookaround), which the configuration check reports.
The text is capped as well: longer tag names and versions are skipped with a warning.
"""

from __future__ import annotations

import re
from typing import Any

import re2

MAX_TAG_CHARS = 1024  # tag names longer than this are not matched at all
MAX_VERSION_CHARS = 128  # a longer "version" is not one


class PatternError(ValueError):
    """A pattern RE2 cannot compile; the message is RE2's reason."""


def compile_pattern(pattern: str, *, case_sensitive: bool = True) -> Any:
    """The compiled pattern (an RE2 regexp with Python's match API), or PatternError."""
    options = re2.Options()
    options.log_errors = False  # RE2 would print every rejected pattern to stderr
    options.case_sensitive = case_sensitive
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "cannot be compiled"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(str(reason)) from None


def shorten(text: str, limit: int = 80) -> str:
    """The start of an over-long text for a message, with its length."""
    return f"{text[:limit]}… ({len(text)} characters)" if len(text) > limit else text


def glob_source(glob: str) -> str:
    """A path glob as regular-expression source: ``**`` crosses folders (``**/`` also matches
    none), ``*`` and ``?`` stay within one; everything else is literal. Shared by environment
    paths and CODEOWNERS patterns, so both read a glob the same way."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


def glob_regex(glob: str) -> re.Pattern[str]:
    """A path glob compiled (see `glob_source`); match it with ``fullmatch`` against a path."""
    return re.compile(glob_source(glob))
