"""``meshcomply site``: the portal assembled from pack folders, without the repositories."""

from __future__ import annotations

from pathlib import Path

import click

from generator.cliopts import config_option


@click.command("site")
@click.argument(
    "pack_dirs",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="PACKDIR...",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default="meshcomply-out",
    show_default=True,
    help="Output folder: site/ (and oscal/ with --format oscal) is written below it.",
)
@config_option(
    "The meshcomply.yml the packs were built with: the portal's look (portal:) and the release "
    "notes (release_notes:) come from it, and of its installations only their names (no "
    "repository is read)."
)
@click.option(
    "--no-config",
    is_flag=True,
    help="Read no meshcomply.yml: the default look and no release-note pages.",
)
@click.option(
    "--format",
    "format_text",
    help="Comma-separated site formats among html and oscal (default: html; oscal writes the "
    "control library's component definition).",
)
@click.option(
    "--installation",
    "installations",
    multiple=True,
    help="The installations to expect, one pack each (repeatable; default: every installation "
    "of meshcomply.yml, any with --no-config). A missing or other one is an error.",
)
@click.option(
    "--allowed-signers",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An SSH allowed-signers file: each pack's manifest.json.sig must also be a good "
    "signature by one of its keys.",
)
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    metavar="SECONDS",
    help="When another build is writing to --out, wait up to this long for it.",
)
def command(
    pack_dirs: tuple[Path, ...],
    out: Path,
    config_path: Path,
    no_config: bool,
    format_text: str | None,
    installations: tuple[str, ...],
    allowed_signers: Path | None,
    wait: float,
) -> None:
    """Assemble the portal from PACKDIR... (pack folders a build wrote, e.g. CI artifacts).

    Each pack is first verified against its manifest.json (as `meshcomply verify` does); a pack
    that fails is an error naming it, and nothing is written. The site is the same, byte for
    byte, as the one `meshcomply build` makes of the same packs in one run.
    """
    from generator.build import assemble_site, parse_site_formats, site_config

    formats = _formats(format_text, parse_site_formats)
    if not no_config and not config_path.is_file():
        raise click.BadParameter(
            f"{config_path}: no such file (--no-config assembles without one)",
            param_hint="--config",
        )
    config = None if no_config else site_config(config_path)
    summary = assemble_site(
        list(pack_dirs),
        out,
        formats,
        config,
        installations=installations,
        allowed_signers=allowed_signers,
        wait=wait,
    )
    for warning in summary.warnings:
        click.echo(warning, err=True)
    click.echo(f"{len(pack_dirs)} pack{'s' if len(pack_dirs) != 1 else ''} verified")
    for rel in summary.written:
        shown = out / rel / "index.html" if rel == "site" else out / rel
        click.echo(f"{rel}: {shown}")


def _formats(text: str | None, parse) -> set[str]:
    try:
        return parse(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--format") from None
