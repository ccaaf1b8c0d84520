"""Crafted packs read by the commands that read packs (``meshcomply site``, ``meshcomply verify``
and ``read_model``'s callers): every one a located problem and exit 1, never a traceback.

Each pack is a good pack with one thing changed in evidence.json and its manifest written
again, so the manifest is intact and only the reading can refuse it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator import textcheck
from generator.cli import cli
from generator.errors import InputError
from generator.evidence import streamread
from generator.evidence.changes_since import load_previous
from generator.evidence.codec import read_model, write_model
from generator.evidence.streamread import read_stored_model
from generator.manifest import write_manifest
from generator.testing import synthetic_evidence

SUBJECT = b'"subject": "'


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("good")
    write_model(synthetic_evidence("acme", changes=30, controls=3), folder / "evidence.json")
    return (folder / "evidence.json").read_bytes()


def _pack(tmp_path: Path, data: bytes) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "evidence.json").write_bytes(data)
    write_manifest(pack)
    return pack


def _nth_subject(data: bytes, n: int) -> int:
    """The offset of the text of the n-th change's subject."""
    at = -1
    for _ in range(n + 1):
        at = data.index(SUBJECT, at + 1)
    return at + len(SUBJECT)


def _put(data: bytes, at: int, text: bytes) -> bytes:
    return data[:at] + text + data[at:]


def _place(data: bytes, at: int) -> str:
    """``LINE:COL`` of the byte at ``at`` (the file is ASCII before it)."""
    line_start = data.rfind(b"\n", 0, at) + 1
    line = data.count(b"\n", 0, at) + 1
    return f"{line}:{at - line_start + 1}"


def _handled(result: Result) -> bool:
    """Exit 1 through the CLI's own error handling, not an exception out of the command."""
    return result.exit_code == 1 and isinstance(result.exception, SystemExit)


def _site(pack: Path, out: Path) -> Result:
    return CliRunner().invoke(cli, ["site", str(pack), "--no-config", "--out", str(out)])


def _verify(pack: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["verify", str(pack), *args])


Crafted = Callable[[bytes], tuple[bytes, int]]  # the pack's bytes -> (crafted, where it is)


def _surrogate_in_a_subject(data: bytes) -> tuple[bytes, int]:
    at = _nth_subject(data, 12)  # a change record: a member of a list kept in the file
    return _put(data, at, b"x\\ud800"), at + 1


def _surrogate_in_the_installation(data: bytes) -> tuple[bytes, int]:
    at = data.index(b'"installation": "') + len(b'"installation": "')
    return _put(data, at, b"\\udc00"), at


def _surrogate_in_a_key(data: bytes) -> tuple[bytes, int]:
    at = data.index(b'"tool"')
    return _put(data, at, b'"\\ud800": 1, '), at + 1


def _invalid_utf8(data: bytes) -> tuple[bytes, int]:
    at = _nth_subject(data, 20)
    return _put(data, at, b"\xff"), at


def _nested_too_deeply(data: bytes) -> tuple[bytes, int]:
    at = _nth_subject(data, 3) - 1
    deep = b"[" * 100_000 + b"]" * 100_000
    end = data.index(b'",', at)
    # Inside the document, the changes list and the record: the 498th bracket is 501 deep.
    return data[:at] + deep + data[end + 1 :], at + 497


CRAFTED: dict[str, tuple[Crafted, str]] = {
    "surrogate in a change's subject": (
        _surrogate_in_a_subject,
        r"\ud800 escapes half of a character (a lone surrogate): not text",
    ),
    "surrogate in the installation": (
        _surrogate_in_the_installation,
        r"\udc00 escapes half of a character (a lone surrogate): not text",
    ),
    "surrogate in a key": (
        _surrogate_in_a_key,
        r"\ud800 escapes half of a character (a lone surrogate): not text",
    ),
    "bytes that are not UTF-8": (_invalid_utf8, "cannot read: not UTF-8 text"),
    "arrays nested too deeply": (_nested_too_deeply, "arrays and objects nested more than 500"),
}


