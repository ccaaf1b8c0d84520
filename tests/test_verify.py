"""``meshcomply verify PACKDIR [--repo PATH]`` against real pack folders and git repositories."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.manifest import write_manifest
from generator.testing import synthetic_evidence
from generator.testing_json import as_json

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada Operator",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Operator",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, **_GIT_ENV}
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def _commit(repo: Path, name: str, text: str) -> str:
    (repo / name).write_text(text, encoding="utf-8")
    _git(repo, "add", name)
    _git(repo, "commit", "-q", "-m", f"change {name}")
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "config-repo"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    return path


def _pack_citing(tmp_path: Path, shas: list[str], head: str) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir()
    # A schema-valid model whose only commits are the given ones.
    model = as_json(synthetic_evidence("acme", changes=len(shas), controls=2))
    model["source"] |= {"ref": "main", "head": head}
    for change, sha in zip(model["changes"], shas, strict=True):
        change["sha"] = sha
    model["releases"], model["promotions"] = [], []
    model["sample"]["populations"] = []
    for control in model["controls"]:
        control["results"][0] |= {"cited": shas[:1], "failures": []}
    (pack / "evidence.json").write_text(json.dumps(model, indent=2), encoding="utf-8")
    (pack / "evidence-pack.pdf").write_bytes(b"%PDF-1.7 pretend")
    write_manifest(pack)
    return pack


def _verify(*args: str):
    return CliRunner().invoke(cli, ["verify", *args])


def test_intact_pack_and_repo_exit_zero(tmp_path, repo):
    shas = [_commit(repo, f"f{i}.yaml", str(i)) for i in range(3)]
    pack = _pack_citing(tmp_path, shas, head=shas[-1])
    result = _verify(str(pack), "--repo", str(repo))
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


def test_one_byte_change_exits_one_naming_the_file(tmp_path, repo):
    shas = [_commit(repo, "a.yaml", "a")]
    pack = _pack_citing(tmp_path, shas, head=shas[0])
    pdf = pack / "evidence-pack.pdf"
    pdf.write_bytes(pdf.read_bytes()[:-1] + b"X")
    result = _verify(str(pack))
    assert result.exit_code == 1
    assert "changed: evidence-pack.pdf" in result.output
    assert "1 problem found" in result.output


def test_added_and_removed_files_are_all_listed(tmp_path, repo):
    shas = [_commit(repo, "a.yaml", "a")]
    pack = _pack_citing(tmp_path, shas, head=shas[0])
    (pack / "evidence-pack.pdf").unlink()
    (pack / "extra.txt").write_text("x", encoding="utf-8")
    result = _verify(str(pack))
    assert result.exit_code == 1
    assert "removed: evidence-pack.pdf" in result.output
    assert "added: extra.txt" in result.output


def test_cited_commit_missing_from_repo_is_reported(tmp_path, repo):
    shas = [_commit(repo, "a.yaml", "a")]
    invented = "0123456789abcdef0123456789abcdef01234567"
    pack = _pack_citing(tmp_path, [*shas, invented], head=shas[0])
    result = _verify(str(pack), "--repo", str(repo))
    assert result.exit_code == 1
    assert f"missing commit: {invented}" in result.output
    assert f"missing commit: {shas[0]}" not in result.output


def test_rewritten_history_is_detected_even_though_old_objects_remain(tmp_path, repo):
    first = _commit(repo, "a.yaml", "a")
    second = _commit(repo, "b.yaml", "b")
    pack = _pack_citing(tmp_path, [first, second], head=second)
    assert _verify(str(pack), "--repo", str(repo)).exit_code == 0
    # Rewrite the tip: the old commit still exists as an object, but main no longer contains it.
    _git(repo, "commit", "-q", "--amend", "-m", "rewritten")
    result = _verify(str(pack), "--repo", str(repo))
    assert result.exit_code == 1
    assert f"history rewritten: recorded head {second}" in result.output
    assert "missing commit" not in result.output


def test_ref_found_as_remote_tracking_branch_of_a_fresh_clone(tmp_path, repo):
    _commit(repo, "a.yaml", "a")
    _git(repo, "checkout", "-q", "-b", "other")
    head = _commit(repo, "b.yaml", "b")
    _git(repo, "checkout", "-q", "main")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    pack = _pack_citing(tmp_path, [head], head=head)
    model = json.loads((pack / "evidence.json").read_text("utf-8"))
    model["source"]["ref"] = "other"
    (pack / "evidence.json").write_text(json.dumps(model), encoding="utf-8")
    write_manifest(pack)
    assert _verify(str(pack), "--repo", str(clone)).exit_code == 0


def test_not_a_repository_and_bad_head_are_problems_not_tracebacks(tmp_path, repo):
    shas = [_commit(repo, "a.yaml", "a")]
    pack = _pack_citing(tmp_path, shas, head="--output=/tmp/x")
    result = _verify(str(pack), "--repo", str(repo))
    assert result.exit_code == 1
    # The schema refuses it before any git command sees it, naming where it is.
    assert "evidence.json: $.source.head: '--output=/tmp/x' does not match" in result.output
    assert "cannot check commits" in result.output
    plain = tmp_path / "plain"
    plain.mkdir()
    (tmp_path / "good").mkdir()
    good = _pack_citing(tmp_path / "good", shas, head=shas[0])
    result = _verify(str(good), "--repo", str(plain))
    assert result.exit_code == 1
    assert "not a git repository" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def _document(path: str, commit: str | None, sha256: str) -> dict:
    return {
        "path": path,
        "source": "repository" if commit else "evidence folder",
        "commit": commit,
        "committed_at": None,
        "changed_in": commit,
        "author": {"name": "Ann", "email": "ann@example.com"} if commit else None,
        "committer": {"name": "Ann", "email": "ann@example.com"} if commit else None,
        "sha256": sha256,
        "bytes": 3,
        "date": "2026-03-11",
        "period": None,
        "result": "pass",
        "performed_by": [],
        "approved_by": [],
        "scope": None,
        "problems": [],
        "controls": ["MS-ACC-02"],
    }


def test_verify_rehashes_each_repository_document_at_its_commit(tmp_path, repo):
    sha = _commit(repo, "review.md", "v1\n")
    pack = _pack_citing(tmp_path, [sha], head=sha)
    model = json.loads((pack / "evidence.json").read_text(encoding="utf-8"))
    right = hashlib.sha256(b"v1\n").hexdigest()
    model["documents"] = [
        _document("review.md", sha, right),
        _document("gone.md", sha, right),
        _document("folder.md", None, "0" * 64),  # the evidence folder is not in the repository
    ]
    (pack / "evidence.json").write_text(json.dumps(model, indent=2), encoding="utf-8")
    write_manifest(pack)
    result = _verify(str(pack), "--repo", str(repo))
    assert result.exit_code == 1
    assert f"missing document: gone.md at {sha[:12]}" in result.output
    assert "review.md" not in result.output.replace("gone.md", "")
    model["documents"] = [_document("review.md", sha, "f" * 64)]
    (pack / "evidence.json").write_text(json.dumps(model, indent=2), encoding="utf-8")
    write_manifest(pack)
    result = _verify(str(pack), "--repo", str(repo))
    assert result.exit_code == 1
    assert (
        f"changed document: review.md at {sha[:12]} (sha256 {right}, evidence.json {'f' * 64})"
        in (result.output)
    )
