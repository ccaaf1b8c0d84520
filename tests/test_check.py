"""`meshcomply check`: exit codes, the summary line and problems on stderr, never a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.library.support import VALID, copy_library, replace, use_fake_rules

from generator.cli import cli

FIXTURE_SUMMARY = (
    "controls: 2 meshStack controls, 5 SoA rows (3 implemented, 1 inherited, 1 excluded); "
    "no problems\n"
)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="meshcomply")


@pytest.fixture
def controls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_fake_rules(monkeypatch)
    return copy_library(tmp_path, monkeypatch)


def test_valid_library_prints_summary_and_exits_0(controls: Path) -> None:
    result = run("check", "--controls", str(controls))
    assert result.exit_code == 0
    assert result.stdout == FIXTURE_SUMMARY
    assert result.stderr == ""


def test_defaults_to_controls_in_the_current_folder(controls: Path) -> None:
    result = run("check")
    assert result.exit_code == 0
    assert result.stdout == FIXTURE_SUMMARY


def test_without_a_local_controls_folder_checks_the_shipped_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("check")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("controls: ")
    assert " meshStack controls, 100 SoA rows (" in result.stdout
    assert result.stdout.endswith("excluded); no problems\n")


def test_problems_go_to_stderr_one_per_line_and_exit_1(controls: Path) -> None:
    replace(controls / "meshstack" / "MS-CHG-01.yaml", "coverage: full", "coverage: fully")
    replace(controls / "applicability.yaml", "decision: excluded", "decision: dropped")
    result = run("check", "--controls", "controls")
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # handled, not a crash
    assert result.stdout == ""
    assert result.stderr == (
        "controls/applicability.yaml:2:13: [0].decision: 'dropped' is not one of: "
        "inherited, excluded\n"
        "controls/meshstack/MS-CHG-01.yaml:10:15: implements[0].coverage: 'fully' is not one "
        "of: full, partial\n"
        "meshcomply: 2 problems found\n"
    )


def test_missing_controls_folder_is_a_usage_error(controls: Path) -> None:
    result = run("check", "--controls", "no-such-folder")
    assert result.exit_code == 2
    assert "'no-such-folder' does not exist" in result.stderr


def test_unknown_option_is_a_usage_error() -> None:
    result = run("check", "--strict")
    assert result.exit_code == 2
    assert "Usage: meshcomply check [OPTIONS]" in result.stderr
    assert "No such option '--strict'" in result.stderr


def test_help() -> None:
    result = run("check", "--help")
    assert result.exit_code == 0
    assert "--controls DIRECTORY" in result.stdout
    assert "Validate catalogs, meshStack controls and applicability decisions." in result.stdout


def test_installed_console_script(tmp_path: Path) -> None:
    """Once through the real entry point, with the real rule registry."""
    # Beside the interpreter first: the README runs the tests as .venv/bin/python, unactivated.
    script = shutil.which("meshcomply", path=str(Path(sys.executable).parent)) or shutil.which(
        "meshcomply"
    )
    assert script, "meshcomply is not installed (pip install -e .)"
    good = tmp_path / "good"
    shutil.copytree(VALID, good)
    bad = tmp_path / "bad"
    shutil.copytree(VALID, bad)
    replace(bad / "meshstack" / "MS-LOG-01.yaml", "responsibility: provider", "responsibility: [")

    help_run = subprocess.run([script, "--help"], capture_output=True, text=True, check=False)
    assert help_run.returncode == 0
    assert "check" in help_run.stdout and "controls" in help_run.stdout

    ok = subprocess.run(
        [script, "check", "--controls", str(good)], capture_output=True, text=True, check=False
    )
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, FIXTURE_SUMMARY, "")

    failed = subprocess.run(
        [script, "check", "--controls", str(bad)], capture_output=True, text=True, check=False
    )
    assert failed.returncode == 1
    assert failed.stdout == ""
    assert failed.stderr.startswith(f"{bad}/meshstack/MS-LOG-01.yaml:")
    assert "YAML syntax error" in failed.stderr
    assert "Traceback" not in failed.stderr
