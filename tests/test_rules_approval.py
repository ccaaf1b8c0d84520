"""change-approval and approval-gate: every verdict and every failure shape."""

from __future__ import annotations

from dataclasses import replace

from evidence_builders import ANN, BOB, CAROL, History, change, commit, installation, release, sha
from reason_checks import disagreements

from generator.evidence.context import RuleContext
from generator.evidence.registry import Failure, all_rules

APPROVAL = all_rules()["change-approval"].evaluate
GATE = all_rules()["approval-gate"].evaluate
# How a pass resting on approval lines is worded: the committer's statement, not the approver's.
LINE = (
    "only as an approval line naming the approver, written by whoever made the commit (not made "
    "or signed by the approver)"
)


def judge(rule, history: History, **params):
    return rule(RuleContext(history), params)


def test_all_changes_approved_has_no_deviations_and_cites_every_change():
    changes = [
        change("c1", "2026-01-10T10:00:00+01:00"),
        change("c2", "2026-02-10T10:00:00+01:00", ("staging",), approvers=()),
        change("c3", "2026-07-01T00:30:00+02:00", approvers=(BOB, CAROL)),
    ]
    result = judge(APPROVAL, History(changes=changes), roles=["production"])
    assert result.status == "no_deviations"
    assert result.reason == (
        f"All 2 production changes carry a recorded approval by someone other than their "
        f"authors, each {LINE}."
    )
    assert (result.population, result.passed, result.failed) == (2, 2, 0)
    assert result.cited == (sha("c1"), sha("c3"))
    # 00:30+02:00 on July 1 is June 30 in UTC, the time zone of the period's boundaries.
    assert result.last_evidence == "2026-06-30"


def test_missing_and_self_approvals_fail_per_sha_with_messages():
    changes = [
        change("ok", "2026-01-10T10:00:00Z"),
        change("none", "2026-01-11T10:00:00Z", approvers=()),
        change("self", "2026-01-12T10:00:00Z", author=ANN, approvers=(ANN,)),
        change("self+other", "2026-01-13T10:00:00Z", author=BOB, approvers=(CAROL, BOB)),
    ]
    result = judge(APPROVAL, History(changes=changes), roles=["production"])
    assert result.status == "deviations"
    assert result.failures == (
        Failure("no approver", sha("none"), kind="unapproved"),
        Failure("self-approved by Ann Author", sha("self"), kind="self_approved"),
        Failure("self-approved by Bob Approver", sha("self+other"), kind="self_approved"),
    )
    assert result.reason == (
        "3 of 4 production changes were not properly approved: 1 without an approver, "
        f"2 self-approved. The other 1 passed, {LINE}."
    )
    assert (result.population, result.passed, result.failed) == (4, 1, 3)
    assert result.details["unapproved"] == 1 and result.details["self_approved"] == 2


def test_min_approvers_counts_people():
    changes = [
        change("one", "2026-01-10T10:00:00Z", approvers=(BOB,)),
        change("two", "2026-01-11T10:00:00Z", approvers=(BOB, CAROL)),
    ]
    result = judge(APPROVAL, History(changes=changes), roles=["production"], min_approvers=2)
    assert result.failures == (
        Failure("1 approver (minimum 2)", sha("one"), kind="too_few_approvers"),
    )
    assert result.reason == (
        "1 of 2 production changes was not properly approved: 1 with too few approvers. "
        f"The other 1 passed, {LINE}."
    )


def test_population_is_the_union_of_the_environments():
    changes = [
        change("s", "2026-01-10T10:00:00Z", ("staging",), approvers=()),
        change("p", "2026-01-11T10:00:00Z", ("production",)),
        change("both", "2026-01-12T10:00:00Z", ("staging", "production")),
    ]
    history = History(changes=changes)
    result = judge(APPROVAL, history, roles=["staging", "production"])
    assert result.population == 3
    assert result.reason.startswith("1 of 3 staging and production changes was not")


def test_no_changes_in_an_environment_the_history_shows_has_no_deviations():
    history = History(releases=[release("2025.9.0", "production", "2025-10-01T10:00:00Z")])
    result = judge(APPROVAL, history, roles=["production"])
    assert result.status == "no_deviations"
    assert result.reason == "No production changes in the period, so none went unapproved."
    assert result.population == 0 and result.cited == ()


