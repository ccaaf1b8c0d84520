"""The safe Markdown and HTML of every ticket text, computed once per note and kept with its cache.

Rendering one ticket text through richtext costs 10-20 microseconds, a page of a long history
shows tens of thousands of them, and published notes never change. So the notes loader
(loader.py) computes each note's forms when it parses the note, stores them in the notes cache
beside it, and hands the forms of the notes it returns to ``remember``; the renderers look a text
up here before rendering it (``markdown_blocks``, ``html_blocks``, ``markdown_titles``).

A form is always exactly what richtext gives for that text with this code: the notes cache is
keyed on the sources of richtext and every module it uses (loader.py), and forms computed in this
process are computed by it. So a lookup can never change an output; a text that is not here (a
view built from notes loaded without a cache, say) is rendered as before. Only the forms of the
last loaded folder are kept, and the lookup tables are built on first use, one per kind, so a
Markdown run never builds the HTML table.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from operator import attrgetter

from generator.releasenotes import richtext
from generator.releasenotes.model import ReleaseNote

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

_remembered: list[tuple[ReleaseNote, NoteForms]] = []
_tables: dict[str, dict[str, str]] = {}  # built from _remembered on first use


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
    _remembered[:] = notes
    _tables.clear()


def forget() -> None:
    """Keep no forms: every text is rendered again (for tests comparing both ways)."""
    remember(())


def markdown_titles() -> dict[str, str]:
    """title -> ``richtext.escape_inline(title)`` for the remembered notes' tickets."""
    table = _tables.get("titles")
    return _table("titles", (TITLES, "title")) if table is None else table


def markdown_blocks() -> dict[str, str]:
    """ticket text -> ``richtext.markdown_of(text)`` for descriptions and how-to-use texts."""
    table = _tables.get("markdown")
    if table is None:
        table = _table("markdown", (HOW_TO_USE_MD, "how_to_use"), (DESCRIPTIONS_MD, "description"))
    return table


def html_blocks() -> dict[str, str]:
    """ticket text -> ``richtext.html_of(text)`` for descriptions and how-to-use texts."""
    table = _tables.get("html")  # called once per text by the HTML templates: kept cheap
    if table is None:
        table = _table("html", (HOW_TO_USE_HTML, "how_to_use"), (DESCRIPTIONS_HTML, "description"))
    return table


def _table(name: str, *kinds: tuple[int, str]) -> dict[str, str]:
    # Built by C loops only (chain, attrgetter, zip): tens of thousands of entries, once a run.
    table: dict[str, str] = {}
    for kind, field in kinds:
        texts = map(attrgetter(field), chain.from_iterable(n.tickets for n, _ in _remembered))
        forms = chain.from_iterable(f[kind] for _, f in _remembered)
        table.update(zip(texts, forms, strict=True))
    table.pop(None, None)  # type: ignore[call-overload]  # tickets without how-to-use
    _tables[name] = table
    return table


def _same(form: str, text: str) -> str:
    return text if form == text else form
