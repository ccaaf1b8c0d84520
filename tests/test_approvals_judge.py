"""Who may approve and how strongly: groups with sides, CODEOWNERS as it stood before the change,
the weakest evidence an environment accepts. Every kind of approval problem."""

from __future__ import annotations

from dataclasses import replace

from evidence_builders import ANN, BOB, CAROL, History, change, installation, sha

from generator.approvalconfig import ApprovalConfig, ApproverGroup, Side, Strength
from generator.evidence.approvals import ApprovalJudge, ApprovalProblem
from generator.evidence.context import RuleContext
from generator.history.codeowners import parse_codeowners
from generator.history.model import FileVersion, Identity

BOARD = ApproverGroup("customer-board", Side.CUSTOMER, (r"[^@]+@customer\.example",), ("@c/board",))
OPS = ApproverGroup("operations", Side.PROVIDER, (r"[^@]+@example\.com",))
DAVE = Identity("Dave Ops", "dave@example.com")
OWNERS = ".github/CODEOWNERS"


def setup(approvers=("customer-board",), strength=Strength.TRAILER, **approvals):
    base = installation(("staging", "production"))
    staging, production = base.environments
    production = replace(production, approvers=approvers, approval_strength=strength)
    config = ApprovalConfig(groups=(BOARD, OPS), **approvals)
    return replace(base, environments=(staging, production), approvals=config)


def judge(changes, inst=None, versions=None, environments=("production",), minimum=1):
    history = History(installation=inst or setup(), changes=list(changes), versions=versions or {})
    found = ApprovalJudge(RuleContext(history))
    return [found.problem(c, environments, minimum) for c in changes]


def test_an_approval_by_a_member_of_an_allowed_group_is_fine():
    assert judge([change("ok", "2026-01-10T10:00:00Z", approvers=(CAROL,))]) == [None]


def test_an_approval_from_outside_the_allowed_groups_is_approver_not_allowed():
    (problem,) = judge([change("bob", "2026-01-10T10:00:00Z", approvers=(BOB,))])
    assert problem == ApprovalProblem(
        "approver_not_allowed",
        "approved by Bob Approver <bob@example.com>, who may not approve production changes "
        "(approvers: customer-board (customer))",
    )


def test_one_allowed_approver_is_enough_besides_others():
    found = judge([change("both", "2026-01-10T10:00:00Z", approvers=(BOB, CAROL))])
    assert found == [None]


def test_environments_without_approvers_accept_anyone_but_the_authors():
    staging = change("s", "2026-01-10T10:00:00Z", ("staging",), approvers=(BOB,))
    assert judge([staging], environments=("staging",)) == [None]
    # the production list does not apply to a change that is not a production change
    assert judge([staging], environments=("staging", "production")) == [None]


def test_missing_self_and_too_few_approvals_come_first():
    found = judge(
        [
            change("none", "2026-01-10T10:00:00Z", approvers=()),
            change("self", "2026-01-11T10:00:00Z", author=CAROL, approvers=(CAROL,)),
            change("few", "2026-01-12T10:00:00Z", approvers=(CAROL,)),
        ],
        minimum=2,
    )
    assert [p.kind for p in found] == ["unapproved", "self_approved", "too_few_approvers"]
    assert found[1].message == "self-approved by Carol Customer"
    assert found[2].message == "1 approver (minimum 2)"


def test_too_few_of_the_approvers_may_approve():
    (problem,) = judge([change("mixed", "2026-01-10T10:00:00Z", approvers=(CAROL, BOB))], minimum=2)
    assert problem == ApprovalProblem(
        "too_few_approvers", "1 of the approvers may approve production changes (minimum 2)"
    )


def test_an_approval_weaker_than_the_environment_requires_is_approval_too_weak():
    inst = setup(strength=Strength.MERGED)
    trailer = change("trailer", "2026-01-10T10:00:00Z", approvers=(CAROL,), committer=ANN)
    merged = change("merged", "2026-01-11T10:00:00Z", approvers=(CAROL,), evidence=("merged",))
    signed = change("signed", "2026-01-12T10:00:00Z", approvers=(CAROL,), evidence=("signed",))
    found = judge([trailer, merged, signed], inst)
    assert found[1:] == [None, None]
    assert found[0] == ApprovalProblem(
        "approval_too_weak",
        "approval by Carol Customer <carol@customer.example> evidenced as trailer only (the "
        "commit was made by Ann Author); production requires merged",
    )
    # A strong approval by someone not allowed does not make up for it.
    provider = change(
        "p", "2026-01-13T10:00:00Z", approvers=(CAROL, BOB), evidence=("trailer", "signed")
    )
    assert judge([provider], inst)[0].kind == "approval_too_weak"


