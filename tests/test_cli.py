"""The command group: commands are found by module name and imported only when invoked."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import __version__, commands
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
    commands = [
        *("build", "check", "collect", "config", "controls", "demo", "release-notes"),
        *("schema", "site"),
        "verify",
    ]
    assert listed == commands


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


def _exit_status(body: str) -> subprocess.CompletedProcess[str]:
    code = f"from generator.memory import run_then_exit\n{body}"
    root = Path(__file__).resolve().parents[1]
    return subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("body", "status", "stderr"),
    [
        ("run_then_exit(lambda: print('out'))", 0, ""),
        ("import sys\nrun_then_exit(lambda: sys.exit(3))", 3, ""),
        ("import sys\nrun_then_exit(lambda: sys.exit(None))", 0, ""),
        ("import sys\nrun_then_exit(lambda: sys.exit('bad input'))", 1, "bad input\n"),
    ],
)
def test_run_then_exit_keeps_the_exit_status_and_flushes_output(body, status, stderr):
    result = _exit_status(body)
    assert (result.returncode, result.stderr) == (status, stderr)
    if "print" in body:
        assert result.stdout == "out\n"  # buffered (a pipe), so only there if flushed


def test_run_then_exit_lets_a_bug_end_with_a_traceback():
    result = _exit_status("run_then_exit(lambda: 1 / 0)")
    assert result.returncode == 1
    assert "ZeroDivisionError" in result.stderr


def test_only_a_command_that_keeps_its_data_skips_the_atexit_handlers():
    handler = "import atexit\natexit.register(print, 'atexit handler ran')\n"
    normal = _exit_status(handler + "run_then_exit(lambda: print('out'))")
    assert (normal.returncode, normal.stdout) == (0, "out\natexit handler ran\n")
    from_memory = "from generator.memory import keep_until_exit\n"
    kept = _exit_status(handler + from_memory + "run_then_exit(lambda: keep_until_exit([1]))")
    assert (kept.returncode, kept.stdout) == (0, "")  # os._exit: release-notes' big data


# A plugin or command registering an atexit handler while the command runs, as a rule plugin
# might to clean up; the commands exit normally, so it runs whatever the exit status.
_ATEXIT_IN_COMMAND = """
import atexit
import generator.commands.{module} as chosen
callback = chosen.command.callback
def with_handler(*args, **kwargs):
    atexit.register(print, "atexit handler ran", flush=True)
    return callback(*args, **kwargs)
chosen.command.callback = with_handler
from generator.cli import main
main()
"""


@pytest.mark.parametrize(
    ("module", "args", "status"),
    [
        ("controls", ["controls", "--format", "csv"], 0),
        ("check", ["check"], 0),
        ("build", ["build", "--config", "missing.yml"], 1),
        (
            "release_notes",
            [
                "release-notes",
                "--config",
                "missing.yml",
                "--installation",
                "x",
                "--environment",
                "y",
            ],
            1,
        ),
    ],
)
def test_an_atexit_handler_registered_by_a_command_runs(tmp_path, module, args, status):
    root = Path(__file__).resolve().parents[1]
    code = _ATEXIT_IN_COMMAND.format(module=module)
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert result.returncode == status, result.stderr
    assert result.stdout.endswith("atexit handler ran\n")


def test_keep_until_exit_keeps_nothing_outside_run_then_exit():
    from generator import memory

    memory.keep_until_exit(object())
    assert memory._kept is None


def test_the_cli_exits_with_the_commands_status_and_messages(tmp_path):
    root = Path(__file__).resolve().parents[1]
    missing = tmp_path / "missing.yml"

    def meshcomply(*args: str) -> subprocess.CompletedProcess[str]:
        code = "from generator.cli import main; main()"
        return subprocess.run(
            [sys.executable, "-c", code, *args], cwd=root, capture_output=True, text=True
        )

    bad_input = meshcomply("release-notes", "--config", str(missing), "--installation", "x",
                           "--environment", "y")  # fmt: skip
    assert bad_input.returncode == 1
    assert bad_input.stderr.endswith("meshcomply: 1 problem found\n")
    usage = meshcomply("check", "--no-such-option")
    assert usage.returncode == 2
    assert "No such option" in usage.stderr
    version = meshcomply("--version")
    assert (version.returncode, version.stdout) == (0, f"meshcomply, version {__version__}\n")
