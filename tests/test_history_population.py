"""The audit population: membership, period boundaries, approvers, authors, self-approval.

One repository is built per module with every situation the definition has to get right; each test
asserts exact facts about it, and the reproduce commands are run with git to show they give the
counts the reader reports.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from gitrepo import GitRepo, clean_env

from generator.config import (
    ApprovalConfig,
    EnvironmentConfig,
    InstallationConfig,
    Period,
)
from generator.history import read_history
from generator.history.model import Identity

PROD = "environments/production"
STAGING = "environments/staging"
PERIOD = Period.parse("2026-01-01..2026-03-31")
ANN, BOB, CAROL = "Ann <ann@example.com>", "Bob <bob@example.com>", "Carol <carol@example.com>"
DAVE, ERIN, MAX = "Dave <dave@example.com>", "Erin <erin@example.com>", "Max <max@example.com>"


def installation(path: Path, **approvals) -> InstallationConfig:
    return InstallationConfig(
        name="acme",
        repo="./acme",
        repo_path=path,
        ref="main",
        environments=(
            EnvironmentConfig("staging", (f"{STAGING}/**",), None, "optional"),
            EnvironmentConfig("production", (PROD,), None, "required"),
        ),
        approvals=ApprovalConfig(**approvals),
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> GitRepo:
    base = tmp_path_factory.mktemp("population")
    module = GitRepo.create(base / "module")
    module.commit("module", files={"main.tf": "x\n"}, date="2025-11-01T00:00:00+00:00")

    r = GitRepo.create(base / "acme")
    r.commit(
        "Initial",
        files={f"{PROD}/app.yaml": "a: 0\n", f"{STAGING}/app.yaml": "a: 0\n", "README": "x\n"},
        date="2025-12-01T10:00:00+00:00",
    )
    r.commit(
        "Last second of 2025",
        files={f"{PROD}/app.yaml": "a: 1\n"},
        date="2025-12-31T23:59:59+00:00",
    )
    r.commit(
        "Berlin new year", files={f"{PROD}/app.yaml": "a: 2\n"}, date="2026-01-01T00:30:00+01:00"
    )  # 2025-12-31T23:30Z: before the period
    r.commit("First second", files={f"{PROD}/app.yaml": "a: 3\n"}, date="2026-01-01T00:00:00+00:00")
    r.commit("Docs only", files={"README": "y\n"}, date="2026-01-02T10:00:00+00:00")
    r.commit(
        "Both environments",
        files={f"{PROD}/app.yaml": "a: 4\n", f"{STAGING}/app.yaml": "a: 4\n"},
        author=ANN,
        date="2026-01-03T10:00:00+00:00",
        trailers=[("Approved-by", BOB)],
    )
    r.commit("Clock behind", files={f"{PROD}/app.yaml": "a: 5\n"}, date="2025-06-01T10:00:00+00:00")
    r.commit(
        "Self approved",
        files={f"{PROD}/app.yaml": "a: 6\n"},
        author=CAROL,
        date="2026-01-04T10:00:00+00:00",
        trailers=[("approved-BY", "Carol <CAROL@example.com>"), ("Reviewed-by", BOB)],
    )
    r.commit(
        "Not an approval trailer",
        files={f"{STAGING}/app.yaml": "a: 7\n"},
        author=ANN,
        date="2026-01-05T10:00:00+00:00",
        trailers=[("Signed-off-by", BOB)],
    )

    r.branch("feature")
    r.commit(
        "Feature prod",
        files={f"{PROD}/feature.yaml": "f: 1\n"},
        author=DAVE,
        date="2026-01-06T10:00:00+00:00",
    )
    r.commit(
        "Feature staging",
        files={f"{STAGING}/feature.yaml": "f: 1\n"},
        author=ERIN,
        date="2026-01-06T11:00:00+00:00",
        trailers=[("Co-authored-by", CAROL)],
    )
    r.checkout("main")
    r.merge("feature", committer=MAX, date="2026-01-07T10:00:00+00:00")

    r.branch("docs")
    r.commit("Docs branch", files={"README": "z\n"}, author=DAVE, date="2026-01-08T10:00:00+00:00")
    r.checkout("main")
    r.merge("docs", committer=MAX, date="2026-01-08T11:00:00+00:00")

    r.branch("own")
    r.commit(
        "Max's own change",
        files={f"{PROD}/own.yaml": "o: 1\n"},
        author=MAX,
        date="2026-01-09T10:00:00+00:00",
    )
    r.checkout("main")
    r.merge("own", committer=MAX, date="2026-01-09T11:00:00+00:00")

    r.branch("left", checkout=False)
    r.branch("right", checkout=False)
    r.checkout("left")
    r.commit(
        "Left", files={f"{PROD}/left.yaml": "l: 1\n"}, author=DAVE, date="2026-01-10T10:00:00+00:00"
    )
    r.checkout("right")
    r.commit(
        "Right",
        files={f"{PROD}/right.yaml": "r: 1\n"},
        author=ERIN,
        date="2026-01-10T11:00:00+00:00",
    )
    r.checkout("main")
    r.merge("left", "right", message="Octopus", committer=BOB, date="2026-01-10T12:00:00+00:00")

    r.commit("Empty", date="2026-01-11T10:00:00+00:00")
    r.commit(
        "Move out of production",
        renames={f"{PROD}/left.yaml": "legacy/left.yaml"},
        date="2026-01-12T10:00:00+00:00",
    )
    r.add_submodule(module, f"{PROD}/modules/network")
    r.commit("Submodule", date="2026-01-13T10:00:00+00:00")
    r.commit("Last second", files={f"{PROD}/app.yaml": "a: 8\n"}, date="2026-03-31T23:59:59+00:00")
    r.commit("Day after", files={f"{PROD}/app.yaml": "a: 9\n"}, date="2026-04-01T00:00:00+00:00")
    r.commit(
        "Day after in Kyiv", files={f"{PROD}/app.yaml": "a: 10\n"}, date="2026-04-01T01:00:00+02:00"
    )  # 2026-03-31T23:00Z: inside
    return r


@pytest.fixture(scope="module")
def history(repo, tmp_path_factory):
    return read_history(installation(repo.path), PERIOD, cache_dir=tmp_path_factory.mktemp("cache"))


def by_subject(history):
    return {change.commit.subject: change for change in history.changes}


def test_population_is_exactly_the_first_parent_commits_touching_each_environment(history):
    assert [(c.commit.subject, c.environments) for c in history.changes] == [
        ("First second", ("production",)),
        ("Both environments", ("staging", "production")),
        ("Self approved", ("production",)),
        ("Not an approval trailer", ("staging",)),
        ("Merge feature", ("staging", "production")),
        ("Merge own", ("production",)),
        ("Octopus", ("production",)),
        ("Move out of production", ("production",)),
        ("Submodule", ("production",)),
        ("Last second", ("production",)),
        ("Day after in Kyiv", ("production",)),
    ]


def test_period_bounds_are_utc_days_inclusive(history):
    subjects = set(by_subject(history))
    assert "Last second of 2025" not in subjects
    assert "Berlin new year" not in subjects  # 00:30+01:00 is still 2025 in UTC
    assert "First second" in subjects and "Last second" in subjects
    assert "Day after" not in subjects
    assert "Day after in Kyiv" in subjects  # 01:00+02:00 on April 1st is March 31st in UTC
    assert "Clock behind" not in subjects  # dated before the period, whatever its position


def test_commits_are_the_whole_first_parent_line_oldest_first(history, repo):
    subjects = [c.subject for c in history.commits]
    assert subjects[0] == "Initial" and subjects[-1] == "Day after in Kyiv"
    assert "Feature prod" not in subjects and "Left" not in subjects
    assert len(subjects) == 19
    assert history.head == repo.head()
    assert history.head_date == "2026-04-01T01:00:00+02:00"


def test_approvers_come_from_configured_trailers_and_merge_committers(history):
    changes = by_subject(history)
    assert changes["Both environments"].approvers == (Identity("Bob", "bob@example.com"),)
    assert changes["Self approved"].approvers == (
        Identity("Carol", "CAROL@example.com"),
        Identity("Bob", "bob@example.com"),
    )
    assert changes["Not an approval trailer"].approvers == ()
    assert changes["Merge feature"].approvers == (Identity("Max", "max@example.com"),)
    assert changes["Octopus"].approvers == (Identity("Bob", "bob@example.com"),)
    assert changes["First second"].approvers == ()


def test_merge_authors_are_the_authors_of_the_merged_branches(history):
    changes = by_subject(history)
    assert changes["Merge feature"].authors == (
        Identity("Carol", "carol@example.com"),  # co-author of a merged commit
        Identity("Dave", "dave@example.com"),
        Identity("Erin", "erin@example.com"),
    )
    assert changes["Octopus"].authors == (
        Identity("Dave", "dave@example.com"),
        Identity("Erin", "erin@example.com"),
    )
    assert changes["Merge own"].authors == (Identity("Max", "max@example.com"),)
    assert changes["Both environments"].authors == (Identity("Ann", "ann@example.com"),)


def test_self_approval_matches_emails_case_insensitively(history):
    flags = {subject: change.self_approved for subject, change in by_subject(history).items()}
    assert [subject for subject, flag in flags.items() if flag] == ["Self approved", "Merge own"]


def test_merge_committer_can_be_switched_off(repo, tmp_path):
    history = read_history(
        installation(repo.path, merge_committer=False), PERIOD, cache_dir=tmp_path
    )
    changes = by_subject(history)
    assert changes["Merge feature"].approvers == ()
    assert changes["Merge own"].self_approved is False


def test_changed_files_follow_renames_and_include_submodules(history):
    changes = by_subject(history)
    move = changes["Move out of production"].commit.files
    assert [(f.status, f.path, f.old_path) for f in move] == [
        ("R", "legacy/left.yaml", f"{PROD}/left.yaml")
    ]
    submodule = changes["Submodule"].commit.files
    assert sorted((f.status, f.path) for f in submodule) == [
        ("A", ".gitmodules"),
        ("A", f"{PROD}/modules/network"),
    ]
    # a merge's files are its change against the first parent: what the branch brought
    assert {f.path for f in changes["Merge feature"].commit.files} == {
        f"{PROD}/feature.yaml",
        f"{STAGING}/feature.yaml",
    }


def test_reproduce_commands_give_the_reported_figures(history, repo):
    assert [r.figure for r in history.reproduce] == [
        "head",
        "population: staging",
        "population: production",
    ]
    assert [r.expected for r in history.reproduce] == [repo.head(), "3", "10"]
    for reproduce in history.reproduce:
        assert "-C ./acme " in reproduce.command  # the repository as written, not absolute
        out = subprocess.run(
            reproduce.command, shell=True, cwd=repo.path.parent, env=clean_env(),
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert out.stdout.strip() == reproduce.expected


def test_last_commit_in_period(history):
    assert history.last_commit_in_period().subject == "Day after in Kyiv"
