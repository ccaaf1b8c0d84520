"""change-approval, approval-gate and signed-changes judge who approved and who signed: every
deviation kind they produce for approvals by the wrong people, weak evidence and borrowed keys."""

from __future__ import annotations

import subprocess
from dataclasses import replace

from evidence_builders import ANN, BOB, CAROL, History, change, installation, sha

from generator.approvalconfig import ApprovalConfig, ApproverGroup, Side, Strength
from generator.config import SigningConfig
from generator.evidence.context import RuleContext
from generator.evidence.registry import Failure, all_rules
from generator.history.model import Identity

APPROVAL = all_rules()["change-approval"]
GATE = all_rules()["approval-gate"]
SIGNED = all_rules()["signed-changes"]
BOARD = ApproverGroup("customer-board", Side.CUSTOMER, (r"[^@]+@customer\.example",))
KEYS = SigningConfig(allowed_signers="allowed_signers")  # the rules only ask whether keys exist


def board_installation(strength: Strength = Strength.TRAILER, signing=None):
    base = installation(("staging", "production"), signing=signing)
    staging, production = base.environments
    production = replace(production, approvers=("customer-board",), approval_strength=strength)
    return replace(
        base, environments=(staging, production), approvals=ApprovalConfig(groups=(BOARD,))
    )


def judge(rule, history: History, **params):
    return rule.evaluate(RuleContext(history), params)


def test_change_approval_reports_approvals_by_people_not_allowed():
    changes = [
        change("customer", "2026-01-10T10:00:00Z", approvers=(CAROL,)),
        change("colleague", "2026-01-11T10:00:00Z", approvers=(BOB,)),
    ]
    result = judge(APPROVAL, History(installation=board_installation(), changes=changes),
                   roles=["production"])  # fmt: skip
    assert result.status == "deviations"
    assert result.failures == (
        Failure(
            "approved by Bob Approver <bob@example.com>, who may not approve production changes "
            "(approvers: customer-board (customer))",
            sha("colleague"),
            kind="approver_not_allowed",
        ),
    )
    assert result.reason == (
        "1 of 2 production changes was not properly approved: 1 approved only by people who "
        "may not approve them. The other 1 passed, only as an approval line naming the "
        "approver, written by whoever made the commit (not made or signed by the approver)."
    )
    assert result.details["approver_not_allowed"] == 1
    assert result.details["approvers"] == "production by customer-board (customer)"
    # Only the approval that counted: Bob's line names someone who may not approve production.
    assert result.details["evidence"] == {"signed": 0, "merged": 0, "trailer": 1}


def test_change_approval_reports_approvals_weaker_than_required():
    inst = board_installation(Strength.SIGNED, KEYS)
    changes = [
        change("signed", "2026-01-10T10:00:00Z", approvers=(CAROL,), evidence=("signed",)),
        change("merged", "2026-01-11T10:00:00Z", approvers=(CAROL,), evidence=("merged",)),
    ]
    result = judge(APPROVAL, History(installation=inst, changes=changes), roles=["production"])
    assert [(f.sha, f.kind) for f in result.failures] == [(sha("merged"), "approval_too_weak")]
    assert result.details["evidence"] == {"signed": 1, "merged": 0, "trailer": 0}
    assert result.reason.endswith(
        "The other 1 passed, signed by the approver (the commit or its release tag)."
    )
    assert result.does_not_show == ()  # production accepts only signatures


def test_change_approval_says_who_may_approve_when_nothing_is_wrong():
    changes = [change("customer", "2026-01-10T10:00:00Z", approvers=(CAROL,))]
    result = judge(APPROVAL, History(installation=board_installation(), changes=changes),
                   roles=["production"])  # fmt: skip
    assert result.status == "no_deviations"
    assert result.reason == (
        "The 1 production change carries a recorded approval by someone other than its author "
        "(production by customer-board (customer)), only as an approval line naming the "
        "approver, written by whoever made the commit (not made or signed by the approver)."
    )
    # The approval lines named are those the configuration reads (approvals.trailers, here
    # the default), not always Approved-by.
    assert result.does_not_show == (
        "That the person an approval line (Approved-by or Reviewed-by) names made that approval: "
        "production accepts such a line as evidence (approval_strength: trailer), and whoever "
        "makes the commit writes it; only a merge or a signature by the approver is their own "
        "act.",
    )


