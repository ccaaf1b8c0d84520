"""Big populations: the PDF and the portal's control pages keep the first rows of each long list,
say how many are shown and where all of them are, so their size does not grow with the history."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_pdf_support import page_texts, render_pack, squeeze

from generator.evidence.model import CorrectiveActionRecord
from generator.render.pdf.settings import PdfSettings
from generator.render.pdf.view import document_view
from generator.render.portal import builtin_templates
from generator.render.portal.options import parse_options
from generator.render.portal.sitebuild import _write_docs
from generator.render.portal.views import PackView, make_view
from generator.testing import synthetic_evidence
from generator.testing_json import as_json, failure_json, from_json, with_deviations

CHANGES = 3000
FAILURES = 1500


def big_model(changes: int = CHANGES, failures: int = FAILURES):
    """A model whose first control's rule cites every change and fails on ``failures`` of them."""
    model = as_json(synthetic_evidence("big", changes=changes, controls=4))
    control = model["controls"][0]
    result = control["results"][0]
    shas = [change["sha"] for change in model["changes"]]
    result["cited"] = shas
    result["failures"] = [failure_json(sha, "no approver") for sha in shas[:failures]]
    control["status"] = result["status"] = "deviations"
    return from_json(with_deviations(model))


def test_document_view_keeps_the_first_rows_and_counts_the_rest():
    model = big_model()
    view = document_view(model, PdfSettings(), "2026-07-01T00:00:00+00:00", "0" * 64)
    result = view["controls"][0]["results"][0]
    assert len(result["failures"]) == 200 and result["failures_total"] == FAILURES
    assert result["failures_more"] == FAILURES - 200
    assert len(result["cited_shown"]) == 200 and result["cited_more"] == CHANGES - 200
    assert len(view["deviations"]) == 500 and view["deviations_total"] == FAILURES
    assert view["deviations_more"] == FAILURES - 500
    assert len(view["changes_shown"]) == 500 and view["changes_more"] == CHANGES - 500
    assert [f["id"] for f in result["failures"]] == [
        f.id for f in model.controls[0].results[0].failures[:200]
    ]


def test_small_lists_are_not_cut():
    model = big_model(changes=30, failures=10)
    view = document_view(model, PdfSettings(), "2026-07-01T00:00:00+00:00", "0" * 64)
    result = view["controls"][0]["results"][0]
    assert len(result["failures"]) == 10 and result["failures_more"] == 0
    assert len(view["deviations"]) == 10 and view["deviations_more"] == 0


def test_pdf_of_a_big_population_prints_the_limits_and_says_where_the_rest_is(tmp_path: Path):
    limits = {
        "max_change_rows": 20,
        "max_cited": 30,
        "max_failure_rows": 25,
        "max_deviation_rows": 40,
    }
    pdf = render_pack(tmp_path / "pack", big_model(), **limits)
    reader = PdfReader(pdf)
    texts = page_texts(reader)
    text = squeeze(" ".join(texts))
    # Every printed deviation id: 25 under the control, 40 in the summary's list, 40 open ones
    # without a corrective action in that section.
    assert len(re.findall(r"DEV-[0-9a-f]{12}", text)) == 25 + 40 + 40
    for said in (
        f"The first 25 of {FAILURES:,} deviations are printed; all of them are in the attached "
        "deviations.csv and evidence.json (setting pdf.max_failure_rows)",
        f"40 of {FAILURES:,} deviations are listed here; all {FAILURES:,} are in the attached "
        "deviations.csv (setting pdf.max_deviation_rows)",
        f"{CHANGES - 30:,} more cited commits",
        f"{FAILURES - 40:,} further open deviations without a corrective action are not printed; "
        "all are in the attached deviations.csv (setting pdf.max_deviation_rows)",
        f"{CHANGES - 20:,} further changes are not printed",
    ):
        assert squeeze(said) in text, said
    assert len(reader.pages) < 40  # thousands of rows would take hundreds of pages
    assert {"deviations.csv", "changes.csv", "evidence.json"} <= set(reader.attachments)


def _portal_pages(tmp_path: Path, portal: dict, model=None) -> tuple[dict[str, str], PackView]:
    model = model or big_model()
    view = make_view(model, tmp_path, "big/2026")
    options = parse_options(portal)
    site = {
        "name": "t",
        "logo": None,
        "primary": "indigo",
        "accent": "indigo",
        "palette_css": False,
        "release_notes_css": None,
        "max_failure_rows": options.max_failure_rows,
        "max_cited": options.max_cited,
        "max_deviation_rows": options.max_deviation_rows,
    }
    blocks = _write_docs([view], tmp_path, site, [builtin_templates()], {})
    return {src: "\n".join(parts) for src, parts in blocks.items()}, view


