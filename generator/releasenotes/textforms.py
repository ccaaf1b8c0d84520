"""The safe Markdown and HTML of every ticket text, computed once per note and kept with its cache.

Rendering one ticket text through richtext costs 10-20 microseconds, a page of a long history
shows tens of thousands of them, and published notes never change. So the notes loader
(loader.py) computes each note's forms when it parses the note, stores them in the notes cache
beside it, and hands the forms of the notes it returns to ``remember``; the renderers look a
ticket up here before rendering its texts (``markdown_forms``, ``html_forms``).

A form is always exactly what richtext gives for that text with this code: the notes cache is
keyed on the sources of richtext and every module it uses (loader.py), and forms computed in this
process are computed by it. So a lookup can never change an output; a ticket that is not here (a
view built from notes loaded without a cache, say) is rendered as before. Tickets are looked up
as objects, by identity: the view holds the notes' own Ticket records (join.py), and a table of
object ids costs a tenth of a table of their texts to build. Only the forms of the last loaded
folder are kept; the tables are built on first use, so a Markdown run never builds the HTML one.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from operator import itemgetter
from typing import Any

from generator.releasenotes import richtext
from generator.releasenotes.model import ReleaseNote, Ticket

# One note's forms: five tuples with one item per ticket, in the note's order (plain tuples of
# strings: they are pickled with the note and are the cheapest thing to unpickle). A form equal
# to its text is that very string, which the pickle then stores once.
NoteForms = tuple[
    tuple[str, ...],  # TITLES: escape_inline(title), the same as escape_text(title)
    tuple[str, ...],  # DESCRIPTIONS_MD: markdown_of(description)
    tuple[str | None, ...],  # HOW_TO_USE_MD: markdown_of(how_to_use), None without one
    tuple[str, ...],  # DESCRIPTIONS_HTML: html_of(description)
    tuple[str | None, ...],  # HOW_TO_USE_HTML: html_of(how_to_use), None without one
]
TITLES, DESCRIPTIONS_MD, HOW_TO_USE_MD, DESCRIPTIONS_HTML, HOW_TO_USE_HTML = range(5)


class _Remembered:
    """Notes with their forms, and the lookup tables built from them on first use.

    Replaced as a whole by ``remember``, never changed: a table is always built from one set of
    notes, whatever another thread remembers meanwhile.
    """

    def __init__(self, notes: Iterable[tuple[ReleaseNote, NoteForms]]) -> None:
        self.notes = tuple(notes)
        self.tables: dict[str, dict[int, Any]] = {}

    def table(self, name: str, *kinds: int) -> dict[int, Any]:
        table = self.tables.get(name)
        if table is None:
            table = self.tables[name] = self._build(kinds)
        return table

    def _build(self, kinds: tuple[int, ...]) -> dict[int, Any]:
        # C loops only (chain, zip, map): tens of thousands of tickets, once a run. Each entry
        # holds its ticket, so no other object can take its id while the table lives.
        tickets = list(chain.from_iterable(note.tickets for note, _ in self.notes))
        notes_forms = [forms for _, forms in self.notes]
        forms = [chain.from_iterable(map(itemgetter(kind), notes_forms)) for kind in kinds]
        return dict(zip(map(id, tickets), zip(tickets, *forms, strict=True), strict=True))


_remembered = _Remembered(())


def forms_of(note: ReleaseNote) -> NoteForms:
    """The note's forms, rendered now."""
    tickets = note.tickets
    descriptions = [_both(ticket.description) for ticket in tickets]
    how_to_use = [_both(ticket.how_to_use) if ticket.how_to_use else None for ticket in tickets]
    return (
        # escape_text is escape_inline without its cache, which titles (all different) would flush.
        tuple(_same(richtext.escape_text(ticket.title), ticket.title) for ticket in tickets),
        tuple(markdown for markdown, _ in descriptions),
        tuple(None if both is None else both[0] for both in how_to_use),
        tuple(html for _, html in descriptions),
        tuple(None if both is None else both[1] for both in how_to_use),
    )


def _both(text: str) -> tuple[str, str]:
    markdown, html = richtext.markdown_and_html_of(text)
    return _same(markdown, text), html


def is_forms_of(forms: object, note: ReleaseNote) -> bool:
    """Whether `forms` has NoteForms' shape for `note` (a cache file is checked, not trusted)."""
    count = len(note.tickets)
    return (
        type(forms) is tuple
        and len(forms) == 5
        and all(type(kind) is tuple and len(kind) == count for kind in forms)
    )


def remember(notes: Iterable[tuple[ReleaseNote, NoteForms]]) -> None:
    """Keep these notes' forms for the renderers, instead of any remembered before."""
    global _remembered
    _remembered = _Remembered(notes)


def forget() -> None:
    """Keep no forms: every text is rendered again (for tests comparing both ways)."""
    remember(())


def markdown_forms() -> dict[int, tuple[Ticket, str, str, str | None]]:
    """id(ticket) -> (ticket, title, description, how-to-use) as Markdown, for the remembered
    notes' tickets: ``escape_inline`` of the title, ``markdown_of`` of the texts (None without
    a how-to-use text)."""
    return _remembered.table("markdown", TITLES, DESCRIPTIONS_MD, HOW_TO_USE_MD)


def html_forms() -> dict[int, tuple[Ticket, str, str | None]]:
    """id(ticket) -> (ticket, description, how-to-use) as ``html_of`` gives them."""
    remembered = _remembered  # called once per ticket by the HTML template: kept short
    table = remembered.tables.get("html")
    return remembered.table("html", DESCRIPTIONS_HTML, HOW_TO_USE_HTML) if table is None else table


def _same(form: str, text: str) -> str:
    return text if form == text else form
