"""release_view: meshStack release notes joined with an installation's rollouts."""

from __future__ import annotations

import re

import pytest
from releasenotes_files import REAL_NOTES, load_quietly
from releasenotes_models import ModelBuilder, renamed, sha

from generator.evidence.codec import from_plain
from generator.evidence.model import HistoryPart
from generator.releasenotes import (
    ReleaseNote,
    Ticket,
    version_key,
    versions_between,
)
from generator.releasenotes.join import VersionIndex, release_view
from generator.testing import synthetic_evidence

PERIOD_FROM = "2025-10-01"


@pytest.fixture(scope="module")
def notes() -> list[ReleaseNote]:
    # The data is not in this repository; without it these tests must fail, never skip.
    return load_quietly()


def published_tickets() -> dict[str, list[set[str]]]:
    """version -> the audiences of each ticket, read from the files with plain regexes.

    Independent of the parser, for the current format only (every note from 2025.40.0 on).
    """
    found: dict[str, list[set[str]]] = {}
    for path in sorted(REAL_NOTES.glob("2025-*.md")):
        text = path.read_text("utf-8")
        version = re.search(r"^title: Release ([0-9.]+)$", text, re.M).group(1)
        details = text.split("## Ticket Details", 1)[1]
        tickets = []
        for block in re.split(r"^### ", details, flags=re.M)[1:]:
            audience = re.search(r"\*\*Audience:\*\* ([^<\n]*)", block).group(1)
            tickets.append({a.strip() for a in audience.split(",") if a.strip()})
        found.setdefault(version, tickets)
    return found


def jump_model() -> ModelBuilder:
    """Production goes 2025.45.0 (before the period) -> 2025.50.0 -> 2025.55.0."""
    model = ModelBuilder(period=(PERIOD_FROM, "2025-12-31"))
    model.rollout("2025.45.0", "2025-09-20T09:00:00+02:00", "2025-09-25T10:00:00+02:00")
    model.rollout("2025.50.0", "2025-12-03T09:00:00+01:00", "2025-12-05T15:30:00+01:00")
    model.rollout("2025.51.0", "2025-12-10T09:00:00+01:00")
    model.rollout("2025.53.0", "2025-12-11T09:00:00+01:00")
    model.rollout(
        "2025.55.0",
        "2025-12-17T09:00:00+01:00",
        "2025-12-19T11:00:00+01:00",
        approvers=("Dana Approver", "Erik Second"),
    )
    return model


def test_a_production_jump_includes_every_version_in_between(notes):
    view = release_view(jump_model().build(), notes, "production")

    assert [e.version for e in view.versions] == ["2025.55.0", "2025.50.0"]
    newest = view.versions[0]
    expected = sorted(
        (v for v in published_tickets() if version_key("2025.50.0") < version_key(v)),
        key=version_key,
        reverse=True,
    )
    assert expected[0] == "2025.55.0" and "2025.53.1" in expected  # the data we rely on
    assert newest.previous == "2025.50.0"
    assert list(newest.included) == expected[1:]
    assert [s.version for s in newest.notes] == expected
    assert newest.notes[0].included_in is None
    assert {s.included_in for s in newest.notes[1:]} == {"2025.55.0"}
    assert newest.missing_notes == ()
    tickets = published_tickets()
    for section in newest.notes:
        shown = [t for g in section.groups for t in g.tickets]
        assert len(shown) == len(tickets[section.version]), section.version
        assert section.hidden_tickets == 0
    assert newest.production.date == "2025-12-19T11:00:00+01:00"
    assert newest.staging.date == "2025-12-17T09:00:00+01:00"
    assert newest.staging_hours == pytest.approx(50.0)
    # The production commit is not among this model's changes: its approvers, evidence unknown.
    assert [(p.name, p.evidence) for p in newest.approvals] == [
        ("Dana Approver", None),
        ("Erik Second", None),
    ]

    # 2025.45.0 reached production before the period: not listed, but known as the previous
    # version, so 2025.50.0's jump is complete too.
    older = view.versions[1]
    assert older.previous == "2025.45.0"
    assert list(older.included) == ["2025.49.0", "2025.48.0", "2025.47.0", "2025.46.0", "2025.45.1"]


