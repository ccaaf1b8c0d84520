"""WeasyPrint calls: layout with the safe fetcher, and the final PDF/A-3b with its attachments.

Kept apart so the single-process path and the worker processes lay out HTML identically.

The attachments (evidence.json, 238 MB on the 100k-commit benchmark) are never held whole:
WeasyPrint reads an attachment into memory and pydyf keeps it there until the PDF is written,
then joins, compresses and (for the file identifier) compresses it again. Instead each file is
read in blocks into its FlateDecode stream here (``_packed``), and WeasyPrint is handed a small
stand-in whose stream, checksum and size are put back before the PDF is written
(``_embed_packed``): the same objects, the same bytes (zlib's output does not depend on how its
input is cut into blocks; tests/test_pdf_attachments.py compares both ways).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydyf
from weasyprint import HTML, Attachment, Document

from generator.errors import BuildError
from generator.render.pdf.attachments import attached
from generator.render.pdf.fetcher import BundledAssetFetcher, RefusedFetch
from generator.render.pdf.html import TEMPLATES

PDF_VARIANT = "pdf/a-3b"
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
    path: Path  # read when the PDF is written, in blocks
    relationship: str
    description: str


def pack_attachments(pack_dir: Path, with_events: bool = False) -> list[PackFile]:
    files = []
    for name, relationship, description in attached(with_events):
        path = pack_dir / name
        if not path.is_file():
            raise BuildError(f"{path}: missing; the PDF embeds it, so write it before rendering")
        files.append(PackFile(name, path, relationship, description))
    return files


_BLOCK = 1 << 20


@dataclass(frozen=True)
class _Packed:
    """A file as pydyf would embed it: its FlateDecode stream (level 9), MD5 and size."""

    deflated: bytes
    md5: str
    size: int


def _packed(path: Path) -> _Packed:
    compressor = zlib.compressobj(level=9)  # pydyf's setting
    digest = hashlib.md5(usedforsecurity=False)
    pieces, size = [], 0
    try:
        with path.open("rb") as stream:
            while block := stream.read(_BLOCK):
                digest.update(block)
                size += len(block)
                pieces.append(compressor.compress(block))
    except OSError as exc:
        raise BuildError(f"{path}: cannot read it to embed in the PDF: {exc.strerror}") from None
    pieces.append(compressor.flush())
    return _Packed(b"".join(pieces), digest.hexdigest(), size)


def _stand_in(name: str) -> bytes:
    # Distinct per file: PDF/A-3's AFRelationship is looked up by the content's MD5.
    return f"meshcomply attachment {name}".encode()


def _embed_packed(pdf: pydyf.PDF, attachments: list[PackFile]) -> None:
    """Each stand-in's stream replaced by its file's, as WeasyPrint would have written it: the
    stream dictionary's keys in the same order (Type, Subtype, Params, then Filter, Length)."""
    files = {f.name: f for f in attachments}
    for spec in pdf.objects:
        if not isinstance(spec, dict) or spec.get("Type") != "/Filespec":
            continue
        stream: Any = pdf.objects[int(spec["EF"]["F"].split()[0])]
        name = spec["UF"].string
        if not stream.compress or stream.stream != [_stand_in(name)]:
            raise BuildError(f"PDF attachment {name}: not embedded as expected")
        packed = _packed(files[name].path)
        stream.stream = [packed.deflated]
        stream.compress = False
        stream.extra["Params"]["CheckSum"] = f"<{packed.md5}>"
        stream.extra["Params"]["Size"] = packed.size
        stream.extra["Filter"] = "/FlateDecode"


def write_pdf(document: Document, attachments: list[PackFile], generated_at: str) -> bytes:
    """The final PDF/A-3b, deterministic: dates come from ``generated_at``, ids from content."""
    stamp = dt.datetime.fromisoformat(generated_at).astimezone(dt.UTC).replace(tzinfo=None)
    embedded = [
        Attachment(
            string=_stand_in(f.name),
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
        finisher=lambda _document, pdf: _embed_packed(pdf, attachments),
        # pydyf's identifier is an MD5 of the objects, so equal content gives an equal /ID.
        pdf_identifier=True,
    )


def write_part(document: Document) -> bytes:
    """A part's pages as a plain PDF: only their content and resources are used (split.py)."""
    return document.write_pdf()
