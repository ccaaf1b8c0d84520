"""WeasyPrint calls: layout with the safe fetcher, and the final PDF/A-3b with its attachments.

Kept apart so the single-process path and the worker processes lay out HTML identically.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from weasyprint import HTML, Attachment, Document

from generator.errors import BuildError
from generator.render.pdf.fetcher import BundledAssetFetcher, RefusedFetch
from generator.render.pdf.html import TEMPLATES

PDF_VARIANT = "pdf/a-3b"
ATTACHMENTS = (
    # (file in the pack, PDF/A-3 relationship to the document, description)
    ("evidence.json", "Source", "The evidence model this document was rendered from"),
    ("changes.csv", "Data", "The whole change population"),
    ("sample.csv", "Data", "The auditor's sample with each change's rank"),
    ("deviations.csv", "Data", "Every deviation once, with its kind and state"),
)
# Written only for a pack with a meshStack event log (evidence.json's event_log).
EVENT_ATTACHMENT = ("events.csv", "Data", "The event rules' populations, each sample ranked")
_BASE_URL = TEMPLATES.as_uri() + "/"


def lay_out(html: str, fetcher: BundledAssetFetcher | None = None) -> Document:
    """Lay out ``html`` (layout only, no PDF yet); refuse any fetch outside the templates."""
    fetcher = fetcher or BundledAssetFetcher(TEMPLATES)
    try:
        return HTML(string=html, base_url=_BASE_URL, url_fetcher=fetcher).render(
            pdf_variant=PDF_VARIANT
        )
    except RefusedFetch as exc:
        raise BuildError(f"PDF rendering stopped: {exc}") from None


@dataclass(frozen=True)
class PackFile:
    name: str
    data: bytes
    relationship: str
    description: str


def pack_attachments(pack_dir: Path, with_events: bool = False) -> list[PackFile]:
    files = []
    wanted = (*ATTACHMENTS, EVENT_ATTACHMENT) if with_events else ATTACHMENTS
    for name, relationship, description in wanted:
        path = pack_dir / name
        if not path.is_file():
            raise BuildError(f"{path}: missing; the PDF embeds it, so write it before rendering")
        files.append(PackFile(name, path.read_bytes(), relationship, description))
    return files


def write_pdf(document: Document, attachments: list[PackFile], generated_at: str) -> bytes:
    """The final PDF/A-3b, deterministic: dates come from ``generated_at``, ids from content."""
    stamp = dt.datetime.fromisoformat(generated_at).astimezone(dt.UTC).replace(tzinfo=None)
    embedded = [
        Attachment(
            string=f.data,
            name=f.name,
            description=f.description,
            created=stamp,
            modified=stamp,
            relationship=f.relationship,
        )
        for f in attachments
    ]
    return document.write_pdf(
        pdf_variant=PDF_VARIANT,
        attachments=embedded,
        # pydyf's identifier is an MD5 of the objects, so equal content gives an equal /ID.
        pdf_identifier=True,
    )


def write_part(document: Document) -> bytes:
    """A part's pages as a plain PDF: only their content and resources are used (split.py)."""
    return document.write_pdf()