def test_the_staging_view_has_its_own_jumps_and_no_upcoming(notes):
    view = release_view(jump_model().build(), notes, "staging")

    assert [e.version for e in view.versions] == [
        "2025.55.0",
        "2025.53.0",
        "2025.51.0",
        "2025.50.0",
    ]
    assert view.versions[0].included == ("2025.54.0", "2025.53.1")
    assert view.versions[1].included == ("2025.52.0",)
    assert view.versions[2].included == ("2025.50.1",)
    assert view.upcoming == ()


def test_versions_waiting_in_staging_are_upcoming_for_production(notes):
    model = ModelBuilder(period=(PERIOD_FROM, "2025-12-31"))
    model.rollout("2025.50.0", "2025-12-03T09:00:00+01:00", "2025-12-05T15:30:00+01:00")
    model.rollout("2025.49.0", "2025-11-20T09:00:00+01:00")  # skipped by production: not upcoming
    model.rollout("2025.51.0", "2025-12-10T09:00:00+01:00")
    model.rollout("2025.53.0", "2025-12-11T09:00:00+01:00")
    model.rollout("2025.55.0", "2025-12-17T09:00:00+01:00")
    view = release_view(model.build(), notes, "production")

    assert [e.version for e in view.versions] == ["2025.50.0"]
    assert [e.version for e in view.upcoming] == ["2025.55.0", "2025.53.0", "2025.51.0"]
    newest = view.upcoming[0]
    assert newest.rollout is None and newest.production is None
    assert newest.staging.date == "2025-12-17T09:00:00+01:00"
    # What production will get, step by step from its current version.
    assert newest.previous == "2025.53.0"
    assert newest.included == ("2025.54.0", "2025.53.1")
    assert view.upcoming[2].previous == "2025.50.0"
    assert view.upcoming[2].included == ("2025.50.1",)
    assert newest.approvals == () and newest.changes == ()

    since = release_view(model.build(), notes, "production", since="2025.51.0")
    assert [e.version for e in since.upcoming] == ["2025.55.0", "2025.53.0"]
    assert since.versions == ()


def test_the_audience_filter_keeps_matching_tickets_once_each(notes):
    model = ModelBuilder(period=("2025-07-01", "2025-07-31"))
    model.rollout("2025.30.1", "2025-07-28T09:00:00+02:00", "2025-07-29T09:00:00+02:00")
    model.rollout("2025.31.0", "2025-07-30T09:00:00+02:00", "2025-07-31T09:00:00+02:00")
    expected = published_tickets()["2025.31.0"]

    full = release_view(model.build(), notes, "production").versions[0].notes[0]
    assert sum(len(g.tickets) for g in full.groups) == len(expected)
    # A ticket for several audiences appears once, under the first of them in AUDIENCES order.
    for group in full.groups:
        for ticket in group.tickets:
            assert group.audience == next(
                a for a in ("User", "Customer", "Partner", "Operator") if a in ticket.audiences
            )

    for chosen in ({"Operator"}, {"Customer", "Partner"}):
        view = release_view(model.build(), notes, "production", audiences=chosen)
        section = view.versions[0].notes[0]
        shown = [t for g in section.groups for t in g.tickets]
        wanted = [a for a in expected if a & chosen]
        assert len(shown) == len(wanted) > 0
        assert section.hidden_tickets == len(expected) - len(wanted)
        assert all(set(t.audiences) & chosen for t in shown)
        assert {g.audience for g in section.groups} <= chosen
        assert view.filtered and set(view.audiences) == chosen


def test_components_group_tickets_within_an_audience():
    def ticket(title: str, component: str | None, audiences=("User",)) -> Ticket:
        return Ticket(title, audiences, component, "text", None, 1)

    note = ReleaseNote(
        version="7.150.0",
        title="Release 7.150.0",
        date="2022-03-01",
        period_start=None,
        period_end=None,
        summary="",
        tickets=(
            ticket("a", "Replicator"),
            ticket("b", None),
            ticket("c", "Billing"),
            ticket("d", "Replicator", ("Operator", "User")),
            ticket("e", "Billing", ("Operator",)),
        ),
        path="/somewhere/private/2022-03-01-Release-0.md",
    )
    model = ModelBuilder(period=("2022-03-01", "2022-03-31"))
    model.rollout("7.150.0", "2022-03-02T09:00:00+01:00", "2022-03-03T09:00:00+01:00")
    section = release_view(model.build(), [note], "production").versions[0].notes[0]

    assert [(g.audience, g.component, [t.title for t in g.tickets]) for g in section.groups] == [
        ("User", "Billing", ["c"]),
        ("User", "Replicator", ["a", "d"]),
        ("User", None, ["b"]),
        ("Operator", "Billing", ["e"]),
    ]
    assert section.file == "2022-03-01-Release-0.md"  # never the local path


