"""Inputs recorded: every file the verdicts came from with its SHA-256, and `verify --inputs`."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from click.testing import CliRunner
from test_history_gitfaults import make_project

from generator.cli import cli
from generator.library import shipped_controls_dir

EXCEPTIONS = "exceptions: []\n"


def project(folder: Path) -> None:
    make_project(folder)
    (folder / "acme-exceptions.yml").write_text(EXCEPTIONS)
    (folder / "evidence" / "bcm").mkdir(parents=True)
    (folder / "evidence" / "bcm" / "test.md").write_text("---\ndate: 2026-01-10\n---\n")
    (folder / "signers").write_text("")
    config = folder / "meshcomply.yml"
    config.write_text(
        config.read_text().replace(
            "    ref: main\n",
            "    ref: main\n    exceptions: ./acme-exceptions.yml\n    evidence_dir: ./evidence\n"
            "    signing: {allowed_signers: ./signers}\n",
        )
    )


def run(folder: Path, *args: str):
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(cli, list(args))
    finally:
        os.chdir(cwd)


def built(folder: Path) -> Path:
    result = run(folder, "build", "--quiet", "--format", "json", "--out", "out")
    assert result.exit_code == 0, result.output
    return next((folder / "out" / "packs").rglob("evidence.json")).parent


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_evidence_json_lists_every_input_with_its_sha256(tmp_path):
    project(tmp_path)
    inputs = json.loads((built(tmp_path) / "evidence.json").read_text())["inputs"]
    assert inputs["library"] == "built-in"
    files = {(f["kind"], f["path"]): f for f in inputs["files"]}
    for kind, path in [
        ("config", "meshcomply.yml"),
        ("exceptions", "acme-exceptions.yml"),
        ("signing keys", "signers"),
        ("document", "evidence/bcm/test.md"),
    ]:
        entry = files[kind, path]
        assert entry["sha256"] == sha256(tmp_path / path)
        assert entry["bytes"] == (tmp_path / path).stat().st_size
    library = shipped_controls_dir()
    controls = sorted(path for kind, path in files if kind == "controls")
    assert "meshstack/MS-CHG-01.yaml" in controls and "applicability.yaml" in controls
    assert len(controls) == len([*library.rglob("*.yaml"), *library.rglob("*.yml")])
    entry = files["controls", "meshstack/MS-CHG-01.yaml"]
    assert entry["sha256"] == sha256(library / "meshstack" / "MS-CHG-01.yaml")
    kinds = [f["kind"] for f in inputs["files"]]
    assert kinds == sorted(kinds)


def test_verify_inputs_reports_each_file_and_every_change(tmp_path):
    project(tmp_path)
    pack = built(tmp_path)
    result = run(tmp_path, "verify", str(pack), "--inputs", ".")
    assert result.exit_code == 0, result.output
    assert f"{pack}: input meshcomply.yml (config): ok\n" in result.stdout
    assert f"{pack}: input meshstack/MS-CHG-01.yaml (controls): ok\n" in result.stdout
    assert result.stdout.endswith(f"{pack}: intact (files and inputs match manifest.json)\n")

    (tmp_path / "acme-exceptions.yml").write_text(EXCEPTIONS + "# edited after the build\n")
    (tmp_path / "evidence" / "bcm" / "test.md").unlink()
    result = run(tmp_path, "verify", str(pack), "--inputs", ".")
    assert result.exit_code == 1
    now = sha256(tmp_path / "acme-exceptions.yml")
    before = hashlib.sha256(EXCEPTIONS.encode()).hexdigest()
    assert result.stderr.splitlines() == [
        f"{pack}: input evidence/bcm/test.md (document): missing (no file "
        f"{Path('.') / 'evidence/bcm/test.md'})",
        f"{pack}: input acme-exceptions.yml (exceptions): changed (sha256 {now}, recorded "
        f"{before})",
        "meshcomply: 2 problems found",
    ]
    assert f"{pack}: input meshcomply.yml (config): ok\n" in result.stdout


def test_verify_inputs_checks_the_control_library_given(tmp_path):
    project(tmp_path)
    pack = built(tmp_path)
    library = tmp_path / "library"
    shutil.copytree(shipped_controls_dir(), library)
    changed = library / "meshstack" / "MS-CHG-01.yaml"
    changed.write_text(changed.read_text().replace("coverage: full", "coverage: partial", 1))
    result = run(tmp_path, "verify", str(pack), "--inputs", ".", "--controls", "library")
    assert result.exit_code == 1
    (line, summary) = result.stderr.splitlines()
    assert line.startswith(f"{pack}: input meshstack/MS-CHG-01.yaml (controls): changed (sha256 ")
    assert summary == "meshcomply: 1 problem found"
    usage = run(tmp_path, "verify", str(pack), "--controls", "library")
    assert usage.exit_code == 2 and "--controls needs --inputs" in usage.stderr
