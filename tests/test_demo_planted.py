"""The planted findings of the demo exist exactly as docs/demo.md describes, shown with git.

(tests/test_demo_findings.py runs the evidence engine on the demo; this file shows the same
findings with plain git, independently of the engine.)
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from test_demo_support import (
    file_at,
    files_at,
    git,
    in_period,
    log,
    setting,
    shared_demo,
    version_changes,
)

from generator.demo import DemoResult
from generator.demo.model import PlantedFinding

PRODUCTION_FILE = "environments/production/meshstack.yaml"
STAGING_FILE = "environments/staging/meshstack.yaml"


@pytest.fixture(scope="session")
def demo() -> DemoResult:
    return shared_demo()


def finding(demo: DemoResult, installation: str, rule: str, title_word: str) -> PlantedFinding:
    matches = [
        f
        for f in demo.findings
        if f.installation == installation and f.rule == rule and title_word in f.title
    ]
    assert len(matches) == 1
    return matches[0]


def commit(demo: DemoResult, name: str, sha: str) -> dict:
    found = log(demo, name, "-1", sha)
    assert len(found) == 1
    return found[0]


def changed_files(demo: DemoResult, name: str, sha: str) -> list[str]:
    # Against the first parent, as the population is defined.
    out = git(demo.repositories[name].path, "diff", "--name-only", f"{sha}^1", sha)
    return out.split()


def test_the_planted_findings_are_the_documented_ones(demo: DemoResult) -> None:
    listed = sorted((f.installation, f.rule, f.exception_id or "") for f in demo.findings)
    assert listed == [
        ("acme", "access-four-eyes", ""),
        ("acme", "change-approval", ""),
        ("acme", "change-approval", ""),
        ("acme", "change-approval", ""),
        ("acme", "change-approval", "EXC-2026-001"),
        ("acme", "changes-outside-git", ""),
        ("acme", "config-assertion", ""),
        ("acme", "config-promotion", ""),
        ("acme", "config-promotion", "EXC-2026-001"),
        ("acme", "direct-push", ""),
        ("acme", "direct-push", "EXC-2026-001"),
        ("acme", "manual", ""),
        ("acme", "signed-changes", ""),
        ("acme", "signed-changes", ""),
        ("globex", "access-four-eyes", ""),
        ("globex", "access-removal", ""),
        ("globex", "config-promotion", ""),
        ("globex", "manual", ""),
        ("globex", "manual", ""),
        ("globex", "staging-before-production", "EXC-2026-002"),
    ]
    # Event findings name their events (test_demo_events.py shows each from the export).
    event_rules = ("access-four-eyes", "access-removal", "changes-outside-git")
    assert all(bool(f.events) == (f.rule in event_rules) for f in demo.findings)


def test_unapproved_emergency_change_went_straight_to_production(demo: DemoResult) -> None:
    planted = finding(demo, "acme", "change-approval", "emergency")
    found = commit(demo, "acme", planted.sha)
    assert in_period(found)
    assert found["date"].date() == dt.date(2026, 2, 14)
    assert len(found["parents"]) == 1  # committed directly on main
    assert found["approved_by"] == [] and found["reviewed_by"] == []
    assert re.search(r"^[A-Za-z-]+-by:", found["message"], re.MULTILINE) is None
    assert changed_files(demo, "acme", planted.sha) == [
        "environments/production/identity-broker.yaml"
    ]
    first_parent_line = git(demo.repositories["acme"].path, "rev-list", "--first-parent", "main")
    assert planted.sha in first_parent_line.split()


def test_landing_zone_change_was_pushed_directly_to_main(demo: DemoResult) -> None:
    planted = finding(demo, "acme", "direct-push", "Landing zone")
    found = commit(demo, "acme", planted.sha)
    assert in_period(found) and found["date"].date() == dt.date(2026, 2, 25)
    assert len(found["parents"]) == 1 and found["approved_by"] == found["reviewed_by"] == []
    assert changed_files(demo, "acme", planted.sha) == [
        "landing-zones/aws-production.yaml",
        "landing-zones/aws-sandbox.yaml",
    ]
    # Every other platform change of the period went through a merge approved by the customer.
    repo = demo.repositories["acme"].path
    platform = log(demo, "acme", "--first-parent", "main", "--", "landing-zones", "building-blocks",
                   "infrastructure")  # fmt: skip
    others = [c for c in platform if in_period(c) and c["sha"] != planted.sha]
    assert others and all(len(c["parents"]) == 2 and c["approved_by"] for c in others)
    assert planted.sha in git(repo, "rev-list", "--first-parent", "main").split()


def test_globex_production_setting_never_ran_in_staging(demo: DemoResult) -> None:
    planted = finding(demo, "globex", "config-promotion", "skipped staging")
    repo = demo.repositories["globex"].path
    found = commit(demo, "globex", planted.sha)
    assert in_period(found) and len(found["parents"]) == 2 and found["approved_by"]
    assert changed_files(demo, "globex", planted.sha) == [
        "environments/production/identity-broker.yaml"
    ]
    timeout = "timeout_minutes: 720"
    pickaxe = ["log", "--first-parent", "--format=%H", f"-S{timeout}", "main", "--"]
    assert git(repo, *pickaxe, "environments/production").split() == [planted.sha]
    assert git(repo, *pickaxe, "environments/staging") == ""


def test_emergency_and_logging_changes_reached_production_before_staging(demo: DemoResult):
    repo = demo.repositories["acme"].path
    emergency = finding(demo, "acme", "config-promotion", "Emergency")
    cache = ["log", "--first-parent", "--reverse", "--format=%H", "-Stoken_cache_minutes: 30",
             "main", "--"]  # fmt: skip
    staged = git(repo, *cache, "environments/staging").split()
    assert git(repo, *cache, "environments/production").split() == [emergency.sha]
    assert (
        staged
        and commit(demo, "acme", staged[0])["date"] > commit(demo, "acme", emergency.sha)["date"]
    )
    off = finding(demo, "acme", "config-promotion", "Logging")
    assert not any(enabled is False for _, _, enabled in logging_states(demo, "acme", STAGING_FILE))
    assert off.sha == finding(demo, "acme", "config-assertion", "logging").window_shas[0]


def test_self_approved_change_names_its_author_as_approver(demo: DemoResult) -> None:
    planted = finding(demo, "acme", "change-approval", "Self-approved")
    found = commit(demo, "acme", planted.sha)
    assert in_period(found) and found["date"].date() == dt.date(2026, 4, 22)
    assert len(found["parents"]) == 2
    assert found["approved_by"] == [found["author"]] == [found["committer"]]
    # The merged branch was written by the same person.
    branch = log(demo, "acme", f"{found['parents'][0]}..{found['parents'][1]}")
    assert {c["author"] for c in branch} == {found["author"]}
    assert PRODUCTION_FILE in changed_files(demo, "acme", planted.sha)


def test_skipped_release_reached_production_but_never_staging(demo: DemoResult) -> None:
    planted = finding(demo, "globex", "staging-before-production", "skipped")
    version = "2026.17.1"
    repo = demo.repositories["globex"].path
    staged = [v for _, v in version_changes(demo, "globex", STAGING_FILE)]
    assert version not in staged
    assert "2026.17.0" in staged and "2026.18.0" in staged
    # Added to production by the planted merge (and replaced a week later)...
    pickaxe = ["log", "--first-parent", "--format=%H", f"-Sversion: {version}", "main", "--"]
    production = git(repo, *pickaxe, "environments/production").split()
    assert production[-1] == planted.sha and len(production) == 2
    # ...and never on any branch in staging.
    assert git(repo, *pickaxe[:-2], "--all", "--", "environments/staging") == ""
    tagged = git(repo, "rev-parse", f"production/{version}^{{commit}}").strip()
    assert tagged == planted.sha
    assert setting(file_at(repo, planted.sha, PRODUCTION_FILE), "meshstack.version") == version
    found = commit(demo, "globex", planted.sha)
    assert in_period(found) and len(found["parents"]) == 2 and found["approved_by"]
    # The same release went through acme's staging as usual: it is the path, not the release.
    assert version in [v for _, v in version_changes(demo, "acme", STAGING_FILE)]


def logging_states(
    demo: DemoResult, name: str, path: str = PRODUCTION_FILE
) -> list[tuple[str, dt.datetime, object]]:
    """(sha, date, logging.enabled) of each version of the file committed in the period."""
    history = log(demo, name, "--first-parent", "--reverse", "main", "--", path)
    commits = [c for c in history if in_period(c)]
    texts = files_at(demo.repositories[name].path, [(c["sha"], path) for c in commits])
    return [
        (c["sha"], c["date"], setting(texts[c["sha"], path], "logging.enabled")) for c in commits
    ]


def test_logging_was_off_in_production_for_exactly_one_week(demo: DemoResult) -> None:
    planted = finding(demo, "acme", "config-assertion", "logging")
    off_sha, on_sha = planted.window_shas
    states = logging_states(demo, "acme")
    off = [(sha, date) for sha, date, enabled in states if enabled is False]
    shas = [sha for sha, _, _ in states]
    assert off[0][0] == off_sha
    assert shas[shas.index(off_sha) + len(off)] == on_sha  # the first commit with it back on
    assert off[0][1].date() == dt.date(2026, 3, 11)
    assert commit(demo, "acme", on_sha)["date"].date() == dt.date(2026, 3, 18)
    assert planted.window == ("2026-03-11", "2026-03-18")
    # Outside the window it is on in every version, and globex never switched it off.
    assert sum(1 for _, _, enabled in states if enabled is not True) == len(off)
    assert {enabled for _, _, enabled in logging_states(demo, "globex")} == {True}
    for sha in (off_sha, on_sha):
        switched = commit(demo, "acme", sha)
        assert len(switched["parents"]) == 2 and switched["approved_by"]


def test_unsigned_change_is_an_approved_production_merge(demo: DemoResult) -> None:
    planted = finding(demo, "acme", "signed-changes", "Unsigned")
    repo = demo.repositories["acme"].path
    raw = git(repo, "cat-file", "commit", planted.sha)
    assert "\ngpgsig " not in raw.split("\n\n", 1)[0]
    found = commit(demo, "acme", planted.sha)
    assert in_period(found) and len(found["parents"]) == 2
    assert found["approved_by"][0].endswith("@acme.example>")
    assert PRODUCTION_FILE in changed_files(demo, "acme", planted.sha)


def test_stale_penetration_test_in_globex_only(demo: DemoResult) -> None:
    planted = finding(demo, "globex", "manual", "penetration")
    dates = {}
    for name in ("acme", "globex"):
        text = file_at(demo.repositories[name].path, "main", planted.path)
        dates[name] = dt.date.fromisoformat(str(yaml.safe_load(text.split("---")[1])["date"]))
    assert dates["globex"] == dt.date(2024, 9, 17)
    assert (dt.date(2026, 6, 30) - dates["globex"]).days > 365
    assert (dt.date(2026, 6, 30) - dates["acme"]).days <= 365
    touched = git(demo.repositories["globex"].path, "log", "--format=%H", "--", planted.path)
    assert len(touched.split()) == 1  # added once, never updated


def review_dates(demo: DemoResult, name: str, path: str) -> dict[str, dict]:
    """Every version of a document on main, by the date its front matter records."""
    repo = demo.repositories[name].path
    shas = git(repo, "log", "--first-parent", "--format=%H", "main", "--", path).split()
    versions = [yaml.safe_load(file_at(repo, sha, path).split("---")[1]) for sha in shas]
    return {str(v["date"]): v for v in versions}


def test_missed_q2_access_review_in_acme_only(demo: DemoResult) -> None:
    planted = finding(demo, "acme", "manual", "access review")
    acme = review_dates(demo, "acme", planted.path)
    globex = review_dates(demo, "globex", planted.path)
    assert "2026-03-11" in acme  # Q1 is in git ...
    assert [d for d in acme if "2026-04-01" <= d <= "2026-06-30"] == []  # ... Q2 is not
    assert [d for d in globex if "2026-04-01" <= d <= "2026-06-30"] == ["2026-04-22"]
    assert acme["2026-03-11"]["period"] == "2025-12-12..2026-03-11"


def test_failed_business_continuity_test_in_globex_only(demo: DemoResult) -> None:
    planted = finding(demo, "globex", "manual", "business-continuity")
    globex = review_dates(demo, "globex", planted.path)
    failed = {d: v["result"] for d, v in globex.items() if v.get("result") == "fail"}
    assert failed == {"2026-03-18": "fail"}
    repo = demo.repositories["globex"].path
    text = git(repo, "show", f"main:{planted.path}")
    assert "RTO missed by 30 hours" in text and "result: fail" in text
    acme = review_dates(demo, "acme", planted.path)
    assert {v.get("result") for v in acme.values()} == {"pass"}


@pytest.mark.parametrize("name", ["acme", "globex"])
def test_exceptions_register_accepts_a_real_commit(demo: DemoResult, name: str) -> None:
    register = yaml.safe_load((demo.example / f"{name}-exceptions.yml").read_text("utf-8"))
    entries = register["exceptions"]
    accepted = [f for f in demo.findings if f.installation == name and f.exception_id]
    # An entry lists every rule whose deviation of its commit it accepts (the emergency change's
    # missing approval, direct push and skipped staging are one decision).
    listed = [
        (e["id"], rule, e["sha"])
        for e in entries
        for rule in (e["rule"] if isinstance(e["rule"], list) else [e["rule"]])
    ]
    assert sorted(listed) == sorted((f.exception_id, f.rule, f.sha) for f in accepted)
    for entry in entries:
        assert re.fullmatch(r"[0-9a-f]{40}", entry["sha"])
        assert git(demo.repositories[name].path, "cat-file", "-t", entry["sha"]).strip() == "commit"
        assert entry["justification"] and entry["accepted_by"] and entry["ticket"]
        assert dt.date.fromisoformat(entry["expires"]) > dt.date(2026, 6, 30)


def test_docs_list_the_current_shas(demo: DemoResult) -> None:
    page = (Path(__file__).resolve().parent.parent / "docs" / "demo.md").read_text("utf-8")
    for planted in demo.findings:
        for sha in (planted.sha, *(planted.window_shas or ())):
            if sha:
                assert f"`{sha}`" in page, planted.title
        for uuid in planted.events:
            assert f"`{uuid}`" in page, planted.title
    for name, repo in demo.repositories.items():
        assert f"| `{name}-config` | `{repo.head}` |" in page
