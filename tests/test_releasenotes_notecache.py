"""The notes cache's chunks: a run writes only what it parsed, and loading gives what parsing does.

Concurrency: chunks are written completely under fresh random names before an index names them,
and the index is replaced atomically, so a reader only ever sees complete chunks; a chunk that is
gone (removed by another run's merge) or unreadable only costs re-parsing. The tests below check
each part: the write order, a lost race between two saves, missing and corrupt chunks.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from releasenotes_files import REAL_NOTES, load_quietly, one_ticket_note

from generator import cachefiles
from generator.cachekey import CacheKey
from generator.releasenotes import ReleaseNote, loader, notecache


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    notes = tmp_path / "notes"
    notes.mkdir()
    for index in range(5):
        write_note(notes, index)
    return notes


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def write_note(folder: Path, index: int, text: str = "Some *text*.") -> Path:
    note = folder / f"2025-12-{index + 10:02d}-Release-0.md"
    note.write_text(one_ticket_note(f"2025.{index + 50}.0", text, title="A ticket with `code`"))
    return note


def files(cache_dir: Path) -> dict[str, tuple[int, int]]:
    """Every cache file by name: (modification time, size)."""
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in cache_dir.rglob("*.*")}


def chunk_files(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "release-notes").glob("*.notes"))


def chunk_entries(file: Path) -> dict:
    stored = cachefiles.read_pickle(file, CacheKey(file.parent.parent), notecache.NoteCache.records)
    return stored[1]  # (key, entries)


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The names of the files parsed, as the loader parses them."""
    parsed: list[str] = []
    real = loader.parse_note
    monkeypatch.setattr(
        loader, "parse_note", lambda path, *args: parsed.append(path.name) or real(path, *args)
    )
    return parsed


def assert_as_parsed(notes: list[ReleaseNote], folder: Path) -> None:
    """The notes are what parsing the folder now gives."""
    assert notes == load_quietly(folder, None)


def test_notes_from_several_chunks_are_those_a_fresh_parse_gives(tmp_path, cache_dir):
    folder = tmp_path / "notes"
    shutil.copytree(REAL_NOTES, folder)
    load_quietly(folder, cache_dir)
    names = sorted(p.name for p in folder.glob("*.md") if p.name.lower() != "readme.md")
    write_note(folder, 80)  # a new note
    load_quietly(folder, cache_dir)
    changed = folder / names[3]
    changed.write_text(changed.read_text().replace("\n## ", "\nA new paragraph.\n\n## ", 1))
    load_quietly(folder, cache_dir)
    (folder / names[7]).unlink()
    load_quietly(folder, cache_dir)
    assert len(chunk_files(cache_dir)) == 3
    assert_as_parsed(load_quietly(folder, cache_dir), folder)


def test_a_new_note_writes_one_small_chunk_and_leaves_the_others(folder, cache_dir, parses):
    load_quietly(folder, cache_dir)
    before = files(cache_dir)
    write_note(folder, 9)
    notes = load_quietly(folder, cache_dir)
    after = files(cache_dir)
    assert parses[-1:] == ["2025-12-19-Release-0.md"] and len(parses) == 6
    added = after.keys() - before.keys()
    assert len(added) == 1 and added.pop().endswith(".notes")
    for name, stamp in before.items():
        if name.endswith(".notes"):
            assert after[name] == stamp  # the chunks are never changed
    new_chunk = max(chunk_files(cache_dir), key=lambda p: p.stat().st_mtime_ns)
    assert list(chunk_entries(new_chunk)) == ["2025-12-19-Release-0.md"]
    assert_as_parsed(notes, folder)


def test_a_changed_notes_new_entry_overrides_the_old_one(folder, cache_dir, parses):
    load_quietly(folder, cache_dir)
    write_note(folder, 2, text="Changed.")
    assert load_quietly(folder, cache_dir)[2].tickets[0].description == "Changed."
    assert len(chunk_files(cache_dir)) == 2  # the old entry is still in the first chunk
    parses.clear()
    notes = load_quietly(folder, cache_dir)
    assert parses == []  # the later chunk's entry is the one used, not the outdated one
    assert notes[2].tickets[0].description == "Changed."
    assert_as_parsed(notes, folder)


