"""pdf: settings, the document's fixed date, and byte-identical output for identical input."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import replace

import pytest
from pypdf import PdfReader
from test_pdf_support import render_pack, small_model, write_pack

from generator.errors import BuildError
from generator.evidence.model import CutOffRecord
from generator.render import pdf as pdf_renderer
from generator.render.pdf import html as pdf_html
from generator.render.pdf.settings import PdfSettings, generated_at, settings_from
from generator.render.registry import RenderOptions


def test_defaults():
    settings = settings_from(RenderOptions())
    assert settings == PdfSettings()
    assert (settings.classification, settings.document_version) == ("Confidential", "1.0")
    assert settings.max_change_rows == 500


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"classification": ""}, "pdf.classification"),
        ({"document_version": 3}, "pdf.document_version"),
        ({"max_change_rows": 0}, "pdf.max_change_rows"),
        ({"max_change_rows": True}, "pdf.max_change_rows"),
        ({"split": "sometimes"}, "pdf.split"),
        ({"classification": "  "}, "pdf.classification"),
        ({"colour": "red"}, "pdf: .*'colour' was unexpected"),
    ],
)
def test_bad_settings_are_named(raw, message):
    with pytest.raises(BuildError, match=message):
        settings_from(RenderOptions(pdf=raw))


def test_generated_at_prefers_source_date_epoch_then_the_head_commit_date(monkeypatch):
    model = small_model()
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert generated_at(model, RenderOptions()) == model.source.head_date
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert generated_at(model, RenderOptions()) == "2026-01-01T00:00:00+00:00"
    options = RenderOptions(source_date_epoch=1700000000)
    assert generated_at(model, options) == "2023-11-14T22:13:20+00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(BuildError, match="SOURCE_DATE_EPOCH"):
        generated_at(model, RenderOptions())
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    model = replace(model, source=replace(model.source, head_date="not a date"))
    with pytest.raises(BuildError, match="head_date"):
        generated_at(model, RenderOptions())


def test_cover_html_carries_settings_date_and_evidence_hash(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    model = small_model()
    pack = write_pack(tmp_path, model)
    options = RenderOptions(pdf={"classification": "Internal <b>", "owner": "CISO Office"})
    context, _ = pdf_renderer.document_context(model, pack, options)
    html = pdf_html.environment().get_template("front.html.j2").render(context)
    digest = hashlib.sha256((pack / "evidence.json").read_bytes()).hexdigest()
    assert digest in html
    assert "Internal &lt;b&gt;" in html and "Internal <b>" not in html
    assert "CISO Office" in html
    # The head's commit date is when the repository was read, never shown as a build time.
    assert "<th>Read at head</th>" in html and "committed 2026-06-30 17:00 UTC" in html
    assert "<th>Generated at</th>" not in html
    assert "not recorded: SOURCE_DATE_EPOCH was not set" in html
    assert "cut off at the build date" not in html and 'class="warning cut-off"' not in html


def test_cover_states_the_build_time_and_a_cut_off_with_its_notes(tmp_path):
    model = small_model()
    note = "The period reaches beyond the build date: <evaluated> up to 2026-06-20."
    cut_off = CutOffRecord("2026-06-20T08:15:00+00:00", "2026-06-20", model.source.head_date,
                           (note,))  # fmt: skip
    model = replace(model, cut_off=cut_off)
    pack = write_pack(tmp_path, model)
    context, _ = pdf_renderer.document_context(model, pack, RenderOptions())
    html = pdf_html.environment().get_template("front.html.j2").render(context)
    assert "<td>2026-06-20 08:15 UTC (SOURCE_DATE_EPOCH)</td>" in html
    assert "to 2026-06-20 <strong>(cut off at the build date)</strong>" in html
    assert (
        '<p class="warning cut-off">The period reaches beyond the build date: &lt;evaluated&gt;'
        in html
    )


def test_identical_inputs_give_identical_bytes_wherever_the_pack_is(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    model = small_model(changes=6)
    first = render_pack(tmp_path / "one" / "deep" / "folder", model).read_bytes()
    second = render_pack(tmp_path / "two", model).read_bytes()
    assert first == second
    assert b"/tmp" not in first and str(tmp_path).encode() not in first
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    third = render_pack(tmp_path / "three", model)
    created = PdfReader(third).metadata.creation_date
    assert created == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_failed_render_leaves_no_pdf_behind(tmp_path):
    model = small_model(changes=3)
    pack = write_pack(tmp_path, model)
    (pack / "sample.csv").unlink()
    with pytest.raises(BuildError, match=r"sample\.csv"):
        pdf_renderer.render(model, pack, RenderOptions())
    assert sorted(p.name for p in pack.iterdir()) == [
        "changes.csv",
        "deviations.csv",
        "evidence.json",
    ]
