"""What changed since the previous period's pack: statuses, exceptions and mappings.

The previous pack is read only through its evidence.json, exactly as a renderer would read it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.errors import InputError, Problem
from generator.evidence.model import SCHEMA_VERSION, read_model


def load_previous(pack_dir: Path) -> dict[str, Any]:
    path = pack_dir / "evidence.json"
    try:
        model = read_model(path)
    except OSError as exc:
        message = f"cannot read previous pack: {exc.strerror}"
        raise InputError([Problem(str(path), 1, 1, message)]) from None
    except ValueError as exc:
        message = f"previous pack is not valid JSON: {exc}"
        raise InputError([Problem(str(path), 1, 1, message)]) from None
    if not isinstance(model, dict) or model.get("schema_version") != SCHEMA_VERSION:
        message = f"previous pack has an unsupported schema_version (expected {SCHEMA_VERSION})"
        raise InputError([Problem(str(path), 1, 1, message)])
    return model


def _refs(control: dict[str, Any]) -> set[str]:
    return {item["ref"] for item in control.get("implements", [])}


def compare(previous: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The ``changes_since`` section of the current model."""
    before = {c["id"]: c for c in previous.get("controls", [])}
    after = {c["id"]: c for c in current["controls"]}
    status_changes = [
        {
            "id": cid,
            "title": after[cid]["title"],
            "before": before[cid]["status"],
            "after": after[cid]["status"],
        }
        for cid in sorted(before.keys() & after.keys())
        if before[cid]["status"] != after[cid]["status"]
    ]
    mapping_changes = []
    for cid in sorted(before.keys() | after.keys()):
        old, new = before.get(cid), after.get(cid)
        if old is None or new is None:
            change = "added" if old is None else "removed"
            mapping_changes.append({"id": cid, "change": change, "added": [], "removed": []})
            continue
        added, removed = sorted(_refs(new) - _refs(old)), sorted(_refs(old) - _refs(new))
        if added or removed:
            mapping_changes.append(
                {"id": cid, "change": "mapping", "added": added, "removed": removed}
            )
    old_soa = {row["ref"]: row["decision"] for row in previous.get("soa", [])}
    decision_changes = [
        {"ref": row["ref"], "before": old_soa[row["ref"]], "after": row["decision"]}
        for row in current["soa"]
        if row["ref"] in old_soa and old_soa[row["ref"]] != row["decision"]
    ]
    known_exceptions = {e["id"] for e in previous.get("exceptions", [])}
    return {
        "previous": {
            "period": previous.get("period"),
            "head": previous.get("source", {}).get("head"),
        },
        "status_changes": status_changes,
        "new_exceptions": sorted(
            e["id"] for e in current["exceptions"] if e["id"] not in known_exceptions
        ),
        "mapping_changes": mapping_changes,
        "decision_changes": decision_changes,
    }
