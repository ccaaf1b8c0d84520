"""``meshcomply collect events``: an installation's meshStack events for a period, into an export
file a build reads (docs/events.md#collecting). The only command that calls meshStack's API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator.cliopts import config_option, period_option

if TYPE_CHECKING:
    from generator.config import Period


@click.group("collect")
def command() -> None:
    """Fetch evidence that lives outside git into files a build reads (a build never calls the
    network)."""


@command.command("events")
@config_option("The installation's `events:` key (folder, url, the credentials' variables).")
@click.option("--installation", required=True, help="The installation, as named in the config.")
@period_option
@click.option(
    "--page-size",
    type=click.IntRange(1, 1000),
    default=200,
    show_default=True,
    help="Events asked per page.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")
def events(
    config_path: Path, installation: str, period: Period | None, page_size: int, quiet: bool
) -> None:
    """Collect the installation's meshStack event log for the period into its export file.

    Logs in with the API key whose client ID and secret are in the environment variables the
    installation's `events:` key names (default MESHSTACK_CLIENT_ID and MESHSTACK_CLIENT_SECRET),
    reads every page of GET /api/meshobjects/mesheventlogs for the period, checks each against
    meshStack's published schema, and writes FOLDER/INSTALLATION_FIRST_LAST.events.json
    atomically: nothing is written unless every page was read. See docs/events.md.
    """
    from generator.build import config_sections
    from generator.catalog import display_path
    from generator.config import load_config
    from generator.errors import BuildError, InputError, Problem
    from generator.meshevents.collect import Collector, Credentials, Limits
    from generator.meshevents.export import write_export
    from generator.sources.events import events_config

    config = load_config(config_path, config_sections(), clone=False)
    chosen = config.installation(installation)
    where = str(config.path)
    if chosen is None:
        known = ", ".join(i.name for i in config.installations) or "none"
        message = f"no installation '{installation}' (known: {known})"
        raise InputError([Problem(where, 1, 1, message)])
    settings = events_config(chosen)
    if settings is None:
        message = f"installation '{installation}' has no `events:` key (see docs/events.md)"
        raise InputError([Problem(where, 1, 1, message)])
    chosen_period = period or chosen.period or config.period
    if chosen_period is None:
        message = f"installation '{installation}' has no period: set `period:` or use --period"
        raise InputError([Problem(where, 1, 1, message)])

    missing = [
        f"{name} (installations.{installation}.events.{key})"
        for key, name in (
            ("client_id_env", settings.client_id_env),
            ("client_secret_env", settings.client_secret_env),
        )
        if not os.environ.get(name)
    ]
    if missing:
        raise BuildError(
            "the API key is read from the environment, and "
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set"
        )
    credentials = Credentials(
        os.environ[settings.client_id_env], os.environ[settings.client_secret_env]
    )

    def progress(line: str) -> None:
        if not quiet:
            click.echo(f"{installation}: {line}", err=True)

    # Collected now, the part of the period older than the retention may be gone already; the
    # build will state it as a gap. Said even with --quiet: it is about the result, not progress.
    import datetime as dt

    from generator.sources.events import retention_gaps

    now = dt.datetime.now(dt.UTC)
    for gap in retention_gaps(chosen_period, now, settings.retention_months):
        click.echo(f"{installation}: warning: {gap.reason}", err=True)
    if now < chosen_period.end_utc_exclusive:
        click.echo(
            f"{installation}: warning: the period {chosen_period.text} has not ended: the events "
            "until now are collected, and a build states the rest of the period as a gap; "
            "collect again once it has ended",
            err=True,
        )

    collector = Collector(
        settings.url, credentials, limits=Limits(page_size=page_size), progress=progress
    )
    collected = collector.collect(installation, chosen_period)
    path = settings.export_path(installation, chosen_period)
    sha256 = write_export(path, collected.header, collected.events)
    count = collected.header["count"]
    progress(f"wrote {display_path(path)}: {count} events, sha256 {sha256}")
