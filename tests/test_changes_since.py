import copy
import json

import pytest

from generator.errors import InputError
from generator.evidence.changes_since import compare, load_previous
from generator.evidence.codec import to_plain
from generator.testing import synthetic_evidence
from generator.testing_json import as_json, from_json


def test_status_mapping_decision_and_exception_changes_are_reported():
    previous = as_json(synthetic_evidence())
    current = copy.deepcopy(previous)
    current["period"] = {"from": "2026-07-01", "to": "2026-12-31"}
    first = current["controls"][0]
    first["status"] = (
        "not_tested" if previous["controls"][0]["status"] != "not_tested" else "no_deviations"
    )
    first["implements"].append(
        {"ref": "iso27001:2022/A.5.1", "coverage": "partial", "rationale": "r"}
    )
    removed = current["controls"].pop()
    current["soa"][0]["decision"] = (
        "excluded" if previous["soa"][0]["decision"] != "excluded" else "inherited"
    )
    current["exceptions"] = [
        {
            "id": "EXC-9",
            "rules": ["change-approval"],
            "control": None,
            "sha": None,
            "window": None,
            "deviation": None,
            "event": None,
            "justification": "j",
            "accepted_by": "a",
            "ticket": "T-9",
            "expires": "2026-12-31",
            "status": "unused",
            "matched": [],
        }
    ]

    result = to_plain(compare(from_json(previous), from_json(current)))

    assert result["previous"] == {"period": previous["period"], "head": previous["source"]["head"]}
    assert result["status_changes"] == [
        {
            "id": first["id"],
            "title": first["title"],
            "before": previous["controls"][0]["status"],
            "after": first["status"],
        }
    ]
    assert {
        "id": first["id"],
        "change": "mapping",
        "added": ["iso27001:2022/A.5.1"],
        "removed": [],
    } in result["mapping_changes"]
    assert {"id": removed["id"], "change": "removed", "added": [], "removed": []} in result[
        "mapping_changes"
    ]
    assert result["decision_changes"] == [
        {
            "ref": current["soa"][0]["ref"],
            "before": previous["soa"][0]["decision"],
            "after": current["soa"][0]["decision"],
        }
    ]
    assert result["new_exceptions"] == ["EXC-9"]


def test_identical_models_have_no_changes():
    model = synthetic_evidence()
    result = to_plain(compare(model, model))
    assert (result["status_changes"], result["mapping_changes"], result["decision_changes"]) == (
        [],
        [],
        [],
    )


def test_previous_pack_problems_are_located_input_errors(tmp_path):
    with pytest.raises(InputError) as missing:
        load_previous(tmp_path)
    assert str(missing.value).startswith(f"{tmp_path / 'evidence.json'}:1:1: cannot read")
    (tmp_path / "evidence.json").write_text("{not json")
    with pytest.raises(InputError, match=r"evidence\.json:1:2: not valid JSON"):
        load_previous(tmp_path)
    (tmp_path / "evidence.json").write_text(json.dumps({"schema_version": 99}))
    with pytest.raises(InputError, match="unsupported schema_version"):
        load_previous(tmp_path)
