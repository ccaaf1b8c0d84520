"""meshcomply.yml's approvals: groups with sides, automation, CODEOWNERS, per-environment
approvers and the weakest approval evidence accepted; every problem located."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from generator.approvalconfig import FORGE_IDENTITIES, ApproverGroup, Automation, Side, Strength
from generator.build import config_sections
from generator.config import load_config
from generator.errors import InputError

GOOD = """\
installations:
  acme:
    repo: ./acme-config
    ref: main
    environments:
      staging:
        paths: ["environments/staging/**"]
        approvers: [meshcloud-operations]
      production:
        paths: ["environments/production/**"]
        approvers: [acme-change-board]
        approval_strength: signed
      sandbox:
        role: other
        paths: [sandbox]
        approvers: [codeowners]
    approvals:
      trailers: [Approved-by]
      merge_committer: false
      groups:
        acme-change-board:
          side: customer
          members: ['jane\\.doe@acme\\.example', 'marcus\\.webb@acme\\.example']
          handles: ['@acme/change-board']
        meshcloud-operations:
          side: provider
          members: ['[^@]+@meshcloud\\.io']
      automation:
        - email: 'release-bot@meshcloud\\.io'
          carries_approvals_from: meshcloud release management
        - email: 'renovate@example\\.com'
      codeowners: .github/CODEOWNERS
    signing:
      allowed_signers: allowed_signers
"""


def write(folder: Path, text: str) -> Path:
    (folder / "acme-config").mkdir(exist_ok=True)
    (folder / "allowed_signers").write_text("")
    path = folder / "meshcomply.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_config(path, config_sections())
    return [str(p).removeprefix(f"{path}:") for p in caught.value.problems]


def test_groups_automation_and_environment_approvers_load(tmp_path):
    (acme,) = load_config(write(tmp_path, GOOD), config_sections()).installations
    approvals = acme.approvals
    assert approvals.groups == (
        ApproverGroup(
            "acme-change-board",
            Side.CUSTOMER,
            (r"jane\.doe@acme\.example", r"marcus\.webb@acme\.example"),
            ("@acme/change-board",),
        ),
        ApproverGroup("meshcloud-operations", Side.PROVIDER, (r"[^@]+@meshcloud\.io",)),
    )
    assert approvals.automation == (
        Automation(r"release-bot@meshcloud\.io", "meshcloud release management"),
        Automation(r"renovate@example\.com"),
    )
    assert approvals.codeowners == ".github/CODEOWNERS"
    staging, production, sandbox = acme.environments
    assert (staging.approvers, staging.approval_strength) == (
        ("meshcloud-operations",),
        Strength.TRAILER,
    )
    assert (production.approvers, production.approval_strength) == (
        ("acme-change-board",),
        Strength.SIGNED,
    )
    assert sandbox.approvers == ("codeowners",)


def test_members_match_whole_addresses_ignoring_case(tmp_path):
    (acme,) = load_config(write(tmp_path, GOOD), config_sections()).installations
    board = acme.approvals.group("acme-change-board")
    assert board.includes("Jane.Doe@ACME.example")
    assert not board.includes("jane.doe@acme.example.evil.com")  # a whole match, not a search
    assert not board.includes("xjane.doe@acme.example")
    assert not board.includes("")  # a name-only trailer has no address to match


def test_systems_and_forge_identities_are_not_people(tmp_path):
    (acme,) = load_config(write(tmp_path, GOOD), config_sections()).installations
    approvals = acme.approvals
    assert approvals.system("release-bot@meshcloud.io").carries_approvals_from == (
        "meshcloud release management"
    )
    assert approvals.system("renovate@example.com").carries_approvals_from is None
    assert approvals.system("dependabot[bot]@users.noreply.github.com") is not None
    assert approvals.system("lena.fischer@meshcloud.io") is None
    assert "noreply@github.com" in FORGE_IDENTITIES
    assert not approvals.is_person("NoReply@GitHub.com")
    assert not approvals.is_person("release-bot@meshcloud.io")
    assert approvals.is_person("lena.fischer@meshcloud.io")


def test_every_approvals_problem_is_located(tmp_path):
    path = write(
        tmp_path,
        """\
        installations:
          acme:
            repo: ./acme-config
            ref: main
            environments:
              staging:
                paths: [s]
                approvers: [codeowners, board]
              production:
                paths: [p]
                approvers: [nobody]
                approval_strength: signed
              qa:
                role: other
                paths: [q]
                approvers: [codeowners]
                approval_strength: strongest
            approvals:
              groups:
                board: {side: customer, members: ['(unclosed']}
                codeowners: {side: both, members: []}
              automation:
                - email: '(?=bot)'
                - name: bot
              codeowners: ../CODEOWNERS
        """,
    )
    at = "installations.acme"
    assert problems(path) == [
        f"8:21: {at}.environments.staging.approvers[0]: 'codeowners' stands alone: the owners "
        "of the changed files",
        f"11:21: {at}.environments.production.approvers[0]: no approver group 'nobody' in "
        "approvals.groups (declared: board, codeowners)",
        f"12:28: {at}.environments.production.approval_strength: signed approvals need "
        "signing.allowed_signers or signing.gpg_keyring, to tell who signed",
        f"17:28: {at}.environments.qa.approval_strength: 'strongest' is not one of: trailer, "
        "merged, signed",
        f"20:43: {at}.approvals.groups.board.members[0]: not a valid regular expression for RE2 "
        "(linear-time matching: no backreferences or lookaround): missing ): (unclosed",
        f"21:21: {at}.approvals.groups.codeowners: 'codeowners' is reserved (environments name "
        "it for CODEOWNERS)",
        f"21:28: {at}.approvals.groups.codeowners.side: 'both' is not one of: customer, provider",
        f"21:43: {at}.approvals.groups.codeowners.members: [] should be non-empty",
        f"23:18: {at}.approvals.automation[0].email: not a valid regular expression for RE2 "
        "(linear-time matching: no backreferences or lookaround): invalid perl operator: (?=",
        f"24:11: {at}.approvals.automation[1]: missing required field 'email'",
        f"24:11: unknown field 'name' in {at}.approvals.automation[1] (allowed: "
        "carries_approvals_from, email)",
        f"25:19: {at}.approvals.codeowners: '../CODEOWNERS' must be a path in the repository, "
        "relative to its root, without '..'",
    ]
