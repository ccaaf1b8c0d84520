"""Each ticket's texts in the forms the renderers show them (model.TicketForms), computed once.

Rendering one ticket text through richtext costs 10-20 microseconds, a page of a long history
shows tens of thousands of them, and published notes never change. So the notes loader
(loader.py) gives the notes it caches tickets that carry their forms, computed here when the note
is parsed, and the renderers use a ticket's forms instead of rendering its texts. Notes loaded
without a cache carry none: their texts are rendered when, and only if, a page shows them.
"""

from __future__ import annotations

from generator.releasenotes import richtext
from generator.releasenotes.model import ReleaseNote, Ticket, TicketForms


def with_forms(note: ReleaseNote) -> ReleaseNote:
    """The note with every ticket carrying its forms."""
    # Positional: keyword arguments make a frozen dataclass noticeably slower to build.
    tickets = tuple(
        Ticket(
            t.title,
            t.audiences,
            t.component,
            t.description,
            t.how_to_use,
            t.line,
            forms_of(t),
            t.fields,
        )
        for t in note.tickets
    )
    return ReleaseNote(
        note.version, note.title, note.date, note.period_start, note.period_end, note.summary,
        tickets, note.path, note.warnings,
    )  # fmt: skip


def forms_of(ticket: Ticket) -> TicketForms:
    """The ticket's forms, rendered now."""
    description_md, description_html = _both(ticket.description)
    how_to_use_md = how_to_use_html = None
    if ticket.how_to_use:
        how_to_use_md, how_to_use_html = _both(ticket.how_to_use)
    return TicketForms(
        # escape_text is escape_inline without its cache, which titles (all different) would flush.
        _same(richtext.escape_text(ticket.title), ticket.title),
        description_md,
        how_to_use_md,
        description_html,
        how_to_use_html,
    )


def _both(text: str) -> tuple[str, str]:
    markdown, html = richtext.markdown_and_html_of(text)
    return _same(markdown, text), html


def _same(form: str, text: str) -> str:
    # A form equal to its text is that very string, which the cache's pickle then stores once.
    return text if form == text else form
