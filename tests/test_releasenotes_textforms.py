"""The texts' forms kept with the notes cache (textforms.py) never change an output."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from releasenotes_models import ModelBuilder
from test_releasenotes_render import HOSTILE_NOTE, TRICKY_TEXTS

from generator.releasenotes import ReleaseNote, load_release_notes, loader, richtext, textforms
from generator.releasenotes.atom import render_atom
from generator.releasenotes.join import release_view
from generator.releasenotes.render import render_html, render_html_fragment, render_markdown

REAL_NOTES = Path(__file__).resolve().parents[2] / "shared" / "data" / "meshstack-release-notes"


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


@pytest.fixture(autouse=True)
def no_forms_left():
    yield
    textforms.forget()  # other tests' renders stay the way they were


def load(folder: Path, cache_dir: Path | None) -> list[ReleaseNote]:
    logging.disable(logging.WARNING)  # the published archive holds one note twice
    try:
        return load_release_notes(folder, cache_dir=cache_dir)
    finally:
        logging.disable(logging.NOTSET)


def outputs(notes: list[ReleaseNote]) -> list[str]:
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
            rendered += [render_markdown(view), render_html(view), render_html_fragment(view)]
            rendered.append(render_atom(view))
    return rendered


def test_outputs_are_the_same_with_and_without_the_forms(folder, tmp_path, monkeypatch):
    without = outputs(load(folder, None))  # no cache: every text is rendered
    cache_dir = tmp_path / "cache"
    load(folder, cache_dir)  # parses and renders the texts, writes the cache
    notes = load(folder, cache_dir)  # from the cache, with the forms computed on the first run

    def rendered_again(text: str) -> str:
        raise AssertionError(f"rendered again: {text!r}")

    # With warm caches no note text is rendered again: every one comes from the forms.
    with monkeypatch.context() as patched:
        patched.setattr(richtext, "markdown_of", rendered_again)
        patched.setattr(richtext, "html_of", rendered_again)
        with_forms = outputs(notes)
    assert with_forms == without
    textforms.forget()
    assert outputs(notes) == without


def test_forms_from_the_cache_are_what_richtext_gives(folder, tmp_path):
    cache_dir = tmp_path / "cache"
    load(folder, cache_dir)
    notes = load(folder, cache_dir)
    tickets = [ticket for note in notes for ticket in note.tickets]
    markdown, html = textforms.markdown_forms(), textforms.html_forms()
    assert len(tickets) > 900
    for ticket in tickets:
        how_to_use = ticket.how_to_use
        assert markdown[id(ticket)] == (
            ticket,
            richtext.escape_inline(ticket.title),
            richtext.markdown_of(ticket.description),
            richtext.markdown_of(how_to_use) if how_to_use else None,
        )
        assert html[id(ticket)] == (
            ticket,
            richtext.html_of(ticket.description),
            richtext.html_of(how_to_use) if how_to_use else None,
        )
        if how_to_use:
            assert richtext.markdown_and_html_of(how_to_use) == (
                markdown[id(ticket)][3],
                html[id(ticket)][2],
            )


def test_forms_of_other_code_are_not_used(folder, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    load(folder, cache_dir)
    # The cache of "another version" of the renderers: every form in it is wrong.
    (cache_file,) = (cache_dir / "release-notes").glob("*.pickle")
    stored = loader.read_pickle(cache_file)
    assert isinstance(stored, dict)
    for name, (data, note, line, forms) in stored["entries"].items():
        wrong = tuple(tuple(None if f is None else "WRONG" for f in kind) for kind in forms)
        stored["entries"][name] = (data, note, line, wrong)
    stored["code"] = "other renderers"
    loader.write_pickle(cache_file, stored)
    notes = load(folder, cache_dir)
    assert all("WRONG" not in output for output in outputs(notes))


def test_a_cache_without_forms_is_not_used(folder, tmp_path):
    cache_dir = tmp_path / "cache"
    plain = load(folder, None)
    load(folder, cache_dir)
    (cache_file,) = (cache_dir / "release-notes").glob("*.pickle")
    stored = loader.read_pickle(cache_file)
    assert isinstance(stored, dict)
    stored["entries"] = {name: entry[:3] for name, entry in stored["entries"].items()}
    loader.write_pickle(cache_file, stored)
    assert load(folder, cache_dir) == plain
    assert outputs(load(folder, cache_dir)) == outputs(plain)


def test_only_the_last_folder_is_remembered(folder, tmp_path):
    load(folder, tmp_path / "cache")
    assert textforms.markdown_forms()
    load(folder, None)
    assert not textforms.markdown_forms() and not textforms.html_forms()
