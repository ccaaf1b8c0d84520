"""OSCAL export (``--format oscal``): what compliance tools such as compliance-trestle import.

Per pack ``oscal-assessment-results.json`` (``assessment.py``), once per build
``oscal/component-definition.json`` of the control library (``component.py``). Reads only the
evidence model, through ``view.py``. Opt-in: a build without ``--format`` makes no OSCAL files.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from generator.render.oscal.assessment import assessment_results
from generator.render.oscal.component import component_definition
from generator.render.oscal.view import ControlView, pack_view
from generator.render.registry import PackInput, Renderer, RenderOptions

RESULTS_NAME = "oscal-assessment-results.json"
ROOT_FOLDER = "oscal"
COMPONENT_NAME = "component-definition.json"


def _write(document: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def render(model: Any, pack_dir: Path, options: RenderOptions) -> None:
    _write(assessment_results(pack_view(model)), pack_dir / RESULTS_NAME)


def render_root(packs: list[PackInput], out_dir: Path, options: RenderOptions) -> list[str]:
    views = [pack_view(pack.model) for pack in packs]
    controls: dict[str, ControlView] = {}
    for view in views:
        for control in view.controls:
            controls.setdefault(control.id, control)
    if options.source_date_epoch is not None:
        last_modified = datetime.fromtimestamp(options.source_date_epoch, UTC).isoformat()
    else:  # the newest history read in this build: the library was used as of then
        last_modified = max(
            (v.head_date for v in views),
            key=datetime.fromisoformat,
            default="1970-01-01T00:00:00+00:00",
        )
    version = views[0].tool_version if views else "0"
    document = component_definition(
        [controls[key] for key in sorted(controls)], version, last_modified
    )
    (out_dir / ROOT_FOLDER).mkdir(parents=True, exist_ok=True)
    _write(document, out_dir / ROOT_FOLDER / COMPONENT_NAME)
    return [ROOT_FOLDER]


def read_statuses(path: Path) -> dict[str, str]:
    """Each control's meshcomply status as an assessment-results document records it."""
    document = json.loads(path.read_text(encoding="utf-8"))["assessment-results"]
    statuses: dict[str, str] = {}
    for result in document["results"]:
        for finding in result.get("findings", []):
            status = next(p["value"] for p in finding["props"] if p["name"] == "status")
            statuses[finding["target"]["target-id"]] = status
    return statuses


RENDERER = Renderer(
    format="oscal", scope="pack", render=render, order=20, default=False, root=render_root
)
