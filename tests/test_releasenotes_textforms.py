"""The renderers' cache of ticket texts as rendered (textforms.py) never changes an output."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from releasenotes_files import REAL_NOTES, load_quietly
from releasenotes_models import ModelBuilder
from test_releasenotes_render import HOSTILE_NOTE, TRICKY_TEXTS

from generator.releasenotes import ReleaseNote, richtext, textforms
from generator.releasenotes.atom import render_atom
from generator.releasenotes.join import release_view
from generator.releasenotes.model import Ticket
from generator.releasenotes.render import render_html, render_html_fragment, render_markdown
from generator.releasenotes.textforms import HtmlForms, HtmlTexts, MarkdownForms, MarkdownTexts


def tricky_note() -> str:
    """A note whose titles, descriptions and how-to-use texts are the tricky texts."""
    # Not those that would end a ticket in a note (headings, fences): they are not ticket texts.
    texts = [t for t in TRICKY_TEXTS if not t.lstrip().startswith(("#", "```", "~~~"))]
    tickets = "".join(
        f"### {text.splitlines()[0] if text.strip() else 'x'} {index}\n"
        f"**Audience:** User, Operator<br>\n\n#### Description\n{text}\n\n"
        f"#### How to use\n{texts[-1 - index]}\n\n"
        for index, text in enumerate(texts)
    )
    return f"---\ntitle: Release 2025.61.0\n---\n\n<!--truncate-->\n\n## Ticket Details\n{tickets}"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    notes = tmp_path / "notes"
    shutil.copytree(REAL_NOTES, notes)
    (notes / "2025-12-24-Release-0.md").write_text(HOSTILE_NOTE)
    (notes / "2025-12-31-Release-0.md").write_text(tricky_note())
    return notes


def tickets_of(notes: list[ReleaseNote]) -> list[Ticket]:
    return [ticket for note in notes for ticket in note.tickets]


def outputs(
    notes: list[ReleaseNote], markdown: MarkdownTexts | None = None, html: HtmlTexts | None = None
) -> list[str]:
    model = ModelBuilder(period=("2025-10-01", "2025-12-31"))
    model.rollout("2025.45.0", "2025-10-14T09:00:00+02:00", "2025-10-16T09:00:00+02:00")
    model.rollout("2025.50.0", "2025-12-03T09:00:00+01:00", "2025-12-05T15:30:00+01:00")
    model.rollout("2025.61.0", "2025-12-17T09:00:00+01:00", "2025-12-19T11:00:00Z")
    model.change("Rotate IdP secret", "2025-12-20T10:00:00+01:00")
    built = model.build()
    rendered = []
    for environment in ("production", "staging"):
        for audiences in (None, {"Operator"}, {"Customer"}):
            view = release_view(built, notes, environment, audiences)
            rendered += [render_markdown(view, markdown), render_html(view, html)]
            rendered += [render_html_fragment(view, html), render_atom(view, html)]
    return rendered


def no_text_rendering(patched: pytest.MonkeyPatch) -> None:
    def rendered_again(text: str) -> str:
        raise AssertionError(f"rendered again: {text!r}")

    # Titles go through escape_text, which other texts use too: the test of marked forms below
    # shows that titles come from the forms.
    for name in ("markdown_of", "html_of", "markdown_and_html_of"):
        patched.setattr(richtext, name, rendered_again)


def test_outputs_are_the_same_with_and_without_cached_texts(folder, tmp_path, monkeypatch):
    notes = load_quietly(folder, None)
    without = outputs(notes)  # every text rendered when shown
    cache_dir = tmp_path / "cache"
    cold = [textforms.load(cache_dir, kind) for kind in (MarkdownTexts, HtmlTexts)]
    assert [texts.known for texts in cold] == [{}, {}]
    assert outputs(notes, *cold) == without
    for texts in cold:
        textforms.save(texts)
    warm = [textforms.load(cache_dir, kind) for kind in (MarkdownTexts, HtmlTexts)]
    for before, after in zip(cold, warm, strict=True):
        assert after.known == before.known and len(after.known) > 100
    # From the cache no note text is rendered again, for notes parsed or loaded from their cache.
    with monkeypatch.context() as patched:
        no_text_rendering(patched)
        assert outputs(notes, *warm) == without
        assert outputs(load_quietly(folder, cache_dir), *warm) == without
    assert [texts.new for texts in warm] == [{}, {}]


def test_forms_are_what_richtext_gives(folder, tmp_path):
    markdown, html = MarkdownTexts(), HtmlTexts()
    for ticket in tickets_of(load_quietly(folder, None)):
        markdown.forms(ticket)
        html.forms(ticket)
    textforms.save(markdown)  # no store: nothing happens
    assert len(markdown.known) > 900 and markdown.new == markdown.known
    for (title, description, how_to_use), forms in markdown.known.items():
        assert forms == MarkdownForms(
            richtext.escape_inline(title),
            richtext.markdown_of(description),
            richtext.markdown_of(how_to_use) if how_to_use else None,
        )
    assert len(html.known) > 900
    for (description, how_to_use), forms in html.known.items():
        assert forms == HtmlForms(
            richtext.html_of(description), richtext.html_of(how_to_use) if how_to_use else None
        )


MARKED_MARKDOWN = MarkdownForms("MD-TITLE", "MD-DESCRIPTION", "MD-HOW-TO-USE")
MARKED_HTML = HtmlForms("<p>HTML-DESCRIPTION</p>", "<p>HTML-HOW</p>")


def test_renderers_take_every_text_from_the_cache(folder, monkeypatch):
    notes = load_quietly(folder, None)
    keys = [(t.title, t.description, t.how_to_use) for t in tickets_of(notes)]
    marked = MarkdownTexts(dict.fromkeys(keys, MARKED_MARKDOWN))
    marked_html = HtmlTexts(dict.fromkeys((key[1:] for key in keys), MARKED_HTML))
    with monkeypatch.context() as patched:
        no_text_rendering(patched)
        markdown, page, _, atom = outputs(notes, marked, marked_html)[:4]
    assert "##### MD-TITLE\n" in markdown
    assert "\n\nMD-DESCRIPTION\n\n**How to use**\n\nMD-HOW-TO-USE\n\n" in markdown
    for html in (page, atom.replace("&lt;", "<").replace("&gt;", ">")):
        assert "<p>HTML-DESCRIPTION</p>" in html and "<p>HTML-HOW</p>" in html
        assert "MD-" not in html  # HTML titles are autoescaped, not taken from the Markdown form


def test_a_ticket_is_looked_up_by_its_texts(folder):
    # Two tickets with the same texts share their forms; another text is another entry, so an
    # entry can never stand for a text it was not rendered from.
    (ticket, *_) = tickets_of(load_quietly(folder, None))
    texts = MarkdownTexts()
    forms = texts.forms(ticket)
    assert texts.forms(dataclasses.replace(ticket, line=ticket.line + 7)) is forms
    other = dataclasses.replace(ticket, description=ticket.description + " More.")
    assert texts.forms(other).description.endswith("More.")
    assert len(texts.known) == 2


def test_the_parsed_notes_carry_nothing_rendered(folder, tmp_path):
    names = [field.name for field in dataclasses.fields(Ticket)]
    assert "forms" not in names and names[:6] == [
        "title",
        "audiences",
        "component",
        "description",
        "how_to_use",
        "line",
    ]
    cache_dir = tmp_path / "cache"
    markdown, html = (textforms.load(cache_dir, kind) for kind in (MarkdownTexts, HtmlTexts))
    outputs(load_quietly(folder, cache_dir), markdown, html)
    textforms.save(markdown)
    # The notes cache holds parsed notes only: nothing rendered.
    (chunk,) = (cache_dir / "release-notes").glob("*.notes")
    assert b"Forms" not in chunk.read_bytes()
    assert b"MarkdownForms" in next((cache_dir / "rendered-texts").glob("*.texts")).read_bytes()


def test_new_tickets_are_added_and_other_codes_texts_not_used(folder, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    notes = load_quietly(folder, cache_dir)
    first = textforms.load(cache_dir, MarkdownTexts)
    outputs([note for note in notes if note.version != "2025.61.0"], first)
    assert first.new
    textforms.save(first)
    second = textforms.load(cache_dir, MarkdownTexts)
    assert second.known == first.known
    outputs(notes, second)  # renders the other notes' tickets, adds them as a chunk of their own
    textforms.save(second)
    assert len(list((cache_dir / "rendered-texts").glob("markdown-*.texts"))) == 2
    assert textforms.load(cache_dir, MarkdownTexts).known == second.known
    assert textforms.load(cache_dir, HtmlTexts).known == {}  # each format keeps its own
    # Another version of the renderers: nothing the cache holds is used.
    monkeypatch.setattr(textforms, "_code_digest", lambda: "other renderers")
    assert textforms.load(cache_dir, MarkdownTexts).known == {}


def test_the_key_follows_the_code_and_python_markdown(monkeypatch):
    textforms._code_digest.cache_clear()
    key = textforms._code_digest()
    try:
        monkeypatch.setattr(textforms, "code_version", lambda: "0.1.0:another package")
        textforms._code_digest.cache_clear()
        assert textforms._code_digest() not in ("", key)
        monkeypatch.undo()
        monkeypatch.setattr(textforms, "_markdown_meta", lambda: b"__version__ = '99.0'")
        textforms._code_digest.cache_clear()
        assert textforms._code_digest() not in ("", key)
        monkeypatch.setattr(textforms, "code_version", lambda: "")  # no sources: no cache
        textforms._code_digest.cache_clear()
        assert textforms._code_digest() == ""
    finally:
        textforms._code_digest.cache_clear()
    assert b"__version" in textforms._markdown_meta()  # where Python-Markdown 3.x keeps it


def test_without_the_packages_sources_nothing_is_kept(folder, tmp_path, monkeypatch):
    monkeypatch.setattr(textforms, "_code_digest", lambda: "")
    texts = textforms.load(tmp_path / "cache", MarkdownTexts)
    outputs(load_quietly(folder, None), texts)
    textforms.save(texts)
    assert not (tmp_path / "cache" / "rendered-texts").exists()


def test_a_cache_folder_that_cannot_be_written_is_no_reason_to_fail(folder, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go\n")
    notes = load_quietly(folder, None)
    texts = [textforms.load(blocked, kind) for kind in (MarkdownTexts, HtmlTexts)]
    assert outputs(notes, *texts) == outputs(notes)
    for kind in texts:
        textforms.save(kind)