def test_a_ticket_for_an_audience_outside_the_known_ones_is_shown_to_everybody():
    def ticket(title: str, audiences: tuple[str, ...]) -> Ticket:
        return Ticket(title, audiences, None, "text", None, 1)

    tickets = (
        ticket("for users", ("User",)),
        ticket("for admins", ("Admin",)),
        ticket("for operators and the board", ("Operator", "Board")),
        ticket("for partners", ("Partner",)),
    )
    note = ReleaseNote("7.150.0", "Release 7.150.0", "2022-03-01", None, None, "", tickets, "n.md")
    model = ModelBuilder(period=("2022-03-01", "2022-03-31"))
    model.rollout("7.150.0", "2022-03-02T09:00:00+01:00", "2022-03-03T09:00:00+01:00")

    def groups(audiences: set[str] | None) -> list[tuple[str, list[str]]]:
        view = release_view(model.build(), [note], "production", audiences=audiences)
        section = view.versions[0].notes[0]
        return [(g.audience, [t.title for t in g.tickets]) for g in section.groups]

    # Known audiences first in their order, then the others by name.
    assert groups(None) == [
        ("User", ["for users"]),
        ("Partner", ["for partners"]),
        ("Operator", ["for operators and the board"]),
        ("Admin", ["for admins"]),
    ]
    assert groups({"User"}) == [
        ("User", ["for users"]),
        ("Admin", ["for admins"]),
        ("Board", ["for operators and the board"]),
    ]
    # An audience the notes name can be chosen; one they do not name cannot.
    assert groups({"Board"}) == [
        ("Admin", ["for admins"]),
        ("Board", ["for operators and the board"]),
    ]
    with pytest.raises(
        ValueError, match=r"unknown audience 'Jury' \(expected User, .*Admin, Board"
    ):
        groups({"Jury"})


def test_configuration_changes_fall_into_the_window_until_the_next_rollout(notes):
    model = jump_model()
    before = model.change("Before the period's first rollout", "2025-12-01T10:00:00+01:00")
    at = model.change("Right at the 2025.50.0 rollout", "2025-12-05T15:30:00+01:00")
    staging_only = model.change(
        "Staging tweak", "2025-12-06T10:00:00+01:00", environments=("staging",)
    )
    middle = model.change("Raise log level", "2025-12-08T10:00:00+01:00", approvers=())
    last_before = model.change("Just before 2025.55.0", "2025-12-19T10:59:59+01:00")
    after = model.change("Rotate IdP secret", "2025-12-20T10:00:00+01:00")
    # The commit that set the version is the rollout itself, not one of the changes.
    bump = model.change(
        "Update meshStack to 2025.55.0",
        "2025-12-19T11:00:00+01:00",
        releases={"production": "2025.55.0"},
    )
    built = model.build_json()
    for promotion in built["promotions"]:
        if promotion["version"] == "2025.55.0":
            promotion["production"]["sha"] = bump
    for release in built["releases"]:
        if release["version"] == "2025.55.0" and release["environment"] == "production":
            release["sha"] = bump
    view = release_view(from_plain(built, HistoryPart), notes, "production")

    newest, older = view.versions
    assert [c.sha for c in newest.changes] == [after]
    assert [c.sha for c in older.changes] == [at, middle, last_before]
    listed = {c.sha for e in view.versions for c in e.changes}
    assert before not in listed and staging_only not in listed and bump not in listed
    change = older.changes[1]
    assert change.subject == "Raise log level"
    assert change.author.name == "Ann Operator" and change.approvals == ()
    assert change.date == "2025-12-08T10:00:00+01:00"
    assert [(p.name, p.evidence) for p in older.changes[0].approvals] == [
        ("Bob Reviewer", "trailer")
    ]
    # The production commit is among the changes: its approvals with how each is evidenced.
    assert [(p.name, p.evidence) for p in newest.approvals] == [("Bob Reviewer", "trailer")]
    assert view.approval_evidence == {"trailer"}

    staging = release_view(from_plain(built, HistoryPart), notes, "staging")
    assert staging_only in {c.sha for e in staging.versions for c in e.changes}


