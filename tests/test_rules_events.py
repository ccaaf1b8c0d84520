"""The event rules on hand-made event logs: each deviation kind, the boundaries, and not_tested."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import pytest
from evidence_builders import History, commit

from generator.evidence.context import RuleContext
from generator.evidence.registry import all_rules
from generator.history.model import FileChange
from generator.status import Status

URL = "https://meshstack.acme.example"


@dataclass(frozen=True)
class Event:
    uuid: str
    created_at: dt.datetime
    title: str
    author: str = "u-admin"
    author_type: str = "User"
    content: dict[str, Any] = field(default_factory=dict)
    event_type: str = "Added"
    description: str = ""
    workspace: str | None = "payments"
    previous_content: dict[str, Any] | None = None


@dataclass
class Export:
    url: str = f"{URL}/api/meshobjects/mesheventlogs"

    def request_url(self, **filters: str) -> str:
        return f"{self.url}?{urlencode(filters)}"


@dataclass
class Gap:
    start: dt.datetime
    end: dt.datetime
    reason: str


@dataclass
class Log:
    """The parts of the events source's EventLog the rules read."""

    events: list[Event]
    period: Any = None
    export: Export = field(default_factory=Export)
    gaps: tuple[Gap, ...] = ()

    def gaps_overlapping(self, start, end):
        return tuple(g for g in self.gaps if g.start < end and start < g.end)


def binding(subject: str, role: str, target: str = "payments", **extra: Any) -> dict[str, Any]:
    return {
        "subject": {"name": subject},
        "roleRef": {"name": role},
        "targetRef": {"name": target},
        **extra,
    }


def judge(kind: str, events: list[Event] | None, params=None, commits=(), **log: Any):
    history = History(commits=list(commits))
    events = (
        None if events is None else [replace(e, created_at=_moment(e.created_at)) for e in events]
    )
    log_data = None if events is None else Log(sorted(events, key=_when), history.period, **log)
    sources = {} if log_data is None else {"events": log_data}
    return all_rules()[kind].evaluate(RuleContext(history, sources), params or {})


def _when(event: Event) -> dt.datetime:
    return event.created_at


def _moment(value) -> dt.datetime:
    """Events are written here with ISO text; the source gives aware UTC datetimes."""
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)


def grant(uuid, when, subject="ann", role="Workspace Manager", author="u-admin", **extra):
    content = binding(subject, role, expirationDate="2026-12-31T00:00:00Z", **extra)
    return Event(uuid, when, "Workspace User Role Added", author=author, content=content)


def requested(uuid, when, subject="ann", role="Workspace Manager", author="u-bob"):
    return Event(
        uuid, when, "Workspace User Access Request Submitted", author=author,
        content=binding(subject, role), event_type="Requested",
    )  # fmt: skip


def approved(uuid, when, subject="ann", role="Workspace Manager", author="u-carol"):
    return Event(
        uuid, when, "Workspace User Access Request Approved", author=author,
        content=binding(subject, role), event_type="Approved",
    )  # fmt: skip


# access-four-eyes


def test_a_grant_after_a_request_approved_by_another_passes():
    result = judge(
        "access-four-eyes",
        [
            requested("r1", "2026-02-01T09:00:00Z"),
            approved("a1", "2026-02-01T10:00:00Z"),
            grant(
                "g1",
                "2026-02-01T10:00:01Z",
                author="system",
            ),
        ],
    )
    assert result.status is Status.NO_DEVIATIONS
    assert (result.population, result.passed, result.failed) == (1, 1, 0)
    reproduce = {row["figure"]: row for row in result.details["reproduce"]}
    row = reproduce["events: Workspace User Role Added"]
    assert row["request"] == (
        f"GET {URL}/api/meshobjects/mesheventlogs?from=2026-01-01T00%3A00%3A00Z"
        "&until=2026-07-01T00%3A00%3A00Z&title=Workspace+User+Role+Added"
    )
    assert row["expected"] == 1


def test_a_request_approved_by_its_requester_is_self_approved_access():
    result = judge(
        "access-four-eyes",
        [
            requested("r1", "2026-02-01T09:00:00Z", author="u-bob"),
            approved("a1", "2026-02-01T10:00:00Z", author="u-bob"),
            grant("g1", "2026-02-01T10:00:01Z", author="system"),
        ],
    )
    assert result.status is Status.DEVIATIONS
    (failure,) = result.failures
    assert failure.kind == "self_approved_access"
    assert failure.items == ("r1", "a1", "g1")
    assert [row["uuid"] for row in result.details["events"]] == ["r1", "a1", "g1"]


