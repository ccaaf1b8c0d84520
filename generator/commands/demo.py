"""``meshcomply demo``: example installations with planted findings, then the full build on them."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import click

from generator.cliopts import chosen_formats, progress_bars
from generator.errors import BuildError

MARKER = ".meshcomply-demo"
MARKER_TEXT = "Made by `meshcomply demo`; `meshcomply demo` may replace this folder.\n"


def check_target(out: Path, force: bool) -> None:
    """Refuse to replace anything that is not a previous demo, unless forced (never cwd)."""
    resolved = out.resolve()
    if resolved == Path.cwd().resolve() or resolved in Path.cwd().resolve().parents:
        raise BuildError(f"--out {out} is the current folder or contains it; choose a subfolder")
    if not out.exists() and not out.is_symlink():
        return
    if not out.is_dir() or out.is_symlink():
        raise BuildError(f"{out} exists and is not a folder")
    if (out / MARKER).is_file() or not any(out.iterdir()) or force:
        return
    raise BuildError(
        f"{out} is not empty and was not made by `meshcomply demo`; "
        "choose another --out or add --force to replace it"
    )


def generate_into(out: Path) -> None:
    """Generate the example beside `out`, then swap it into place: never a half-written demo."""
    from generator.demo import generate_demo

    parent = out.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=".meshcomply-demo-new-", dir=parent))
    try:
        generate_demo(fresh)
        (fresh / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        # mkdtemp makes 0700 folders; the demo is ordinary output.
        os.chmod(fresh, 0o755)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=".meshcomply-demo-old-", dir=parent))
            out.rename(old / "previous")
        fresh.rename(out)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@click.command("demo")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default="meshcomply-demo",
    show_default=True,
    help="Folder for the example installations (example/) and the build (packs/, site/).",
)
@click.option("--force", is_flag=True, help="Replace --out even when it holds other files.")
@click.option(
    "--format",
    "format_text",
    help="Comma-separated formats to build, e.g. json,html (default: all but oscal).",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
def command(out: Path, force: bool, format_text: str | None, quiet: bool) -> None:
    """Create two example installations with planted findings and build their evidence packs."""
    from generator.demo import EXAMPLE_DIR

    formats = chosen_formats(format_text)  # a typo fails before anything is written
    check_target(out, force)
    generate_into(out)
    example = out / EXAMPLE_DIR
    click.echo(f"Example installations: {example}/ (meshcomply.yml, acme-config, globex-config)")
    click.echo(f"Planted findings:      {example / 'README.md'}")
    _build(out, example / "meshcomply.yml", formats, quiet)


def _build(out: Path, config_path: Path, formats: set[str], quiet: bool) -> None:
    from generator.build import build_packs, config_sections, default_jobs
    from generator.config import load_config
    from generator.gate import counts_text

    config = load_config(config_path, config_sections())
    summary = build_packs(
        config, out, formats=formats, progress=progress_bars(quiet), jobs=default_jobs()
    )
    for pack in summary.packs:
        counts = counts_text(summary.counts(pack))
        click.echo(f"Evidence pack:         {out / pack.rel}/ ({counts})")
    if summary.site is not None:
        index = out / "site" / "index.html"
        click.echo(f"Portal:                {index if index.is_file() else out / 'site'}")
