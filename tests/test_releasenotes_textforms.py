"""The texts' forms that cached notes' tickets carry (Ticket.forms) never change an output."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import shutil
from pathlib import Path

import pytest
from releasenotes_files import REAL_NOTES, load_quietly
from releasenotes_models import ModelBuilder
from test_releasenotes_render import HOSTILE_NOTE, TRICKY_TEXTS

from generator.cachefiles import read_pickle, write_pickle
from generator.releasenotes import ReleaseNote, loader, richtext, textforms
from generator.releasenotes.atom import render_atom
from generator.releasenotes.join import release_view
from generator.releasenotes.model import Ticket, TicketForms
from generator.releasenotes.render import render_html, render_html_fragment, render_markdown


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


def no_text_rendering(patched: pytest.MonkeyPatch) -> None:
    def rendered_again(text: str) -> str:
        raise AssertionError(f"rendered again: {text!r}")

    # Titles go through escape_inline's cache, which other texts use too: the test of marked
    # forms below shows that titles come from the forms.
    for name in ("markdown_of", "html_of", "markdown_and_html_of"):
        patched.setattr(richtext, name, rendered_again)


def test_outputs_are_the_same_with_and_without_the_forms(folder, tmp_path, monkeypatch):
    plain = load_quietly(folder, None)  # no cache: no forms, every text is rendered when shown
    assert all(ticket.forms is None for ticket in tickets_of(plain))
    without = outputs(plain)
    cache_dir = tmp_path / "cache"
    cold = load_quietly(folder, cache_dir)  # parses, computes the forms, writes the cache
    warm = load_quietly(
        folder, cache_dir
    )  # from the cache, with the forms computed on the first run
    for notes in (cold, warm):
        assert all(type(ticket.forms) is TicketForms for ticket in tickets_of(notes))
    assert outputs(cold) == without
    # With forms no note text is rendered again: a view built from cached notes needs none.
    with monkeypatch.context() as patched:
        no_text_rendering(patched)
        assert outputs(warm) == without


def test_forms_are_what_richtext_gives(folder, tmp_path):
    cache_dir = tmp_path / "cache"
    cold = tickets_of(load_quietly(folder, cache_dir))
    warm = tickets_of(load_quietly(folder, cache_dir))
    assert len(warm) > 900
    assert [ticket.forms for ticket in warm] == [ticket.forms for ticket in cold]
    for ticket in warm:
        how_to_use = ticket.how_to_use
        assert ticket.forms == TicketForms(
            richtext.escape_inline(ticket.title),
            richtext.markdown_of(ticket.description),
            richtext.markdown_of(how_to_use) if how_to_use else None,
            richtext.html_of(ticket.description),
            richtext.html_of(how_to_use) if how_to_use else None,
        )


def marked(ticket: Ticket) -> Ticket:
    """The ticket with forms no renderer would compute, to see where an output takes them from."""
    forms = TicketForms(
        "MD-TITLE", "MD-DESCRIPTION", "MD-HOW-TO-USE", "<p>HTML-DESCRIPTION</p>", "<p>HTML-HOW</p>"
    )
    return dataclasses.replace(ticket, forms=forms)


def with_marked_forms(notes: list[ReleaseNote]) -> list[ReleaseNote]:
    return [
        dataclasses.replace(note, tickets=tuple(marked(t) for t in note.tickets)) for note in notes
    ]


def test_renderers_take_every_text_from_the_forms(folder, monkeypatch):
    notes = with_marked_forms(load_quietly(folder, None))
    with monkeypatch.context() as patched:
        no_text_rendering(patched)
        markdown, page, _, atom = outputs(notes)[:4]
    assert "##### MD-TITLE\n" in markdown
    assert "\n\nMD-DESCRIPTION\n\n**How to use**\n\nMD-HOW-TO-USE\n\n" in markdown
    for html in (page, atom.replace("&lt;", "<").replace("&gt;", ">")):
        assert "<p>HTML-DESCRIPTION</p>" in html and "<p>HTML-HOW</p>" in html
        assert "MD-" not in html  # HTML titles are autoescaped, not taken from the Markdown form


def test_forms_travel_with_the_ticket(folder, tmp_path, monkeypatch):
    # Copies, pickles and replaced notes keep them: they are data, not looked up by identity.
    notes = load_quietly(folder, tmp_path / "cache")
    replaced = [
        dataclasses.replace(note, tickets=tuple(copy.copy(t) for t in note.tickets))
        for note in notes
    ]
    copied = [copy.deepcopy(note) for note in notes]
    pickled = pickle.loads(pickle.dumps(notes))
    with monkeypatch.context() as patched:
        no_text_rendering(patched)
        expected = outputs(notes)
        for other in (replaced, copied, pickled):
            assert outputs(other) == expected


def test_forms_are_no_part_of_a_tickets_identity(folder, tmp_path):
    plain = tickets_of(load_quietly(folder, None))
    cached = tickets_of(load_quietly(folder, tmp_path / "cache"))
    assert plain == cached  # so duplicate notes are still recognised, forms or not
    assert [hash(t) for t in plain] == [hash(t) for t in cached]
    assert "forms" not in repr(cached[0])


def test_forms_of_other_code_are_not_used(folder, tmp_path):
    cache_dir = tmp_path / "cache"
    load_quietly(folder, cache_dir)
    # The cache of "another version" of the renderers: every form in it is wrong.
    (index_file,) = (cache_dir / "release-notes").glob("*.pickle")
    (chunk_file,) = (cache_dir / "release-notes").glob("*.notes")
    index, (fmt, code, entries) = read_pickle(index_file), read_pickle(chunk_file)
    assert isinstance(index, dict)
    for name, (data, note, line) in entries.items():
        entries[name] = (data, with_marked_forms([note])[0], line)
    write_pickle(chunk_file, (fmt, code, entries))
    # Written by this code, they would be used (so the check below can fail) ...
    assert any("MD-TITLE" in output for output in outputs(load_quietly(folder, cache_dir)))
    write_pickle(index_file, {**index, "code": "other renderers"})
    write_pickle(chunk_file, (fmt, "other renderers", entries))
    # ... but not when other code wrote them.
    notes = load_quietly(folder, cache_dir)
    assert all("MD-" not in output and "HTML-" not in output for output in outputs(notes))
    assert all(ticket.forms == textforms.forms_of(ticket) for ticket in tickets_of(notes))


def test_a_cache_without_forms_is_not_used(folder, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    plain = load_quietly(folder, None)
    load_quietly(folder, cache_dir)
    (chunk_file,) = (cache_dir / "release-notes").glob("*.notes")
    fmt, code, entries = read_pickle(chunk_file)
    entries = {
        name: (data, dataclasses.replace(note, tickets=tuple(
            dataclasses.replace(ticket, forms=None) for ticket in note.tickets)), line)
        for name, (data, note, line) in entries.items()
    }  # fmt: skip
    write_pickle(chunk_file, (fmt, code, entries))
    calls = []
    real_parse = loader.parse_note
    monkeypatch.setattr(loader, "parse_note", lambda *args: calls.append(1) or real_parse(*args))
    again = load_quietly(folder, cache_dir)
    assert len(calls) == len(plain) + 1  # every note parsed again, the duplicate copy too
    assert again == plain
    assert all(type(ticket.forms) is TicketForms for ticket in tickets_of(again))


def test_nothing_is_kept_between_loads(folder, tmp_path, monkeypatch):
    # No module state: notes loaded without a cache after notes loaded with one carry no forms,
    # and their texts are rendered.
    load_quietly(folder, tmp_path / "cache")
    plain = load_quietly(folder, None)
    assert all(ticket.forms is None for ticket in tickets_of(plain))
    calls = []
    real_markdown_of = richtext.markdown_of
    monkeypatch.setattr(
        richtext, "markdown_of", lambda text: calls.append(1) or real_markdown_of(text)
    )
    outputs(plain)
    assert calls