def test_only_privileged_roles_need_a_request():
    result = judge(
        "access-four-eyes",
        [
            grant("g1", "2026-03-01T10:00:00Z", role="Workspace Member"),
            grant("g2", "2026-03-02T10:00:00Z", role="Workspace Manager"),
        ],
    )
    assert result.status is Status.DEVIATIONS
    assert [(f.kind, f.items) for f in result.failures] == [("grant_without_request", ("g2",))]
    assert (result.population, result.failed) == (2, 1)
    # The mapping decides what is privileged.
    lenient = judge(
        "access-four-eyes",
        [grant("g2", "2026-03-02T10:00:00Z", role="Workspace Manager")],
        {"privileged_roles": ["Workspace Owner"]},
    )
    assert lenient.status is Status.NO_DEVIATIONS


def test_an_approval_is_used_once_and_only_for_its_binding():
    result = judge(
        "access-four-eyes",
        [
            requested("r1", "2026-02-01T09:00:00Z"),
            approved("a1", "2026-02-01T10:00:00Z"),
            grant("g1", "2026-02-01T10:00:01Z"),
            grant("g2", "2026-02-03T10:00:00Z"),  # the same binding again: no request left
            grant("g3", "2026-02-03T11:00:00Z", subject="bob"),  # another subject
        ],
    )
    assert sorted(f.items for f in result.failures) == [("g2",), ("g3",)]


def test_a_rejected_request_is_settled_and_not_approved_later():
    rejected = Event(
        "x1", "2026-02-01T11:00:00Z", "Workspace User Access Request Rejected",
        author="u-carol", content=binding("ann", "Workspace Manager"), event_type="Rejected",
    )  # fmt: skip
    result = judge(
        "access-four-eyes",
        [
            requested("r1", "2026-02-01T09:00:00Z", author="u-bob"),
            rejected,
            requested("r2", "2026-02-02T09:00:00Z", author="u-dave"),
            approved("a2", "2026-02-02T10:00:00Z", author="u-dave"),
            grant("g2", "2026-02-02T10:00:01Z", author="system"),
        ],
    )
    # The approval is of r2 (requested and approved by u-dave), not of the rejected r1.
    assert [(f.kind, f.items) for f in result.failures] == [
        ("self_approved_access", ("r2", "a2", "g2"))
    ]


def test_no_event_log_or_a_partial_one_is_not_tested():
    none = judge("access-four-eyes", None)
    assert none.status is Status.NOT_TESTED and "no meshStack event log" in none.reason
    gap = Gap(
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
        "older than the retention",
    )
    partial = judge("access-four-eyes", [], gaps=(gap,))
    assert partial.status is Status.NOT_TESTED
    assert "2026-01-01T00:00:00Z until 2026-02-01T00:00:00Z: older than the retention" in (
        partial.reason
    )


def test_grants_outside_the_period_are_not_judged():
    result = judge("access-four-eyes", [grant("g0", "2025-12-31T23:59:59Z")])
    assert result.status is Status.NO_DEVIATIONS and result.population == 0


# access-removal


def disabled(uuid, when, username="ann", title="User Disabled"):
    return Event(uuid, when, title, author="system", author_type="System",
                 content={"username": username}, event_type="Changed", workspace=None)  # fmt: skip


def removed(uuid, when, subject="ann", role="Workspace Manager"):
    return Event(
        uuid, when, "Workspace User Role Removed", author="system", author_type="System",
        content=binding(subject, role), event_type="Removed",
    )  # fmt: skip


def test_roles_removed_within_the_limit_pass_and_late_ones_fail():
    events = [
        grant("g1", "2026-01-10T10:00:00Z"),
        grant("g2", "2026-01-10T10:00:00Z", role="Workspace Member"),
        disabled("d1", "2026-03-02T08:00:00Z"),
        removed("x1", "2026-03-03T08:00:00Z", role="Workspace Member"),
        removed("x2", "2026-04-14T08:00:00Z"),
    ]
    result = judge("access-removal", events, {"max_days": 7})
    assert result.status is Status.DEVIATIONS
    assert (result.population, result.failed) == (2, 1)
    (failure,) = result.failures
    assert failure.kind == "access_not_removed"
    assert failure.items == ("d1", "g1", "x2")
    assert "43 days later" in failure.message
    assert failure.window["hours"] == 43 * 24


