"""manifest.json: every file of a pack with its SHA-256, deterministic, and its verification."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from generator.manifest import check_files, cited_commits, verify_pack, write_manifest
from generator.testing import synthetic_evidence
from generator.testing_json import as_json, failure_json, from_json, with_deviations


def _pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    (pack / "sub").mkdir(parents=True)
    (pack / "evidence.json").write_text('{"a": 1}\n', encoding="utf-8")
    (pack / "changes.csv").write_bytes(b"sha,subject\n")
    (pack / "sub" / "evidence-pack.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)))
    return pack


def test_manifest_lists_every_file_sorted_with_hash_and_size_but_not_itself(tmp_path):
    pack = _pack(tmp_path)
    write_manifest(pack)
    manifest = json.loads((pack / "manifest.json").read_text("utf-8"))
    assert manifest["schema_version"] == 1
    paths = [entry["path"] for entry in manifest["files"]]
    assert paths == ["changes.csv", "evidence.json", "sub/evidence-pack.pdf"]
    pdf = manifest["files"][2]
    data = (pack / "sub" / "evidence-pack.pdf").read_bytes()
    assert pdf["sha256"] == hashlib.sha256(data).hexdigest()
    assert pdf["bytes"] == len(data)


def test_manifest_bytes_are_identical_for_identical_packs(tmp_path):
    first, second = _pack(tmp_path / "one"), _pack(tmp_path / "two")
    assert write_manifest(first).read_bytes() == write_manifest(second).read_bytes()


def test_intact_files_have_no_problems_but_verify_reads_evidence_json_too(tmp_path):
    pack = _pack(tmp_path)
    write_manifest(pack)
    assert check_files(pack) == []
    # The manifest vouches for the bytes; a pack is also an evidence.json meshcomply can read.
    expected = "evidence.json: unsupported schema_version None (this meshcomply reads 3)"
    assert verify_pack(pack) == [expected]


def test_one_byte_change_is_reported_by_name(tmp_path):
    pack = _pack(tmp_path)
    write_manifest(pack)
    pdf = pack / "sub" / "evidence-pack.pdf"
    data = bytearray(pdf.read_bytes())
    data[100] ^= 0x01
    pdf.write_bytes(bytes(data))
    problems = check_files(pack)
    assert len(problems) == 1
    assert problems[0].startswith("changed: sub/evidence-pack.pdf")


def test_added_and_removed_files_are_all_reported(tmp_path):
    pack = _pack(tmp_path)
    write_manifest(pack)
    (pack / "changes.csv").unlink()
    (pack / "notes.txt").write_text("slipped in later", encoding="utf-8")
    (pack / "evidence.json").write_text('{"a": 2}\n', encoding="utf-8")
    problems = check_files(pack)
    assert "removed: changes.csv" in problems
    assert "added: notes.txt" in problems
    assert any(p.startswith("changed: evidence.json") for p in problems)
    assert len(problems) == 3


def test_missing_or_garbled_manifest_is_a_problem_not_a_crash(tmp_path):
    pack = _pack(tmp_path)
    assert check_files(pack) == ["manifest.json: missing"]
    (pack / "manifest.json").write_text("{not json", encoding="utf-8")
    assert check_files(pack)[0].startswith("manifest.json:1:2: unreadable: Expecting")
    # Nested too deep for the decoder: located, not a RecursionError traceback.
    deep = '{"schema_version": 1,\n "x": ' + "[" * 5000 + "]" * 5000 + "}"
    (pack / "manifest.json").write_text(deep, encoding="utf-8")
    assert check_files(pack) == [
        "manifest.json:2:506: unreadable: arrays and objects nested more than 500 deep"
    ]
    (pack / "manifest.json").write_text('{"schema_version": 1, "files": "x"}', encoding="utf-8")
    assert check_files(pack) == ["manifest.json: 'files' must be a list"]


def test_symlink_cannot_be_listed_and_is_flagged_when_it_replaces_a_file(tmp_path):
    pack = _pack(tmp_path)
    outside = tmp_path / "outside.csv"
    outside.write_bytes(b"sha,subject\n")
    write_manifest(pack)
    (pack / "changes.csv").unlink()
    (pack / "changes.csv").symlink_to(outside)
    assert check_files(pack) == ["changed: changes.csv (a symlink, not a file)"]
    with pytest.raises(ValueError, match="symlink"):
        write_manifest(pack)


def test_cited_commits_cover_changes_results_failures_exceptions_sample_and_head():
    data = as_json(synthetic_evidence(changes=8))
    data["exceptions"] = [
        {
            "id": "EXC-1",
            "rules": ["change-approval"],
            "control": None,
            "sha": "e" * 40,
            "window": None,
            "deviation": None,
            "event": None,
            "justification": "j",
            "accepted_by": "a",
            "ticket": "T-1",
            "expires": "2026-12-31",
            "status": "active",
            "matched": ["DEV-0123456789ab"],  # deviation ids, not commits
        }
    ]
    data["controls"][0]["results"][0]["failures"] = [failure_json("d" * 40, "m")]
    data["controls"][0]["results"][0]["status"] = data["controls"][0]["status"] = "deviations"
    out_of_scope = {
        **data["reconciliation"]["groups"][0],
        "kind": "out_of_scope",
        "name": "docs",
        "commits": 1,
        "shas": ["c" * 40],
    }
    data["reconciliation"]["groups"].append(out_of_scope)
    model = from_json(with_deviations(data))
    cited = cited_commits(model)
    assert cited == sorted(set(cited))
    for sha in ("c" * 40, "d" * 40, "e" * 40, model.source.head):
        assert sha in cited
    assert "DEV-0123456789ab" not in cited
    assert all(change.sha in cited for change in model.changes)
    assert all(p.staging.sha in cited for p in model.promotions)


def test_manifest_lists_the_evidence_documents_the_verdicts_read(tmp_path):
    from generator.evidence.model import DocumentRecord, Identity

    pack = _pack(tmp_path)
    document = DocumentRecord(
        path="docs/security/access-review.md",
        source="repository",
        commit="a" * 40,
        committed_at="2026-03-11T16:45:00+01:00",
        changed_in="a" * 40,
        author=Identity("Lena Fischer", "lena@example.com"),
        committer=Identity("Lena Fischer", "lena@example.com"),
        sha256="b" * 64,
        bytes=812,
        date="2026-03-11",
        covers=None,
        result="pass",
        performed_by=("Lena Fischer",),
        approved_by=(),
        scope=None,
        problems=(),
        controls=("MS-ACC-02",),
    )
    manifest = json.loads(write_manifest(pack, (document,)).read_text("utf-8"))
    assert manifest["documents"] == [
        {
            "path": "docs/security/access-review.md",
            "source": "repository",
            "commit": "a" * 40,
            "sha256": "b" * 64,
            "bytes": 812,
        }
    ]
    assert check_files(pack) == []  # the documents are outside the pack: not its files
    assert "documents" not in json.loads(write_manifest(pack).read_text("utf-8"))
