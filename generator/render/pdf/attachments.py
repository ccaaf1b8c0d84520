"""The pack files attached to the PDF: which, with what relationship, and their names in words.

Apart from weasy.py so the document's text (the cover, the methodology) names exactly the files
the PDF embeds without importing WeasyPrint.
"""

from __future__ import annotations

ATTACHMENTS = (
    # (file in the pack, PDF/A-3 relationship to the document, description)
    ("evidence.json", "Source", "The evidence model this document was rendered from"),
    ("changes.csv", "Data", "The whole change population"),
    ("sample.csv", "Data", "The auditor's sample with each change's rank"),
    ("deviations.csv", "Data", "Every deviation once, with its kind and state"),
)
# Written only for a pack with a meshStack event log (evidence.json's event_log).
EVENT_ATTACHMENT = ("events.csv", "Data", "The event rules' populations, each sample ranked")


def attached(with_events: bool) -> tuple[tuple[str, str, str], ...]:
    return (*ATTACHMENTS, EVENT_ATTACHMENT) if with_events else ATTACHMENTS


def attachment_names(with_events: bool) -> list[str]:
    """The attached files' names, in the order they are embedded."""
    return [name for name, _relationship, _description in attached(with_events)]
