"""The history's warnings (what reading the repository left out) are in the PDF, bounded."""

from __future__ import annotations

from pypdf import PdfReader
from test_pdf_support import page_texts, render_pack, small_model_json, squeeze

from generator.render.pdf.view import HISTORY_WARNINGS_SHOWN
from generator.testing_json import from_json


def _summary_text(tmp_path, warnings: list[str]) -> str:
    model = small_model_json()
    model["source"]["warnings"] = warnings
    pdf = render_pack(tmp_path, from_json(model))
    texts = page_texts(PdfReader(pdf))
    summary = next(t for t in texts if "Executive summary" in t and "Changes in the period" in t)
    return squeeze(summary)


def test_the_executive_summary_lists_each_warning_of_the_history(tmp_path):
    warnings = [
        "release tag production/2.0.0 points to a tree, not a commit; version not read",
        "refs/replace/ holds 1 replace ref: not read (the commits themselves are)",
    ]
    text = _summary_text(tmp_path, warnings)
    assert squeeze("2 warnings from reading the history:") in text
    for warning in warnings:
        assert squeeze(warning) in text


def test_a_long_list_of_warnings_is_cut_with_a_count_of_the_rest(tmp_path):
    warnings = [
        f"environments/staging/meshstack.yaml at commit {i:012x} is binary" for i in range(45)
    ]
    text = _summary_text(tmp_path, warnings)
    assert squeeze("45 warnings from reading the history:") in text
    assert squeeze(warnings[HISTORY_WARNINGS_SHOWN - 1]) in text
    assert squeeze(warnings[HISTORY_WARNINGS_SHOWN]) not in text
    assert squeeze(f"and {45 - HISTORY_WARNINGS_SHOWN} more, every one in evidence.json") in text


def test_no_warning_no_list(tmp_path):
    assert "fromreadingthehistory" not in _summary_text(tmp_path, [])