def codeowners(*texts: tuple[str, str | None]) -> dict[str, list[FileVersion]]:
    """CODEOWNERS versions: (sha label or "" for before the period, text)."""
    return {
        OWNERS: [
            FileVersion(sha(label) if label else "", "2026-01-01T00:00:00Z", text)
            for label, text in texts
        ]
    }


def test_codeowners_as_it_stood_before_each_change_names_who_may_approve():
    inst = setup(approvers=("codeowners",), codeowners=OWNERS)
    before = "environments/production/** @c/board\n"
    after = "environments/production/** dave@example.com\n"
    first = change("first", "2026-01-10T10:00:00Z", approvers=(CAROL,))
    edit = change("edit", "2026-01-11T10:00:00Z", approvers=(DAVE,))  # makes Dave the owner
    later = change("later", "2026-01-12T10:00:00Z", approvers=(DAVE,))
    found = judge([first, edit, later], inst, codeowners(("", before), ("edit", after)))
    assert found[0] is None and found[2] is None
    assert found[1] == ApprovalProblem(
        "approver_not_allowed",
        "approved by Dave Ops <dave@example.com>, no owner approved "
        "environments/production/config.yaml (owners: @c/board)",
    )


def test_files_no_line_owns_need_no_particular_approver():
    inst = setup(approvers=("codeowners",), codeowners=OWNERS)
    versions = codeowners(("", "docs/ @c/board\n"))
    assert judge([change("x", "2026-01-10T10:00:00Z", approvers=(BOB,))], inst, versions) == [None]


def test_a_missing_or_unreadable_codeowners_file_is_a_deviation_saying_why():
    """A missing file or lines that cannot be read: who may approve cannot be told, a kind of
    its own (approvers_unknown), never approver_not_allowed, which would claim the approvers
    were checked against a list. A version that cannot be read as text is unreadable_version.
    Nothing is claimed of the approvers either way."""
    inst = setup(approvers=("codeowners",), codeowners=OWNERS)
    one = [change("x", "2026-01-10T10:00:00Z", approvers=(CAROL,))]
    (missing,) = judge(one, inst, codeowners(("", None)))
    assert missing == ApprovalProblem(
        "approvers_unknown",
        "who may approve cannot be told: .github/CODEOWNERS did not exist before the period",
    )
    (broken,) = judge(one, inst, codeowners(("", "* @c/board\n!secret @x\n")))
    assert broken.kind == "approvers_unknown"
    assert broken.message == (
        "who may approve cannot be told: .github/CODEOWNERS before the period has lines that "
        "cannot be read (line 2: pattern '!secret' negates ('!'), which CODEOWNERS does not "
        "support)"
    )
    big = {OWNERS: [FileVersion("", "2026-01-01T00:00:00Z", None, "file is over 1 MiB")]}
    (unreadable,) = judge(one, inst, big)
    assert unreadable.kind == "unreadable_version"
    assert unreadable.message == (
        "who may approve cannot be told: .github/CODEOWNERS before the period could not be read "
        "(file is over 1 MiB)"
    )


def test_codeowners_patterns_follow_githubs_rules():
    owners = parse_codeowners(
        "# comment\n"
        "*            @org/all\n"
        "*.js         js@example.com  # trailing comment\n"
        "/build/logs/ @ops\n"
        "docs/*       @docs\n"
        "apps/        @apps\n"
        "/config/prod.yaml @org/board jane@acme.example\n"
        "unowned/\n"
    )
    assert owners.problems == ()
    assert owners.owners("README.md") == ("@org/all",)
    assert owners.owners("src/deep/a.js") == ("js@example.com",)
    assert owners.owners("build/logs/x/y.txt") == ("@ops",)
    assert owners.owners("nested/build/logs/y.txt") == ("@org/all",)  # anchored at the root
    assert owners.owners("docs/a.md") == ("@docs",)
    assert owners.owners("docs/guide/a.md") == ("@org/all",)  # docs/* is its own files only
    assert owners.owners("any/apps/x/y") == ("@apps",)
    assert owners.owners("config/prod.yaml") == ("@org/board", "jane@acme.example")
    assert owners.owners("unowned/x") == ()


def test_codeowners_lines_that_cannot_be_read_are_listed_with_their_line():
    found = parse_codeowners("* @a\n!x @b\nsrc/[ab] @c\nz @not_an_owner!\nok @d\n")
    assert found.problems == (
        "line 2: pattern '!x' negates ('!'), which CODEOWNERS does not support",
        "line 3: pattern 'src/[ab]' uses a character range ('['), not supported",
        "line 4: owner '@not_an_owner!' is no @user, @org/team or e-mail address",
    )
    assert [rule.line for rule in found.rules] == [1, 5]


