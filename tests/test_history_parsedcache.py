"""Parsed file versions kept per blob between builds (history/parsedcache.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from gitrepo import GitRepo

from generator.cachefiles import read_pickle, write_pickle
from generator.config import EnvironmentConfig, InstallationConfig, Period
from generator.evidence.context import RuleContext
from generator.evidence.registry import all_rules
from generator.history import parsedcache, read_history
from generator.history.parsedcache import BlobParser, ParsedCache
from generator.rules.config_assertion import parser_for
from generator.rules.config_promotion import settings_parser

PERIOD = Period.parse("2026-01-01..2026-03-31")
APP = "environments/production/app.yaml"


def installation(path: Path) -> InstallationConfig:
    env = EnvironmentConfig("production", ("environments/production/**",), None, "required")
    return InstallationConfig("acme", "./acme", path, "main", (env,))


@pytest.fixture
def repo(tmp_path) -> GitRepo:
    r = GitRepo.create(tmp_path / "acme")
    r.commit("Before", files={APP: "a: 0\n"}, date="2025-12-01T10:00:00+00:00")
    contents: list[str | bytes | None] = [
        "a: 1\nb: {c: 2}\n",
        b"bin\0ary\n",
        None,  # deleted
        "a: 1\nb: {c: 2}\n",  # a revert: the first version's blob again
        b"x" * (1024 * 1024 + 1),  # over the limit
        "not: [a mapping\n",
    ]
    for day, content in enumerate(contents, start=1):
        r.commit(f"Version {day}", files={APP: content}, date=f"2026-01-{day:02d}T10:00:00+00:00")
    return r


class Counting:
    """A parser that counts the texts it is given."""

    def __init__(self, name: str = "test.lines"):
        self.texts: list[str] = []
        self.parser = BlobParser(name, self.parse)

    def parse(self, text: str) -> list[str]:
        self.texts.append(text)
        return text.splitlines()


def read(repo: GitRepo, folder: Path):
    return read_history(installation(repo.path), PERIOD, cache_dir=folder)


def parsed_values(history, parser: BlobParser):
    return [(i, v.sha, v.value, v.problem) for i, v in history.parsed_history(APP, parser)]


def test_parsed_versions_are_the_parsed_file_versions(repo, tmp_path):
    history = read(repo, tmp_path / "cache")
    other = read(repo, tmp_path / "other")
    counting = Counting()
    try:
        parsed = history.parsed_history(APP, counting.parser)
        plain = other.file_history(APP)
        assert [(i, v.sha, v.date) for i, v in parsed] == [(i, v.sha, v.date) for i, v in plain]
        assert [v.problem for _, v in parsed] == [v.problem for _, v in plain]
        assert [v.value for _, v in parsed] == [
            None if v.text is None else v.text.splitlines() for _, v in plain
        ]
        assert history.warnings == other.warnings and len(history.warnings) == 2
        assert len(counting.texts) == 3  # a 0, a 1 (twice: one blob), the broken mapping
        # config-promotion's settings are what its parser makes of file_history's texts
        yaml_parser = settings_parser(APP)
        values = [v.value for _, v in history.parsed_history(APP, yaml_parser)]
        texts = [v.text for _, v in plain]
        assert values == [None if t is None else yaml_parser.parse(t) for t in texts]
        assert values[1] == {"a": "1", "b.c": "2"}
    finally:
        history.close()
        other.close()


def test_a_warm_build_parses_and_reads_only_blobs_it_has_not_seen(repo, tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    first, counting = read(repo, folder), Counting()
    expected = parsed_values(first, counting.parser)
    first.close()  # saves what was parsed
    assert len(counting.texts) == 3

    asked: list[list[str]] = []
    warm = read(repo, folder)
    blobs = warm.runner.blobs()
    read_blobs = blobs.read_blobs
    monkeypatch.setattr(blobs, "read_blobs", lambda ids: asked.append(list(ids)) or read_blobs(ids))
    assert parsed_values(warm, counting.parser) == expected
    assert warm.warnings == [w for w in first.warnings]  # problems come from the cache too
    assert asked == [] and len(counting.texts) == 3  # no git, no parsing
    warm.close()

    repo.commit("New", files={APP: "a: 9\n"}, date="2026-01-20T10:00:00+00:00")
    later = read(repo, folder)
    values = parsed_values(later, counting.parser)
    assert values[:-1] == expected and values[-1][2] == ["a: 9"]
    assert counting.texts[3:] == ["a: 9\n"]  # only the new blob
    later.close()
    assert len(list((folder / "parsed").glob("*.parsed"))) == 2  # the new entry in a new chunk


def test_blob_ids_are_every_version_a_build_parsed_or_found_no_text(repo, tmp_path):
    """What benchmarks/build.py reads to time the least a cold build must parse."""
    folder = tmp_path / "cache"
    history = read(repo, folder)
    parsed_values(history, Counting().parser)
    history.close()
    log = repo.git("log", "--format=", "--raw", "--no-abbrev", "--", APP).split()
    versions = {field for field in log[3::6] if set(field) != {"0"}}  # the new blob ids
    assert len(versions) == 5  # a 0, a 1 (twice), binary, oversize, broken; deleted: none
    assert ParsedCache(repo.path, folder).blob_ids() == versions
    assert ParsedCache(repo.path, tmp_path / "empty").blob_ids() == set()


def test_each_parser_has_its_own_entries_and_other_code_parses_anew(repo, tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    history, one, two = read(repo, folder), Counting("one"), Counting("two")
    parsed_values(history, one.parser)
    parsed_values(history, two.parser)
    assert len(one.texts) == len(two.texts) == 3
    history.close()
    # Another version of the code (any source file of the package, a parser or what it calls)
    # is another cache key: nothing it stored is used.
    monkeypatch.setattr(parsedcache, "code_version", lambda: "9.9:other")
    again = read(repo, folder)
    parsed_values(again, one.parser)
    assert len(one.texts) == 6
    again.close()
    monkeypatch.setattr(parsedcache, "FORMAT", parsedcache.FORMAT + 1)  # so is another format
    third = read(repo, folder)
    parsed_values(third, one.parser)
    assert len(one.texts) == 9
    third.close()
    assert len(list((folder / "parsed").glob("*.parsed"))) == 1  # the other keys' chunks removed


def test_without_the_package_sources_nothing_is_kept(repo, tmp_path, monkeypatch):
    monkeypatch.setattr(parsedcache, "code_version", lambda: "")
    history, counting = read(repo, tmp_path / "cache"), Counting()
    parsed_values(history, counting.parser)
    history.close()
    assert not (tmp_path / "cache" / "parsed").exists()


def damage_truncate(chunk: Path) -> None:
    chunk.write_bytes(chunk.read_bytes()[:-20])


def damage_flip(chunk: Path) -> None:
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0x01  # still a loadable pickle, with another byte in it
    chunk.write_bytes(bytes(data))


def damage_delete(chunk: Path) -> None:
    chunk.unlink()


@pytest.mark.parametrize("damage", [damage_truncate, damage_flip, damage_delete])
def test_a_damaged_chunk_is_ignored_with_a_warning_and_rebuilt(repo, tmp_path, caplog, damage):
    folder = tmp_path / "cache"
    history, counting = read(repo, folder), Counting()
    expected = parsed_values(history, counting.parser)
    history.close()
    (chunk,) = (folder / "parsed").glob("*.parsed")
    damage(chunk)
    with caplog.at_level(logging.WARNING, logger=parsedcache.__name__):
        again = read(repo, folder)
        assert parsed_values(again, counting.parser) == expected
    assert len(counting.texts) == 6  # parsed again, never read from the damaged file
    (warning,) = [r.getMessage() for r in caplog.records]
    assert warning.startswith(f"warning: the parsed-files cache {chunk} ")
    assert "it is ignored" in warning
    again.close()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=parsedcache.__name__):
        third = read(repo, folder)
        assert parsed_values(third, counting.parser) == expected
    assert len(counting.texts) == 6 and caplog.records == []  # rebuilt: trusted again
    assert [p.name for p in (folder / "parsed").glob("*.parsed")] != [chunk.name]
    third.close()


def test_a_damaged_index_is_ignored_with_a_warning(repo, tmp_path, caplog):
    folder = tmp_path / "cache"
    history, counting = read(repo, folder), Counting()
    expected = parsed_values(history, counting.parser)
    history.close()
    index = ParsedCache(repo.path, folder).file
    index.write_bytes(index.read_bytes()[:10])
    with caplog.at_level(logging.WARNING, logger=parsedcache.__name__):
        again = read(repo, folder)
        assert parsed_values(again, counting.parser) == expected
    assert len(counting.texts) == 6
    assert [r.getMessage().split(" cannot")[0] for r in caplog.records] == [
        f"warning: the parsed-files cache {index}"
    ]
    again.close()


def test_a_chunk_is_never_loaded_into_anything_but_plain_data(repo, tmp_path, caplog):
    # A chunk sealed with the key (so not damaged: written by a holder of the key) that would
    # make pickle call a function is refused, not run.
    folder = tmp_path / "cache"
    history, counting = read(repo, folder), Counting()
    expected = parsed_values(history, counting.parser)
    history.close()
    cache = ParsedCache(repo.path, folder)
    index = read_pickle(cache.file, cache.cache_key, (parsedcache.Chunk,))
    (chunk,) = index["chunks"]
    write_pickle(
        cache.folder / chunk.name, cache.cache_key, {"test.lines": {"x": (None, Path("/"))}}
    )
    write_pickle(cache.file, cache.cache_key, {**index, "chunks": [chunk._replace(count=1)]})
    with caplog.at_level(logging.WARNING, logger=parsedcache.__name__):
        again = read(repo, folder)
        assert parsed_values(again, counting.parser) == expected
    assert "cannot be read (UnpicklingError)" in caplog.records[0].getMessage()
    again.close()


def test_config_assertion_reads_its_own_way_and_the_same_warm_or_cold(tmp_path):
    # meshcomply.yml's strict loader (a repeated key is a located problem) for config-assertion,
    # libyaml's (the last value wins) for config-promotion's settings: kept apart in the cache.
    repo = GitRepo.create(tmp_path / "acme")
    repo.commit("Before", files={APP: "a: 1\n"}, date="2025-12-01T10:00:00+00:00")
    repo.commit("Twice", files={APP: "a: 1\na: 2\n"}, date="2026-01-02T10:00:00+00:00")
    repo.commit("Once", files={APP: "a: 3\n"}, date="2026-01-03T10:00:00+00:00")
    params = {"file": APP, "key": "a", "op": "==", "value": 1}
    rule = all_rules()["config-assertion"].evaluate
    results = []
    for _build in ("cold", "warm"):
        history = read(repo, tmp_path / "cache")
        strict = [v.value for v in history.parsed_versions(APP, parser_for(APP))]
        twice = ("YAML", 2, "duplicate key 'a' (first defined on line 1)")
        assert strict == [({"a": 1}, None), (None, twice), ({"a": 3}, None)]
        settings = [v.value for _, v in history.parsed_history(APP, settings_parser(APP))]
        assert settings == [{"a": "1"}, {"a": "2"}, {"a": "3"}]
        results.append(rule(RuleContext(history), params))
        history.close()
    assert results[0] == results[1]
    assert [f.message for f in results[0].failures] == [
        f"not valid YAML at {repo.rev('HEAD~1')[:12]} (line 2: duplicate key 'a' (first defined "
        "on line 1)); a is 3"
    ]


PARSER = BlobParser("test.lines", str.splitlines)


def saved_by_one(repo_path: Path, folder: Path, blob: str) -> None:
    """One build's part: load, parse one blob, save."""
    cache = ParsedCache(repo_path, folder)
    cache.known(PARSER)
    cache.add(PARSER, blob, (None, [blob]))
    cache.save()