def test_a_deleted_note_is_gone_and_its_deletion_writes_nothing(folder, cache_dir, parses):
    load_quietly(folder, cache_dir)
    before = files(cache_dir)
    (folder / "2025-12-11-Release-0.md").unlink()
    notes = load_quietly(folder, cache_dir)
    assert [note.version for note in notes] == ["2025.50.0", "2025.52.0", "2025.53.0", "2025.54.0"]
    assert files(cache_dir) == before
    assert parses == [f"2025-12-{day}-Release-0.md" for day in range(10, 15)]


def test_mostly_dead_entries_are_dropped_by_writing_one_chunk(folder, cache_dir):
    load_quietly(folder, cache_dir)
    write_note(folder, 9)
    load_quietly(folder, cache_dir)
    for day in (10, 11, 12, 13):
        (folder / f"2025-12-{day}-Release-0.md").unlink()
    notes = load_quietly(folder, cache_dir)
    (chunk,) = chunk_files(cache_dir)
    assert sorted(chunk_entries(chunk)) == ["2025-12-14-Release-0.md", "2025-12-19-Release-0.md"]
    assert_as_parsed(notes, folder)
    before = files(cache_dir)
    load_quietly(folder, cache_dir)
    assert files(cache_dir) == before


def test_chunks_are_merged_into_one_after_the_limit(folder, cache_dir, monkeypatch, parses):
    monkeypatch.setattr(notecache, "MAX_CHUNKS", 3)
    load_quietly(folder, cache_dir)
    for index in (5, 6):
        write_note(folder, index)
        load_quietly(folder, cache_dir)
    assert len(chunk_files(cache_dir)) == 3
    write_note(folder, 2, text="Changed.")  # leaves a dead entry, which the merge drops
    write_note(folder, 7)
    notes = load_quietly(folder, cache_dir)
    (chunk,) = chunk_files(cache_dir)  # the three old ones removed
    assert sorted(chunk_entries(chunk)) == sorted(p.name for p in folder.iterdir())
    parses.clear()
    assert load_quietly(folder, cache_dir) == notes
    assert parses == []
    assert_as_parsed(notes, folder)


@pytest.mark.parametrize("damage", ["missing", "corrupt", "another chunk", "other code"])
def test_a_damaged_chunk_means_parsing_its_notes_again(folder, cache_dir, parses, damage):
    load_quietly(folder, cache_dir)
    write_note(folder, 9)
    load_quietly(folder, cache_dir)
    first, second = sorted(chunk_files(cache_dir), key=lambda p: p.stat().st_mtime_ns)
    if damage == "missing":
        first.unlink()
    elif damage == "corrupt":
        first.write_bytes(first.read_bytes()[:100])
    elif damage == "another chunk":
        first.write_bytes(second.read_bytes())
    else:  # the index names it, but it says it was made by other parser code
        stored = (f"{notecache.CACHE_FORMAT}:other code", chunk_entries(first))
        cachefiles.write_pickle(first, CacheKey(cache_dir), stored)
    parses.clear()
    notes = load_quietly(folder, cache_dir)
    assert sorted(parses) == [f"2025-12-{day}-Release-0.md" for day in range(10, 15)]
    assert_as_parsed(notes, folder)
    parses.clear()
    assert load_quietly(folder, cache_dir) == notes  # and the cache is whole again
    assert parses == []


def test_a_run_with_nothing_new_writes_nothing(folder, cache_dir, monkeypatch):
    load_quietly(folder, cache_dir)
    write_note(folder, 9)
    load_quietly(folder, cache_dir)
    before = files(cache_dir)
    writes: list[Path] = []
    monkeypatch.setattr(notecache, "write_pickle", lambda file, key, stored: writes.append(file))
    load_quietly(folder, cache_dir)
    assert writes == [] and files(cache_dir) == before


