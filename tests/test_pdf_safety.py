"""Hostile repository text in the PDF: shown literally, never fetched, never off the page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import ClassVar

import pytest
from pypdf import PdfReader
from test_pdf_support import page_texts, render_pack, small_model_json, squeeze, write_pack
from weasyprint.formatting_structure import boxes

from generator.errors import BuildError
from generator.render import pdf as pdf_renderer
from generator.render.pdf import fetcher as fetcher_module
from generator.render.pdf import html as pdf_html
from generator.render.pdf import partlayout, weasy
from generator.render.pdf.fetcher import BundledAssetFetcher, RefusedFetch
from generator.render.registry import RenderOptions
from generator.testing import HOSTILE_TEXTS
from generator.testing_json import from_json

TEMPLATES = pdf_html.TEMPLATES


class RecordingFetcher(BundledAssetFetcher):
    calls: ClassVar[list[str]] = []

    def fetch(self, url, headers=None):
        RecordingFetcher.calls.append(url)
        return super().fetch(url, headers)


def _hostile_model():
    model = small_model_json(hostile=True, changes=len(HOSTILE_TEXTS))
    model["controls"][1]["title"] = '<link rel="stylesheet" href="http://attacker.example/x.css">'
    model["controls"][1]["description"] = "body { background: url(http://attacker.example/bg.png) }"
    model["exceptions"][0]["justification"] = '<a rel="attachment" href="file:///etc/passwd">x</a>'
    model["source"]["repo"] = '<img src="file:///etc/shadow">'
    return from_json(model)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory):
    RecordingFetcher.calls = []
    patch = pytest.MonkeyPatch()
    patch.setattr(weasy, "BundledAssetFetcher", RecordingFetcher)
    try:
        model = _hostile_model()
        pdf = render_pack(tmp_path_factory.mktemp("hostile"), model)
        yield model, pdf, PdfReader(pdf), list(RecordingFetcher.calls)
    finally:
        patch.undo()


def test_only_bundled_template_assets_were_fetched(hostile):
    *_, calls = hostile
    assert calls, "the fetcher was not used at all"
    root = TEMPLATES.resolve().as_uri()
    assert all(url.startswith(root + "/") for url in calls), calls
    assert {url.rsplit("/", 1)[-1] for url in calls} <= {
        "style.css",
        "running.css",
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "DejaVuSansMono.ttf",
    }


def test_hostile_text_shows_literally(hostile):
    _, _, reader, _ = hostile
    text = squeeze("".join(page_texts(reader)))
    subjects = [t for t in HOSTILE_TEXTS if "\u202e" not in t]  # bidi: see the next test
    assert any("<img" in t for t in subjects) and any("<script>" in t for t in subjects)
    for expected in (
        *subjects,
        '<link rel="stylesheet" href="http://attacker.example/x.css">',
        "body { background: url(http://attacker.example/bg.png) }",
        '<a rel="attachment" href="file:///etc/passwd">x</a>',
        '<img src="file:///etc/shadow">',
    ):
        assert squeeze(expected) in text, expected


def test_hostile_pack_embeds_only_the_three_pack_files(hostile):
    _, pdf, reader, _ = hostile
    attachments = reader.attachments
    assert sorted(attachments) == ["changes.csv", "deviations.csv", "evidence.json", "sample.csv"]
    assert attachments["evidence.json"][0] == (pdf.parent / "evidence.json").read_bytes()


def test_bidi_override_is_shown_as_a_code_point_not_applied(hostile):
    _, _, reader, _ = hostile
    text = "".join(page_texts(reader))
    assert "\u202e" not in text
    assert "<U+202E>gnp.exe<U+202C>" in squeeze(text)


def _text_boxes(box):
    if isinstance(box, boxes.TextBox):
        yield box
    for child in getattr(box, "children", ()):
        yield from _text_boxes(child)


def test_no_text_runs_off_the_page_area(tmp_path):
    model = _hostile_model()
    pack = write_pack(tmp_path, model)
    context, _ = pdf_renderer.document_context(model, pack, RenderOptions())
    env = pdf_html.environment()
    document = weasy.lay_out(
        pdf_html.whole_document(env, context, pdf_html.fragments(env, context))
    )
    checked = 0
    for page in document.pages:
        page_box = page._page_box
        left = page_box.content_box_x()
        right = left + page_box.width
        root = page_box.children[0]  # the html element; margin boxes follow it
        for text in _text_boxes(root):
            checked += 1
            assert text.position_x >= left - 0.5, text.text[:40]
            assert text.position_x + text.width <= right + 0.5, (text.text[:40], page_box.width)
    assert checked > 1000


def test_fetcher_refuses_network_and_files_outside_the_templates(tmp_path):
    fetcher = BundledAssetFetcher(TEMPLATES)
    outside = tmp_path / "secret.css"
    outside.write_text("body{}", encoding="utf-8")
    link = TEMPLATES / "fonts" / "link-to-outside.css"
    for url in (
        "http://attacker.example/x.css",
        "https://attacker.example/x.css",
        "data:text/css,body{}",
        "file:///etc/passwd",
        outside.as_uri(),
        (TEMPLATES / ".." / ".." / "pyproject.toml").as_uri(),
        "file://attacker.example/share/x.css",
    ):
        with pytest.raises(RefusedFetch):
            fetcher.fetch(url)
    try:
        link.symlink_to(outside)
        with pytest.raises(RefusedFetch):
            fetcher.fetch(link.as_uri())
    finally:
        link.unlink(missing_ok=True)
    response = fetcher.fetch((TEMPLATES / "style.css").as_uri())
    assert b"@font-face" in response.read()
    assert fetcher.requested[-1].endswith("style.css")


def test_a_template_asking_for_anything_else_stops_the_render(monkeypatch):
    monkeypatch.setattr(fetcher_module, "URLFetcherResponse", None)  # would fail if reached
    html = '<html><body><img src="http://attacker.example/p.png"></body></html>'
    with pytest.raises(
        BuildError, match=re.escape("refused to fetch 'http://attacker.example/p.png'")
    ):
        weasy.lay_out(html)


def test_worker_entry_point_uses_the_same_safe_layout(tmp_path: Path):
    html = (
        '<html><head><link rel="stylesheet" href="file:///etc/passwd"></head><body></body></html>'
    )
    with pytest.raises(BuildError, match=re.escape("refused to fetch 'file:///etc/passwd'")):
        partlayout.lay_out_part(html)


def test_one_huge_field_is_cut_on_the_page_and_kept_whole_in_evidence_json(tmp_path: Path):
    # Before: a 200,000-character author name was laid out in full (minutes of WeasyPrint).
    data = small_model_json(changes=3)
    name = "Mallory " + "x" * 50_000
    data["changes"][0]["author"]["name"] = name
    data["changes"][0]["author"]["email"] = "a" * 20_000 + "@example.com"
    pdf = render_pack(tmp_path, from_json(data))
    text = squeeze("".join(page_texts(PdfReader(pdf))))
    cut = pdf_html.MAX_FIELD_CHARS
    assert squeeze(f"… ({len(name) - cut:,} more characters, full text in evidence.json)") in text
    assert squeeze(f"… ({20_012 - cut:,} more characters, full text in evidence.json)") in text
    assert "x" * (cut + 1) not in text
    stored = json.loads((pdf.parent / "evidence.json").read_text("utf-8"))
    assert stored["changes"][0]["author"]["name"] == name
