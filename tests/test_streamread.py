"""The site step's reader (evidence/streamread.py): the same model and the same portal as
``read_model``, checked as strictly, with the long lists left in the file."""

from __future__ import annotations

import dataclasses
import filecmp
import gc
import json
import os
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import site
from generator.cli import cli
from generator.errors import BuildError, InputError
from generator.evidence import streamread
from generator.evidence.codec import read_model, write_model
from generator.evidence.model import ChangeRecord, DeviationRecord
from generator.evidence.streamread import StoredList, read_stored_model
from generator.manifest import write_manifest
from generator.render.portal import render as render_portal
from generator.render.registry import PackInput, RenderOptions
from generator.testing import synthetic_evidence
from generator.testing_json import as_json, failure_json, from_json, with_deviations

CHANGES = 1200  # three change pages in the portal
FAILURES = 700


def big_model(changes: int = CHANGES, failures: int = FAILURES):
    model = as_json(synthetic_evidence("big", changes=changes, controls=4, hostile=True))
    result = model["controls"][0]["results"][0]
    shas = [change["sha"] for change in model["changes"]]
    result["cited"] = shas
    result["failures"] = [failure_json(sha, f"no approver ({sha[:4]})") for sha in shas[:failures]]
    model["controls"][0]["status"] = result["status"] = "deviations"
    return from_json(with_deviations(model))


def _plain(value):
    """A model as nested tuples, whatever holds its lists."""
    if isinstance(value, StoredList | tuple | list):
        return tuple(_plain(item) for item in value)
    if dataclasses.is_dataclass(value):
        return tuple((f.name, _plain(getattr(value, f.name))) for f in dataclasses.fields(value))
    return value


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pack")
    write_model(big_model(), folder / "evidence.json")
    return folder


def test_the_stored_model_is_read_models(pack: Path):
    stored = read_stored_model(pack / "evidence.json")
    assert isinstance(stored.changes, StoredList) and len(stored.changes) == CHANGES
    assert isinstance(stored.deviations, StoredList) and len(stored.deviations) == FAILURES
    result = stored.controls[0].results[0]
    assert isinstance(result.failures, StoredList) and isinstance(result.cited, StoredList)
    assert _plain(stored) == _plain(read_model(pack / "evidence.json"))


def test_blocks_cut_anywhere_read_the_same(tmp_path: Path, monkeypatch):
    # Blocks of 97 bytes cut keys, strings, numbers and multi-byte characters (the hostile
    # model's texts) everywhere; compact and indented layouts alike.
    model = big_model(changes=60, failures=20)
    write_model(model, tmp_path / "evidence.json")
    compact = tmp_path / "compact.json"
    data = json.loads((tmp_path / "evidence.json").read_text(encoding="utf-8"))
    compact.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), "utf-8")
    monkeypatch.setattr(streamread, "_BLOCK", 97)
    for path in (tmp_path / "evidence.json", compact):
        assert _plain(read_stored_model(path)) == _plain(read_model(path)), path.name


def test_a_stored_list_reads_like_a_tuple(pack: Path, monkeypatch):
    monkeypatch.setattr(streamread, "_CHUNK", 7)  # iteration in many reads
    stored = read_stored_model(pack / "evidence.json").changes
    plain = read_model(pack / "evidence.json").changes
    assert list(stored) == list(plain)
    for part in (slice(0, 10), slice(495, 505), slice(1190, 2000), slice(5, 5), slice(-3, None)):
        assert stored[part] == plain[part]
    assert stored[::250] == plain[::250]
    assert stored[0] == plain[0] and stored[-1] == plain[-1] and stored[613] == plain[613]
    with pytest.raises(IndexError):
        stored[CHANGES]


def test_reading_holds_no_record_of_the_long_lists(pack: Path):
    def alive(kind: type) -> int:
        gc.collect()
        return sum(1 for item in gc.get_objects() if type(item) is kind)

    before = alive(ChangeRecord), alive(DeviationRecord)
    model = read_stored_model(pack / "evidence.json")
    assert (alive(ChangeRecord), alive(DeviationRecord)) == before
    assert len(model.changes[500:1000]) == 500  # one page, read when shown, then let go
    assert (alive(ChangeRecord), alive(DeviationRecord)) == before
    plain = read_model(pack / "evidence.json")
    assert alive(ChangeRecord) == before[0] + CHANGES  # what the plain reader holds
    del plain


