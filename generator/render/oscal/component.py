"""The meshStack control library as an OSCAL component-definition (OSCAL 1.1.2, JSON).

One component, the meshStack managed service; one control implementation per ISO catalog
(ISO/IEC 27001:2022, ISO/IEC 27017:2015) whose implemented requirements are the ISO controls the
library's meshStack controls implement, one per (meshStack control, ISO reference) with the
coverage, the rationale and the ISO/IEC 27017 responsibility as responsible roles. ISO texts are
copyrighted: only identifiers appear.
"""

from __future__ import annotations

from typing import Any

from generator.render.oscal.assessment import OSCAL_VERSION, derived_uuid, prop
from generator.render.oscal.view import ControlView

# ISO/IEC 27017's split of responsibility -> the OSCAL roles that carry it
ROLES = {"provider": ["provider"], "customer": ["customer"], "shared": ["provider", "customer"]}


def oscal_control_id(iso_id: str) -> str:
    """An ISO identifier as an OSCAL token: clauses ("6.3") start with a digit, so "clause-6.3"."""
    return f"clause-{iso_id}" if iso_id[:1].isdigit() else iso_id


def component_definition(
    controls: list[ControlView], version: str, last_modified: str
) -> dict[str, Any]:
    by_catalog: dict[str, list[dict[str, Any]]] = {}
    for control in controls:
        for ref in control.implements:
            catalog, _, control_id = ref.ref.partition("/")
            by_catalog.setdefault(catalog, []).append(
                {
                    "uuid": derived_uuid("library", control.id, ref.ref),
                    "control-id": oscal_control_id(control_id),
                    "description": ref.rationale or control.title,
                    "props": [
                        prop("meshstack-control", control.id),
                        prop("iso-reference", ref.ref),
                        prop("coverage", ref.coverage),
                        prop("responsibility", control.responsibility),
                    ],
                    "responsible-roles": [
                        {"role-id": role} for role in ROLES.get(control.responsibility, [])
                    ],
                    "remarks": f"{control.id}: {control.title} (owner: {control.owner})",
                }
            )
    implementations = [
        {
            "uuid": derived_uuid("library", "catalog", catalog),
            "source": f"urn:meshcomply:catalog:{catalog}",
            "description": f"ISO controls of {catalog} the meshStack control library implements.",
            "implemented-requirements": requirements,
        }
        for catalog, requirements in sorted(by_catalog.items())
    ]
    component: dict[str, Any] = {
        "uuid": derived_uuid("library", "component", "meshstack"),
        "type": "service",
        "title": "meshStack (managed service)",
        "description": "meshStack installations operated by meshcloud, evidenced from the "
        "history of their configuration repositories by meshcomply.",
        "props": [prop("meshstack-control", c.id) for c in controls],
    }
    if implementations:
        component["control-implementations"] = implementations
    return {
        "component-definition": {
            "uuid": derived_uuid("library", "component-definition"),
            "metadata": {
                "title": "meshStack control library",
                "last-modified": last_modified,
                "version": version,
                "oscal-version": OSCAL_VERSION,
                "roles": [
                    {"id": "provider", "title": "Cloud service provider (meshcloud)"},
                    {"id": "customer", "title": "Cloud service customer"},
                ],
            },
            "components": [component],
        }
    }
