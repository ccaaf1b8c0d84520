"""``meshcomply check``: validate the control library and summarise it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from generator.coverage import soa_rows
from generator.evidence import registry
from generator.library import default_controls_dir, load_library

CONTROLS_OPTION = click.option(
    "--controls",
    "controls_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Controls folder (catalogs/, meshstack/, applicability.yaml). "
    "Default: ./controls if it exists, else the library shipped with meshcomply.",
)


@click.command("check")
@CONTROLS_OPTION
def command(controls_dir: Path | None) -> None:
    """Validate catalogs, meshStack controls and applicability decisions.

    Prints every problem of every file as path:line:col: message and exits 1,
    or prints a one-line summary and exits 0.
    """
    library = load_library(controls_dir or default_controls_dir(), registry.all_rules())
    rows = soa_rows(library)
    decisions = Counter(row.decision for row in rows)
    click.echo(
        f"controls: {len(library.controls)} meshStack controls, {len(rows)} SoA rows "
        f"({decisions['implemented']} implemented, {decisions['inherited']} inherited, "
        f"{decisions['excluded']} excluded); no problems"
    )