def test_rollouts_outside_the_period_and_before_since_are_left_out(notes):
    model = jump_model()
    model.period = ("2025-12-10", "2025-12-31")
    assert [e.version for e in release_view(model.build(), notes, "production").versions] == [
        "2025.55.0"
    ]
    view = release_view(jump_model().build(), notes, "production", since="2025.50.0")
    assert [e.version for e in view.versions] == ["2025.55.0"]
    assert view.versions[0].previous == "2025.50.0"  # the jump is still measured from it


def test_the_view_shows_the_state_at_the_end_of_the_period(notes):
    model = jump_model()
    model.period = (PERIOD_FROM, "2025-12-18")  # 2025.55.0 reaches production a day later
    view = release_view(model.build(), notes, "production")
    assert [e.version for e in view.versions] == ["2025.50.0"]
    assert [e.version for e in view.upcoming] == ["2025.55.0", "2025.53.0", "2025.51.0"]
    assert view.upcoming[0].production is None and view.upcoming[0].staging_hours is None


def test_a_version_without_a_published_note_and_a_rollback(notes):
    model = ModelBuilder(period=(PERIOD_FROM, "2025-12-31"))
    model.rollout("2025.54.0", "2025-12-16T09:00:00+01:00", "2025-12-16T18:00:00+01:00")
    model.rollout("2025.55.2", "2025-12-18T09:00:00+01:00", "2025-12-18T12:00:00+01:00")
    model.rollout("2025.53.1", "2025-12-12T09:00:00+01:00", "2025-12-19T12:00:00+01:00")
    view = release_view(model.build(), notes, "production")

    rollback, hotfix, first = view.versions
    assert rollback.version == "2025.53.1" and rollback.rollback
    assert rollback.previous == "2025.55.2" and rollback.included == ()
    assert hotfix.missing_notes == ("2025.55.2",)
    assert [s.version for s in hotfix.notes] == ["2025.55.0"]  # included in the jump to 2025.55.2
    assert first.previous is None and first.included == ()  # nothing known before it


def test_a_value_that_is_not_a_version_is_listed_but_never_ordered(notes):
    # The history keeps whatever a release file said; "latest" has no place in the order.
    model = ModelBuilder(period=(PERIOD_FROM, "2025-12-31"))
    model.rollout("2025.50.0", "2025-12-03T09:00:00+01:00", "2025-12-05T09:00:00+01:00")
    model.rollout("latest", "2025-12-10T09:00:00+01:00", "2025-12-11T09:00:00+01:00")
    model.rollout("2025.55.0", "2025-12-17T09:00:00+01:00", "2025-12-19T09:00:00+01:00")
    model.rollout("2025.5x", "2025-12-20T09:00:00+01:00")
    view = release_view(model.build(), notes, "production")

    assert [e.version for e in view.versions] == ["2025.55.0", "latest", "2025.50.0"]
    newest, odd, _ = view.versions
    assert odd.missing_notes == ("latest",) and odd.included == () and not odd.rollback
    assert newest.previous == "latest" and newest.included == ()  # no jump measured from it
    assert view.upcoming == ()  # "2025.5x" cannot be newer than anything
    since = release_view(model.build(), notes, "production", since="2025.1.0")
    assert [e.version for e in since.versions] == ["2025.55.0", "2025.50.0"]


def test_staging_approvers_come_from_the_change_that_set_the_version(notes):
    model = jump_model()
    model.change(
        "Stage 2025.55.0",
        "2025-12-17T09:00:00+01:00",
        environments=("staging",),
        approvers=("Sam Stager",),
        releases={"staging": "2025.55.0"},
    )
    model.change(
        "Stage 2025.53.0",
        "2025-12-11T09:00:00+01:00",
        environments=("staging",),
        approvers=("Mia Merger",),
        releases={"staging": "2025.53.0"},
        evidence="merged",
    )
    view = release_view(model.build(), notes, "staging")
    assert [(p.name, p.evidence) for p in view.versions[0].approvals] == [("Sam Stager", "trailer")]
    assert [(p.name, p.evidence) for p in view.versions[1].approvals] == [("Mia Merger", "merged")]
    assert view.versions[2].approvals == ()
    assert view.approval_evidence == {"trailer", "merged"}


