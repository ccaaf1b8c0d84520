"""``meshcomply schema NAME``: print a shipped JSON Schema, for editors and other tools."""

from __future__ import annotations

import click

# The name users ask for -> the schema's file stem in generator/schemas/.
SCHEMAS = {
    "config": "config",  # meshcomply.yml
    "mapping": "control",  # a meshStack control and the ISO clauses it maps to
    "exceptions": "exceptions",  # an installation's exceptions register
    "evidence": "evidence",  # a pack's evidence.json
    "applicability": "applicability",
    "catalog": "catalog",
    "crosswalk": "crosswalk",
}


@click.command("schema")
@click.argument("name", type=click.Choice(sorted(SCHEMAS)), metavar="NAME")
def command(name: str) -> None:
    """Print the JSON Schema of a file meshcomply reads or writes.

    config: meshcomply.yml; mapping: a control file (controls/meshstack/*.yaml); exceptions:
    an exceptions register; evidence: a pack's evidence.json; applicability, catalog and
    crosswalk: the other files of a control library.
    """
    from importlib import resources

    stem = SCHEMAS[name]
    text = resources.files("generator.schemas").joinpath(f"{stem}.schema.json").read_text("utf-8")
    click.echo(text, nl=not text.endswith("\n"))