def test_the_portal_from_the_stored_model_is_the_plain_ones(pack: Path, tmp_path: Path):
    options = RenderOptions(pdf={}, portal={}, release_notes=None, source_date_epoch=1750000000)
    sites = {}
    for name, reader in (("plain", read_model), ("stored", read_stored_model)):
        model = reader(pack / "evidence.json")
        render_portal([PackInput(model, pack, "packs/big/p", ())], tmp_path / name, options)
        sites[name] = tmp_path / name
    pages = sorted(p.relative_to(sites["plain"]) for p in sites["plain"].rglob("*.html"))
    assert len([p for p in pages if "changes" in p.parts]) == 3
    compared = filecmp.cmpfiles(sites["plain"], sites["stored"], [str(p) for p in pages])
    assert compared[1:] == ([], [])


def test_the_pdf_from_the_stored_model_is_the_plain_ones(tmp_path: Path):
    from generator.evidence.tables import write_tables
    from generator.render.pdf import PDF_NAME
    from generator.render.pdf import render as render_pdf

    model = big_model(changes=300, failures=120)
    options = RenderOptions(pdf={}, portal={}, release_notes=None, source_date_epoch=1750000000)
    made = {}
    for name, reader in (("plain", read_model), ("stored", read_stored_model)):
        folder = tmp_path / name
        folder.mkdir()
        write_model(model, folder / "evidence.json")
        write_tables(model, folder)
        render_pdf(reader(folder / "evidence.json"), folder, options)
        made[name] = (folder / PDF_NAME).read_bytes()
    assert made["plain"] == made["stored"]


def _broken_pack(tmp_path: Path, edit) -> Path:
    """A pack whose evidence.json ``edit`` changed and whose manifest says so (it verifies)."""
    folder = tmp_path / "pack"
    folder.mkdir()
    write_model(big_model(changes=300, failures=20), folder / "evidence.json")
    data = json.loads((folder / "evidence.json").read_text(encoding="utf-8"))
    text = edit(data)
    (folder / "evidence.json").write_text(text, encoding="utf-8")
    write_manifest(folder)
    return folder


def test_a_bad_record_in_the_middle_is_named_by_file_and_path(tmp_path: Path):
    def edit(data):
        data["changes"][150]["author"] = {"name": "x"}
        data["deviations"][7]["state"] = "lost"
        return json.dumps(data, indent=2)

    folder = _broken_pack(tmp_path, edit)
    with pytest.raises(InputError) as caught:
        read_stored_model(folder / "evidence.json")
    lines = [str(problem) for problem in caught.value.problems]
    where = f"{folder / 'evidence.json'}:1:1: "
    assert any(line.startswith(where + "$.changes[150].author: 'email'") for line in lines)
    assert any(line.startswith(where + "$.deviations[7].state: 'lost'") for line in lines)

    out = tmp_path / "out"
    done = CliRunner().invoke(cli, ["site", str(folder), "--no-config", "--out", str(out)])
    assert done.exit_code == 1
    assert f"{folder}: evidence.json: $.changes[150].author: 'email' is a required" in done.output
    assert "Traceback" not in done.output
    assert sorted(p.name for p in out.iterdir()) == [".meshcomply.lock"]  # nothing written


def test_broken_json_in_the_middle_names_the_record(tmp_path: Path):
    def edit(data):
        text = json.dumps(data, indent=2)
        sha = data["changes"][150]["sha"]
        return text.replace(f'"sha": "{sha}",', f'"sha": "{sha}" "oops",', 1)

    folder = _broken_pack(tmp_path, edit)
    with pytest.raises(InputError) as caught:
        read_stored_model(folder / "evidence.json")
    (problem,) = caught.value.problems
    assert problem.path == str(folder / "evidence.json")
    assert problem.message.startswith("not valid JSON: Expecting ',' delimiter (byte ")
    assert problem.message.endswith(" in $.changes[150]")