def test_a_role_still_held_at_the_period_end_fails_unless_not_yet_due():
    kept = judge("access-removal", [grant("g1", "2026-01-10T10:00:00Z"),
                                    disabled("d1", "2026-05-01T08:00:00Z")])  # fmt: skip
    assert kept.status is Status.DEVIATIONS and "still held" in kept.failures[0].message
    late = judge("access-removal", [grant("g1", "2026-01-10T10:00:00Z"),
                                    disabled("d1", "2026-06-28T08:00:00Z")])  # fmt: skip
    assert late.status is Status.NO_DEVIATIONS and late.details["pending"] == 1


def test_a_role_granted_before_the_export_shows_when_removed_late():
    result = judge(
        "access-removal",
        [disabled("d1", "2026-02-01T08:00:00Z"), removed("x1", "2026-03-01T08:00:00Z")],
    )
    assert [f.items for f in result.failures] == [("d1", "x1")]


def test_a_user_enabled_again_keeps_their_roles_and_unnamed_users_are_not_tested():
    result = judge(
        "access-removal",
        [
            grant("g1", "2026-01-10T10:00:00Z"),
            disabled("d1", "2026-02-01T08:00:00Z"),
            Event("e1", "2026-02-02T08:00:00Z", "User Enabled", content={"username": "ann"}),
        ],
    )
    assert result.status is Status.NO_DEVIATIONS and result.population == 1
    unnamed = judge("access-removal", [Event("d1", "2026-02-01T08:00:00Z", "User Deleted")])
    assert unnamed.status is Status.NOT_TESTED and "d1" in unnamed.reason


# access-expiry


def api_key(uuid, when, **content):
    return Event(uuid, when, "API Key Created", content=content, event_type="Created")


def test_privileged_grants_and_api_keys_need_an_expiration_date():
    events = [
        grant("g1", "2026-02-01T10:00:00Z"),
        Event("g2", "2026-02-02T10:00:00Z", "Project User Role Added",
              content=binding("bob", "Project Admin", expirationDate=None)),
        api_key("k1", "2026-02-03T10:00:00Z", name="ci", expirationDate="2026-08-01"),
        api_key("k2", "2026-02-04T10:00:00Z", name="backup", expirationDate=None),
        Event("g3", "2026-02-05T10:00:00Z", "Workspace User Role Added",
              content=binding("eve", "Workspace Member")),
    ]  # fmt: skip
    result = judge("access-expiry", events)
    assert result.status is Status.DEVIATIONS
    assert [(f.kind, f.items) for f in result.failures] == [
        ("no_expiry", ("g2",)),
        ("no_expiry", ("k2",)),
    ]
    assert (result.population, result.failed) == (4, 2)


def test_content_that_cannot_tell_is_not_tested():
    result = judge("access-expiry", [api_key("k1", "2026-02-03T10:00:00Z", name="ci")])
    assert result.status is Status.NOT_TESTED
    assert "cannot be told" in result.reason and result.details["undetermined"] == 1
    ignored = judge("access-expiry", [api_key("k1", "2026-02-03T10:00:00Z")], {"api_keys": False})
    assert ignored.status is Status.NO_DEVIATIONS


def test_removing_an_expiration_date_is_no_expiry():
    event = Event(
        "c1", "2026-02-01T10:00:00Z", "Workspace User Role Expiration Date Changed",
        content=binding("ann", "Workspace Owner", expirationDate=None), event_type="Changed",
        previous_content={"expirationDate": "2026-03-01T00:00:00Z"},
    )  # fmt: skip
    result = judge("access-expiry", [event])
    assert [f.items for f in result.failures] == [("c1",)]
    assert "lost its expiration date" in result.failures[0].message


# changes-outside-git

PARAMS = {
    "titles": {
        "Landing Zone Configuration Changed": ["landing-zones/**"],
        "Policy Changed": ["policies/**", "landing-zones/**"],
    },
    "tolerance_hours": 24,
}


def lz_event(uuid, when, author_type="ApiKey"):
    return Event(uuid, when, "Landing Zone Configuration Changed", author="k-pipeline",
                 author_type=author_type, content={"name": "aws-production"},
                 event_type="Changed", workspace=None)  # fmt: skip


