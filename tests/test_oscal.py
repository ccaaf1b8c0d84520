"""--format oscal: assessment results per pack and the library's component definition, validated
with compliance-trestle's OSCAL models, deterministic, and read back to the same statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_demo_support import shared_demo
from trestle.oscal import assessment_results as trestle_ar
from trestle.oscal import component as trestle_cd

from generator.build import build_packs, config_sections, default_formats
from generator.cli import cli
from generator.config import load_config
from generator.manifest import verify_pack
from generator.render.oscal import COMPONENT_NAME, RESULTS_NAME, ROOT_FOLDER, read_statuses
from generator.status import Status


def _build(out: Path, formats: set[str]) -> list[Path]:
    demo = shared_demo()
    summary = build_packs(load_config(demo.config, config_sections()), out, formats=formats)
    return [out / pack.rel for pack in summary.packs]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("oscal-build")
    return out, _build(out, {"json", "oscal"})


def _document(path: Path, key: str) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))[key]


def test_assessment_results_are_valid_oscal(built):
    _, packs = built
    for pack in packs:
        model = json.loads((pack / "evidence.json").read_text())
        results = trestle_ar.AssessmentResults.model_validate(
            _document(pack / RESULTS_NAME, "assessment-results")
        )
        result = results.results[0]
        assert [f.target.target_id for f in result.findings] == [c["id"] for c in model["controls"]]
        assert str(result.start.date()) == model["period"]["from"]
        # Every failure is an observation whose subject is its commit, in the back matter.
        resources = {r.uuid: r.title for r in results.back_matter.resources}
        failures = [f for c in model["controls"] for r in c["results"] for f in r["failures"]]
        deviations = [o for o in result.observations if o.types and "finding" in o.types]
        assert len(deviations) == len(failures) > 0
        for observation, failure in zip(deviations, failures, strict=True):
            assert observation.description == failure["message"]
            props = {p.name: p.value for p in observation.props}
            assert (props["deviation"], props["deviation-kind"], props["deviation-state"]) == (
                failure["id"],
                failure["kind"],
                failure["state"],
            )
            if failure["sha"]:
                subject = observation.subjects[0].subject_uuid
                assert resources[subject] == f"commit {failure['sha']}"
            else:  # a document's deviation cites no commit
                assert observation.subjects is None
        sample = next(o for o in result.observations if o.title == "The auditor's sample")
        sampled = [sha for p in model["sample"]["populations"] for sha in p["shas"]]
        assert [resources[s.subject_uuid] for s in sample.subjects] == [
            f"commit {sha}" for sha in sampled
        ]
        commands = [a.steps[0].description for a in results.local_definitions.activities]
        assert commands == [r["command"] for r in model["source"]["reproduce"]]


def test_statuses_read_back_as_in_evidence_json(built):
    _, packs = built
    seen = set()
    for pack in packs:
        model = json.loads((pack / "evidence.json").read_text())
        expected = {c["id"]: c["status"] for c in model["controls"]}
        assert read_statuses(pack / RESULTS_NAME) == expected
        seen |= set(expected.values())
    assert {"no_deviations", "deviations", "design_only"} <= seen  # the demo has each


def test_satisfied_only_where_no_deviation_was_found(built):
    _, packs = built
    for pack in packs:
        model = json.loads((pack / "evidence.json").read_text())
        statuses = {c["id"]: c["status"] for c in model["controls"]}
        document = _document(pack / RESULTS_NAME, "assessment-results")
        for finding in document["results"][0]["findings"]:
            status = finding["target"]["status"]
            word = statuses[finding["target"]["target-id"]]
            assert (status["state"] == "satisfied") == (word == "no_deviations")
            label = Status(word).label
            assert status["remarks"] == f"{label}: {Status(word).meaning}"


def test_component_definition_is_valid_oscal(built):
    out, packs = built
    definition = trestle_cd.ComponentDefinition.model_validate(
        _document(out / ROOT_FOLDER / COMPONENT_NAME, "component-definition")
    )
    model = json.loads((packs[0] / "evidence.json").read_text())
    requirements = [
        r for ci in definition.components[0].control_implementations
        for r in ci.implemented_requirements
    ]  # fmt: skip
    pairs = {
        (next(p.value for p in r.props if p.name == "meshstack-control"),
         next(p.value for p in r.props if p.name == "iso-reference"))
        for r in requirements
    }  # fmt: skip
    assert pairs == {(c["id"], i["ref"]) for c in model["controls"] for i in c["implements"]}
    shared = next(r for r in requirements if any(p.value == "shared" for p in r.props))
    assert sorted(role.role_id for role in shared.responsible_roles) == ["customer", "provider"]


def test_same_inputs_give_the_same_bytes(built, tmp_path):
    out, packs = built
    again = _build(tmp_path, {"json", "oscal"})
    for first, second in zip(packs, again, strict=True):
        assert (first / RESULTS_NAME).read_bytes() == (second / RESULTS_NAME).read_bytes()
        assert verify_pack(second) == []  # the OSCAL file is in the manifest
        assert RESULTS_NAME in (second / "manifest.json").read_text()
    name = Path(ROOT_FOLDER) / COMPONENT_NAME
    assert (out / name).read_bytes() == (tmp_path / name).read_bytes()


def test_oscal_is_opt_in(tmp_path):
    assert "oscal" not in default_formats()
    result = CliRunner().invoke(cli, ["build", "--help"])
    assert "oscal" in result.output
