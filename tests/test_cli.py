"""The command group: commands are found by module name and imported only when invoked."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from generator import commands
from generator.cli import cli


def test_every_command_module_names_its_command_like_the_module():
    modules = [m.name for m in pkgutil.iter_modules(commands.__path__)]
    assert "release_notes" in modules
    for name in modules:
        command = importlib.import_module(f"generator.commands.{name}").command
        assert command.name == name.replace("_", "-")


def test_help_lists_every_command():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line]
    assert listed == ["build", "check", "controls", "demo", "release-notes", "verify"]


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(cli, ["relase-notes"])
    assert result.exit_code == 2
    assert "No such command 'relase-notes'" in result.output


def test_starting_imports_no_command_module():
    # The reason commands load lazily: `release-notes` must not pay for WeasyPrint or MkDocs.
    code = (
        "import sys, generator.cli; "
        "print(sorted(m for m in sys.modules if m.startswith('generator.commands.')))"
    )
    root = Path(__file__).resolve().parents[1]  # this checkout, not an installed copy
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