def test_no_changes_seen_through_an_earlier_commit_touching_the_paths():
    earlier = commit("setup", "2025-05-01T10:00:00Z", files=("environments/production/a.yaml",))
    result = judge(APPROVAL, History(commits=[earlier]), roles=["production"])
    assert result.status == "no_deviations"


def test_no_changes_and_no_trace_of_the_environment_is_not_tested():
    elsewhere = commit("docs", "2025-05-01T10:00:00Z", files=("docs/production/readme.md",))
    later = release("2026.1.0", "production", "2026-07-01T00:00:00Z")  # after the period
    result = judge(APPROVAL, History(commits=[elsewhere], releases=[later]), roles=["production"])
    assert result.status == "not_tested"
    assert result.reason == (
        "No production changes in the period, and the history shows no release or commit for "
        "production by the period end, so there is no evidence."
    )


def test_a_role_no_environment_has_is_not_evidenced():
    history = History(
        installation=installation(("production", "dev:other")),
        changes=[change("p", "2026-01-11T10:00:00Z")],
    )
    result = judge(APPROVAL, history, roles=["staging", "production"])
    assert result.status == "not_tested"
    assert result.reason == (
        "No environment of installation acme has the role 'staging' (configured: production "
        "and dev (other)), so there is no evidence for it."
    )


def test_environments_are_chosen_by_role_whatever_their_names():
    changes = [
        change("s", "2026-01-10T10:00:00Z", ("stg",), approvers=()),
        change("p", "2026-01-11T10:00:00Z", ("prod",), approvers=()),
        change("p2", "2026-01-12T10:00:00Z", ("prod",)),
        change("d", "2026-01-13T10:00:00Z", ("production",), approvers=()),
    ]
    envs = ("stg:staging", "prod:production", "production:other")
    history = History(installation=installation(envs), changes=changes)
    result = judge(APPROVAL, history, roles=["production"])
    assert (result.population, result.cited) == (2, (sha("p"), sha("p2")))
    assert result.reason == (
        "1 of 2 production changes was not properly approved: 1 without an approver. "
        f"The other 1 passed, {LINE}."
    )
    assert judge(APPROVAL, history, roles=["staging", "production"]).population == 3
    assert judge(APPROVAL, history, roles=["other"]).cited == (sha("d"),)
    gate = [change("r", "2026-02-01T10:00:00Z", ("prod",), releases={"prod": "2026.1.0"})]
    result = judge(GATE, History(installation=installation(envs), changes=gate))
    assert (result.status, result.population, result.details["environment"]) == (
        "no_deviations", 1, "prod"
    )  # fmt: skip
    assert result.reason.startswith("The 1 production release in the period carries a recorded")


def test_gate_judges_only_changes_that_moved_the_version():
    changes = [
        change("config", "2026-02-01T10:00:00Z", approvers=()),
        change("r1", "2026-02-02T10:00:00Z", releases={"production": "2026.1.0"}),
        change(
            "r2",
            "2026-03-02T10:00:00Z",
            approvers=(),
            releases={"production": "2026.2.0"},
        ),
        change(
            "r3",
            "2026-04-02T10:00:00Z",
            author=CAROL,
            approvers=(CAROL,),
            releases={"production": "2026.3.0"},
        ),
        change("stage", "2026-04-03T10:00:00Z", ("staging",), releases={"staging": "2026.4.0"}),
    ]
    result = judge(GATE, History(changes=changes))
    assert result.status == "deviations"
    assert result.population == 3
    assert result.cited == (sha("r1"), sha("r2"), sha("r3"))
    assert result.failures == (
        Failure("2026.2.0: no approver", sha("r2"), kind="unapproved"),
        Failure("2026.3.0: self-approved by Carol Customer", sha("r3"), kind="self_approved"),
    )
    assert result.reason == (
        "2 of 3 production releases in the period were not approved by the customer. "
        f"The other 1 passed, {LINE}."
    )
    assert result.last_evidence == "2026-04-02"


