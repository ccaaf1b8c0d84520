"""Long unbroken tokens in the PDF (paths, register entries, URLs, e-mail addresses, key
fingerprints): each breaks inside its table cell and is printed whole, never over its edge."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from test_pdf_support import small_model_json, squeeze, write_pack
from weasyprint.formatting_structure import boxes

from generator.render import pdf as pdf_renderer
from generator.render.pdf import PDF_NAME, columns, weasy
from generator.render.pdf import html as pdf_html
from generator.render.registry import RenderOptions
from generator.testing_json import from_json

# 200 characters, no spaces, hyphens and underscores in it, and parts longer than any column.
LONG_PATH = (
    "docs/evidence/"
    + "quarterly-access-review_platform-operations_" * 3
    + "x" * 34
    + "/annex-"
    + "b" * 10
    + ".md"
)
assert len(LONG_PATH) == 200 and " " not in LONG_PATH
REGISTER = "registers/" + "exceptions-register-of-the-platform-team_" * 4 + "2026.yml"
FINDINGS = "registers/" + "findings-register-of-the-platform-team_" * 4 + "2026.yml"
URL = (
    "https://wiki.example.com/" + "incident-review-notes/" * 6 + "INC-2417?view=full&x=" + "9" * 30
)
EMAIL = "platform-operations-" + "oncall" * 12 + "@very-long-subdomain.example.com"
FINGERPRINT = "SHA256:" + "Zm9vYmFyYmF6cXV4cXV1eA" * 3 + "0123456789abcdef"
DIGEST = "b" * 64


def _long_model() -> Any:
    model = small_model_json(changes=6)
    model["inputs"]["files"] += [
        {"kind": "exceptions", "path": REGISTER, "sha256": "1" * 64, "bytes": 10},
        {"kind": "findings", "path": FINDINGS, "sha256": "2" * 64, "bytes": 10},
    ]
    model["exceptions"][0]["line"] = 3
    model["exceptions"][0]["justification"] = f"Reviewed in {URL} by {EMAIL}."
    control = model["controls"][0]
    result = control["results"][0]
    result["documents"] = [DIGEST]
    model["documents"] = [
        {
            "path": LONG_PATH,
            "source": "evidence folder",
            "commit": None,
            "committed_at": None,
            "sha256": DIGEST,
            "bytes": 10,
            "date": "2026-01-20",
            "period": None,
            "result": None,
            "performed_by": [EMAIL],
            "approved_by": [],
            "scope": "meshcloud-wide",
            "problems": [],
            "controls": [control["id"]],
            "changed_in": None,
            "author": None,
            "committer": None,
        }
    ]
    # A details table: a header word ("Workspace") beside a column of long requests.
    result["details"] = {
        "events": [
            {
                "uuid": "ce9893db-5448-49c9-86f8-91832ab263de",
                "created_at": "2026-03-19T11:50:00+00:00",
                "title": "Workspace User Role Added",
                "workspace": "acme-data-platform",
                "request": f"GET {URL}",
                "expected": 3,
            }
        ]
    }
    open_failure = result["failures"][1]
    open_failure["message"] = f"signed with key {FINGERPRINT}, not in allowed_signers"
    open_failure["items"] = [LONG_PATH, URL]
    model["corrective_actions"] = [
        {
            "deviation": open_failure["id"],
            "root_cause": f"See {URL}.",
            "action": f"Rotate {FINGERPRINT}.",
            "owner": EMAIL,
            "due": "2026-08-31",
            "state": "open",
            "ticket": URL,
            "overdue": False,
            "matched": True,
            "line": 7,
        }
    ]
    model["changes"][0]["subject"] = f"Move {LONG_PATH} to {URL}"
    model["changes"][0]["author"]["email"] = EMAIL
    return from_json(model)


def _text_boxes(box: Any, cell: Any = None):
    if isinstance(box, boxes.TableCellBox):
        cell = box
    if isinstance(box, boxes.TextBox):
        yield box, cell
    for child in getattr(box, "children", ()):
        yield from _text_boxes(child, cell)


@pytest.fixture(scope="module")
def laid_out(tmp_path_factory: pytest.TempPathFactory):
    model = _long_model()
    pack = write_pack(tmp_path_factory.mktemp("long"), model)
    context, _ = pdf_renderer.document_context(model, pack, RenderOptions())
    env = pdf_html.environment()
    html = pdf_html.whole_document(env, context, pdf_html.fragments(env, context))
    return model, pack, weasy.lay_out(html)


def test_every_long_token_stays_inside_its_cell_and_the_page(laid_out):
    # Before: a register entry (FILE:LINE) and each part of a document's path were kept on one
    # line whatever their length, and ran over the neighbouring columns and off the page.
    _, _, document = laid_out
    in_cells = 0
    for page in document.pages:
        page_box = page._page_box
        left = page_box.content_box_x()
        right = left + page_box.width
        for text, cell in _text_boxes(page_box.children[0]):
            end = text.position_x + text.width
            assert left - 0.5 <= text.position_x and end <= right + 0.5, text.text[:60]
            if cell is not None:
                in_cells += 1
                cell_left = cell.content_box_x()
                assert cell_left - 0.5 <= text.position_x, text.text[:60]
                assert end <= cell_left + cell.width + 0.5, (text.text[:60], end, cell.width)
    assert in_cells > 500


def _cell_texts(document: Any) -> str:
    # A <wbr> is laid out as a zero-width space; the PDF's text has none (checked below).
    texts = (text.text for page in document.pages for text, _ in _text_boxes(page._page_box))
    return "".join(texts).replace("\u200b", "")


def test_long_tokens_were_laid_out_where_they_are_cited(laid_out):
    # The check above means something only if the long tokens reached the tables.
    _, _, document = laid_out
    laid = squeeze(_cell_texts(document))
    for token in (LONG_PATH, f"{REGISTER}:3", f"{FINDINGS}:7", URL, EMAIL, FINGERPRINT):
        assert token in laid, token


def test_long_tokens_are_printed_whole_with_every_hyphen(tmp_path: Path):
    # A line broken after a hyphen reads back without it ("annex-" + "bbb" as "annexbbb"): the
    # breaks put into a token are never right after a hyphen.
    model = _long_model()
    pack = write_pack(tmp_path, model)
    pdf_renderer.render(model, pack, RenderOptions())
    reader = PdfReader(pack / PDF_NAME)
    text = squeeze("".join(page.extract_text() for page in reader.pages))
    poppler = subprocess.run(
        ["pdftotext", str(pack / PDF_NAME), "-"], capture_output=True, text=True, check=True
    ).stdout
    for extracted in (text, squeeze(poppler)):
        assert "\u200b" not in extracted
        # The exceptions register's commit id, in two halves of 20 digits, reads back whole.
        commit = model.exceptions[0].sha
        for token in (LONG_PATH, f"{REGISTER}:3", f"{FINDINGS}:7", FINGERPRINT, DIGEST, commit):
            assert token in extracted, token


def test_commit_ids_are_cut_into_equal_whole_lines_sha1_and_sha256():
    sha1, sha256 = "a" * 20 + "b" * 20, "c" * 32 + "d" * 32

    def lines(markup: str) -> list[str]:
        return re.findall(r'<span class="nobreak">([0-9a-f]+)</span>', str(markup))

    assert lines(pdf_html._commit_lines(sha1)) == ["a" * 20, "b" * 20]
    assert lines(pdf_html._commit_lines(sha256)) == [w * 16 for w in "ccdd"]
    assert pdf_html._commit_lines("not-a-sha") == "not-a-sha"
    # A details table's cell: a SHA-1 id on one line, a SHA-256 one in two, in a commit column.
    assert lines(pdf_html._cell(sha1)) == [sha1]
    assert lines(pdf_html._cell(sha256)) == ["c" * 32, "d" * 32]
    widths = columns.detail_widths(["Commit", "Version"], [[sha256, "2026.1.0"]])
    assert widths is not None and widths[0] == columns.COMMIT_COLUMN
