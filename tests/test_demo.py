"""The demo installations: a realistic two-year history, everything approved and signed.

Facts are read with plain git, as an auditor would. The planted findings are in
test_demo_findings.py; determinism and the git-compatibility of the objects in
test_demo_determinism.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import subprocess

import pytest
from test_demo_support import (
    file_at,
    git,
    git_env,
    in_period,
    log,
    setting,
    shared_demo,
    version_changes,
)

from generator.build import config_sections
from generator.config import load_config
from generator.demo import DemoResult
from generator.releasenotes import load_release_notes

PIPELINE = "meshStack Release Pipeline <release-bot@meshcloud.io>"
RELEASE_MANAGER = "Sven Hoffmann <sven.hoffmann@meshcloud.io>"
STAGING_FILE = "environments/staging/meshstack.yaml"
PRODUCTION_FILE = "environments/production/meshstack.yaml"
CUSTOMER_DOMAIN = {"acme": "@acme.example>", "globex": "@globex.example>"}
# The planted production changes; test_demo_findings.py asserts what is wrong with them.
PLANTED = {
    "acme": {
        "emergency:idp-token-cache",
        "change:backup-retention-35d:production",
        "change:replication-15m:production",  # approved by a colleague, not the customer
    },
    "globex": set(),
}
UNSIGNED = {"acme": {"promote:2026.20.0"}, "globex": set()}


@pytest.fixture(scope="session")
def demo() -> DemoResult:
    return shared_demo()


@pytest.mark.parametrize("name", ["acme", "globex"])
def test_repository_is_consistent_and_checked_out(demo: DemoResult, name: str) -> None:
    repo = demo.repositories[name]
    git(repo.path, "fsck", "--strict", "--no-dangling")
    assert git(repo.path, "status", "--porcelain") == ""
    assert git(repo.path, "rev-parse", "HEAD").strip() == repo.head
    assert git(repo.path, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(repo.path, "branch", "--format=%(refname:short)").split() == ["main"]


@pytest.mark.parametrize("name", ["acme", "globex"])
def test_history_spans_two_years(demo: DemoResult, name: str) -> None:
    dates = [c["date"] for c in log(demo, name, "main")]
    assert len(dates) > 400
    assert min(dates).date() == dt.date(2024, 7, 1)
    assert dt.date(2026, 6, 24) <= max(dates).astimezone(dt.UTC).date() <= dt.date(2026, 6, 30)


@pytest.mark.parametrize("name", ["acme", "globex"])
def test_weekly_releases_reach_staging_through_the_pipeline(demo: DemoResult, name: str) -> None:
    changes = version_changes(demo, name, STAGING_FILE)[1:]  # after the initial import
    majors = [(c["date"], v) for c, v in changes if v.endswith(".0")]
    assert len(majors) >= 95
    for (before, _), (after, _) in itertools.pairwise(majors):
        gap = (after.date() - before.date()).days
        # Weekly, on Tuesdays; no release over Christmas.
        assert gap == 7 or (gap <= 21 and before.month == 12), (before, after)
        assert after.weekday() == 1
    for year in (2025, 2026):
        numbers = [int(v.split(".")[1]) for d, v in majors if v.startswith(f"{year}.")]
        assert numbers == list(range(1, len(numbers) + 1))
    assert sum(1 for _, v in changes if v.endswith(".1")) >= 10
    for commit, version in changes:
        assert re.fullmatch(r"20(24|25|26)\.[0-9]{1,2}\.[01]", version)
        assert commit["author"] == commit["committer"] == PIPELINE
        assert len(commit["parents"]) == 1  # directly on main
        assert commit["approved_by"] == [RELEASE_MANAGER]
    # One process for the file lists of all pipeline commits.
    pipeline = log(demo, name, "--first-parent", "--name-only", f"--author={PIPELINE}", "main")
    assert len(pipeline) == len(changes)
    assert {c["patch"].strip() for c in pipeline} == {STAGING_FILE}


@pytest.mark.parametrize("name", ["acme", "globex"])
def test_production_is_promoted_by_approved_merges_days_after_staging(
    demo: DemoResult, name: str
) -> None:
    repo = demo.repositories[name].path
    staged = {v: c["date"] for c, v in version_changes(demo, name, STAGING_FILE)}
    promoted = version_changes(demo, name, PRODUCTION_FILE)[1:]
    assert len(promoted) >= 110
    tag_fields = "%(refname:short) %(objecttype) %(*objectname) %(taggername)"
    tags = {
        line.split(" ", 1)[0]: line.split(" ", 3)[1:]
        for line in git(repo, "for-each-ref", f"--format={tag_fields}", "refs/tags").splitlines()
    }
    for commit, version in promoted:
        assert len(commit["parents"]) == 2, version
        assert commit["author"].endswith("@meshcloud.io>")
        approvers = commit["approved_by"]
        assert len(approvers) == 1 and approvers[0].endswith(CUSTOMER_DOMAIN[name])
        if version in staged:
            days = (commit["date"] - staged[version]).total_seconds() / 86400
            assert 2 <= days <= 7, version
        if name == "globex":
            # An annotated tag by the pipeline on the promotion merge.
            kind, target, tagger = tags[f"production/{version}"]
            assert (kind, target, tagger) == ("tag", commit["sha"], "meshStack Release Pipeline")
    if name == "acme":
        assert tags == {}  # acme reads production versions from the file
    else:
        assert len(tags) == len(promoted) + 1  # and the one of the initial import


@pytest.mark.parametrize("name", ["acme", "globex"])
def test_period_changes_are_approved_by_someone_else_except_the_planted(
    demo: DemoResult, name: str
) -> None:
    repo = demo.repositories[name]
    keys = {sha: key for key, sha in repo.shas.items()}
    for env in ("staging", "production"):
        changes = [
            c
            for c in log(demo, name, "--first-parent", "main", "--", f"environments/{env}")
            if in_period(c)
        ]
        assert len(changes) >= 25
        for commit in changes:
            if keys[commit["sha"]] in PLANTED[name]:
                continue
            approvers = commit["approved_by"] + commit["reviewed_by"]
            assert approvers, commit["message"]
            assert commit["author"] not in approvers
            if env == "production":
                assert len(commit["parents"]) == 2
                assert approvers[0].endswith(CUSTOMER_DOMAIN[name])
            if name == "globex" and len(commit["parents"]) == 2:
                # Globex approvers press merge themselves (merge_committer: true).
                assert commit["committer"] in approvers
            if name == "acme":
                assert commit["committer"] == commit["author"]


@pytest.mark.parametrize("name", ["acme", "globex"])
def test_every_commit_is_signed_except_the_planted(demo: DemoResult, name: str) -> None:
    repo = demo.repositories[name]
    keys = {sha: key for key, sha in repo.shas.items()}
    shas = git(repo.path, "rev-list", "--all").split()
    raw = subprocess.run(
        ["git", "-C", str(repo.path), "cat-file", "--batch"],
        input="\n".join(shas).encode() + b"\n",
        capture_output=True,
        env=git_env(),
        check=True,
    ).stdout
    signed = raw.count(b"\ngpgsig -----BEGIN SSH SIGNATURE-----\n")
    assert signed == len(shas) - len(UNSIGNED[name])
    # git verifies with two ssh-keygen runs per commit: verify what signed-changes audits, the
    # production changes of the period, from the period start on (--since keeps git from
    # verifying the older ones).
    population = log(
        demo, name, "--first-parent", "--since=2026-01-01T00:00:00Z", "main", "--",
        "environments/production", verify=True,
    )  # fmt: skip
    statuses = {keys.get(c["sha"], c["sha"]): c["signed"] for c in population if in_period(c)}
    assert len(statuses) >= 30
    assert {key for key, status in statuses.items() if status != "G"} == UNSIGNED[name]
    assert {statuses[key] for key in UNSIGNED[name]} <= {"N"}


@pytest.mark.parametrize("name", ["acme", "globex"])
def test_environment_files_hold_the_mapped_keys(demo: DemoResult, name: str) -> None:
    repo = demo.repositories[name].path
    for env in ("staging", "production"):
        text = file_at(repo, "main", f"environments/{env}/meshstack.yaml")
        assert isinstance(setting(text, "logging.enabled"), bool)
        assert setting(text, "identity.federation.protocol") in {"oidc", "saml", "ldap", "entra-id"}
        for key in (
            "logging.retention_days",
            "backup.retention_days",
            "access.role_bindings.max_expiry_days",
            "replication.interval_minutes",
        ):
            assert isinstance(setting(text, key), int), key
        for key in (
            "monitoring.alerting.enabled",
            "monitoring.alerting.share_with_customer",
            "backup.enabled",
            "access.vpn.required",
            "access.role_bindings.four_eyes",
            "encryption.credentials.kms",
            "soc.forwarding.enabled",
        ):
            assert setting(text, key) is True, key
        assert isinstance(setting(text, "backup.schedule"), str)
    listing = git(repo, "ls-tree", "-r", "--name-only", "main").split()
    for expected in (
        "environments/production/identity-broker.yaml",
        "infrastructure/terraform/main.tf",
        "docs/security/backup-restore-test.md",
    ):
        assert expected in listing
    assert any(p.startswith("landing-zones/") for p in listing)
    assert any(p.startswith("building-blocks/") for p in listing)


def test_config_loads_with_both_release_mechanisms(demo: DemoResult) -> None:
    config = load_config(demo.config, config_sections())
    assert config.period is not None and config.period.text == "2026-01-01..2026-06-30"
    assert config.release_notes == (demo.example / "release-notes").resolve()
    acme, globex = config.installation("acme"), config.installation("globex")
    assert acme is not None and globex is not None
    assert acme.environment("production").release.key == "meshstack.version"
    assert globex.environment("production").release.tag_pattern.startswith("^production/")
    assert globex.environment("staging").release.file == STAGING_FILE
    assert (acme.approvals.merge_committer, globex.approvals.merge_committer) == (False, True)
    for installation in (acme, globex):
        assert installation.environment("production").approval == "required"
        assert installation.signing.allowed_signers == (demo.example / "allowed_signers").resolve()
        assert installation.exceptions is not None and installation.exceptions.is_file()
        assert installation.evidence_dir is not None and installation.evidence_dir.is_dir()


def test_every_version_in_the_histories_has_a_parsable_release_note(demo: DemoResult) -> None:
    versions = set()
    for name in ("acme", "globex"):
        for path in (STAGING_FILE, PRODUCTION_FILE):
            versions |= {v for _, v in version_changes(demo, name, path)}
        tags = git(demo.repositories[name].path, "tag", "--list", "production/*").split()
        versions |= {tag.split("/", 1)[1] for tag in tags}
    notes = load_release_notes(demo.example / "release-notes")
    assert {note.version for note in notes} == versions == set(demo.release_versions)
    for note in notes:
        assert note.title == f"Release {note.version}"
        assert note.period_start and note.period_end and note.tickets
        assert all(ticket.audiences and ticket.description for ticket in note.tickets)
