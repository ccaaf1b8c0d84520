"""Shared helpers for the PDF tests (this module holds no tests itself).

Packs are written the way the build writes them (evidence.json, changes.csv, sample.csv), from
small synthetic evidence models so each render takes seconds: few controls, few changes and a
shortened Statement of Applicability (the renderer treats every row alike).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from generator.evidence.codec import write_model
from generator.evidence.model import EvidenceModel
from generator.evidence.tables import write_tables
from generator.render.pdf import PDF_NAME, render
from generator.render.registry import RenderOptions
from generator.testing import synthetic_evidence
from generator.testing_json import as_json, failure_json, from_json, with_deviations


def small_model(*, hostile: bool = False, changes: int = 12) -> EvidenceModel:
    return from_json(small_model_json(hostile=hostile, changes=changes))


def small_model_json(*, hostile: bool = False, changes: int = 12) -> dict[str, Any]:
    model = as_json(synthetic_evidence("acme", changes=changes, controls=4, hostile=hostile))
    model["soa"] = model["soa"][:12] + [r for r in model["soa"] if "27017" in r["ref"]][:3]
    # One failure accepted by an exceptions-register entry, one without.
    control = model["controls"][0]
    result = control["results"][0]
    sha = model["changes"][1]["sha"]
    result["failures"] = [
        failure_json(sha, "no approver", exception="EXC-2026-001"),
        failure_json(model["changes"][2]["sha"], "self-approved", kind="self_approved"),
    ]
    control["status"] = result["status"] = "deviations"
    model["exceptions"] = [
        {
            "id": "EXC-2026-001",
            "rules": ["change-approval"],
            "control": control["id"],
            "sha": sha,
            "window": None,
            "deviation": None,
            "event": None,
            "justification": "Emergency fix during incident INC-42, reviewed afterwards.",
            "accepted_by": "Dana Approver",
            "ticket": "CAB-7",
            "expires": "2026-12-31",
            "status": "active",
            "matched": [sha],
        }
    ]
    model["changes_since"] = {
        "previous": {"period": {"from": "2025-07-01", "to": "2025-12-31"}, "head": "f" * 40},
        "status_changes": [
            {
                "id": control["id"],
                "title": control["title"],
                "before": "no_deviations",
                "after": "deviations",
            }
        ],
        "new_exceptions": ["EXC-2026-001"],
        "mapping_changes": [],
        "decision_changes": [],
    }
    return with_deviations(model)


def write_pack(folder: Path, model: EvidenceModel) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_model(model, folder / "evidence.json")
    write_tables(model, folder)
    return folder


def render_pack(folder: Path, model: EvidenceModel, **pdf: Any) -> Path:
    pack = write_pack(folder, model)
    render(model, pack, RenderOptions(pdf=pdf))
    return pack / PDF_NAME


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(level, title, 0-based page) of every bookmark, in document order."""
    found: list[tuple[int, str, int]] = []

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                found.append((level, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 1)
    return found


def page_texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def squeeze(text: str) -> str:
    """Text without any whitespace: extraction puts line breaks where lines wrapped."""
    return re.sub(r"\s+", "", text)