def test_who_may_approve_is_said_in_words():
    from generator.evidence.approvals import allowed_phrase

    context = RuleContext(History(installation=setup(strength=Strength.SIGNED)))
    assert allowed_phrase(context, ["staging", "production"]) == (
        "production by customer-board (customer), evidenced as signed at least"
    )
    assert allowed_phrase(context, ["staging"]) == ""
    owners = RuleContext(History(installation=setup(("codeowners",), codeowners=OWNERS)))
    assert allowed_phrase(owners, ["production"]) == (
        "production by the owners .github/CODEOWNERS names"
    )


def test_change_approval_says_whose_approvers_could_not_be_told():
    """The rule's sentence and figures: an unreadable CODEOWNERS is not counted as an approver
    who may not approve; its count is in the details only when there is one."""
    from reason_checks import disagreements

    from generator.evidence.registry import all_rules

    inst = setup(approvers=("codeowners",), codeowners=OWNERS)
    changes = [
        change("x", "2026-01-10T10:00:00Z", approvers=(CAROL,)),
        change("y", "2026-01-11T10:00:00Z", approvers=()),
    ]
    big = {OWNERS: [FileVersion("", "2026-01-01T00:00:00Z", None, "file is binary")]}
    history = History(installation=inst, changes=changes, versions=big)
    result = all_rules()["change-approval"].evaluate(
        RuleContext(history), {"roles": ["production"]}
    )
    assert [f.kind for f in result.failures] == ["unreadable_version", "unapproved"]
    assert result.reason == (
        "2 of 2 production changes were not shown to be properly approved: 1 without an "
        "approver, 1 whose approvers could not be told (CODEOWNERS could not be read)."
    )
    assert (result.details["approver_not_allowed"], result.details["unreadable_version"]) == (0, 1)
    assert disagreements(result) == []
    gate = all_rules()["approval-gate"].evaluate(RuleContext(history), {"role": "production"})
    assert gate.status == "not_tested"  # no release: the gate is judged on releases only
    readable = History(installation=inst, changes=changes, versions=codeowners(("", "* @c/b\n")))
    plain = all_rules()["change-approval"].evaluate(
        RuleContext(readable), {"roles": ["production"]}
    )
    assert "unreadable_version" not in plain.details  # the demo's details stay as they were


def test_the_rules_say_whose_approvers_could_not_be_told_without_a_codeowners_list():
    """No CODEOWNERS in effect (removed by a change of the period): the changes judged under it
    are approvers_unknown, counted apart from approver_not_allowed, and the reasons of both
    rules say 'not shown to be (properly) approved' and why; the kind is in change-approval's
    details only where there is one."""
    from reason_checks import disagreements

    from generator.evidence.registry import all_rules

    inst = setup(approvers=("codeowners",), codeowners=OWNERS)
    changes = [
        change("owned", "2026-01-10T10:00:00Z", approvers=(CAROL,), releases={"production": "1"}),
        change("removal", "2026-01-11T10:00:00Z", approvers=(CAROL,)),  # CODEOWNERS deleted
        change("after", "2026-01-12T10:00:00Z", approvers=(DAVE,), releases={"production": "2"}),
    ]
    versions = codeowners(("", "environments/production/** @c/board\n"), ("removal", None))
    history = History(installation=inst, changes=changes, versions=versions)
    result = all_rules()["change-approval"].evaluate(
        RuleContext(history), {"roles": ["production"]}
    )
    assert [(f.sha, f.kind) for f in result.failures] == [(sha("after"), "approvers_unknown")]
    assert result.failures[0].message == (
        f"who may approve cannot be told: .github/CODEOWNERS did not exist at {sha('removal')[:12]}"
    )
    assert result.reason.startswith(
        "1 of 3 production changes was not shown to be properly approved: 1 whose approvers "
        "could not be told (no CODEOWNERS in effect, or lines of it that cannot be read)."
    )
    assert (result.details["approver_not_allowed"], result.details["approvers_unknown"]) == (0, 1)
    assert disagreements(result) == []
    gate = all_rules()["approval-gate"].evaluate(RuleContext(history), {"role": "production"})
    assert [(f.sha, f.kind) for f in gate.failures] == [(sha("after"), "approvers_unknown")]
    assert gate.reason.startswith(
        "1 of 2 production releases in the period was not shown to be approved by the customer "
        "(1 whose approvers could not be told: no CODEOWNERS in effect, or lines of it that "
        "cannot be read)."
    )
    assert disagreements(gate) == []
    kept = History(installation=inst, changes=changes, versions=codeowners(("", "* @c/b\n")))
    plain = all_rules()["change-approval"].evaluate(RuleContext(kept), {"roles": ["production"]})
    assert "approvers_unknown" not in plain.details  # results without it keep their bytes