def cached_entries(repo_path: Path, folder: Path) -> dict[str, object]:
    """What a new build finds, and that the folder holds the chunks its index names, no more."""
    cache = ParsedCache(repo_path, folder)
    known = dict(cache.known(PARSER))
    assert sorted(p.name for p in cache.folder.glob("*.parsed")) == sorted(
        chunk.name for chunk in cache.chunks
    )
    return known


def test_two_builds_saving_in_turn_keep_both_their_entries(tmp_path, caplog):
    # Both load the same index; the one saving second used to write its chunk beside the
    # chunks it had loaded, so the first one's chunk was named nowhere and parsed again.
    repo_path, folder = tmp_path / "acme", tmp_path / "cache"
    saved_by_one(repo_path, folder, "old")
    first, second = ParsedCache(repo_path, folder), ParsedCache(repo_path, folder)
    first.known(PARSER), second.known(PARSER)
    first.add(PARSER, "first", (None, ["first"]))
    second.add(PARSER, "second", (None, ["second"]))
    with caplog.at_level(logging.WARNING, logger=parsedcache.__name__):
        first.save()
        second.save()
        assert sorted(cached_entries(repo_path, folder)) == ["first", "old", "second"]
    assert caplog.records == []


def test_a_save_never_names_chunks_another_build_compacted_away(tmp_path, caplog):
    # A build that loaded MAX_CHUNKS - 1 chunks saves after another one wrote everything into
    # one chunk and removed the rest: it used to name the removed chunks (a warning and a
    # re-parse of all of them on the next build).
    repo_path, folder = tmp_path / "acme", tmp_path / "cache"
    for number in range(parsedcache.MAX_CHUNKS - 1):
        saved_by_one(repo_path, folder, f"blob{number}")
    late = ParsedCache(repo_path, folder)
    late.known(PARSER)
    saved_by_one(repo_path, folder, "sixteenth")  # MAX_CHUNKS chunks now
    saved_by_one(repo_path, folder, "compacting")  # then one
    assert len(list((folder / "parsed").glob("*.parsed"))) == 1
    late.add(PARSER, "late", (None, ["late"]))
    with caplog.at_level(logging.WARNING, logger=parsedcache.__name__):
        late.save()
        found = cached_entries(repo_path, folder)
    assert caplog.records == []
    assert len(found) == parsedcache.MAX_CHUNKS + 2 and {"late", "compacting"} <= found.keys()


def _writer(repo_path: Path, folder: Path, name: str, rounds: int) -> None:
    def warned(self, file: Path, what: str) -> None:
        raise AssertionError(f"{file} {what}")  # the writer's exit code says so

    ParsedCache._warn = warned  # in this forked process only
    for number in range(rounds):
        saved_by_one(repo_path, folder, f"{name}{number}")


def test_two_writers_at_the_same_time_lose_nothing_and_warn_of_nothing(tmp_path, caplog):
    import multiprocessing

    repo_path, folder = tmp_path / "acme", tmp_path / "cache"
    rounds = 3 * parsedcache.MAX_CHUNKS  # each compacts several times while the other saves
    context = multiprocessing.get_context("fork")
    writers = [
        context.Process(target=_writer, args=(repo_path, folder, name, rounds))
        for name in ("a", "b")
    ]
    with caplog.at_level(logging.WARNING, logger=parsedcache.__name__):
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(timeout=120)
        assert [writer.exitcode for writer in writers] == [0, 0]
        found = cached_entries(repo_path, folder)
    assert caplog.records == []
    assert sorted(found) == sorted(f"{name}{n}" for name in "ab" for n in range(rounds))
