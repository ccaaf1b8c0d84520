"""docs/screenshots.py takes every image docs/pdf.md and docs/portal.md show, in the framing
docs/img holds them: a page never links an image the script does not renew."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from PIL import Image

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _script():
    spec = importlib.util.spec_from_file_location("screenshots", DOCS / "screenshots.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_image_the_pages_show_is_taken_by_the_script_in_its_size():
    shots = _script()
    linked = {
        name
        for page in ("pdf.md", "portal.md")
        for name in re.findall(r"\]\(img/([^)]+\.png)\)", (DOCS / page).read_text("utf-8"))
    }
    taken = {*shots.PDF_IMAGES, *shots.PORTAL_IMAGES, "portal-phone.png"}
    assert linked == taken
    pdf_size = (2 * shots.PAGE[0] + 3 * shots.MARGIN, shots.PAGE[1] + 2 * shots.MARGIN)
    phones = len(shots.PHONE_PAGES)
    phone_size = (phones * shots.PHONE[0] + (phones - 1) * shots.PHONE_GAP, shots.PHONE[1])
    expected = {
        **dict.fromkeys(shots.PDF_IMAGES, pdf_size),
        **{name: window for name, (_page, window) in shots.PORTAL_IMAGES.items()},
        "portal-phone.png": phone_size,
    }
    for name, size in expected.items():
        with Image.open(DOCS / "img" / name) as image:
            assert image.size == size, name


def test_images_are_laid_side_by_side_with_margins_and_gaps():
    shots = _script()
    red, blue = Image.new("RGB", (3, 5), (255, 0, 0)), Image.new("RGB", (4, 2), (0, 0, 255))
    row = shots._side_by_side([red, blue], (9, 9, 9), 2, gap=1)
    assert row.size == (2 + 3 + 1 + 4 + 2, 2 + 5 + 2)
    assert row.getpixel((2, 2)) == (255, 0, 0) and row.getpixel((6, 2)) == (0, 0, 255)
    assert row.getpixel((5, 2)) == (9, 9, 9) and row.getpixel((6, 5)) == (9, 9, 9)
