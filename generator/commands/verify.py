"""``meshcomply verify``: prove a pack is what was built, and that its commits still exist."""

from __future__ import annotations

from pathlib import Path

import click

from generator.manifest import MANIFEST_NAME, verify
from generator.signing import SIGNATURE_NAME, check_signature


@click.command("verify")
@click.argument(
    "pack_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="PACKDIR"
)
@click.option(
    "--repo",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="The installation's config repository: also check that every cited commit exists "
    "and that the recorded head is still in the history of the recorded ref.",
)
@click.option(
    "--allowed-signers",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help=f"An SSH allowed-signers file: {SIGNATURE_NAME} must exist and be a good signature "
    "of manifest.json by one of its keys (ssh-keygen -Y verify, namespace meshcomply).",
)
@click.option(
    "--inputs",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="The folder of the meshcomply.yml the pack was built from: also compare every input "
    "evidence.json records (config, registers, keys, documents, control library) with its "
    "SHA-256, one line per file.",
)
@click.option(
    "--controls",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="With --inputs: the control library folder (default: the recorded folder below "
    "--inputs, or this meshcomply's shipped library when the pack used the shipped one).",
)
def command(
    pack_dir: Path,
    repo: Path | None,
    allowed_signers: Path | None,
    inputs: Path | None,
    controls: Path | None,
) -> None:
    """Recompute every SHA-256 of PACKDIR's manifest.json and read its evidence.json as the
    site step does (its schema, text that is text).

    Exits 0 when every file is intact, 1 listing every file added, removed or changed, or
    every problem of evidence.json (and, with --repo, every missing commit or rewritten
    history; with --allowed-signers, a missing or bad signature; with --inputs, every input
    file missing or changed).
    """
    if controls is not None and inputs is None:
        raise click.UsageError("--controls needs --inputs")
    found = verify(pack_dir, repo, inputs, controls)
    for warning in found.warnings:
        click.echo(f"{pack_dir}: warning: {warning}", err=True)
    for check in found.inputs:
        if check.result == "ok":
            click.echo(f"{pack_dir}: {check.line}")
    problems = found.problems
    signed_by = None
    if allowed_signers is not None:
        signature_problems, signed_by = check_signature(pack_dir, allowed_signers)
        problems += signature_problems
    if problems:
        for problem in problems:
            click.echo(f"{pack_dir}: {problem}", err=True)
        count = len(problems)
        click.echo(f"meshcomply: {count} problem{'s' if count != 1 else ''} found", err=True)
        click.get_current_context().exit(1)
    checked = " and ".join(
        ["files", *(["commits"] if repo else []), *(["inputs"] if inputs else [])]
    )
    click.echo(f"{pack_dir}: intact ({checked} match {MANIFEST_NAME})")
    if signed_by is not None:
        click.echo(f"{pack_dir}: signed: {signed_by}")
    elif (pack_dir / SIGNATURE_NAME).exists():
        click.echo(f"{pack_dir}: {SIGNATURE_NAME} not checked (give --allowed-signers)")