def test_a_chunk_is_complete_before_an_index_names_it(folder, cache_dir, monkeypatch):
    load_quietly(folder, cache_dir)
    written: list[tuple[str, object]] = []

    def write_pickle(file: Path, key: CacheKey, stored: object) -> None:
        if file.suffix == ".pickle":  # the index: every chunk it names already written
            for chunk in stored["chunks"]:  # type: ignore[index]
                assert (file.parent / chunk.name).is_file()
        written.append((file.suffix, stored))
        cachefiles.write_pickle(file, key, stored)

    monkeypatch.setattr(notecache, "write_pickle", write_pickle)
    write_note(folder, 9)
    load_quietly(folder, cache_dir)
    assert [suffix for suffix, _ in written] == [".notes", ".pickle"]


def test_two_runs_saving_at_once_lose_nothing_but_time(folder, cache_dir, parses):
    load_quietly(folder, cache_dir)
    code = loader._code_digest()
    first, second = (notecache.NoteCache(folder, cache_dir, code) for _ in range(2))
    known = first.load()
    assert second.load() == known
    one, other = write_note(folder, 9), write_note(folder, 10)
    new_one = {one.name: loader._parsed(str(one), one.read_bytes())}
    new_other = {other.name: loader._parsed(str(other), other.read_bytes())}
    first.save({**known, **new_one}, new_one)
    second.save({**known, **new_other}, new_other)  # its index wins; first's chunk is removed
    assert len(chunk_files(cache_dir)) == 2  # no orphan: the index names every chunk left
    parses.clear()
    notes = load_quietly(folder, cache_dir)
    assert parses == [one.name]  # what the lost save held is parsed again, nothing else
    assert_as_parsed(notes, folder)


def test_chunks_no_index_names_are_removed_by_the_next_save(folder, cache_dir):
    """A save holds the exclusive lock, so a chunk its index does not name is no other run's
    save under way: left by a killed run, it is removed whatever its age (another folder's
    chunks are kept)."""
    load_quietly(folder, cache_dir)
    (named,) = chunk_files(cache_dir)
    digest = named.name.split("-")[0]
    young = named.with_name(f"{digest}-young.notes")
    elsewhere = named.with_name("0123456789abcdef01234567-orphan.notes")  # another folder's
    for orphan in (young, elsewhere):
        shutil.copy(named, orphan)
    write_note(folder, 9)
    load_quietly(folder, cache_dir)
    remaining = {p.name for p in chunk_files(cache_dir)}
    assert young.name not in remaining
    assert {named.name, elsewhere.name} <= remaining and len(remaining) == 3


def test_a_save_after_another_run_merged_names_no_removed_chunk(folder, cache_dir, parses):
    load_quietly(folder, cache_dir)
    code = loader._code_digest()
    first, second = (notecache.NoteCache(folder, cache_dir, code) for _ in range(2))
    known = first.load()
    assert second.load() == known
    one = write_note(folder, 9)
    new_one = {one.name: loader._parsed(str(one), one.read_bytes())}
    first.chunks = first.chunks * notecache.MAX_CHUNKS  # so its save merges into one chunk
    first.save({**known, **new_one}, new_one)  # removes the chunk `second` loaded
    other = write_note(folder, 10)
    new_other = {other.name: loader._parsed(str(other), other.read_bytes())}
    second.save({**known, **new_other}, new_other)  # all in one chunk, not beside a gone one
    index = cachefiles.read_pickle(second.file, second.cache_key, (notecache.Chunk,))
    assert all((second.folder / chunk.name).is_file() for chunk in index["chunks"])
    parses.clear()
    notes = load_quietly(folder, cache_dir)
    assert parses == [one.name]  # what the first run's save held is parsed again, nothing else
    assert_as_parsed(notes, folder)