def test_a_changed_file_is_refused_when_read_again(pack: Path, tmp_path: Path):
    copy = tmp_path / "evidence.json"
    copy.write_bytes((pack / "evidence.json").read_bytes())
    model = read_stored_model(copy)
    copy.write_bytes(copy.read_bytes().replace(b'"subject": "', b'"subject": "X', 1) + b"  ")
    with pytest.raises(BuildError, match="changed after it was verified"):
        model.changes[0:3]


def test_other_errors_as_read_model_words_them(tmp_path: Path):
    path = tmp_path / "evidence.json"
    path.write_text('{"schema_version": 2, "changes": []}', encoding="utf-8")
    with pytest.raises(InputError, match="unsupported schema_version 2"):
        read_stored_model(path)
    path.write_text('{"schema_version": 3, "changes": [] } x', encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON: extra data after the document"):
        read_stored_model(path)
    path.write_bytes(b'{"schema_version": 3, "installation": "\xff"}')
    with pytest.raises(InputError, match="cannot read"):
        read_stored_model(path)


def _same_size_rewrite(path: Path) -> None:
    """Another process rewrites the first change's subject in place, same size, and puts the
    modification time back (as ``cp -p`` or ``rsync -t`` do)."""
    status = path.stat()
    data = path.read_bytes()
    at = data.index(b'"subject": "') + len(b'"subject": "')
    path.write_bytes(data[:at] + b"FORGED" + data[at + 6 :])
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert path.stat().st_size == status.st_size


def test_a_same_size_rewrite_with_the_mtime_put_back_is_refused(pack: Path, tmp_path: Path):
    copy = tmp_path / "evidence.json"
    copy.write_bytes((pack / "evidence.json").read_bytes())
    model = read_stored_model(copy)
    time.sleep(0.05)  # a later clock tick than the copy's writing: ctimes move in coarse ticks
    _same_size_rewrite(copy)
    with pytest.raises(BuildError, match=f"{copy}: changed after it was verified"):
        model.changes[0]


def test_a_same_size_rewrite_during_the_scan_is_refused(pack: Path, tmp_path: Path, monkeypatch):
    copy = tmp_path / "evidence.json"
    copy.write_bytes((pack / "evidence.json").read_bytes())
    time.sleep(0.05)
    blocks = []
    next_block = streamread._PackFile.next_block

    def rewritten_after_the_first_block(file, size):
        if len(blocks) == 1:
            _same_size_rewrite(copy)
        blocks.append(next_block(file, size))
        return blocks[-1]

    monkeypatch.setattr(streamread, "_BLOCK", 4096)
    monkeypatch.setattr(streamread._PackFile, "next_block", rewritten_after_the_first_block)
    with pytest.raises(InputError) as caught:
        read_stored_model(copy)
    assert [str(p) for p in caught.value.problems] == [f"{copy}:1:1: changed while it was read"]


def test_the_site_reads_the_bytes_its_manifest_verified(pack: Path, tmp_path: Path, monkeypatch):
    # Changed between the manifest's check and the read (same size, same mtime, in the same
    # clock tick even): the bytes read are not the ones verified, whatever the file's stamp.
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "evidence.json").write_bytes((pack / "evidence.json").read_bytes())
    write_manifest(folder)
    check_files = site.check_files

    def verified_then_rewritten(pack_dir: Path) -> list[str]:
        problems = check_files(pack_dir)
        _same_size_rewrite(pack_dir / "evidence.json")
        return problems

    monkeypatch.setattr(site, "check_files", verified_then_rewritten)
    out = tmp_path / "out"
    done = CliRunner().invoke(cli, ["site", str(folder), "--no-config", "--out", str(out)])
    assert done.exit_code == 1, done.output
    assert f"{folder}: evidence.json: changed since it was verified (sha256 " in done.output
    assert "Traceback" not in done.output
    assert sorted(p.name for p in out.iterdir()) == [".meshcomply.lock"]


