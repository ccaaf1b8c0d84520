"""Option parsing shared by several subcommands (kept out of generator/commands/, whose every
module is a command)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from generator.build import ProgressFactory
    from generator.config import Period
    from generator.packwriter import Progress


def parse_period(ctx: click.Context, param: click.Parameter, value: str | None) -> Period | None:
    """``--period FROM..TO`` as a Period; a malformed one is a usage error (exit 2)."""
    from generator.config import Period  # lazily: `meshcomply --help` stays fast

    if value is None:
        return None
    try:
        return Period.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


period_option = click.option(
    "--period",
    callback=parse_period,
    help="FROM..TO (inclusive dates, UTC); overrides the config.",
)


def config_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--config meshcomply.yml``, with a help text saying what the command reads from it."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default="meshcomply.yml",
        show_default=True,
        help=help_text,
    )


def chosen_formats(text: str | None) -> set[str]:
    """``--format a,b``: the formats to build; an unknown one is a usage error (exit 2)."""
    from generator.build import UnknownFormatError, parse_formats

    try:
        return parse_formats(text)
    except UnknownFormatError as exc:
        raise click.BadParameter(str(exc)) from None


def progress_bars(quiet: bool) -> ProgressFactory:
    """A progress bar per pack on stderr, unless ``--quiet`` or stderr is not a terminal."""
    from generator.build import no_progress

    stderr = sys.stderr  # click.get_text_stream is deprecated since Click 8.5
    if quiet or not stderr.isatty():
        return no_progress

    def start(label: str, steps: int) -> AbstractContextManager[Progress]:
        return click.progressbar(length=steps, label=label, file=stderr)

    return start
