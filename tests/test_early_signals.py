"""A signal in the executable's first moments (while the CLI is imported) ends the command the
way it does later: one line, exit status 130, no traceback (entry.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import cli as cli_module
from generator.cli import cli

ROOT = Path(__file__).resolve().parents[1]

# Stands in for click: the CLI imports it first, so the signal arrives mid-import, for certain,
# rather than at a moment a timer would have to hit.
_SIGNAL_ON_IMPORT = "import os, signal\nos.kill(os.getpid(), signal.{name})\n"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_cli_is_imported_ends_with_one_line(tmp_path, signum):
    name = signal.Signals(signum).name
    (tmp_path / "click.py").write_text(_SIGNAL_ON_IMPORT.format(name=name))
    code = "from generator.entry import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", code, "check"], capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])},
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (130, f"meshcomply: interrupted by {name}\n")


def test_the_executable_installs_the_handlers_before_importing_the_cli():
    code = (
        "import sys; from generator import entry; "
        "print('generator.cli' in sys.modules, 'click' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout == "False False\n", result.stderr


def test_ctrl_c_while_the_options_are_read_exits_130(monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module.click.Group, "parse_args", interrupted)
    result = CliRunner().invoke(cli, ["check"])
    assert (result.exit_code, result.output) == (130, "meshcomply: interrupted by SIGINT\n")


def test_the_installed_executable_is_entry_main():
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="meshcomply")
    assert script.value == "generator.entry:main"
