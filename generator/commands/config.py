"""``meshcomply config check``: validate meshcomply.yml without reading git (pre-commit, CI)."""

from __future__ import annotations

from pathlib import Path

import click

from generator.cliopts import config_option


@click.group("config")
def command() -> None:
    """Work with meshcomply.yml."""


@command.command("check")
@config_option("The file to check.")
def check(config_path: Path) -> None:
    """Validate meshcomply.yml: schema, renderer options, periods, patterns, files it names.

    Prints every problem as path:line:col: message and exits 1, or a one-line summary and
    exits 0. Reads no git history and clones nothing, so it is quick enough for pre-commit.
    """
    from generator.build import config_sections
    from generator.config import load_config

    if not config_path.is_file():
        raise click.BadParameter(f"{config_path}: no such file", param_hint="--config")
    config = load_config(config_path, config_sections(), clone=False)
    environments = sum(len(i.environments) for i in config.installations)
    count = len(config.installations)
    click.echo(
        f"{config_path}: {count} installation{'s' if count != 1 else ''}, "
        f"{environments} environment{'s' if environments != 1 else ''}; no problems"
    )