def test_a_member_that_cannot_be_read_is_an_error_naming_file_and_path(
    pack: Path, tmp_path: Path, monkeypatch
):
    # A change the fingerprint cannot see (e.g. within one clock tick of the last write)
    # leaves members that are not the checked ones: an error, never a traceback.
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "evidence.json").write_bytes((pack / "evidence.json").read_bytes())
    write_manifest(folder)
    read = streamread._PackFile.read
    monkeypatch.setattr(streamread._PackFile, "read", lambda f, s, e: b"}" + read(f, s, e)[1:])
    model = read_stored_model(folder / "evidence.json")
    with pytest.raises(BuildError, match=r"evidence.json: \$.changes\[5\]: cannot be read: "):
        model.changes[5]
    out = tmp_path / "out"
    done = CliRunner().invoke(cli, ["site", str(folder), "--no-config", "--out", str(out)])
    assert done.exit_code == 1
    assert re.search(
        rf"{re.escape(str(folder))}/evidence.json: \$.\w+\[0\]: cannot be read: ", done.output
    )
    assert "Traceback" not in done.output
    assert sorted(p.name for p in out.iterdir()) == [".meshcomply.lock"]  # nothing written


def test_broken_json_is_reported_without_reading_the_rest(pack: Path, tmp_path: Path, monkeypatch):
    path = tmp_path / "evidence.json"
    data = (pack / "evidence.json").read_bytes()
    broken = data.index(b'"parents": [') + len(b'"parents": [')
    path.write_bytes(data[:broken] + b"," + data[broken:])
    read: list[int] = []
    next_block = streamread._PackFile.next_block

    def counted(file, size):
        read.append(len(block := next_block(file, size)))
        return block

    monkeypatch.setattr(streamread, "_BLOCK", 1000)
    monkeypatch.setattr(streamread._PackFile, "next_block", counted)
    with pytest.raises(InputError, match=r"not valid JSON: Expecting value .* in \$.changes\[0\]"):
        read_stored_model(path)
    assert sum(read) < broken + 2000 < len(data) / 10  # not the rest of the file


@pytest.mark.parametrize("number", [b"3.0", b"3e0", b"3.0E+0", b"30e-1"])
def test_a_number_cut_by_a_block_reads_as_read_model_does(tmp_path: Path, monkeypatch, number):
    path = tmp_path / "evidence.json"
    data = json.dumps(as_json(synthetic_evidence("x", changes=3, controls=2))).encode()
    path.write_bytes(data.replace(b'"schema_version": 3', b'"schema_version": ' + number, 1))
    plain = _plain(read_model(path))
    for block in range(1, 40):  # the block ends after "3", "3.", "3e", "3.0E+" ...
        monkeypatch.setattr(streamread, "_BLOCK", block)
        assert _plain(read_stored_model(path)) == plain, block


def test_a_repeated_key_reads_its_last_value_as_read_model_does(tmp_path: Path):
    # json (so read_model) keeps a repeated key's last value; the streamed reader does too,
    # forgetting the lists and problems it found under the earlier one.
    data = json.dumps(as_json(big_model(changes=30, failures=5))).encode()
    path = tmp_path / "evidence.json"
    for old, new in (
        (b'"changes": [', b'"changes": [1, {"sha": 2}], "changes": ['),
        (b'"installation": ', b'"installation": "other", "installation": '),
        (b'"cited": [', b'"cited": ["x", "y", "z"], "cited": ['),
        (b'"controls": [', b'"controls": [{"results": [{"failures": [7]}]}], "controls": ['),
    ):
        path.write_bytes(data.replace(old, new, 1))
        assert _plain(read_stored_model(path)) == _plain(read_model(path)), new
    path.write_bytes(data.replace(b'"changes": [', b'"changes": [], "changes": [1], "x": [', 1))
    with pytest.raises(InputError, match=r"\$.changes\[0\]: 1 is not of type 'object'"):
        read_stored_model(path)


def test_a_streamed_list_with_list_level_keywords_is_not_checked_silently(monkeypatch):
    # Held as [] in the skeleton, a streamed list would pass minItems & co. unchecked.
    from generator import validate

    schema = json.loads(json.dumps(validate.load_schema("evidence")))
    schema["properties"]["changes"]["minItems"] = 1
    monkeypatch.setattr(validate, "load_schema", lambda name: schema)
    streamread._skeleton_check.cache_clear()
    try:
        with pytest.raises(AssertionError, match=r"\('changes',\).*'minItems'"):
            streamread._skeleton_check()
    finally:
        streamread._skeleton_check.cache_clear()
