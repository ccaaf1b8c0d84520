"""The demo's meshStack event exports: published format, consistent with the repositories, and
the planted event findings shown from the raw events and git (test_demo_findings.py runs the
engine on them)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from test_demo_support import PERIOD_END, PERIOD_START, git, shared_demo

from generator.demo import DemoResult
from generator.demo.customers import INSTALLATIONS
from generator.demo.meshstack_users import site, user
from generator.meshevents.export import read_export
from generator.meshevents.schema import event_problems


@pytest.fixture(scope="module")
def demo() -> DemoResult:
    return shared_demo()


def export(demo: DemoResult, name: str) -> dict:
    path = demo.example / "events" / f"{name}_2026-01-01_2026-06-30.events.json"
    return json.loads(path.read_text(encoding="utf-8"))


def events(demo: DemoResult, name: str) -> list[dict]:
    return export(demo, name)["events"]


def moment(event: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(event["metadata"]["createdAt"].replace("Z", "+00:00"))


def by_title(demo: DemoResult, name: str, title: str) -> list[dict]:
    return [e for e in events(demo, name) if e["spec"]["title"] == title]


@pytest.mark.parametrize("name", ["acme", "globex"])
def test_each_event_is_a_published_meshEventLog_inside_the_period(demo, name):
    listed = events(demo, name)
    for event in listed:
        # The published schema (OpenAPI's nullable written as JSON Schema, meshevents.schema).
        assert event_problems(event) == []
        assert PERIOD_START <= moment(event) < PERIOD_END
    uuids = [e["metadata"]["uuid"] for e in listed]
    assert len(set(uuids)) == len(uuids) == export(demo, name)["count"] > 80
    assert [moment(e) for e in listed] == sorted(moment(e) for e in listed)
    # The events source reads it without a problem: the same file a collector would write.
    read = read_export(demo.example / "events" / f"{name}_2026-01-01_2026-06-30.events.json")
    assert [e.uuid for e in read.events] == uuids


@pytest.mark.parametrize("spec", INSTALLATIONS, ids=lambda s: s.name)
def test_events_name_the_installations_people_and_workspaces(demo, spec):
    meshstack = site(spec)
    users = {m.uuid for w in meshstack.workspaces for m in (w.manager, *w.members)}
    users |= {u.uuid for u in meshstack.admins}
    workspaces = {w.identifier for w in meshstack.workspaces}
    keys = {meshstack.pipeline_key, meshstack.sync_key}
    assert {user(spec, p).uuid for p in spec.approvers} <= users
    for event in events(demo, spec.name):
        author = event["spec"]["author"]
        if author["authorType"] == "User":
            assert author["identifier"] in users
        elif author["authorType"] == "ApiKey":
            assert author["identifier"] in keys
        else:
            assert author == {"authorType": "System", "identifier": "system"}
        ref = event["spec"]["workspaceRef"]
        assert ref is None or ref["name"] in workspaces
        subject = event["spec"]["content"].get("subject")
        if subject:
            assert subject["name"].endswith(f"@{spec.domain}")
        assert event["_links"]["self"]["href"] == (
            f"{meshstack.url}/api/meshobjects/mesheventlogs/{event['metadata']['uuid']}"
        )


@pytest.mark.parametrize("name", ["acme", "globex"])
def test_the_pipeline_applies_each_landing_zone_commit_minutes_later(demo, name):
    repo = demo.repositories[name].path
    out = git(repo, "log", "--first-parent", "--format=%cI", "--since=2026-01-01T00:00:00Z",
              "--until=2026-07-01T00:00:00Z", "main", "--", "landing-zones/")  # fmt: skip
    commits = [dt.datetime.fromisoformat(line) for line in out.split()]
    assert commits, "no landing zone commit in the period"
    applied = [
        moment(e)
        for e in by_title(demo, name, "Landing Zone Configuration Changed")
        if e["spec"]["author"]["authorType"] == "ApiKey"
    ]
    for committed in commits:
        assert any(dt.timedelta(0) < a - committed < dt.timedelta(minutes=15) for a in applied)


def finding(demo: DemoResult, installation: str, rule: str):
    (found,) = [f for f in demo.findings if f.installation == installation and f.rule == rule]
    return found


def event(demo: DemoResult, name: str, uuid: str) -> dict:
    (found,) = [e for e in events(demo, name) if e["metadata"]["uuid"] == uuid]
    return found


def test_acme_privileged_role_was_approved_by_its_requester(demo):
    request, approval, grant = (
        event(demo, "acme", uuid) for uuid in finding(demo, "acme", "access-four-eyes").events
    )
    assert request["spec"]["title"] == "Workspace User Access Request Submitted"
    assert approval["spec"]["title"] == "Workspace User Access Request Approved"
    assert request["spec"]["author"] == approval["spec"]["author"]
    assert grant["spec"]["content"]["roleRef"]["name"] == "Workspace Manager"
    assert grant["spec"]["content"]["expirationDate"]  # the finding is the approval, not expiry


def test_acme_landing_zone_changed_in_the_panel_has_no_commit_within_a_day(demo):
    (uuid,) = finding(demo, "acme", "changes-outside-git").events
    changed = event(demo, "acme", uuid)
    assert changed["spec"]["author"]["authorType"] == "User"
    at = moment(changed)
    out = git(demo.repositories["acme"].path, "log", "--first-parent", "--format=%H",
              f"--since={(at - dt.timedelta(hours=24)).isoformat()}",
              f"--until={(at + dt.timedelta(hours=24)).isoformat()}", "main", "--",
              "landing-zones/")  # fmt: skip
    assert out.strip() == ""


def test_globex_privileged_grant_has_no_request(demo):
    (uuid,) = finding(demo, "globex", "access-four-eyes").events
    grant = event(demo, "globex", uuid)["spec"]
    assert grant["content"]["roleRef"]["name"] == "Workspace Owner"
    subject = grant["content"]["subject"]["name"]
    requests = [
        e for e in events(demo, "globex")
        if "Access Request" in e["spec"]["title"]
        and e["spec"]["content"]["subject"]["name"] == subject
        and e["spec"]["content"]["roleRef"]["name"] == "Workspace Owner"
    ]  # fmt: skip
    assert requests == []


def test_globex_disabled_user_kept_a_role_for_six_weeks(demo):
    disabled, granted, removed = (
        event(demo, "globex", uuid) for uuid in finding(demo, "globex", "access-removal").events
    )
    assert disabled["spec"]["title"] == "User Disabled"
    name = disabled["spec"]["content"]["username"]
    assert granted["spec"]["content"]["subject"]["name"] == name
    assert removed["spec"]["content"]["subject"]["name"] == name
    assert moment(granted) < moment(disabled)
    assert (moment(removed) - moment(disabled)).days == 42
    # Acme's leaver lost the role within minutes: not a finding.
    acme_off = by_title(demo, "acme", "User Disabled")
    assert len(acme_off) == 1


def test_the_event_findings_are_in_the_config_and_the_readme(demo):
    config = demo.config.read_text(encoding="utf-8")
    assert "folder: ./events" in config and "url: https://meshstack.acme.example" in config
    readme = (demo.example / "README.md").read_text(encoding="utf-8")
    assert "access-four-eyes" in readme and "`events/`" in readme
