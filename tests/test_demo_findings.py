"""The evidence engine on the demo installations: every planted finding, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_demo_support import shared_demo

from generator.build import build_packs
from generator.config import load_config


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, dict]:
    demo = shared_demo()
    out = tmp_path_factory.mktemp("demo-build")
    summary = build_packs(load_config(demo.config), out, formats={"json"})
    return {
        pack.installation: json.loads((out / pack.rel / "evidence.json").read_text())
        for pack in summary.packs
    }


def flagged(model: dict) -> set[tuple[str, str]]:
    """(rule, what) for every failing item and every unevidenced result of the pack."""
    found = set()
    for control in model["controls"]:
        for result in control["results"]:
            for failure in result["failures"]:
                # A failing window is named by the commit that opened it.
                what = failure["sha"] or (failure["window"] or {}).get("from_sha")
                found.add((result["rule"], what))
            if result["status"] == "not_evidenced":
                found.add((result["rule"], result["params"].get("document", "")))
    return found


def planted(installation: str) -> set[tuple[str, str]]:
    expected = set()
    for finding in shared_demo().findings:
        if finding.installation != installation:
            continue
        what = finding.path if finding.rule == "manual" else finding.sha
        expected.add((finding.rule, what))
    return expected


@pytest.mark.parametrize("installation", ["acme", "globex"])
def test_every_planted_finding_is_found_and_nothing_else(models, installation):
    model = models[installation]
    assert flagged(model) == planted(installation)


def test_logging_window_has_exact_boundaries(models):
    finding = next(f for f in shared_demo().findings if f.rule == "config-assertion")
    windows = [
        failure["window"]
        for control in models["acme"]["controls"]
        for result in control["results"]
        if result["rule"] == "config-assertion"
        for failure in result["failures"]
    ]
    assert windows, "the logging window was not reported"
    for window in windows:
        assert (window["from_sha"], window["to_sha"]) == finding.window_shas
        assert window["from"][:10] == finding.window[0]
        assert window["to"][:10] == finding.window[1]


def test_accepted_exceptions_are_shown_next_to_their_failures(models):
    accepted = {
        failure["exception"]
        for model in models.values()
        for control in model["controls"]
        for result in control["results"]
        for failure in result["failures"]
        if failure["exception"]
    }
    assert accepted == {"EXC-2026-001", "EXC-2026-002"}
    statuses = {e["id"]: e["status"] for m in models.values() for e in m["exceptions"]}
    assert statuses == {"EXC-2026-001": "active", "EXC-2026-002": "active"}


def test_pack_repo_paths_are_as_configured_not_absolute(models):
    for model in models.values():
        assert not Path(model["source"]["repo"]).is_absolute()
