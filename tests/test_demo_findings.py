"""The evidence engine on the demo installations: every planted finding, and nothing else."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from reason_checks import disagreements
from test_demo_support import shared_demo

from generator.build import build_packs, config_sections
from generator.config import load_config


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, dict]:
    demo = shared_demo()
    out = tmp_path_factory.mktemp("demo-build")
    summary = build_packs(load_config(demo.config, config_sections()), out, formats={"json"})
    return {
        pack.installation: json.loads((out / pack.rel / "evidence.json").read_text())
        for pack in summary.packs
    }


@pytest.fixture(scope="module")
def renamed_models(tmp_path_factory) -> dict[str, dict]:
    """The demo built with its environments named stg and prod, their roles given."""
    demo = shared_demo()
    folder = tmp_path_factory.mktemp("demo-renamed")
    text = demo.config.read_text(encoding="utf-8")
    renamed = (
        text.replace("      staging:\n", "      stg:\n        role: staging\n")
        .replace("      production:\n", "      prod:\n        role: production\n")
        .replace("reaches: [staging, production]", "reaches: [stg, prod]")
        .replace(": ./", f": {demo.example}/")  # the same files, from another folder
    )
    assert renamed.count("role: ") == 4 and "staging:" not in renamed
    config = folder / "meshcomply.yml"
    config.write_text(renamed, encoding="utf-8")
    out = folder / "out"
    summary = build_packs(load_config(config, config_sections()), out, formats={"json"})
    return {
        pack.installation: json.loads((out / pack.rel / "evidence.json").read_text())
        for pack in summary.packs
    }


def flagged(model: dict) -> set[tuple[str, str, str]]:
    """(rule, kind, what) for every deviation and (rule, not_tested, what) for every result
    that could not be tested."""
    found = set()
    for control in model["controls"]:
        for result in control["results"]:
            for failure in result["failures"]:
                # A failing window is named by the commit that opened it, a document's
                # deviation by the document the rule reads.
                what = (
                    failure["sha"]
                    or (failure["window"] or {}).get("from_sha")
                    or failure["items"][0]
                )
                if result["rule"] == "manual":
                    what = result["params"]["document"]
                found.add((result["rule"], failure["kind"], what))
            if result["status"] == "not_tested":
                found.add((result["rule"], "not_tested", result["params"].get("document", "")))
    return found


def planted(installation: str) -> set[tuple[str, str, str]]:
    expected = set()
    for finding in shared_demo().findings:
        if finding.installation != installation:
            continue
        assert finding.kind, f"{finding.title}: a planted finding names its deviation kind"
        # An event finding is named by the first event it cites.
        what = finding.path if finding.rule == "manual" else finding.sha or finding.events[0]
        expected.add((finding.rule, finding.kind, what))
    return expected


@pytest.mark.parametrize("installation", ["acme", "globex"])
def test_every_planted_finding_is_found_and_nothing_else(models, installation):
    model = models[installation]
    assert flagged(model) == planted(installation)


def test_event_findings_cite_all_their_events_and_how_to_fetch_them(models):
    for finding in shared_demo().findings:
        if not finding.events:
            continue
        model = models[finding.installation]
        (deviation,) = [d for d in model["deviations"] if d["kind"] == finding.kind]
        assert tuple(deviation["items"]) == finding.events
        assert deviation["state"] == "open" and deviation["sha"] is None
        results = [r for c in model["controls"] for r in c["results"] if r["rule"] == finding.rule]
        assert results and all(r["details"]["reproduce"] for r in results)
        cited = {row["uuid"] for r in results for row in r["details"]["events"]}
        assert set(finding.events) <= cited
        # The pack's event log section lists them, and the populations hold the judged events.
        listed = {e["uuid"] for e in model["event_log"]["events"]}
        assert set(finding.events) <= listed
        rules = {p["rule"] for p in model["event_log"]["populations"]}
        assert finding.rule in rules


def test_soa_rows_of_event_rules_are_tested_from_the_event_log(models):
    for model in models.values():
        rows = {row["ref"]: row for row in model["soa"]}
        for ref in ("A.5.15", "A.5.16", "A.5.17", "A.5.18", "A.8.2", "A.8.5", "A.8.9"):
            assert "events" in rows[f"iso27001:2022/{ref}"]["tested_from"], ref
        # Logging's only event rule (access-activity, MS-LOG-03) reports figures and can find no
        # deviation: the row's status rests on the configuration and the review document.
        for ref in ("iso27001:2022/A.8.15", "iso27017:2015/CLD.12.4.5"):
            assert rows[ref]["tested_from"] == ["git", "documents"], ref
        assert model["event_log"]["complete"] is True
        assert model["event_log"]["export"].endswith("_2026-01-01_2026-06-30.events.json")


@pytest.mark.parametrize("installation", ["acme", "globex"])
def test_renamed_environments_give_the_same_verdicts_and_findings(
    models, renamed_models, installation
):
    original, renamed = models[installation], renamed_models[installation]
    assert [(e["name"], e["role"]) for e in renamed["environments"]] == [
        ("stg", "staging"),
        ("prod", "production"),
    ]
    assert [(e["name"], e["role"]) for e in original["environments"]] == [
        ("staging", "staging"),
        ("production", "production"),
    ]
    assert flagged(renamed) == planted(installation)
    assert renamed["promotions"] == original["promotions"]
    assert renamed["soa"] == original["soa"]

    def verdicts(model: dict) -> list:
        return [
            (c["id"], c["status"], c["reason"], r["rule"], r["status"], r["reason"],
             r["figures"], r["cited"], r["failures"])
            for c in model["controls"]
            for r in c["results"]
        ]  # fmt: skip

    assert verdicts(renamed) == verdicts(original)
    # The gate names the environment it judged.
    gates = [
        r["details"]["environment"]
        for m in (original, renamed)
        for c in m["controls"]
        for r in c["results"]
        if r["rule"] == "approval-gate"
    ]
    assert gates == ["production", "prod"]
    # The sample's rank does not depend on environment names: renaming keeps every sample.
    assert [p["shas"] for p in renamed["sample"]["populations"]] == [
        p["shas"] for p in original["sample"]["populations"]
    ]


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


def test_evidence_json_is_laid_out_as_the_indenting_encoder_writes_it(tmp_path_factory):
    demo = shared_demo()
    out = tmp_path_factory.mktemp("demo-layout")
    summary = build_packs(load_config(demo.config, config_sections()), out, formats={"json"})
    for pack in summary.packs:
        written = (out / pack.rel / "evidence.json").read_text(encoding="utf-8")
        model = json.loads(written)
        assert written == json.dumps(model, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("installation", ["acme", "globex"])
def test_every_sentence_agrees_with_its_figures(models, installation):
    """tests/reason_checks.py on every result of every control of the demo packs."""
    for control in models[installation]["controls"]:
        for result in control["results"]:
            assert disagreements(result) == [], (control["id"], result["rule"], result["reason"])


@pytest.mark.parametrize(
    ("installation", "groups"),
    [
        ("acme", {"environments": 70, "shared:platform": 2, "unaccounted": 0,
                  "out_of_scope:evidence-documents": 7}),
        ("globex", {"environments": 66, "shared:platform": 2, "unaccounted": 0,
                    "out_of_scope:evidence-documents": 8}),
    ],
)  # fmt: skip
def test_every_commit_of_the_period_is_accounted_for(models, installation, groups):
    reconciliation = models[installation]["reconciliation"]
    found = {
        f"{g['kind']}:{g['name']}" if g["name"] else g["kind"]: g["commits"]
        for g in reconciliation["groups"]
    }
    assert found == groups
    assert reconciliation["commits"] == sum(groups.values())
    documents = next(g for g in reconciliation["groups"] if g["kind"] == "out_of_scope")
    assert documents["paths"] == ["docs/**"] and "configure nothing" in documents["justification"]


def test_the_demo_register_covers_some_open_deviations_one_overdue(models):
    acme, globex = models["acme"], models["globex"]
    by_deviation = {a["deviation"]: a for a in acme["corrective_actions"]}
    kinds = {d["id"]: d["kind"] for d in acme["deviations"] if d["state"] == "open"}
    assert all(a["matched"] for a in acme["corrective_actions"])
    assert sorted(kinds[d] for d in by_deviation) == ["self_approved", "unsigned"]
    overdue = [kinds[d] for d, a in by_deviation.items() if a["overdue"]]
    assert overdue == ["unsigned"]  # due 2026-06-15, open at the period end
    without = sorted(kind for d, kind in kinds.items() if d not in by_deviation)
    assert without and "assertion_failed" in without
    assert globex["corrective_actions"] == []
    files = {(f["kind"], f["path"]) for f in acme["inputs"]["files"]}
    assert ("findings", "acme-findings.yml") in files


@pytest.mark.parametrize("installation", ["acme", "globex"])
def test_document_findings_have_their_planted_kind_and_hashes(models, installation):
    """The kind each planted document finding names ("deviations: KIND: ...") is the kind of
    its deviations; every document read is in the model with the SHA-256 of its bytes."""
    expected = {
        f.path: f.kind
        for f in shared_demo().findings
        if f.installation == installation and f.rule == "manual"
    }
    found: dict[str, set[str]] = {}
    for control in models[installation]["controls"]:
        for result in control["results"]:
            if result["rule"] == "manual":
                for failure in result["failures"]:
                    found.setdefault(result["params"]["document"], set()).add(failure["kind"])
    assert found == {path: {kind} for path, kind in expected.items()}
    documents = models[installation]["documents"]
    assert documents and all(len(d["sha256"]) == 64 for d in documents)
    demo = shared_demo()
    repo = demo.repositories[installation].path
    for document in documents:
        if document["commit"] is None:
            data = (demo.example / "meshcloud-evidence" / document["path"]).read_bytes()
        else:
            data = subprocess.run(
                ["git", "-C", str(repo), "show", f"{document['commit']}:{document['path']}"],
                capture_output=True,
                check=True,
            ).stdout
        assert hashlib.sha256(data).hexdigest() == document["sha256"], document["path"]
