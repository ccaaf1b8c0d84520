"""Large packs, laid out in parts by worker processes and laid onto one frame document.

WeasyPrint lays out a document in one process, in time and memory growing with its length. A
long pack is therefore cut at its forced page breaks into parts of bounded size, laid out in
parallel, each in a fresh process (so its memory is returned when it ends). The page numbers,
the table of contents, links and bookmarks need the whole document, so they come from a *frame*:
the front matter plus one empty sheet per part page, carrying invisible marks at the positions
where the part pages have their anchors, bookmarks and links, and the running header and footer.
WeasyPrint lays out the frame (cheaply: the sheets are empty) with real ``target-counter()``
page numbers and ``Page X of Y``; ``merge.py`` then draws each part page onto its sheet.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from markupsafe import escape

from generator.render.pdf.html import Fragment
from generator.render.pdf.weasy import lay_out, write_part

# About 28 weight units make a page: parts of ~40 pages keep a worker near 250 MB.
PART_WEIGHT = 1100
# Above this estimated size (~150 pages) parts are faster than one document (benchmarks/pdf.py).
SPLIT_ABOVE_WEIGHT = 4200


@dataclass
class PageMarks:
    anchors: list[tuple[str, float, float]] = field(default_factory=list)
    bookmarks: list[tuple[int, str, float, float]] = field(default_factory=list)
    links: list[tuple[str, float, float, float, float]] = field(default_factory=list)


@dataclass
class PartResult:
    pdf: bytes
    pages: list[PageMarks]


def lay_out_part(html: str) -> PartResult:
    """Worker entry point: one part as PDF pages plus where their marks are (page-area px)."""
    document = lay_out(html)
    pages = []
    for page in document.pages:
        box = page._page_box  # the page area's origin, to place marks inside the frame's sheets
        left, top = box.content_box_x(), box.content_box_y()
        marks = PageMarks()
        for name, (x, y, *_) in sorted(page.anchors.items(), key=lambda item: item[1][1]):
            marks.anchors.append((name, x - left, y - top))
        for level, label, (x, y), _state in page.bookmarks:
            marks.bookmarks.append((level, label, x - left, y - top))
        for kind, target, (x1, y1, x2, y2), _box in page.links:
            if kind == "internal":
                marks.links.append((target, x1 - left, y1 - top, x2 - x1, y2 - y1))
        pages.append(marks)
    return PartResult(write_part(document), pages)


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


def _context() -> multiprocessing.context.BaseContext:
    # A fork server forks clean, single-threaded workers with WeasyPrint already imported.
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["generator.render.pdf.parts"])
        return context
    return multiprocessing.get_context("spawn")


def lay_out_parts(documents: list[str], workers: int) -> list[PartResult]:
    """Every part document laid out, in order; each in a fresh process so memory is returned."""
    with ProcessPoolExecutor(
        max_workers=min(workers, len(documents)), mp_context=_context(), max_tasks_per_child=1
    ) as pool:
        return list(pool.map(lay_out_part, documents))
