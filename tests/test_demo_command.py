"""`meshcomply demo`: where it writes, what it refuses to replace, and the build it runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import generator.demo
from generator.cli import cli
from generator.commands.demo import MARKER, check_target, generate_into
from generator.errors import BuildError
from generator.status import Status


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["demo", *args])
    return result.exit_code, result.output


def test_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "thesis.tex").write_text("precious")
    code, output = run("--out", str(target), "--format", "json")
    assert code == 1
    assert f"{target} is not empty and was not made by `meshcomply demo`" in output
    assert "--force" in output
    assert sorted(p.name for p in target.iterdir()) == ["thesis.tex"]


@pytest.mark.parametrize("where", ["file", "cwd", "parent"])
def test_refuses_a_file_and_the_current_folder_even_when_forced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    target = {"file": work / "notes.txt", "cwd": Path("."), "parent": Path("..")}[where]
    if where == "file":
        target.write_text("x")
    with pytest.raises(BuildError):
        check_target(target, force=True)
    assert sorted(p.name for p in work.iterdir()) == (["notes.txt"] if where == "file" else [])


def test_accepts_missing_empty_and_previous_demo_folders(tmp_path: Path) -> None:
    check_target(tmp_path / "missing", force=False)
    (tmp_path / "empty").mkdir()
    check_target(tmp_path / "empty", force=False)
    previous = tmp_path / "previous"
    previous.mkdir()
    (previous / MARKER).write_text("")
    (previous / "example").mkdir()
    check_target(previous, force=False)


def test_forced_generation_replaces_the_folder_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    check_target(target, force=True)
    generate_into(target)
    assert sorted(p.name for p in target.iterdir()) == [MARKER, "example"]
    assert (target / "example" / "meshcomply.yml").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary leftovers


def test_a_failed_generation_leaves_the_previous_demo_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / MARKER).write_text("")
    (target / "kept.txt").write_text("kept")

    def broken(root: Path) -> None:
        (root / "example").mkdir()
        (root / "example" / "half.txt").write_text("half")
        raise BuildError("ssh-keygen could not sign a demo commit")

    monkeypatch.setattr(generator.demo, "generate_demo", broken)
    with pytest.raises(BuildError):
        generate_into(target)
    assert sorted(p.name for p in target.iterdir()) == [MARKER, "kept.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_demo_generates_and_builds_the_packs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESHCOMPLY_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    code, output = run("--out", "tour", "--format", "json", "--quiet")
    assert code == 0, output
    assert "Example installations: tour/example/" in output
    lines = output.splitlines()
    for name in ("acme", "globex"):
        pack = Path("tour/packs") / name / "2026-01-01_2026-06-30"
        line = next(line for line in lines if line.startswith(f"Evidence pack:         {pack}/"))
        model = json.loads((pack / "evidence.json").read_text("utf-8"))
        assert model["installation"] == name
        statuses = [control["status"] for control in model["controls"]]
        for status in set(statuses):
            assert f"{Status(status).label}: {statuses.count(status)}" in line
        states = [d["state"] for d in model["deviations"]]
        opened, accepted = states.count("open"), states.count("accepted")
        assert line.endswith(f"deviations: {opened} open, {accepted} accepted)")
    assert (Path("tour") / MARKER).is_file()  # so the next run may replace it