def test_environments_are_found_by_role_whatever_their_names(notes):
    model = jump_model()
    model.rollout("2025.56.0", "2025-12-20T09:00:00+01:00")  # upcoming for production
    model.change(
        "Stage 2025.55.0",
        "2025-12-17T09:00:00+01:00",
        environments=("staging",),
        approvers=("Sam Stager",),
        releases={"staging": "2025.55.0"},
    )
    model.change("Tune logging", "2025-12-06T10:00:00+01:00")  # in 2025.50.0's window
    original = model.build()
    names = {"staging": "stg", "production": "prod"}
    other = renamed(original, names)
    for role, name in names.items():
        before, after = release_view(original, notes, role), release_view(other, notes, name)
        assert after.environment == name
        assert len(after.versions) == len(before.versions) > 0
        assert len(after.upcoming) == len(before.upcoming)
        pairs = zip(before.versions + before.upcoming, after.versions + after.upcoming, strict=True)
        for old, new in pairs:
            assert (new.version, new.previous, new.included, new.approvals, new.changes) == (
                old.version, old.previous, old.included, old.approvals, old.changes
            )  # fmt: skip
            assert new.staging_hours == old.staging_hours
            for rollout in (new.staging, new.production):
                assert rollout is None or rollout.environment in ("stg", "prod")
            assert (new.staging is None, new.production is None) == (
                old.staging is None, old.production is None
            )  # fmt: skip
    assert [e.version for e in release_view(other, notes, "prod").upcoming] == ["2025.56.0"]
    production = release_view(other, notes, "prod").versions[0]
    assert [p.name for p in production.approvals] == ["Dana Approver", "Erik Second"]
    assert production.production.environment == "prod"
    assert production.staging.environment == "stg"
    assert [c.subject for c in release_view(other, notes, "prod").versions[1].changes] == [
        "Tune logging"
    ]


def test_bad_arguments_say_what_is_valid(notes):
    model = jump_model().build()
    with pytest.raises(
        ValueError, match=r"unknown environment 'prod' \(known: staging, production\)"
    ):
        release_view(model, notes, "prod")
    with pytest.raises(ValueError, match=r"unknown audience 'user' \(expected User, Customer"):
        release_view(model, notes, "production", audiences={"user"})
    with pytest.raises(ValueError, match="no audience selected"):
        release_view(model, notes, "production", audiences=set())
    with pytest.raises(ValueError, match="not a meshStack version"):
        release_view(model, notes, "production", since="latest")


def test_the_evidence_model_contract_is_enough(notes):
    """A whole evidence.json-shaped model (as the portal reads it) joins without notes for it."""
    model = synthetic_evidence(period=("2026-01-01", "2026-03-31"), changes=40)
    view = release_view(model, notes, "production")

    produced = sorted(
        (r for r in model.releases if r.environment == "production"),
        key=lambda r: r.date,
        reverse=True,
    )
    assert [e.version for e in view.versions] == [r.version for r in produced]
    assert all(e.missing_notes == (e.version,) and e.notes == () for e in view.versions)
    assert view.versions[0].previous == produced[1].version
    windows = [c.sha for e in view.versions for c in e.changes]
    assert len(windows) == len(set(windows))  # each change in at most one window
    first_rollout = produced[-1].date
    in_production = [
        c.sha
        for c in model.changes
        if "production" in c.environments and c.committed_at >= first_rollout
    ]
    assert sorted(windows) == sorted(in_production)
    assert sha("x") not in windows


def test_the_version_index_answers_like_versions_between(notes):
    versions = [n.version for n in notes] + ["2025.13.0", "4.2.4", "2025.1.0"]
    index = VersionIndex(versions)
    probes = ["4.2.4", "7.150.0", "7.176.0", "2023.1.0", "2025.13.0", "2025.50.0", "2025.55.0",
              "2025.55.1", "2030.1.0", "2025.2.5"]  # fmt: skip
    for old in probes:
        for new in probes:
            assert index.between(old, new) == versions_between(versions, old, new), (old, new)
