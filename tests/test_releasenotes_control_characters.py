"""Control and bidi characters in release notes and in the git history they list are shown as
their code points (<U+001B>, <U+202E>), as on every other portal and PDF page: on the HTML page,
in the Markdown (as a docs site renders it), in the Atom feed (XML cannot hold most of them) and
on the portal's release pages. Before, they were left out: 'a<ESC>b' read 'ab'."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import markdown
from releasenotes_models import ModelBuilder
from test_portal_release_notes import build_site, write_note

from generator.releasenotes import parse_release_note
from generator.releasenotes.atom import render_atom
from generator.releasenotes.join import release_view
from generator.releasenotes.render import render_html, render_markdown

A = "{http://www.w3.org/2005/Atom}"
ESC, RLO, PDF_ = "\x1b", "\u202e", "\u202c"
NOTE = f"""\
---
title: Release 2025.60.0
---

Release period: 2025-12-17 to 2025-12-24
<!--truncate-->

## Ticket Details
### Colour{ESC}[31m red title and {RLO}gnp.exe{PDF_}
**Audience:** User<br>

#### Description
Body with a bell\x07, an escape{ESC}[2J and {RLO}fdp.exe in `co{ESC}de`.

- item {RLO}one

```
block{ESC}[0m {RLO}x
```
"""
SUBJECT = f"Deploy{ESC}[31m {RLO}txt.exe"
AUTHOR = f"Mallory{ESC}[2J {RLO}Admin"
SHOWN = {
    "title": "Colour<U+001B>[31m red title and <U+202E>gnp.exe<U+202C>",
    "body": "Body with a bell<U+0007>, an escape<U+001B>[2J and <U+202E>fdp.exe in",
    "code": "co<U+001B>de",
    "item": "item <U+202E>one",
    "block": "block<U+001B>[0m <U+202E>x",
    "subject": "Deploy<U+001B>[31m <U+202E>txt.exe",
    "author": "Mallory<U+001B>[2J <U+202E>Admin",
}
RAW = ("\x1b", "\x07", "\u202e", "\u202c")


def _view(note_text: str = NOTE):
    note = parse_release_note(Path("2025-12-24-Release-0.md"), note_text)
    model = ModelBuilder(period=("2025-12-01", "2025-12-31"))
    model.rollout("2025.60.0", "2025-12-24T09:00:00+01:00", "2025-12-26T09:00:00+01:00")
    model.change(SUBJECT, "2025-12-27T10:00:00+01:00", author=AUTHOR)
    return release_view(model.build(), [note], "production")


def _text_of_html(page: str) -> str:
    """What a reader sees: the text, tags left out, entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _no_raw(text: str) -> None:
    found = [f"U+{ord(c):04X}" for c in RAW if c in text]
    assert not found, found
    assert not re.search("[\U000f0000-\U000fffff]", text)  # no stand-in left behind


def test_the_html_page_shows_code_points():
    page = render_html(_view())
    _no_raw(page)
    text = _text_of_html(page)
    for key, shown in SHOWN.items():
        assert shown in text, key
    assert "&lt;U+001B&gt;" in page and "<U+001B>" not in page  # text, never a tag


def test_the_markdown_shows_code_points_as_a_docs_site_renders_it():
    text = render_markdown(_view())
    _no_raw(text)
    rendered = markdown.markdown(text, extensions=["fenced_code", "tables"])
    seen = _text_of_html(rendered)
    for key, shown in SHOWN.items():
        assert shown in seen, key


def test_the_atom_feed_shows_code_points_in_every_text_and_its_html():
    feed_text = render_atom(_view())
    _no_raw(feed_text)
    entry = ET.fromstring(feed_text.encode("utf-8")).find(f"{A}entry")
    content = entry.find(f"{A}content").text  # HTML, as a feed reader renders it
    assert "<U+001B>" not in content and "&lt;U+001B&gt;" in content
    seen = _text_of_html(content)
    for key in ("title", "body", "code", "item", "block", "subject", "author"):
        assert SHOWN[key] in seen, key


def test_the_portal_release_pages_and_feed_show_code_points(tmp_path):
    notes = tmp_path / "notes"
    write_note(notes, "2026.1.0", f"Title{ESC}[31m {RLO}gnp.exe", f"Text{ESC}[2J {RLO}x `c{ESC}d`")
    site = build_site(tmp_path, notes)
    base = site / "acme/2026-01-01_2026-06-30/release-notes"
    page = (base / "production.html").read_text("utf-8")
    feed = (base / "production.xml").read_text("utf-8")
    index = (site / "search" / "search_index.json").read_text("utf-8")
    for text in (page, feed, index):
        _no_raw(text)
    seen = _text_of_html(page)
    assert "Title<U+001B>[31m <U+202E>gnp.exe" in seen
    assert "Text<U+001B>[2J <U+202E>x" in seen and "c<U+001B>d" in seen
    entries = ET.fromstring(feed.encode("utf-8")).iter(f"{A}content")
    assert any("Title<U+001B>[31m <U+202E>gnp.exe" in _text_of_html(e.text) for e in entries)


def test_a_link_address_loses_them_but_its_text_shows_them():
    note = NOTE.replace("- item", f"- [see{ESC}here](https://example.com/a{ESC}b{RLO}c) item")
    page = render_html(_view(note))
    assert 'href="https://example.com/abc"' in page
    assert "see&lt;U+001B&gt;here" in page


def test_an_arabic_letter_mark_is_shown_and_tag_characters_are_left_out():
    from generator.releasenotes.notetree import shown

    # U+061C reorders like the bidi marks; tag characters spell hidden text ("ASCII smuggling").
    assert shown("before\u061cafter \U000e0069\U000e0067nored") == "before<U+061C>after nored"
