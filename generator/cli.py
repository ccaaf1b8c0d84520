"""The ``meshcomply`` command line.

Each subcommand lives in its own module under ``generator/commands/`` and exposes a click command
named ``command``; they are discovered, so adding a command is one new file.

Exit codes: 0 success (findings are results, not errors), 1 invalid input or a build that could
not complete, 2 usage error (click's own convention).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from generator import __version__, commands
from generator.errors import BuildError, InputError


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            count = len(exc.problems)
            click.echo(f"meshcomply: {count} problem{'s' if count != 1 else ''} found", err=True)
            ctx.exit(1)
        except BuildError as exc:
            click.echo(f"meshcomply: error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="meshcomply")
def cli() -> None:
    """Audit-ready ISO/IEC 27001:2022 and 27017 evidence packs from meshStack config history."""


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        cli.add_command(module.command)


_register_commands()


def main() -> None:
    sys.exit(cli.main(prog_name="meshcomply", standalone_mode=True))
