"""The PDF and the portal say the same thing: each demo control's status in the same words, and
every status's meaning as generator/status.py defines it (issue #13: one vocabulary)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_demo_support import shared_build
from test_pdf_support import page_texts, squeeze

from generator.status import Status

LABELS = sorted((s.label for s in Status), key=len, reverse=True)  # longest match first
_ROW = re.compile(
    r'<a class="mc-nowrap" href="[^"]+">(?P<id>[^<]+)</a></td>.*?'
    r'<span class="mc-badge mc-badge--(?P<key>[a-z_]+)"><span aria-hidden="true">[^<]*</span> '
    r"(?P<label>[^<]+)</span>",
    re.S,
)


@pytest.fixture(scope="module")
def built() -> tuple[Path, list[Path]]:
    return shared_build()


def pdf_statuses(reader: PdfReader, ids: list[str]) -> dict[str, str]:
    """Each control's status words as its section of the PDF prints them."""
    found = {}
    for text in page_texts(reader):
        flat = squeeze(text)
        for control_id in ids:
            if text.lstrip().startswith(f"{control_id} ·"):
                after = flat.split("Status", 1)[1]
                found[control_id] = next(w for w in LABELS if after.startswith(squeeze(w)))
    return found


def portal_statuses(page: Path) -> dict[str, str]:
    """Each control's status words as the portal's controls table shows them."""
    text = page.read_text(encoding="utf-8")
    rows = text.split("<tr data-status=")[1:]
    found = {}
    for row in rows:
        match = _ROW.search(row)
        assert match, row[:200]
        assert match["key"] == row.split('"')[1]  # the badge's class is the row's status
        found[html.unescape(match["id"])] = html.unescape(match["label"])
    return found


def test_pdf_and_portal_show_each_control_in_the_same_words(built):
    out, packs = built
    for pack in packs:
        model = json.loads((pack / "evidence.json").read_text(encoding="utf-8"))
        expected = {c["id"]: Status(c["status"]).label for c in model["controls"]}
        reader = PdfReader(pack / "evidence-pack.pdf")
        shown_pdf = pdf_statuses(reader, list(expected))
        installation, period = pack.parts[-2:]
        index = out / "site" / installation / period / "controls" / "index.html"
        shown_portal = portal_statuses(index)
        assert shown_pdf == shown_portal == expected
    assert {"No deviations found", "Deviations found", "Design only"} <= set(expected.values())


def test_pdf_and_portal_define_every_status_in_the_same_sentence(built):
    out, packs = built
    for pack in packs:
        reader = PdfReader(pack / "evidence-pack.pdf")
        pdf = squeeze(" ".join(page_texts(reader)))
        installation, period = pack.parts[-2:]
        method = out / "site" / installation / period / "methodology.html"
        portal = squeeze(html.unescape(re.sub(r"<[^>]+>", " ", method.read_text("utf-8"))))
        for status in Status:
            assert squeeze(f"{status.label} {status.meaning}") in pdf, status
            assert squeeze(f"{status.label} {status.meaning}") in portal, status
    home = (out / "site" / "index.html").read_text(encoding="utf-8")
    legend = squeeze(html.unescape(re.sub(r"<[^>]+>", " ", home)))
    for status in Status:
        assert squeeze(f"{status.label} {status.meaning}") in legend, status