@pytest.mark.parametrize("name", CRAFTED)
def test_site_and_verify_refuse_the_pack_naming_file_line_and_column(
    good: bytes, tmp_path: Path, name: str
):
    craft, words = CRAFTED[name]
    data, at = craft(good)
    pack = _pack(tmp_path, data)
    where = f"evidence.json:{_place(data, at)}: "

    out = tmp_path / "out"
    site = _site(pack, out)
    assert _handled(site), site.output
    assert f"{pack}: {where}{words}" in site.output
    assert sorted(p.name for p in out.iterdir()) == [".meshcomply.lock"]  # nothing written

    verify = _verify(pack)  # the manifest is intact; the pack is still refused
    assert _handled(verify), verify.output
    assert f"{pack}: {where}{words}" in verify.output
    assert "intact" not in verify.output

    for read in (load_previous, lambda pack: read_model(pack / "evidence.json")):
        with pytest.raises(InputError) as caught:  # build --previous; the whole-file reader
            read(pack)
        (problem,) = caught.value.problems
        assert (f"{problem.line}:{problem.col}", problem.message[: len(words)]) == (
            _place(data, at),
            words,
        )


def test_a_surrogate_pair_is_one_character_and_reads(good: bytes, tmp_path: Path):
    at = _nth_subject(good, 12)
    pack = _pack(tmp_path, _put(good, at, b"\\ud83d\\ude00 \\\\ud800"))
    model = read_stored_model(pack / "evidence.json")
    assert model.changes[12].subject.startswith("\U0001f600 \\ud800")
    assert read_model(pack / "evidence.json").changes[12].subject == model.changes[12].subject
    assert _verify(pack).exit_code == 0


def test_a_surrogate_cut_by_a_block_is_found(good: bytes, tmp_path: Path, monkeypatch):
    data, at = _surrogate_in_a_subject(good)
    path = _pack(tmp_path, data) / "evidence.json"
    for block in (at + 2, at + 4, at + 7, 97):  # inside the escape, after it, anywhere
        monkeypatch.setattr(streamread, "_BLOCK", block)
        with pytest.raises(InputError) as caught:
            read_stored_model(path)
        assert [(p.line, p.col) for p in caught.value.problems] == [
            tuple(map(int, _place(data, at).split(":")))
        ]


def test_a_long_string_is_read_in_growing_blocks(good: bytes, tmp_path: Path, monkeypatch):
    # A subject of 2 MB read in blocks of 1,000 bytes: each try to decode it read one more
    # block, so the tries (each going through all of it held so far) added up to 2 GB.
    long = b"y" * 2_000_000
    path = _pack(tmp_path, _put(good, _nth_subject(good, 5), long)) / "evidence.json"
    reads: list[int] = []
    next_block = streamread._PackFile.next_block

    def counted(file, size):
        reads.append(size)
        return next_block(file, size)

    monkeypatch.setattr(streamread, "_BLOCK", 1000)
    monkeypatch.setattr(streamread._PackFile, "next_block", counted)
    model = read_stored_model(path)
    assert model.changes[5].subject.startswith(long.decode())
    assert len(reads) < 40  # 2,000+ with blocks of 1,000 bytes


def test_a_huge_value_where_another_is_expected_is_a_short_message(good: bytes, tmp_path: Path):
    head = good.index(b'"head": "') + len(b'"head": "')
    data = good[:head] + b"z" * 1_000_000 + good[head + 40 :]
    pack = _pack(tmp_path, data)
    verify = _verify(pack)
    assert _handled(verify)
    (line,) = [line for line in verify.output.splitlines() if "$.source.head" in line]
    assert len(line) < len(str(pack)) + 350 and line.endswith(
        "does not match '^[0-9a-f]{40}([0-9a-f]{24})?$'"
    )
    assert "zzz … zzz" in line


def test_the_nesting_search_skips_brackets_in_strings():
    text = '{"a": "[[[[", "b": [[["\\"]]"]]]}'
    assert textcheck.too_deep(text, 0) == 0  # not too deep: the start
    monkeypatched = textcheck.MAX_NESTING
    try:
        textcheck.MAX_NESTING = 3
        brackets = text.index('"b": ') + 5  # not those in "a"'s text
        assert textcheck.too_deep(text, 0) == brackets + 2  # {, [, [: the third [ is 4 deep
        assert textcheck.too_deep(text, 0, depth=1) == brackets + 1
        assert textcheck.too_deep(text, brackets, depth=1) == brackets + 2
    finally:
        textcheck.MAX_NESTING = monkeypatched
