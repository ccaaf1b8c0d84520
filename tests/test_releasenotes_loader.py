"""load_release_notes with a cache: the same notes as without one, and every problem still found."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest
from releasenotes_files import REAL_NOTES, load_quietly, one_ticket_note

from generator import cachefiles
from generator.releasenotes import load_release_notes, loader, read_release_notes


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    notes = tmp_path / "notes"
    shutil.copytree(REAL_NOTES, notes)
    return notes


def test_cached_notes_equal_parsed_ones_and_are_not_parsed_again(folder, tmp_path, monkeypatch):
    plain = load_quietly(folder, None)
    cache_dir = tmp_path / "cache"
    assert load_quietly(folder, cache_dir) == plain  # parses, then writes the cache
    assert len(list((cache_dir / "release-notes").glob("*.pickle"))) == 1

    def no_parsing(*args):
        raise AssertionError("parsed again")

    monkeypatch.setattr(loader, "parse_note", no_parsing)
    assert load_quietly(folder, cache_dir) == plain


def test_a_real_note_saved_with_a_byte_order_mark_is_read_as_without(tmp_path):
    # Editors on Windows save UTF-8 with a BOM (EF BB BF) before the front matter's '---'.
    name = "2023-01-04-Release-0.md"
    plain, marked = tmp_path / "plain", tmp_path / "marked"
    plain.mkdir()
    marked.mkdir()
    data = (REAL_NOTES / name).read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    (plain / name).write_bytes(data)
    (marked / name).write_bytes(b"\xef\xbb\xbf" + data)
    read = read_release_notes(marked, tmp_path / "cache")
    assert read.warnings == [] and len(read.notes) == 1
    (expected,) = read_release_notes(plain, None).notes
    assert read.notes == [dataclasses.replace(expected, path=str(marked / name))]


def test_a_changed_note_is_parsed_again(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "2025-12-17-Release-0.md").write_text(one_ticket_note("2025.55.0", "Old."))
    cache_dir = tmp_path / "cache"
    assert load_release_notes(folder, cache_dir)[0].tickets[0].description == "Old."
    (folder / "2025-12-17-Release-0.md").write_text(one_ticket_note("2025.55.0", "New."))
    assert load_release_notes(folder, cache_dir)[0].tickets[0].description == "New."
    (folder / "2025-12-24-Release-0.md").write_text(one_ticket_note("2025.56.0", "x"))
    assert [n.version for n in load_release_notes(folder, cache_dir)] == ["2025.55.0", "2025.56.0"]


def test_warnings_are_reported_on_every_run(tmp_path, monkeypatch):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "2025-12-17-Release-0.md").write_text(one_ticket_note("2025.55.0", "x"))
    (folder / "2025-12-24-Release-0.md").write_text(one_ticket_note("2025.60", "x"))
    (folder / "2025-12-25-Release-0.md").write_text(one_ticket_note("2025.55.0", "y"))
    admin = one_ticket_note("2025.56.0", "z").replace("User<br>", "Admin<br>")
    (folder / "2025-12-26-Release-0.md").write_text(admin)
    parsed: list[int] = []
    real_parse = loader.parse_note
    monkeypatch.setattr(loader, "parse_note", lambda *args: parsed.append(1) or real_parse(*args))
    for _ in range(2):  # the second run takes the usable notes from the cache
        parsed.clear()
        read = read_release_notes(folder, tmp_path / "cache")
        assert [n.version for n in read.notes] == ["2025.55.0", "2025.56.0"]
        assert [(Path(w.path).name, w.line, w.message, w.action) for w in read.warnings] == [
            (
                "2025-12-24-Release-0.md",
                2,
                "no version (N.N.N) in title 'Release 2025.60'",
                "the note is left out",
            ),
            (
                "2025-12-25-Release-0.md",
                2,
                f"duplicate version 2025.55.0 (also in {folder / '2025-12-17-Release-0.md'})",
                "the note is left out",
            ),
            (
                "2025-12-26-Release-0.md",
                10,
                "unknown audience 'Admin' in ticket 'A ticket' "
                "(expected User, Customer, Partner, Operator)",
                "shown to every audience",
            ),
        ]
    assert len(parsed) == 1  # the note without a version: the parsed ones came from the cache


def test_the_folder_named_another_way_gives_its_own_paths(folder, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    load_quietly(folder, cache_dir)
    monkeypatch.chdir(tmp_path)
    relative = load_quietly(Path("notes"), cache_dir)
    assert relative == load_quietly(Path("notes"), None)
    assert relative[0].path == str(Path("notes") / Path(relative[0].path).name)


def test_an_unreadable_or_outdated_cache_is_ignored_and_rewritten(folder, tmp_path, monkeypatch):
    plain = load_quietly(folder, None)
    cache_dir = tmp_path / "cache"
    load_quietly(folder, cache_dir)
    (cache_file,) = (cache_dir / "release-notes").glob("*.pickle")
    cache_file.write_bytes(b"not a pickle")
    assert load_quietly(folder, cache_dir) == plain
    assert cache_file.read_bytes() != b"not a pickle"
    # Other parser code: nothing it parsed is reused.
    monkeypatch.setattr(loader, "_code_digest", lambda: "another parser")
    calls = []
    real_parse = loader.parse_note
    monkeypatch.setattr(loader, "parse_note", lambda *args: calls.append(1) or real_parse(*args))
    assert load_quietly(folder, cache_dir) == plain
    assert len(calls) == len(plain) + 1  # the duplicate copy is parsed too


def test_a_cache_folder_that_cannot_be_written_is_no_reason_to_fail(folder, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go\n")
    assert load_quietly(folder, blocked) == load_quietly(folder, None)


def test_without_the_parser_sources_nothing_is_cached(folder, tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "_code_digest", lambda: "")  # as in a bytecode-only install
    assert load_quietly(folder, tmp_path / "cache") == load_quietly(folder, None)
    assert not (tmp_path / "cache").exists()


def test_the_bytes_decide_not_the_size_or_the_time(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    note = folder / "2025-12-17-Release-0.md"
    note.write_text(one_ticket_note("2025.55.0", "Old."))
    cache_dir = tmp_path / "cache"
    load_release_notes(folder, cache_dir)
    before = note.stat()
    note.write_text(one_ticket_note("2025.55.0", "New."))  # same size
    os.utime(note, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert note.stat().st_size == before.st_size
    assert load_release_notes(folder, cache_dir)[0].tickets[0].description == "New."


def test_links_are_followed_and_broken_ones_skipped(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    elsewhere = tmp_path / "elsewhere.md"
    elsewhere.write_text(one_ticket_note("2025.55.0", "Linked."))
    (folder / "2025-12-17-Release-0.md").symlink_to(elsewhere)
    (folder / "2025-12-24-Release-0.md").symlink_to(tmp_path / "missing.md")
    for cache_dir in (None, tmp_path / "cache", tmp_path / "cache"):
        (note,) = load_release_notes(folder, cache_dir)
        assert note.tickets[0].description == "Linked."


@pytest.fixture
def own_sources(tmp_path, monkeypatch):
    """A copy of the package the cache is keyed on, to change without touching the real one."""
    sources = tmp_path / "generator"
    shutil.copytree(cachefiles.PACKAGE_DIR, sources, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cachefiles, "PACKAGE_DIR", sources)
    cachefiles.code_version.cache_clear()
    loader._code_digest.cache_clear()
    yield sources
    cachefiles.code_version.cache_clear()
    loader._code_digest.cache_clear()


def reparsed_after(change, folder, cache_dir, monkeypatch) -> int:
    """How many notes a load parses after `change()`, with the cache warm before it."""
    load_quietly(folder, cache_dir)
    calls = []
    real_parse = loader.parse_note
    monkeypatch.setattr(loader, "parse_note", lambda *args: calls.append(1) or real_parse(*args))
    load_quietly(folder, cache_dir)
    assert calls == []
    change()
    cachefiles.code_version.cache_clear()
    loader._code_digest.cache_clear()
    load_quietly(folder, cache_dir)
    return len(calls)


@pytest.mark.parametrize(
    "source",
    # the parser, what renders the texts, and modules no list would have named
    [
        "releasenotes/parser.py",
        "releasenotes/richtext.py",
        "releasenotes/a_new_helper.py",
        "render/portal/release_pages.py",
        "history/rawlog.py",
        "__init__.py",
    ],
)
def test_changed_code_anywhere_in_the_package_invalidates_the_cache(
    folder, tmp_path, monkeypatch, own_sources, source
):
    def change() -> None:
        with (own_sources / source).open("a") as changed:
            changed.write("\n# another version of this module\n")

    plain = load_quietly(folder, None)
    parsed = reparsed_after(change, folder, tmp_path / "cache", monkeypatch)
    assert parsed == len(plain) + 1  # every note parsed again, the duplicate copy too


def test_another_package_version_invalidates_the_cache(folder, tmp_path, monkeypatch):
    import generator

    def change() -> None:
        monkeypatch.setattr(generator, "__version__", generator.__version__ + ".post1")

    try:
        assert reparsed_after(change, folder, tmp_path / "cache", monkeypatch) > 0
    finally:
        cachefiles.code_version.cache_clear()
        loader._code_digest.cache_clear()


def test_the_same_code_gives_the_same_key(own_sources):
    first = cachefiles.code_version()
    cachefiles.code_version.cache_clear()
    assert cachefiles.code_version() == first != ""
    (own_sources / "releasenotes" / "parser.py").rename(own_sources / "releasenotes" / "x.py")
    cachefiles.code_version.cache_clear()
    assert cachefiles.code_version() != first  # a file's name is part of the key


def test_without_the_packages_sources_nothing_is_cached(folder, tmp_path, own_sources):
    for source in own_sources.rglob("*.py"):
        source.unlink()  # as in a bytecode-only install
    assert cachefiles.code_version() == ""
    assert load_quietly(folder, tmp_path / "cache") == load_quietly(folder, None)
    assert not (tmp_path / "cache").exists()