def test_a_change_with_a_git_commit_within_the_window_passes_one_without_fails():
    commits = [
        commit("lz", "2026-02-25T10:00:00+01:00", files=("landing-zones/aws-production.yaml",)),
        commit("env", "2026-04-09T10:00:00+02:00", files=("environments/production/x.yaml",)),
    ]
    events = [
        lz_event("e1", "2026-02-25T09:30:00Z"),  # 30 minutes after the commit
        lz_event("e2", "2026-04-09T09:00:00Z", author_type="User"),  # only unrelated paths
        lz_event("e3", "2026-02-26T09:00:01Z"),  # 24 h and 1 s after the commit
    ]
    result = judge("changes-outside-git", events, PARAMS, commits=commits)
    assert result.status is Status.DEVIATIONS
    assert [(f.kind, f.items) for f in result.failures] == [
        ("changed_outside_git", ("e3",)),
        ("changed_outside_git", ("e2",)),
    ]
    assert result.cited == (commits[0].sha,)
    assert (result.population, result.passed) == (3, 1)


def test_the_tolerance_reaches_before_and_after_and_renames_count():
    commits = [commit("lz", "2026-03-01T12:00:00+00:00", files=("landing-zones/a.yaml",))]
    events = [lz_event("e1", "2026-02-28T12:00:00Z"), lz_event("e2", "2026-03-02T12:00:00Z")]
    assert judge("changes-outside-git", events, PARAMS, commits=commits).failed == 0
    narrow = {**PARAMS, "tolerance_hours": 23.5}
    assert judge("changes-outside-git", events, narrow, commits=commits).failed == 2
    # A file moved out of the landing zones is a change to them.
    moved = commits[0]._replace(files=(FileChange("R", "archive/a.yaml", "landing-zones/a.yaml"),))
    assert judge("changes-outside-git", events, PARAMS, commits=[moved]).failed == 0


def test_commits_far_outside_the_period_are_not_matched():
    commits = [commit("old", "2025-06-01T10:00:00+00:00", files=("landing-zones/a.yaml",))]
    events = [lz_event("e1", "2026-01-01T00:00:00Z")]
    assert judge("changes-outside-git", events, PARAMS, commits=commits).failed == 1
    edge = [commit("edge", "2025-12-31T01:00:00+00:00", files=("landing-zones/a.yaml",))]
    assert judge("changes-outside-git", events, PARAMS, commits=edge).failed == 0


def test_the_index_is_built_once_per_path_set(monkeypatch):
    from generator.rules import changes_outside_git

    built = []
    original = changes_outside_git.CommitIndex.__init__

    def counting(self, commits, globs):
        built.append(tuple(globs))
        original(self, commits, globs)

    monkeypatch.setattr(changes_outside_git.CommitIndex, "__init__", counting)
    params = {"titles": {"Landing Zone Configuration Changed": ["landing-zones/**"],
                         "Landing Zone Settings Changed": ["landing-zones/**"]}}  # fmt: skip
    judge("changes-outside-git", [lz_event(f"e{i}", f"2026-02-{i:02d}T10:00:00Z")
                                  for i in range(1, 20)], params)  # fmt: skip
    assert built == [("landing-zones/**",)]


# access-activity


def test_activity_is_counted_per_month_with_empty_months():
    events = [
        requested("r1", "2026-01-05T09:00:00Z"),
        approved("a1", "2026-01-05T10:00:00Z"),
        grant("g1", "2026-01-05T10:00:01Z"),
        removed("x1", "2026-03-31T23:59:59Z"),
        disabled("d1", "2026-04-01T00:00:00Z"),
        grant("g0", "2025-12-31T10:00:00Z"),  # before the period
    ]
    result = judge("access-activity", events)
    assert result.status is Status.NO_DEVIATIONS
    months = {row["month"]: row for row in result.details["months"]}
    assert list(months) == [f"2026-0{m}" for m in range(1, 7)]
    assert months["2026-01"]["grants"] == 1 and months["2026-01"]["approvals"] == 1
    assert months["2026-03"]["removals"] == 1 and months["2026-04"]["users_disabled"] == 1
    assert months["2026-02"] == {
        "month": "2026-02",
        **dict.fromkeys(
            ("grants", "removals", "requests", "approvals", "rejections", "users_disabled"), 0
        ),
    }
    assert result.details["totals"]["grants"] == 1 and result.population == 5


@pytest.mark.parametrize(
    "kind", ["access-four-eyes", "access-removal", "access-expiry", "access-activity"]
)
def test_every_event_rule_declares_the_kinds_it_reports(kind):
    rule = all_rules()[kind]
    assert rule.deviation_kinds or kind == "access-activity"
    assert all(k.islower() and " " not in k for k in rule.deviation_kinds)


def test_period_boundary_is_exclusive_at_the_end():
    at_end = grant("g1", dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
    assert judge("access-four-eyes", [at_end]).population == 0
