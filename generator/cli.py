"""The ``meshcomply`` command line.

Each subcommand lives in its own module under ``generator/commands/`` and exposes a click command
named ``command``, named like the module (``release_notes.py`` is ``release-notes``); they are
discovered, so adding a command is one new file. Only the invoked command's module is imported:
the others pull in libraries (JSON Schema, WeasyPrint, MkDocs) that would slow every start.

Exit codes: 0 success (findings are results, not errors), 1 invalid input or a build that could
not complete, 2 usage error (click's own convention), 130 stopped by Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

import click

from generator import __version__, commands
from generator.errors import BuildError, InputError
from generator.interrupts import EXIT_INTERRUPTED, finished, install, interrupted_line
from generator.memory import run_then_exit


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_command_modules())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = _command_modules().get(cmd_name)
        if module is None:
            return None
        return importlib.import_module(f"{commands.__name__}.{module}").command

    def invoke(self, ctx: click.Context):
        try:
            result = super().invoke(ctx)
            finished()  # a signal whose exception Python dropped stops it still (interrupts.py)
            return result
        except InputError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            count = len(exc.problems)
            click.echo(f"meshcomply: {count} problem{'s' if count != 1 else ''} found", err=True)
            ctx.exit(1)
        except BuildError as exc:
            click.echo(f"meshcomply: error: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt as exc:
            click.echo(f"{interrupted_line(exc)}; temporary files removed", err=True)
            ctx.exit(EXIT_INTERRUPTED)

    def make_context(self, *args, **kwargs) -> click.Context:
        # Ctrl-C while the options are read: click's own handling would print "Aborted!" and
        # exit 1, unlike a signal a moment later.
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt as exc:
            click.echo(interrupted_line(exc), err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


@cache
def _command_modules() -> dict[str, str]:
    """Command name -> module name, for every module in generator/commands/."""
    return {
        info.name.replace("_", "-"): info.name
        for info in pkgutil.iter_modules(commands.__path__)
        if not info.name.startswith("_")
    }


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="meshcomply")
def cli() -> None:
    """Audit-ready ISO/IEC 27001:2022 and 27017 evidence packs from meshStack config history."""


def main() -> None:
    """The CLI with its signal handlers; the executable installs them earlier (entry.py)."""
    # SIGTERM (a CI job cancelled, `kill`) ends a command like Ctrl-C: cleanups run, one line.
    install()
    run()


def run() -> None:
    """The CLI, once the signal handlers are installed."""
    # A normal exit, or os._exit for the one command that leaves its data to the OS (memory.py).
    run_then_exit(lambda: cli.main(prog_name="meshcomply", standalone_mode=True))
