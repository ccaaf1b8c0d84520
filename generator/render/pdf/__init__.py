"""The PDF evidence pack: the signed-off document a compliance officer hands to the auditor.

Reads only the evidence model (and embeds the pack's evidence.json, changes.csv and sample.csv);
writes ``evidence-pack.pdf``, PDF/A-3b, byte-identical for identical inputs. Large packs are laid
out in parts by worker processes and assembled (``parts.py``); small ones in one go.

The layout modules (Jinja, WeasyPrint) are imported inside the functions that lay out: the
registry imports this package to read ``RENDERER`` and its options (``settings.py``) whenever
meshcomply.yml is loaded, also by commands that make no PDF.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from generator.evidence.inputs import sha256_file
from generator.evidence.model import EvidenceModel
from generator.render.pdf.settings import OPTIONS, PdfSettings, generated_at, settings_from
from generator.render.pdf.view import document_view
from generator.render.registry import Renderer, RenderOptions

PDF_NAME = "evidence-pack.pdf"


def document_context(
    model: EvidenceModel, pack_dir: Path, options: RenderOptions
) -> tuple[dict[str, Any], PdfSettings]:
    from generator.render.pdf import html as pdf_html

    settings = settings_from(options)
    evidence = sha256_file(pack_dir / "evidence.json")  # in blocks: it can be hundreds of MB
    view = document_view(model, settings, generated_at(model, options), evidence)
    view["signer"] = options.signer  # known before the signature, which is made after the manifest
    return pdf_html.template_context(view), settings


def render_single(context: dict[str, Any], pack_dir: Path) -> bytes:
    from generator.render.pdf import html as pdf_html
    from generator.render.pdf.weasy import lay_out, pack_attachments, write_pdf

    env = pdf_html.environment()
    document_html = pdf_html.whole_document(env, context, pdf_html.fragments(env, context))
    document = lay_out(document_html)
    attachments = pack_attachments(pack_dir, with_events=context["events"] is not None)
    return write_pdf(document, attachments, context["generated_at"])


def use_parts(context: dict[str, Any], settings: PdfSettings) -> bool:
    """Split only when it pays: large packs, and more than one worker process available."""
    from generator.render.pdf import html as pdf_html
    from generator.render.pdf import parts

    if settings.split != "auto":
        return settings.split == "always"
    weight = pdf_html.document_weight(context)
    return weight > parts.SPLIT_ABOVE_WEIGHT and parts.worker_count(settings.workers) > 1


def render(model: EvidenceModel, pack_dir: Path, options: RenderOptions) -> None:
    """Write ``pack_dir/evidence-pack.pdf`` (atomically: a failed render leaves no file)."""
    from generator.render.pdf import html as pdf_html
    from generator.render.pdf import parts
    from generator.render.pdf.weasy import pack_attachments

    context, settings = document_context(model, pack_dir, options)
    if use_parts(context, settings):
        attachments = pack_attachments(pack_dir, with_events=context["events"] is not None)
        workers = parts.worker_count(settings.workers)
        data = parts.render_in_parts(pdf_html.environment(), context, attachments, workers)
    else:
        data = render_single(context, pack_dir)
    temp = pack_dir / f".{PDF_NAME}.partial"
    try:
        temp.write_bytes(data)  # mode from the umask, like every other file of the pack
        os.replace(temp, pack_dir / PDF_NAME)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


RENDERER = Renderer(format="pdf", scope="pack", render=render, order=10, options=OPTIONS)
