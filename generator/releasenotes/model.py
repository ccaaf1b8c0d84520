"""The plain data read from meshcloud's published meshStack release notes.

Descriptions stay raw Markdown: the notes are third-party text, so escaping is the renderers' job
and this model never pretends the text is safe HTML.
"""

from __future__ import annotations

from dataclasses import dataclass

# Canonical spelling and order; the notes list audiences in varying order, so the parser
# normalises to this one to keep renderings deterministic.
AUDIENCES: tuple[str, ...] = ("User", "Customer", "Partner", "Operator")


@dataclass(frozen=True)
class Ticket:
    """One `###` section under "Ticket Details"."""

    title: str
    audiences: tuple[str, ...]  # non-empty, a subset of AUDIENCES in AUDIENCES order
    component: str | None  # only older notes name one
    description: str  # raw Markdown, may be empty
    how_to_use: str | None  # raw Markdown; None when the section is absent or empty
    line: int  # 1-based line of the ticket heading, for messages and citations


@dataclass(frozen=True)
class ReleaseNote:
    """One release-note file."""

    version: str  # normalised N.N.N, e.g. "2025.55.0" or "7.152.0"
    title: str  # front-matter title as written, e.g. "Release 2025.55.0"
    date: str | None  # ISO date: front-matter `date`, else the file name's YYYY-MM-DD prefix
    period_start: str | None  # ISO dates from the "Release period: A to B" line
    period_end: str | None
    summary: str  # raw Markdown before <!--truncate-->, without the release-period line
    tickets: tuple[Ticket, ...]
    path: str
