"""One part of a long PDF laid out on its own: its pages plus where their marks are.

Runs inside the worker processes (``workers.py``); ``parts.py`` in the parent merges the results.
Kept apart from both so the worker needs neither the planning nor the merging code, and neither
of them imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.render.pdf.weasy import lay_out, write_part


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
