"""Large packs, laid out in parts by worker processes and laid onto one frame document.

WeasyPrint lays out a document in one process, in time and memory growing with its length. A
long pack is therefore cut at its forced page breaks into parts of bounded size, laid out in
parallel by worker processes (``workers.py``), so no process holds the whole layout. The page
numbers, table of contents, links and bookmarks need the whole document: they come from a *frame*,
the front matter plus one empty sheet per part page, carrying invisible marks at the positions
where the part pages have their anchors, bookmarks and links, and the running header and footer.
WeasyPrint lays out the frame (cheaply: the sheets are empty) with real ``target-counter()``
page numbers and ``Page X of Y``; ``merge.py`` then draws each part page onto its sheet.
"""

from __future__ import annotations

import os
from typing import Any

import jinja2
from markupsafe import escape

from generator.errors import BuildError
from generator.render.pdf import html as pdf_html
from generator.render.pdf.html import Fragment
from generator.render.pdf.merge import merge
from generator.render.pdf.partlayout import PartResult
from generator.render.pdf.weasy import PackFile, lay_out, write_pdf
from generator.render.pdf.workers import lay_out_all

# Parts of about 30 pages: a worker stays near 250 MB, and two workers finish close together.
PART_WEIGHT = 30 * pdf_html.PAGE
# Above about 150 pages parts pay for their fixed costs (benchmarks/pdf.py).
SPLIT_ABOVE_WEIGHT = 150 * pdf_html.PAGE


def plan(fragments: list[Fragment], max_weight: int = PART_WEIGHT) -> list[list[Fragment]]:
    """Consecutive fragments grouped into parts of at most ``max_weight`` (or one fragment)."""
    parts: list[list[Fragment]] = []
    weight = 0
    for fragment in fragments:
        if parts and weight + fragment.weight <= max_weight:
            parts[-1].append(fragment)
            weight += fragment.weight
        else:
            parts.append([fragment])
            weight = fragment.weight
    return parts


def _px(value: float) -> str:
    return f"{value:.2f}px"


def sheets_html(results: list[PartResult]) -> str:
    """One empty sheet per part page, with the part page's anchors, bookmarks and links."""
    out = []
    for result in results:
        for marks in result.pages:
            out.append('<div class="sheet">')
            for name, x, y in marks.anchors:
                out.append(
                    f'<span class="mark" id="{escape(name)}" '
                    f'style="left: {_px(x)}; top: {_px(y)}"></span>'
                )
            for level, label, x, y in marks.bookmarks:
                out.append(
                    f'<span class="mark" data-label="{escape(label)}" '
                    f'style="left: {_px(x)}; top: {_px(y)}; bookmark-level: {int(level)}; '
                    'bookmark-label: attr(data-label)"></span>'
                )
            for target, x, y, width, height in marks.links:
                out.append(
                    f'<a class="mark" href="#{escape(target)}" style="left: {_px(x)}; '
                    f'top: {_px(y)}; width: {_px(width)}; height: {_px(height)}"></a>'
                )
            out.append("</div>")
    return "\n".join(out)


def worker_count(requested: int) -> int:
    return requested or max(1, min(2, os.cpu_count() or 1))


def _anchor_pages(pages: list[Any], first_number: int) -> dict[str, int]:
    return {name: first_number + index for index, page in enumerate(pages) for name in page.anchors}


def render_in_parts(
    env: jinja2.Environment,
    context: dict[str, Any],
    attachments: list[PackFile],
    workers: int,
) -> bytes:
    """The whole document, laid out in parts by ``workers`` processes and merged onto a frame."""
    part_rows = max((PART_WEIGHT - pdf_html.SECTION) // pdf_html.ROW, 1)
    fragments = pdf_html.fragments(env, context, part_rows=part_rows)
    groups = plan(fragments, PART_WEIGHT)  # read at call time: tests make parts small
    documents = [pdf_html.part_document(env, context, group) for group in groups]
    toc_ids = [e["id"] for e in pdf_html.table_of_contents(context)]
    toc_ids += [c["id"] for e in pdf_html.table_of_contents(context) for c in e["children"]]
    front: dict[str, Any] = {}

    def lay_out_front_matter() -> None:
        # While the workers run: the front matter alone, its numbers as wide as real ones.
        wide = {anchor: "0000" for anchor in toc_ids}
        pages = lay_out(pdf_html.frame_document(env, context, "", wide, 9999)).pages
        front["count"], front["anchors"] = len(pages), _anchor_pages(pages, 1)

    results = lay_out_all(documents, workers, meanwhile=lay_out_front_matter)
    sheets = sum(len(r.pages) for r in results)
    count = front["count"]
    for _ in range(3):
        numbers = {
            **front["anchors"],
            **{name: count + sheet for name, sheet in _sheet_numbers(results).items()},
        }
        frame = lay_out(
            pdf_html.frame_document(env, context, sheets_html(results), numbers, count + sheets)
        )
        if len(frame.pages) == count + sheets:
            break
        # The real numbers changed the front matter's length (a title wrapped): again with it.
        count = len(frame.pages) - sheets
        front["anchors"] = _anchor_pages(frame.pages[:count], 1)
    else:
        raise BuildError("PDF assembly: the front matter's length does not settle")
    frame_pdf = write_pdf(frame, attachments, context["generated_at"])
    return merge(frame_pdf, [r.pdf for r in results], count)


def _sheet_numbers(results: list[PartResult]) -> dict[str, int]:
    """Each part anchor's page, counted from the first sheet (1)."""
    numbers: dict[str, int] = {}
    page_number = 0
    for result in results:
        for marks in result.pages:
            page_number += 1
            for name, *_ in marks.anchors:
                numbers.setdefault(name, page_number)
    return numbers
