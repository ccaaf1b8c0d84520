"""The demo's approval by someone not allowed and its commit signed with another person's key,
shown with plain git (tests/test_demo_findings.py runs the engine on them)."""

from __future__ import annotations

import datetime as dt

import pytest
from test_demo_planted import PRODUCTION_FILE, changed_files, commit, finding
from test_demo_support import git, in_period, shared_demo

from generator.demo import DemoResult


@pytest.fixture(scope="session")
def demo() -> DemoResult:
    return shared_demo()


def test_a_meshcloud_colleague_approved_a_production_change(demo: DemoResult) -> None:
    planted = finding(demo, "acme", "change-approval", "not allowed")
    found = commit(demo, "acme", planted.sha)
    assert in_period(found) and found["date"].date() == dt.date(2026, 5, 27)
    assert len(found["parents"]) == 2
    (approver,) = found["approved_by"]
    assert approver.endswith("@meshcloud.io>")  # provider staff, not Acme's change board
    assert approver not in (found["author"], found["committer"])  # no self-approval
    assert PRODUCTION_FILE in changed_files(demo, "acme", planted.sha)
    config = (demo.example / "meshcomply.yml").read_text("utf-8")
    assert "approvers: [acme-change-board]" in config


def test_a_production_merge_is_signed_with_a_colleagues_key(demo: DemoResult) -> None:
    planted = finding(demo, "acme", "signed-changes", "another person's key")
    repo = demo.repositories["acme"].path
    signers = demo.example / "allowed_signers"
    verdict, principal, committer = git(
        repo, "-c", f"gpg.ssh.allowedSignersFile={signers}", "log", "-1",
        "--format=%G? %GS %ce", planted.sha,
    ).split()  # fmt: skip
    assert verdict == "G"  # a good signature by a key the allowed-signers file lists...
    assert principal != committer  # ...for someone other than the committer
    assert principal.endswith("@meshcloud.io") and committer.endswith("@meshcloud.io")
    found = commit(demo, "acme", planted.sha)
    assert in_period(found) and found["approved_by"][0].endswith("@acme.example>")
    # One key per person: no key is listed for two principals.
    keys = [line.split()[-1] for line in signers.read_text().splitlines() if "ssh-" in line]
    assert len(keys) == len(set(keys)) >= 7  # everyone who commits


@pytest.mark.parametrize("name", ["acme", "globex"])
def test_every_other_good_signature_is_the_committers(demo: DemoResult, name: str) -> None:
    signers = demo.example / "allowed_signers"
    out = git(
        demo.repositories[name].path, "-c", f"gpg.ssh.allowedSignersFile={signers}", "log",
        "--first-parent", "--since=2026-01-01T00:00:00Z", "--format=%H %G? %GS %ce", "main",
        "--", "environments/production",
    )  # fmt: skip
    rows = [line.split() for line in out.splitlines()]
    good = [row for row in rows if row[1] == "G"]
    assert len(good) >= 30
    mismatched = {sha for sha, _, principal, committer in good if principal != committer}
    expected = {
        f.sha for f in demo.findings if f.installation == name and f.kind == "signer_mismatch"
    }
    assert mismatched == expected
