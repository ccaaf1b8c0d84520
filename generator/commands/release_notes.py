"""``meshcomply release-notes``: one environment's meshStack releases as Markdown, HTML or Atom."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from generator.cliopts import config_option, period_option

if TYPE_CHECKING:
    from generator.config import Config, InstallationConfig, Period
    from generator.releasenotes.model import ReleaseNote

FORMATS = ("md", "html", "atom")


def _version(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from generator.releasenotes.versions import normalize_version

    if value is None:
        return None
    try:
        return normalize_version(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("release-notes")
@config_option("The installations, and the `release_notes:` folder.")
@click.option(
    "--notes",
    "notes_dir",
    type=click.Path(path_type=Path),
    help="Folder of meshcloud release notes (default: `release_notes:` of the config).",
)
@click.option("--installation", required=True, help="The installation, as named in the config.")
@click.option("--environment", required=True, help="One of the installation's environments.")
@click.option(
    "--audience",
    "audiences",
    multiple=True,
    help="Only tickets for this audience: User, Customer, Partner, Operator or another one the "
    "notes name, any case (repeatable; default: all).",
)
@click.option("--since", callback=_version, help="Only versions after this one.")
@click.option(
    "--format", "output_format", type=click.Choice(FORMATS), default="md", show_default=True
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (replaced atomically) instead of standard output.",
)
@period_option
@click.option(
    "--strict",
    is_flag=True,
    help="Fail on anything in the notes that cannot be read as written (default: a warning).",
)
def command(
    config_path: Path,
    notes_dir: Path | None,
    installation: str,
    environment: str,
    audiences: tuple[str, ...],
    since: str | None,
    output_format: str,
    out: Path | None,
    period: Period | None,
    strict: bool,
) -> None:
    """Release notes of the meshStack versions that reached an environment, with their rollouts.

    Joins meshcloud's release notes with the installation's history: each version that reached
    ENVIRONMENT in the period, newest first, with rollout dates, approvers, the notes of every
    version a rollout jumped over, and the installation's own configuration changes until the
    next rollout. See docs/release-notes.md.
    """
    from generator.build import config_sections
    from generator.cachefiles import default_cache_dir
    from generator.config import load_config
    from generator.evidence.sections import history_sections
    from generator.history import read_history
    from generator.memory import gc_paused, keep_until_exit
    from generator.notes_stage import release_views
    from generator.releasenotes import textforms

    config = load_config(config_path, config_sections())
    chosen = _installation(config, installation, environment)
    # Everything made from here on lives until the output is written: the collector's repeated
    # scans of it cost seconds on long histories and free nothing (measured, same peak memory).
    with gc_paused():
        notes = _notes(notes_dir, config, strict)
        chosen_audiences = _chosen_audiences(audiences, notes)
        chosen_period = _period_for(config, chosen, period)
        # Only this environment's change records: the join reads no others. The release events
        # before the period are kept: they tell which version the first rollout replaced.
        history = read_history(chosen, chosen_period, environments=(environment,))
        model = history_sections(history, environment=environment, earlier_releases=True)
        try:
            (view,) = release_views(
                model, notes, (environment,), audiences=chosen_audiences, since=since
            )
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        # The renderers' cache of ticket texts: a warm run renders none.
        kind = textforms.MarkdownTexts if output_format == "md" else textforms.HtmlTexts
        texts = textforms.load(default_cache_dir(), kind)
        text = _render(view, output_format, texts)
        _write(text, out)
        textforms.save(texts)  # after the output: the cache only saves time
        keep_until_exit(notes, history, model, view, text, texts)


def _installation(config: Config, name: str, environment: str) -> InstallationConfig:
    from generator.errors import InputError, Problem

    where = str(config.path)
    chosen = config.installation(name)
    if chosen is None:
        known = ", ".join(i.name for i in config.installations) or "none"
        raise InputError([Problem(where, 1, 1, f"no installation '{name}' (known: {known})")])
    if chosen.environment(environment) is None:
        known = ", ".join(e.name for e in chosen.environments)
        message = f"installation '{name}' has no environment '{environment}' (known: {known})"
        raise InputError([Problem(where, 1, 1, message)])
    return chosen


def _period_for(
    config: Config, installation: InstallationConfig, override: Period | None
) -> Period:
    from generator.errors import InputError, Problem

    chosen = override or installation.period or config.period
    if chosen is None:
        message = f"installation '{installation.name}' has no period: set `period:` or use --period"
        raise InputError([Problem(str(config.path), 1, 1, message)])
    return chosen


def _notes(notes_dir: Path | None, config: Config, strict: bool) -> list[ReleaseNote]:
    from generator.catalog import display_path
    from generator.notes_stage import read_notes, warning_lines

    folder = notes_dir or config.release_notes
    if folder is None:
        raise click.UsageError(
            "no release notes: give --notes DIR or set `release_notes: DIR` in "
            f"{display_path(config.path)}"
        )
    read = read_notes(folder, strict=strict)
    for line in warning_lines(read):
        click.echo(line, err=True)
    return read.notes


def _chosen_audiences(given: tuple[str, ...], notes: list[ReleaseNote]) -> set[str] | None:
    """--audience values in the notes' spelling (any case): AUDIENCES and those notes name."""
    from generator.releasenotes.join import note_audiences
    from generator.releasenotes.model import AUDIENCES

    if not given:
        return None
    known = [*AUDIENCES, *note_audiences(notes)]
    spelling = {}
    for audience in reversed(known):  # the canonical names win over a note's other case
        spelling[audience.casefold()] = audience
    unknown = [a for a in given if a.casefold() not in spelling]
    if unknown:
        raise click.BadParameter(
            f"{', '.join(repr(a) for a in unknown)}: not an audience of the notes "
            f"(known: {', '.join(known)})",
            param_hint="'--audience'",
        )
    return {spelling[a.casefold()] for a in given}


def _render(view: Any, output_format: str, texts: Any) -> str:
    # Imported here, one format each: the Atom writer is not worth loading for Markdown.
    if output_format == "atom":
        from generator.releasenotes.atom import render_atom

        return render_atom(view, texts)
    from generator.releasenotes.render import render_html, render_markdown

    return render_markdown(view, texts) if output_format == "md" else render_html(view, texts)


def _write(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
        return
    from generator.errors import BuildError
    from generator.interrupts import stop_if_interrupted

    folder = out.parent if str(out.parent) else Path()
    if not folder.is_dir():
        raise BuildError(f"cannot write {out}: folder {folder} does not exist")
    try:
        handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{out.name}.", suffix=".tmp")
    except OSError as exc:
        raise BuildError(f"cannot write {out}: {exc.strerror}") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp's 0600 would hide a file meant for publishing
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        stop_if_interrupted()
        os.replace(temp, out)
    except BaseException as exc:
        Path(temp).unlink(missing_ok=True)
        if isinstance(exc, OSError):  # a full disk, or `out` is a folder: the old file stays
            raise BuildError(f"cannot write {out}: {exc.strerror}; it was left as it was") from None
        raise
    click.echo(f"release notes: {out}", err=True)