def _control_page(tmp_path: Path, portal: dict) -> str:
    pages, view = _portal_pages(tmp_path, portal)
    return pages[view.control_src[view.model.controls[0].id]]


def test_portal_control_page_shows_the_first_rows_and_says_where_the_rest_is(tmp_path: Path):
    page = _control_page(tmp_path, {"max_failure_rows": 25, "max_cited": 30})
    assert len(re.findall(r"<code>DEV-[0-9a-f]{12}</code>", page)) == 25
    assert f"The first 25 of {FAILURES:,} deviations are shown" in page
    assert f"The first 30 of {CHANGES:,} cited commits are shown" in page
    cited = page.split('class="mc-shas">', 1)[1].split("</p>", 1)[0]
    assert cited.count("<a ") == 30


def test_portal_defaults_bound_the_control_page(tmp_path: Path):
    page = _control_page(tmp_path, {})
    assert len(re.findall(r"<code>DEV-[0-9a-f]{12}</code>", page)) == 500
    assert f"The first 500 of {FAILURES:,} deviations are shown" in page


def _rows(page: str, anchor: str) -> list[str]:
    return re.findall(rf'<tr id="{anchor}-(dev-[0-9a-f]{{12}})"', page)


def test_portal_summary_and_corrective_actions_keep_the_first_deviations(tmp_path: Path):
    model = big_model()
    acted_on = model.deviations[-1].id  # far beyond the limit: listed for its action
    action = CorrectiveActionRecord(acted_on, "cause", "act", "Ann", "2026-09-30", "open", None,
                                    False, True)  # fmt: skip
    model = replace(model, corrective_actions=(action,))
    pages, view = _portal_pages(tmp_path, {"max_deviation_rows": 40}, model)
    summary, actions = pages[view.src("index.md")], pages[view.src("corrective-actions.md")]
    ids = [d.id.lower() for d in model.deviations]
    assert _rows(summary, "dev") == ids[:40]
    assert f"The first 40 of {FAILURES:,} deviations are shown" in summary
    assert _rows(actions, "ca") == [*ids[:40], acted_on.lower()]
    assert f"Of the {FAILURES - 1:,} open deviations without a corrective action the first 40" in (
        actions
    )
    for page in (summary, actions):
        assert "deviations.csv" in page and "portal.max_deviation_rows" in page


def test_portal_links_to_corrective_actions_only_where_the_page_lists_the_deviation(
    tmp_path: Path,
):
    pages, view = _portal_pages(tmp_path, {"max_deviation_rows": 40, "max_failure_rows": 60})
    listed = set(_rows(pages[view.src("corrective-actions.md")], "ca"))
    linked = set()
    for page in pages.values():
        linked |= set(re.findall(r'corrective-actions[^"#]*#ca-(dev-[0-9a-f]{12})"', page))
    assert linked and linked <= listed
    # A control page's deviation past the actions page's limit still says it has no action.
    control = next(p for name, p in pages.items() if "/controls/" in name and "dev-" in p)
    assert control.count("no corrective action recorded") == 60


def test_portal_defaults_bound_the_summary_and_small_lists_are_whole(tmp_path: Path):
    pages, view = _portal_pages(tmp_path, {})
    assert len(_rows(pages[view.src("index.md")], "dev")) == 500
    assert len(_rows(pages[view.src("corrective-actions.md")], "ca")) == 500
    small = big_model(changes=60, failures=30)
    pages, view = _portal_pages(tmp_path / "small", {"max_deviation_rows": 30}, small)
    summary, actions = pages[view.src("index.md")], pages[view.src("corrective-actions.md")]
    assert len(_rows(summary, "dev")) == len(small.deviations) == 30
    assert len(_rows(actions, "ca")) == 30
    assert "are shown" not in summary and "the first 30" not in actions


@pytest.mark.parametrize("key", ["max_failure_rows", "max_cited", "max_deviation_rows"])
def test_portal_limits_must_be_positive_whole_numbers(key: str):
    from generator.errors import BuildError

    with pytest.raises(BuildError, match=f"portal.{key}"):
        parse_options({key: 0})
