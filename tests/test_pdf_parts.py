"""A pack laid out in parts by worker processes equals the one laid out in one go, page for page."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from test_pdf_support import outline, page_texts, render_pack, small_model, write_pack

from generator.render import pdf as pdf_renderer
from generator.render.pdf import html as pdf_html
from generator.render.pdf import parts
from generator.render.pdf.html import Fragment
from generator.render.pdf.settings import PdfSettings

OPTIONS = {"document_version": "4.1", "workers": 2}


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[PdfReader, PdfReader, Path]:
    model = small_model()
    whole = render_pack(tmp_path_factory.mktemp("whole"), model, split="never", **OPTIONS)
    patch = pytest.MonkeyPatch()
    patch.setattr(parts, "PART_WEIGHT", 250)  # many small parts, several per worker
    try:
        split = render_pack(tmp_path_factory.mktemp("parts"), model, split="always", **OPTIONS)
    finally:
        patch.undo()
    return PdfReader(whole), PdfReader(split), split


def _lines(text: str) -> list[str]:
    # Sheet content and running header are drawn in another order than in one document.
    return sorted(line.strip() for line in text.splitlines() if line.strip())


def test_same_pages_with_the_same_text(both):
    whole, split, _ = both
    assert len(split.pages) == len(whole.pages) > 10
    # The split pack really was assembled: every page after the front matter draws a part page.
    drawn = ["/mcPart" in page["/Resources"].get("/XObject", {}) for page in split.pages]
    assert drawn[:3] == [False] * 3 and all(drawn[4:])
    for number, (a, b) in enumerate(zip(page_texts(whole), page_texts(split), strict=True), 1):
        assert _lines(b) == _lines(a), f"page {number} differs"
    last = len(split.pages)
    assert f"Page {last} of {last}" in split.pages[-1].extract_text()


def test_same_outline_pointing_to_the_same_pages(both):
    whole, split, _ = both
    assert outline(split) == outline(whole)
    assert len(outline(split)) > 12


def _links(reader: PdfReader) -> list[list[int]]:
    """For each page, the target page of each internal link annotation."""
    found = []
    for page in reader.pages:
        targets = []
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            destination = annotation.get("/Dest") or annotation["/A"]["/D"]
            name = destination if isinstance(destination, str) else None
            if name is not None:
                destination = reader.named_destinations[name]
                targets.append(reader.get_destination_page_number(destination))
            else:
                targets.append(reader.get_page_number(destination[0].get_object()))
        found.append(sorted(targets))
    return found


def test_table_of_contents_and_cross_references_link_to_the_same_pages(both):
    whole, split, _ = both
    assert _links(split) == _links(whole)
    contents = next(i for i, t in enumerate(page_texts(split)) if t.lstrip().startswith("Contents"))
    assert len(_links(split)[contents]) >= 10


def test_attachments_and_pdf_a_identification_survive_the_merge(both):
    _, split, pdf = both
    attached = {name: data[0] for name, data in split.attachments.items()}
    assert sorted(attached) == ["changes.csv", "deviations.csv", "evidence.json", "sample.csv"]
    assert attached["evidence.json"] == (pdf.parent / "evidence.json").read_bytes()
    xmp = split.xmp_metadata.stream.get_data().decode("utf-8")
    assert "pdfaid" in xmp and "3" in xmp
    assert "/OutputIntents" in split.trailer["/Root"]


def test_parts_render_is_byte_identical_twice(both, tmp_path, monkeypatch):
    _, _, first = both
    model = small_model()
    monkeypatch.setattr(parts, "PART_WEIGHT", 250)
    again = render_pack(tmp_path, model, split="always", **OPTIONS)
    assert again.read_bytes() == first.read_bytes()


def test_plan_groups_consecutive_fragments_up_to_the_weight():
    fragments = [Fragment(str(i), "", w) for i, w in enumerate([5, 5, 20, 3, 50, 1])]
    groups = parts.plan(fragments, 20)
    assert [[f.key for f in g] for g in groups] == [["0", "1"], ["2"], ["3"], ["4"], ["5"]]
    assert [f for g in groups for f in g] == fragments


def test_parts_are_chosen_only_for_large_packs_with_more_than_one_worker(tmp_path):
    model = small_model()
    pack = write_pack(tmp_path, model)
    context, _ = pdf_renderer.document_context(model, pack, pdf_renderer.RenderOptions())
    assert not pdf_renderer.use_parts(context, PdfSettings(workers=2))
    big = {**context, "changes_shown": context["changes_shown"] * 500}
    assert pdf_renderer.use_parts(big, PdfSettings(workers=2))
    assert not pdf_renderer.use_parts(big, PdfSettings(workers=1))
    assert pdf_renderer.use_parts(context, PdfSettings(split="always"))
    assert not pdf_renderer.use_parts(big, PdfSettings(split="never", workers=2))


def test_weight_estimate_without_rendering_matches_the_fragments(tmp_path):
    model = small_model()
    pack = write_pack(tmp_path, model)
    context, _ = pdf_renderer.document_context(model, pack, pdf_renderer.RenderOptions())
    env = pdf_html.environment()
    assert pdf_html.document_weight(context) == sum(
        f.weight for f in pdf_html.fragments(env, context)
    )
