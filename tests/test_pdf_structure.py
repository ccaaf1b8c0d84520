"""The PDF evidence pack's structure, read back with pypdf from one small rendered pack."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_pdf_support import outline, page_texts, render_pack, small_model, squeeze

from generator.render.pdf.html import FRONT_MATTER, SECTIONS

OPTIONS = {
    "classification": "Strictly Confidential",
    "document_version": "2.3",
    "max_change_rows": 8,
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, PdfReader]:
    model = small_model()
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOURCE_DATE_EPOCH", raising=False)  # dates from the head commit
        pdf = render_pack(tmp_path_factory.mktemp("pack"), model, **OPTIONS)
    return model, pdf, PdfReader(pdf)


def test_outline_has_every_section_and_every_control_under_control_evidence(rendered):
    model, _, reader = rendered
    entries = outline(reader)
    top = [title for level, title, _ in entries if level == 1]
    assert top == [title for _, title in FRONT_MATTER] + [title for _, title, _ in SECTIONS]
    start = [title for _, title, _ in entries].index("Control evidence")
    children = [title for level, title, _ in entries[start + 1 :] if level == 2]
    assert [t.split(" · ")[0] for t in children] == [c.id for c in model.controls]
    pages = [page for _, _, page in entries]
    assert pages == sorted(pages), "bookmarks follow the document order"


def test_table_of_contents_prints_the_pages_the_bookmarks_point_to(rendered):
    _, _, reader = rendered
    texts = page_texts(reader)
    contents = next(i for i, text in enumerate(texts) if text.lstrip().startswith("Contents"))
    toc = texts[contents]
    for _, title, page in outline(reader):
        if title == "Contents":
            continue
        match = re.search(re.escape(title) + r"\s*\.+\s*(\d+)", toc)
        assert match, f"{title!r} missing from the table of contents"
        assert int(match.group(1)) == page + 1, title
        assert title.split(" · ")[0] in texts[page], f"{title!r} is not on page {page + 1}"


def test_attachments_are_the_pack_files_byte_for_byte(rendered):
    _, pdf, reader = rendered
    attached = {name: data[0] for name, data in reader.attachments.items()}
    assert sorted(attached) == ["changes.csv", "deviations.csv", "evidence.json", "sample.csv"]
    for name, data in attached.items():
        assert data == (pdf.parent / name).read_bytes(), name


def test_pdf_a_3b_identification_and_document_metadata(rendered):
    model, _, reader = rendered
    xmp = reader.xmp_metadata
    assert xmp is not None
    raw = xmp.stream.get_data().decode("utf-8")
    assert re.search(r'pdfaid:part="3"|<pdfaid:part>3</pdfaid:part>', raw)
    assert re.search(r'pdfaid:conformance="B"|<pdfaid:conformance>B</pdfaid:conformance>', raw)
    root = reader.trailer["/Root"]
    assert "/OutputIntents" in root and "/AF" in root
    assert len(reader.trailer["/ID"]) == 2
    info = reader.metadata
    assert info.title == "Evidence pack: acme, 2026-01-01 to 2026-06-30"
    assert "ISO/IEC 27001:2022" in info.subject
    assert "acme" in info["/Keywords"] and "ISO/IEC 27017:2015" in info["/Keywords"]
    assert info.author == "meshcomply"
    head_date = dt.datetime.fromisoformat(model.source.head_date)
    assert info.creation_date == head_date and info.modification_date == head_date


def test_cover_carries_the_facts_an_auditor_checks_first(rendered):
    model, pdf, reader = rendered
    cover = squeeze(reader.pages[0].extract_text())
    evidence_hash = hashlib.sha256((pdf.parent / "evidence.json").read_bytes()).hexdigest()
    for expected in (
        "acme",
        "2026-01-01to2026-06-30",
        "STRICTLYCONFIDENTIAL",
        "Documentversion2.3",
        "Evaluated2026-01-01to2026-06-30",
        "Builtatnotrecorded:SOURCE_DATE_EPOCHwasnotset",
        "committed2026-06-3017:00UTC",
        model.source.repo,
        model.source.head,
        evidence_hash,
    ):
        assert expected in cover, expected


def test_cover_says_what_the_metadata_dates_are_and_names_every_attachment(rendered):
    _, _, reader = rendered
    cover = squeeze(reader.pages[0].extract_text())
    # no build time recorded: the metadata's date is the head commit's, and the cover says so
    assert "PDFmetadatadates2026-06-3017:00UTC:theheadcommit'sdate,notwhenthisPDFwasmade" in cover
    names = sorted(reader.attachments)
    assert all(name in cover for name in names)
    assert f"({len(names)}attachments)" in cover


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
def test_re_perform_commands_copy_out_of_the_pdf_as_the_same_commands(rendered):
    model, pdf, _ = rendered
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    lines = text.splitlines()
    copied = {}
    for index, line in enumerate(lines):
        found = re.match(r"^\s*(.+): expected (\S+)$", line)
        if not found:
            continue
        command = [lines[index + 1].strip()]
        while command[-1].endswith("\\"):
            command[-1] = command[-1][:-1]
            command.append(lines[index + len(command) + 1].strip())
        copied[found.group(1)] = (found.group(2), " ".join(command))
    assert model.source.reproduce
    for step in model.source.reproduce:
        expected, command = copied[step.figure]
        assert expected == step.expected
        assert shlex.split(command) == shlex.split(step.command), step.figure


def test_document_control_has_owner_and_empty_signature_lines(rendered):
    _, _, reader = rendered
    text = reader.pages[1].extract_text()
    assert text.lstrip().startswith("Document control")
    for field in ("Title", "Document version", "Document owner", "Prepared by", "Reviewed by"):
        assert field in text
    assert "Approved by" in text and "Signature" in text


def test_running_header_and_footer_on_a_middle_page(rendered):
    _, _, reader = rendered
    total = len(reader.pages)
    assert total >= 10
    middle = total // 2
    text = reader.pages[middle].extract_text()
    assert "acme · 2026-01-01 to 2026-06-30" in text
    assert "STRICTLY CONFIDENTIAL" in text
    assert f"Page {middle + 1} of {total}" in text
    assert "version 2.3" in text
    assert "Page 1 of" not in reader.pages[0].extract_text(), "the cover has no running footer"


def test_change_population_is_cut_at_max_change_rows_with_the_rest_in_the_csv(rendered):
    model, _, reader = rendered
    pages = {title: page for _, title, page in outline(reader)}
    section = page_texts(reader)[pages["Change population"] : pages["Release promotion timeline"]]
    population = squeeze("".join(section))
    shown, hidden = model.changes[:8], model.changes[8:]
    assert hidden
    assert all(change.sha in population for change in shown)
    # Hidden changes may still be cited elsewhere (the sample), but not as population rows.
    assert not any(change.sha in population for change in hidden)
    assert f"{len(hidden)}furtherchangesarenotprinted" in population
    assert "changes.csv" in population


def test_failures_show_the_accepted_exception_beside_them(rendered):
    model, _, reader = rendered
    control = model.controls[0]
    texts = page_texts(reader)
    page = next(t for t in texts if t.lstrip().startswith(f"{control.id} ·"))
    flat = squeeze(page)
    assert "EXC-2026-001" in flat and "Emergencyfixduringincident" in flat
    assert "CAB-7" in flat
    # Who accepted is the register's statement, shown as such.
    assert "(exceptionsregisterentry," in flat and "asacceptingit" in flat
    assert "open" in page, "the unaccepted deviation says it is open"
    for failure in control.results[0].failures:
        assert failure.id in flat and failure.kind in flat
    assert "Deviations 1 open, 1 accepted" in page


def test_control_list_and_soa_say_what_the_rules_tested_beside_each_status(rendered):
    model, _, reader = rendered
    texts = page_texts(reader)
    listed = squeeze(" ".join(t for t in texts if squeeze("What the rules tested") in squeeze(t)))
    for control in model.controls:
        # synthetic controls test production changes' approval
        assert squeeze(f"{control.title}") in listed
        assert squeeze(f"Not shown: {control.does_not_prove}") in listed
    assert squeeze("approval of each production change") in listed
    soa = squeeze(" ".join(t for t in texts if squeeze("(what its rules tested)") in squeeze(t)))
    implemented = [row for row in model.soa if row.implemented_by and row.status]
    assert implemented
    for row in implemented:
        for cid in row.implemented_by:
            assert squeeze(f"{cid} tested: approval of each production change") in soa


def test_control_pages_say_what_the_rules_test_and_the_customers_part(rendered):
    model, _, reader = rendered
    text = squeeze(" ".join(page_texts(reader)))
    assert squeeze("Evidence shows") not in text
    for control in model.controls:
        assert squeeze(f"What the rules test {control.proves}") in text
        # The description is meshcloud's account of the design, labelled so, below the result.
        described = squeeze(
            f"Control description (meshcloud's design, not tested): {control.description}"
        )
        assert described in text
        assert text.index(squeeze(f"What the rules test {control.proves}")) < text.index(described)
        assert squeeze(f"It does not show {control.does_not_prove}") in text
        if control.customer_part:
            assert squeeze(f"Customer's part {control.customer_part}") in text
    assert squeeze("partial coverage") in text
