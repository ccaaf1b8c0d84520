"""The plain data read from meshcloud's published meshStack release notes.

Texts stay raw Markdown: the notes are third-party text, so escaping is the renderers' job and
this model never pretends a raw text is safe HTML. What the renderers make of the texts is theirs
to keep (textforms.py), never stored here.
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
    # Non-empty: the AUDIENCES named, in AUDIENCES order, then any other audience as written
    # (such a ticket is shown to every audience, parser.py warns about it).
    audiences: tuple[str, ...]
    component: str | None  # only older notes name one
    description: str  # raw Markdown, may be empty
    how_to_use: str | None  # raw Markdown; None when the section is absent or empty
    line: int  # 1-based line of the ticket heading, for messages and citations
    # Other `**Field:** value` entries of the ticket's metadata, (name as written, value), in the
    # note's order: kept as data, e.g. the 2018 notes' `*Target:* chore`.
    fields: tuple[tuple[str, str], ...] = ()


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
    # What the parser could not read as written, each (1-based line or 0 for the whole file,
    # message, what it did instead); the loader reports them on every run, cached or not.
    warnings: tuple[tuple[int, str, str], ...] = ()