def test_what_an_approval_line_does_not_show_names_the_lines_read():
    """RuleResult.does_not_show names the trailers the installation's configuration reads, for
    change-approval and approval-gate alike, and is empty where none is read (no approval line
    can count then)."""
    changes = [
        change("r1", "2026-01-10T10:00:00Z", approvers=(CAROL,), releases={"production": "1.0"})
    ]
    for trailers, named in (
        (("Signed-off-by",), "(Signed-off-by)"),
        (("Change-approved-by", "Approved-by"), "(Change-approved-by or Approved-by)"),
    ):
        inst = board_installation()
        inst = replace(inst, approvals=replace(inst.approvals, trailers=trailers))
        history = History(installation=inst, changes=changes)
        for rule, params in ((APPROVAL, {"roles": ["production"]}), (GATE, {"role": "production"})):
            result = judge(rule, history, **params)
            assert result.status == "no_deviations", (rule.kind, result.reason)
            (limit,) = result.does_not_show
            assert limit.startswith(f"That the person an approval line {named} names made"), (
                rule.kind,
                limit,
            )
    inst = board_installation()
    inst = replace(inst, approvals=replace(inst.approvals, trailers=()))
    history = History(installation=inst, changes=changes)
    for result in (judge(APPROVAL, history, roles=["production"]),
                   judge(GATE, history, role="production")):  # fmt: skip
        assert result.population == 1 and result.does_not_show == ()


def test_approval_evidence_counts_only_approvals_that_counted():
    """details.evidence and the reason count the passing changes by the weakest approval they
    needed: a failed change's signature and a not-allowed approver's signature count for
    nothing, and a change of two environments rests on the weaker of the two."""
    inst = board_installation(Strength.MERGED)
    staging_board = ApproverGroup("ops", Side.PROVIDER, (r"bob@example\.com",))
    staging, production = inst.environments
    inst = replace(
        inst,
        environments=(replace(staging, approvers=("ops",)), production),
        approvals=ApprovalConfig(groups=(BOARD, staging_board)),
    )
    changes = [
        change("self", "2026-01-10T10:00:00Z", author=CAROL, approvers=(CAROL,),
               evidence=("signed",)),
        change("merged", "2026-01-11T10:00:00Z", approvers=(CAROL,), evidence=("merged",)),
        change("both", "2026-01-12T10:00:00Z", ("staging", "production"), approvers=(CAROL, BOB),
               evidence=("signed", "trailer")),
        change("two", "2026-01-13T10:00:00Z", approvers=(BOB, CAROL),
               evidence=("signed", "merged")),
    ]  # fmt: skip
    history = History(installation=inst, changes=changes)
    result = judge(APPROVAL, history, roles=["staging", "production"])
    assert [f.sha for f in result.failures] == [sha("self")]
    assert result.details["evidence"] == {"signed": 0, "merged": 2, "trailer": 1}
    assert result.reason.endswith(
        "The other 3 passed: 2 merged by the approver, 1 only as an approval line naming the "
        "approver, written by whoever made the commit (not made or signed by the approver)."
    )
    assert result.does_not_show and "staging accepts such a line" in result.does_not_show[0]
    production_only = judge(APPROVAL, history, roles=["production"])
    assert production_only.details["evidence"] == {"signed": 1, "merged": 2, "trailer": 0}
    assert production_only.does_not_show == ()


def test_the_approval_gate_reports_releases_approved_by_people_not_allowed():
    changes = [
        change("r1", "2026-01-10T10:00:00Z", approvers=(CAROL,), releases={"production": "1.0"}),
        change("r2", "2026-01-17T10:00:00Z", approvers=(BOB,), releases={"production": "1.1"}),
    ]
    result = judge(GATE, History(installation=board_installation(), changes=changes),
                   role="production")  # fmt: skip
    assert [(f.sha, f.kind) for f in result.failures] == [(sha("r2"), "approver_not_allowed")]
    assert result.failures[0].message.startswith("1.1: approved by Bob Approver")


