"""``meshcomply build``: evidence packs (JSON, CSV, PDF) and the HTML portal."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator.cliopts import chosen_formats, config_option, period_option, progress_bars
from generator.gate import FAIL_ON

if TYPE_CHECKING:
    from generator.config import Period
    from generator.evidence.pack import AuditorSeed

# Exit code for a build that succeeded but whose findings trip --fail-on: distinct from 1, so a
# pipeline can tell "the gate said no" from "the build broke".
EXIT_GATE = 3


@click.command("build")
@config_option("The installations to build.")
@click.option("--installation", "installations", multiple=True, help="Only this one (repeatable).")
@period_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default="meshcomply-out",
    show_default=True,
    help="Output folder: packs/ and site/ are written below it.",
)
@click.option(
    "--format",
    "format_text",
    help="Comma-separated formats among json, pdf, html and oscal, e.g. json,pdf (default: every "
    "available format but oscal, the OSCAL export, which is made only when named).",
)
@click.option(
    "--previous",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The previous period's pack folder (or build folder): adds 'changes since'.",
)
@click.option(
    "--fail-on",
    type=click.Choice(list(FAIL_ON)),
    help=f"Exit {EXIT_GATE} (for CI gates) on: "
    + "; ".join(f"{choice}: {what}" for choice, what in FAIL_ON.items())
    + ".",
)
@click.option(
    "--sign",
    "sign_key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sign each pack's manifest.json with this SSH key (ssh-keygen -Y sign, namespace "
    "meshcomply), writing manifest.json.sig; a .pub key means the private half is in ssh-agent.",
)
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    metavar="SECONDS",
    help="When another build is writing to --out, wait up to this long for it (default: stop "
    "at once with an error).",
)
@click.option(
    "--sample-seed",
    metavar="TEXT",
    help="The auditor's seed for the sample, used as given and recorded in each pack (without "
    "it the seed is the configured or default one, which the audited party can know in advance). "
    "Needs --sample-seed-by.",
)
@click.option(
    "--sample-seed-by",
    metavar="NAME",
    help="Who supplied --sample-seed (e.g. the auditor's name and firm), recorded in each pack.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Build N installations at a time, each in a worker process of its own (default: the "
    "number of CPUs). Each costs one installation's memory; the output is the same for every N.",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
def command(
    config_path: Path,
    installations: tuple[str, ...],
    period: Period | None,
    out: Path,
    format_text: str | None,
    previous: Path | None,
    fail_on: str | None,
    sign_key: Path | None,
    quiet: bool,
    wait: float,
    sample_seed: str | None,
    sample_seed_by: str | None,
    jobs: int | None,
) -> None:
    """Build evidence packs and the portal for the configured installations."""
    # Imported here so `meshcomply --help` stays fast and other commands work without them.
    from generator.build import build_packs, config_sections, default_jobs
    from generator.config import load_config
    from generator.gate import counts_text
    from generator.signing import load_signing_key

    auditor_seed = _auditor_seed(sample_seed, sample_seed_by)
    formats = chosen_formats(format_text)
    config = load_config(config_path, config_sections())
    signing_key = load_signing_key(sign_key) if sign_key else None
    summary = build_packs(
        config,
        out,
        formats=formats,
        installations=installations,
        period=period,
        previous=previous,
        progress=progress_bars(quiet),
        signing_key=signing_key,
        wait=wait,
        auditor_seed=auditor_seed,
        jobs=jobs or default_jobs(),
    )
    for pack in summary.packs:
        counts = counts_text(summary.counts(pack))
        click.echo(f"{pack.installation} {pack.period.text}: {out / pack.rel} ({counts})")
        if pack.rewritten:
            click.secho(
                f"WARNING: {pack.installation}: the history was REWRITTEN since the last build: "
                "its recorded head is no longer an ancestor of the current head. Earlier packs "
                "may cite commits that no longer exist; check with `meshcomply verify --repo`.",
                err=True,
                fg="red",
                bold=True,
            )
        for warning in pack.warnings:
            click.echo(f"warning: {pack.installation}: {warning}", err=True)
    for warning in summary.warnings:
        click.echo(warning, err=True)
    if summary.site is not None:
        click.echo(f"portal: {summary.site / 'index.html'}")
    if signing_key is not None:
        click.echo(f"signed: manifest.json of each pack by {signing_key.identity.label}")
    failure = summary.gate_failure(fail_on) if fail_on else None
    if failure:
        click.echo(f"meshcomply: --fail-on {fail_on}: {failure}", err=True)
        raise SystemExit(EXIT_GATE)


def _auditor_seed(seed: str | None, by: str | None) -> AuditorSeed | None:
    """The auditor's seed and name, both given (and not blank) or neither: a usage error else."""
    from generator.evidence.pack import AuditorSeed

    if seed is None and by is None:
        return None
    if seed is None or not seed.strip():
        raise click.UsageError("--sample-seed-by needs --sample-seed (a seed that is not blank)")
    if by is None or not by.strip():
        raise click.UsageError(
            "--sample-seed needs --sample-seed-by NAME: the pack records who supplied the seed"
        )
    return AuditorSeed(seed, by.strip())
