"""Who approved a change and how the history evidences it: signed, merged or trailer; forge
service identities and systems are no approvers; good signatures carry signer and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import GitRepo, ssh_key

from generator.approvalconfig import ApprovalConfig, Automation
from generator.config import EnvironmentConfig, InstallationConfig, Period, SigningConfig
from generator.history import read_history
from generator.history.model import Approval, Identity

PERIOD = Period.parse("2026-01-01..2026-03-31")
PROD = "environments/production"
ANN = "Ann Author <ann@example.com>"
BOB = "Bob Board <bob@customer.example>"
GITHUB = "GitHub <noreply@github.com>"
BOT = "Release Bot <release-bot@example.com>"
ANN_ID = Identity("Ann Author", "ann@example.com")
BOB_ID = Identity("Bob Board", "bob@customer.example")


def installation(
    path: Path, approvals: ApprovalConfig, signing: SigningConfig
) -> InstallationConfig:
    env = EnvironmentConfig("production", (f"{PROD}/**",), None, "required")
    return InstallationConfig(
        "acme", "./acme", path, "main", (env,), approvals=approvals, signing=signing
    )


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("approvals")
    keys = base / "keys"
    ann_key = ssh_key(keys, "ann", principal="ann@example.com")
    bob_key = ssh_key(keys, "bob", principal="bob@customer.example")
    web_flow = ssh_key(keys, "web-flow", principal="noreply@github.com")
    allowed = keys / "allowed_signers"
    allowed.write_text("".join(k.allowed_signers.read_text() for k in (ann_key, bob_key, web_flow)))
    repo = GitRepo.create(base / "acme")
    repo.commit("Initial", files={f"{PROD}/a.yaml": "a: 0\n"}, author=ANN,
                date="2025-12-01T10:00:00+00:00")  # fmt: skip

    def branch_work(name: str, value: int, date: str) -> None:
        repo.branch(name)
        repo.commit(f"Work on {name}", files={f"{PROD}/a.yaml": f"a: {value}\n"}, author=ANN,
                    date=date)  # fmt: skip
        repo.checkout("main")

    # A merge made in GitHub's web interface: GitHub commits and signs it, the person who pressed
    # the button is only its author.
    branch_work("web", 1, "2026-01-10T09:00:00+00:00")
    repo.merge("web", message="Merge pull request #7 from ann/web\n\nRaise a", author=BOB,
               committer=GITHUB, sign=web_flow, date="2026-01-10T10:00:00+00:00")  # fmt: skip
    # The same, with an approval line someone wrote into the merge message.
    branch_work("web-trailer", 2, "2026-01-11T09:00:00+00:00")
    repo.merge("web-trailer", message="Merge pull request #8", author=BOB, committer=GITHUB,
               trailers=[("Approved-by", BOB)], sign=web_flow,
               date="2026-01-11T10:00:00+00:00")  # fmt: skip
    # The approver merges, unsigned: merged; and signed with their own key: signed.
    branch_work("merged", 3, "2026-01-12T09:00:00+00:00")
    repo.merge("merged", committer=BOB, trailers=[("Approved-by", BOB)],
               date="2026-01-12T10:00:00+00:00")  # fmt: skip
    branch_work("signed", 4, "2026-01-13T09:00:00+00:00")
    repo.merge("signed", committer=BOB, sign=bob_key, date="2026-01-13T10:00:00+00:00")
    # The author merges with the approver's line in the message, signing with the approver's key.
    branch_work("borrowed", 5, "2026-01-14T09:00:00+00:00")
    repo.merge("borrowed", committer=ANN, trailers=[("Approved-by", BOB)], sign=bob_key,
               date="2026-01-14T10:00:00+00:00")  # fmt: skip
    # A pipeline's own commit carrying an approval line.
    repo.commit("Roll out", files={f"{PROD}/a.yaml": "a: 6\n"}, author=BOT,
                trailers=[("Approved-by", BOB)], date="2026-01-15T10:00:00+00:00")  # fmt: skip
    # A forge bot's merge.
    branch_work("bot", 7, "2026-01-16T09:00:00+00:00")
    dependabot = "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>"
    repo.merge("bot", committer=dependabot, date="2026-01-16T10:00:00+00:00")
    return repo, allowed, base


def read(setup, approvals: ApprovalConfig | None = None, keys: bool = True):
    repo, allowed, base = setup
    approvals = approvals or ApprovalConfig()
    signing = SigningConfig(allowed_signers=allowed) if keys else SigningConfig()
    name = f"cache-{hash((approvals, keys)) & 0xFFFF}"
    history = read_history(installation(repo.path, approvals, signing), PERIOD,
                           cache_dir=base / name)  # fmt: skip
    return {c.commit.subject.split(" from ")[0]: c for c in history.changes}


def test_a_forge_merge_committer_is_never_an_approver_by_itself(setup):
    changes = read(setup)
    web = changes["Merge pull request #7"]
    assert web.commit.committer == Identity("GitHub", "noreply@github.com")
    assert web.commit.signature_verified is True  # GitHub's own key signed it
    assert web.approvers == () and web.approvals == ()
    assert not web.self_approved
    # An approval line in the message still counts, as a line someone wrote.
    assert changes["Merge pull request #8"].approvals == (Approval(BOB_ID, "trailer"),)


def test_evidence_is_merged_when_the_approver_made_the_merge_and_signed_when_they_signed(setup):
    changes = read(setup)
    assert changes["Merge merged"].approvals == (Approval(BOB_ID, "merged"),)
    signed = changes["Merge signed"]
    assert signed.approvals == (Approval(BOB_ID, "signed"),)
    assert signed.commit.signer == "bob@customer.example"
    assert signed.commit.signing_key.startswith("SHA256:")


def test_a_signature_by_the_approvers_key_on_someone_elses_merge_is_signed_evidence(setup):
    borrowed = read(setup)["Merge borrowed"]
    # Ann merged (so Ann is an approver as merge committer, and an author: self-approved), the
    # signature is Bob's: his approval is evidenced by his signature, whoever committed.
    assert borrowed.commit.signer == "bob@customer.example"
    assert borrowed.approvals == (Approval(BOB_ID, "signed"), Approval(ANN_ID, "merged"))
    assert borrowed.self_approved


def test_without_keys_nothing_is_signed_evidence_and_no_signer_is_known(setup):
    changes = read(setup, keys=False)
    assert changes["Merge signed"].approvals == (Approval(BOB_ID, "merged"),)
    assert changes["Merge signed"].commit.signer is None
    assert changes["Merge signed"].commit.signing_key is None


def test_a_systems_approval_line_on_its_own_commit_counts_only_when_configured(setup):
    plain = ApprovalConfig(automation=(Automation(r"release-bot@example\.com"),))
    assert read(setup, plain)["Roll out"].approvers == ()
    carrying = ApprovalConfig(
        automation=(Automation(r"release-bot@example\.com", "release management sign-off"),)
    )
    assert read(setup, carrying)["Roll out"].approvals == (Approval(BOB_ID, "trailer"),)
    # Unconfigured, the pipeline is just another committer writing someone's approval line.
    assert read(setup)["Roll out"].approvals == (Approval(BOB_ID, "trailer"),)


def test_a_forge_bot_account_never_approves_as_merge_committer(setup):
    bot = read(setup)["Merge bot"]
    assert bot.approvers == ()