def test_signed_changes_reports_a_good_signature_by_someone_elses_key():
    dave = Identity("Dave Ops", "dave@example.com")
    changes = [
        change("own", "2026-01-10T10:00:00Z", verified=True, committer=ANN,
               signer="ann@example.com"),
        change("gpg-uid", "2026-01-11T10:00:00Z", verified=True, committer=ANN,
               signer="Ann Author <ANN@example.com>"),
        change("borrowed", "2026-01-12T10:00:00Z", verified=True, committer=dave,
               signer="ann@example.com"),
        change("no-owner", "2026-01-13T10:00:00Z", verified=True, committer=dave, signer=None),
    ]  # fmt: skip
    result = judge(SIGNED, History(installation=installation(signing=KEYS), changes=changes),
                   roles=["production"])  # fmt: skip
    assert [(f.sha, f.kind) for f in result.failures] == [
        (sha("borrowed"), "signer_mismatch"),
        (sha("no-owner"), "signer_mismatch"),
    ]
    key = f"SHA256:{sha('ann@example.com')[:43]}"
    assert result.failures[0].message == (
        f"signed with the key {key} of ann@example.com, committed by Dave Ops <dave@example.com>"
    )
    assert result.failures[1].message == (
        "signed with a key the configured keys bind to no one, committed by Dave Ops "
        "<dave@example.com>"
    )
    assert "signer_mismatch" in SIGNED.deviation_kinds


def test_signer_mismatch_is_found_in_a_real_repository(tmp_path):
    from gitrepo import GitRepo, ssh_key

    from generator.config import EnvironmentConfig, InstallationConfig, Period
    from generator.history import read_history

    keys = tmp_path / "keys"
    ann_key = ssh_key(keys, "ann", principal="ann@example.com")
    bob_key = ssh_key(keys, "bob", principal="bob@example.com")
    allowed = keys / "allowed_signers"
    allowed.write_text(ann_key.allowed_signers.read_text() + bob_key.allowed_signers.read_text())
    repo = GitRepo.create(tmp_path / "acme")
    prod = "environments/production/a.yaml"
    ann = "Ann Author <ann@example.com>"
    repo.commit("Own key", files={prod: "a: 1\n"}, author=ann, sign=ann_key,
                date="2026-01-10T10:00:00+00:00")  # fmt: skip
    borrowed = repo.commit("Bob's key", files={prod: "a: 2\n"}, author=ann, sign=bob_key,
                           date="2026-01-11T10:00:00+00:00")  # fmt: skip
    env = EnvironmentConfig("production", ("environments/production/**",), None, "required")
    inst = InstallationConfig("acme", "./acme", repo.path, "main", (env,),
                              signing=SigningConfig(allowed_signers=allowed))  # fmt: skip
    history = read_history(inst, Period.parse("2026-01-01..2026-03-31"), cache_dir=tmp_path / "c")
    result = SIGNED.evaluate(RuleContext(history), {"roles": ["production"]})
    fingerprint = subprocess.run(
        ["ssh-keygen", "-lf", str(bob_key.public)], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    assert [(f.sha, f.kind) for f in result.failures] == [(borrowed, "signer_mismatch")]
    assert result.failures[0].message == (
        f"signed with the key {fingerprint} of bob@example.com, committed by Ann Author "
        "<ann@example.com>"
    )
    own, other = history.changes
    assert (own.commit.signer, other.commit.signer) == ("ann@example.com", "bob@example.com")
    assert other.commit.signing_key == fingerprint


def test_the_approval_gate_reports_release_approvals_weaker_than_required():
    inst = board_installation(Strength.MERGED)
    changes = [
        change("r1", "2026-01-10T10:00:00Z", approvers=(CAROL,), evidence=("merged",),
               releases={"production": "1.0"}),
        change("r2", "2026-01-17T10:00:00Z", approvers=(CAROL,), releases={"production": "1.1"}),
    ]  # fmt: skip
    result = judge(GATE, History(installation=inst, changes=changes), role="production")
    assert [(f.sha, f.kind) for f in result.failures] == [(sha("r2"), "approval_too_weak")]
    assert result.failures[0].message.endswith("production requires merged")
    assert result.details["approvers"] == (
        "production by customer-board (customer), evidenced as merged at least"
    )
    assert set(GATE.deviation_kinds) == {
        "unapproved", "self_approved", "approver_not_allowed", "approval_too_weak",
        "unreadable_version", "approvers_unknown",
    }  # fmt: skip