def test_gate_on_another_environment():
    changes = [change("s", "2026-04-03T10:00:00Z", ("staging",), releases={"staging": "2026.4.0"})]
    result = judge(GATE, History(changes=changes), role="staging")
    assert result.status == "no_deviations"
    assert result.reason == (
        "The 1 staging release in the period carries a recorded approval by someone other "
        f"than its author, {LINE}."
    )


def test_gate_includes_tag_releases_at_their_tagged_commit():
    tagged = change("tagged", "2026-02-02T10:00:00Z", approvers=())
    outside = commit("docs only", "2026-03-01T10:00:00Z", files=("README.md",))
    tag_on_change = release("2026.1.0", "production", "2026-02-02T10:00:00Z", source="tag")
    tag_on_change = replace(tag_on_change, sha=tagged.commit.sha)
    tag_elsewhere = release("2026.2.0", "production", "2026-03-01T10:00:00Z", source="tag")
    tag_elsewhere = replace(tag_elsewhere, sha=outside.sha)
    history = History(commits=[outside], changes=[tagged], releases=[tag_on_change, tag_elsewhere])
    result = judge(GATE, history)
    assert result.population == 2
    assert result.failures == (
        Failure("2026.1.0: no approver", sha("tagged"), kind="unapproved"),
        Failure(
            "2026.2.0: release commit is not a change to the environment; no approval found",
            outside.sha,
            kind="unapproved",
        ),
    )


def test_gate_without_releases_in_the_period_is_not_tested():
    before = release("2025.9.0", "production", "2025-10-01T10:00:00Z")
    changes = [change("config", "2026-02-01T10:00:00Z")]
    result = judge(GATE, History(changes=changes, releases=[before]))
    assert result.status == "not_tested"
    assert result.reason == (
        "No release reached production in the period, so the gate was not used."
    )


def test_gate_for_an_unconfigured_environment_is_not_evidenced():
    history = History(installation=installation(("staging",)))
    assert judge(GATE, history).status == "not_tested"


def test_long_populations_are_counted_with_thousands_separators():
    changes = [
        change(f"c{i}", f"2026-01-{1 + i % 28:02d}T10:00:00Z", author=ANN, approvers=(ANN,))
        if i < 1_100
        else change(f"c{i}", f"2026-01-{1 + i % 28:02d}T10:00:00Z")
        for i in range(1_250)
    ]
    result = judge(APPROVAL, History(changes=changes), roles=["production"])
    assert result.reason == (
        "1,100 of 1,250 production changes were not properly approved: 1,100 self-approved. "
        f"The other 150 passed, each {LINE}."
    )
    assert not disagreements(result)
    approved = [change(f"ok{i}", "2026-02-01T10:00:00Z") for i in range(1_200)]
    passing = judge(APPROVAL, History(changes=approved), roles=["production"])
    assert passing.reason.startswith("All 1,200 production changes carry a recorded approval")
    assert not disagreements(passing)


def test_the_context_answers_populations_and_newest_dates_as_each_rule_would():
    # Computed once per build and shared between rules: the answers are those of a fresh
    # computation, and a rule changing its list changes no other rule's.
    from generator.evidence.context import newest_date

    changes = [
        change("s", "2026-01-10T23:30:00-02:00", ("staging",)),
        change("p", "2026-01-11T10:00:00+00:00", ("production",)),
        change("both", "2026-01-11T00:30:00+01:00", ("staging", "production")),
    ]
    context = RuleContext(History(changes=changes))
    first = context.changes_in(["production", "staging"])
    assert [c.commit.sha for c in first] == [sha("s"), sha("p"), sha("both")]
    first.clear()
    assert [c.commit.sha for c in context.changes_in({"staging", "production"})] == [
        sha("s"),
        sha("p"),
        sha("both"),
    ]
    assert [c.commit.sha for c in context.changes_in(["staging"])] == [sha("s"), sha("both")]
    dates = [c.commit.committed_at for c in changes]
    # The newest by moment, not by text: 23:30 at -02:00 is 01:30 UTC on the 11th.
    for asked in (dates, dates[1:], [None, "", dates[0]], [], dates):
        assert context.newest_date(asked) == newest_date(asked)
    assert context.newest_date(dates) == "2026-01-11"
    assert context.newest_date([dates[0]]) == "2026-01-11"
