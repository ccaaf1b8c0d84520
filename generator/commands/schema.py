"""``meshcomply schema NAME``: print a shipped JSON Schema, for editors and other tools."""

from __future__ import annotations

import click

# The name users ask for -> the schema's file stem in generator/schemas/.
SCHEMAS = {
    "config": "config",  # meshcomply.yml
    "mapping": "control",  # a meshStack control and the ISO clauses it maps to
    "exceptions": "exceptions",  # an installation's exceptions register
    "findings": "findings",  # an installation's findings register (corrective actions)
    "evidence": "evidence",  # a pack's evidence.json
    "applicability": "applicability",
    "catalog": "catalog",
    "crosswalk": "crosswalk",
    "events-export": "events-export",  # an export file of `meshcomply collect events`
    "meshevents": "meshevents",  # meshStack's published meshEventLog schema (CC BY 4.0)
}


@click.command("schema")
@click.argument("name", type=click.Choice(sorted(SCHEMAS)), metavar="NAME")
def command(name: str) -> None:
    """Print the JSON Schema of a file meshcomply reads or writes.

    config: meshcomply.yml; mapping: a control file (controls/meshstack/*.yaml); exceptions:
    an exceptions register; findings: a findings register (corrective actions); evidence: a
    pack's evidence.json; applicability, catalog and crosswalk: the other files of a control
    library; events-export: an export file of `meshcomply collect events`; meshevents:
    meshStack's published meshEventLog schema.
    """
    import json

    from generator.validate import load_schema

    if name == "config":
        # The core keys plus the sections renderers and sources own, as the loader checks them.
        from generator.build import config_sections
        from generator.config import config_schema

        schema = config_schema(config_sections())
    else:
        schema = load_schema(SCHEMAS[name])
    click.echo(json.dumps(schema, indent=2, ensure_ascii=False))
