"""Release-note pages in the portal: one page and Atom feed per pack and environment."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from test_portal_support import Page, write_pack

from generator.errors import InputError
from generator.notes_stage import read_notes, release_views, warning_lines
from generator.render.portal import render
from generator.render.registry import RenderOptions
from generator.testing import synthetic_evidence

NOTE = """\
---
author: meshcloud
title: Release {version}
---

Release period: 2025-12-29 to 2026-01-04

- {title}

<!--truncate-->

## Ticket Details

### {title}

**Audience:** Operator<br>

#### Description

{description}
"""


def write_note(folder: Path, version: str, title: str, description: str) -> None:
    folder.mkdir(exist_ok=True)
    text = NOTE.format(version=version, title=title, description=description)
    (folder / f"2026-01-05-release-{version}.md").write_text(text, encoding="utf-8")


def build_site(tmp_path: Path, notes: Path | None) -> Path:
    # As the build does: the notes read and joined with the pack's model before rendering.
    pack = write_pack(tmp_path, synthetic_evidence(changes=20))
    read = read_notes(notes)
    if read is not None:
        pack = replace(pack, release_views=release_views(pack.model, read.notes))
    site = tmp_path / "site"
    render([pack], site, RenderOptions(source_date_epoch=1782838800))
    return site


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    write_note(folder, "2026.1.0", "Health endpoint for the identity broker", "Polls the IdP.")
    write_note(
        folder,
        "2026.2.0",
        "<script>alert(1)</script> [x](javascript:alert(1))",
        '<img src=x onerror="alert(2)"> --8<-- "/etc/passwd"',
    )
    return folder


def test_pages_and_feeds_per_environment(tmp_path: Path, notes: Path):
    site = build_site(tmp_path, notes)
    base = site / "acme" / "2026-01-01_2026-06-30" / "release-notes"
    assert sorted(p.name for p in base.iterdir()) == [
        "production.html", "production.xml", "staging.html", "staging.xml",
    ]  # fmt: skip
    page = (base / "production.html").read_text("utf-8")
    assert "Health endpoint for the identity broker" in page
    assert 'href="production.xml"' in page
    summary = (site / "acme" / "2026-01-01_2026-06-30" / "index.html").read_text("utf-8")
    assert "Release notes: production" in summary  # in the navigation of every pack page
    feed = ET.parse(base / "production.xml").getroot()
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    ids = [
        e.findtext("{http://www.w3.org/2005/Atom}id")
        for e in feed.iter("{http://www.w3.org/2005/Atom}entry")
    ]
    assert "urn:meshcomply:acme:production:2026.1.0" in ids


def test_hostile_note_text_is_inert(tmp_path: Path, notes: Path):
    site = build_site(tmp_path, notes)
    html = (site / "acme/2026-01-01_2026-06-30/release-notes/production.html").read_text("utf-8")
    page = Page(html)
    assert not any("alert" in text for _src, text in page.scripts), "note text became a script"
    assert not any(k.startswith("on") for _tag, attrs in page.elements for k in attrs)
    assert not any(
        (attrs.get("href") or "").startswith("javascript:") for _tag, attrs in page.elements
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "root:" not in html  # no snippet include of /etc/passwd


def test_without_a_notes_folder_there_are_no_release_pages(tmp_path: Path):
    site = build_site(tmp_path, None)
    assert not (site / "acme/2026-01-01_2026-06-30/release-notes").exists()


def test_a_bad_note_is_a_warning_and_the_others_are_shown(tmp_path: Path, notes: Path):
    (notes / "2026-01-12-release-broken.md").write_text("---\ntitle: Release\n---\n", "utf-8")
    site = build_site(tmp_path, notes)
    assert warning_lines(read_notes(notes)) == [
        f"{notes / '2026-01-12-release-broken.md'}:2:1: warning: no version (N.N.N) in title "
        "'Release'; the note is left out"
    ]
    page = site / "acme/2026-01-01_2026-06-30/release-notes/production.html"
    assert "Health endpoint for the identity broker" in page.read_text("utf-8")


def test_no_usable_note_fails_the_site_with_file_and_line(tmp_path: Path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "2026-01-12-release-broken.md").write_text("---\ntitle: Release\n---\n", "utf-8")
    with pytest.raises(InputError) as raised:
        build_site(tmp_path, notes)
    assert str(notes / "2026-01-12-release-broken.md") in str(raised.value)
    assert not (tmp_path / "site").exists()
