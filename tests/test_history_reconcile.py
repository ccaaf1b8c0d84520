"""The reconciliation: every first-parent commit of the period in exactly one group, shared
scopes in the populations of the environments they reach, and each group's command giving its
count when run in bash."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from gitrepo import GitRepo, clean_env

from generator.config import EnvironmentConfig, InstallationConfig, Period
from generator.history import read_history
from generator.history.reconcile import counted
from generator.scopes import OutOfScope, SharedScope

PROD = "environments/production"
STAGING = "environments/staging"
PERIOD = Period.parse("2026-01-01..2026-03-31")
BOB = "Bob <bob@example.com>"


def installation(path: Path, shared=(), out=()) -> InstallationConfig:
    return InstallationConfig(
        name="acme",
        repo=str(path),
        repo_path=path,
        ref="main",
        environments=(
            EnvironmentConfig("staging", (f"{STAGING}/**",), None, "optional"),
            EnvironmentConfig("production", (f"{PROD}/**",), None, "required"),
        ),
        shared_scopes=tuple(shared),
        out_of_scope=tuple(out),
    )


PLATFORM = SharedScope("platform", ("landing-zones/**",), ("staging", "production"))
BLOCKS = SharedScope("blocks", ("building-blocks/**",), ("production",))
DOCS = OutOfScope("docs", ("docs/**",), "records of reviews; they configure nothing")
README = OutOfScope("readme", ("README.md",), "the repository's description")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> GitRepo:
    r = GitRepo.create(tmp_path_factory.mktemp("reconcile") / "acme")
    r.commit(
        "Initial",
        files={f"{PROD}/a.yaml": "a: 0\n", f"{STAGING}/a.yaml": "a: 0\n", "README.md": "x\n"},
        date="2025-12-01T10:00:00+00:00",
    )
    r.commit("Production", files={f"{PROD}/a.yaml": "a: 1\n"}, date="2026-01-02T10:00:00+00:00")
    r.commit(
        "Landing zone and production",
        files={"landing-zones/lz.yaml": "x: 1\n", f"{PROD}/a.yaml": "a: 2\n"},
        date="2026-01-03T10:00:00+00:00",
    )
    r.commit(
        "Landing zone alone (direct push)",
        files={"landing-zones/lz.yaml": "x: 2\n"},
        date="2026-01-04T10:00:00+00:00",
    )
    r.commit(
        "Building block and a doc",
        files={"building-blocks/b.yaml": "y: 1\n", "docs/review.md": "ok\n"},
        date="2026-01-05T10:00:00+00:00",
        trailers=[("Approved-by", BOB)],
    )
    r.commit("A doc", files={"docs/review.md": "ok 2\n"}, date="2026-01-06T10:00:00+00:00")
    r.commit(
        "Doc and readme",
        files={"docs/review.md": "ok 3\n", "README.md": "y\n"},
        date="2026-01-07T10:00:00+00:00",
    )
    r.commit(
        "Doc and an undeclared file",
        files={"docs/review.md": "ok 4\n", "Makefile": "all:\n"},
        date="2026-01-08T10:00:00+00:00",
    )
    r.commit("Undeclared", files={"scripts/run.sh": "echo\n"}, date="2026-01-09T10:00:00+00:00")
    r.commit("Nothing", date="2026-01-10T10:00:00+00:00")
    r.commit("After the period", files={f"{PROD}/a.yaml": "a: 9\n"}, date="2026-04-02T10:00:00Z")
    return r


def subjects(history, indices) -> list[str]:
    return [history.commits[i].subject for i in indices]


def groups_of(history) -> dict[str, list[str]]:
    return {
        f"{g.kind}:{g.name}" if g.name else g.kind: subjects(history, g.indices)
        for g in history.reconciliation.groups
    }


def test_every_commit_of_the_period_is_in_exactly_one_group(repo, tmp_path) -> None:
    config = installation(repo.path, [PLATFORM, BLOCKS], [DOCS, README])
    history = read_history(config, PERIOD, cache_dir=tmp_path)
    assert groups_of(history) == {
        "environments": ["Production", "Landing zone and production"],
        "shared:platform": ["Landing zone alone (direct push)"],
        "shared:blocks": ["Building block and a doc"],
        "unaccounted": ["Doc and an undeclared file", "Undeclared"],
        "out_of_scope:docs": ["A doc", "Doc and readme"],
        "out_of_scope:readme": [],
        "no_change": ["Nothing"],
    }
    reconciliation = history.reconciliation
    assert reconciliation.total == 9 == sum(len(g.indices) for g in reconciliation.groups)
    docs = next(g for g in reconciliation.groups if g.name == "docs")
    assert docs.justification == DOCS.justification and docs.paths == ("docs/**",)


def test_a_shared_scope_is_in_the_population_of_each_environment_it_reaches(repo, tmp_path):
    config = installation(repo.path, [PLATFORM, BLOCKS], [DOCS])
    history = read_history(config, PERIOD, cache_dir=tmp_path)
    production = [c.commit.subject for c in history.population("production")]
    staging = [c.commit.subject for c in history.population("staging")]
    assert production == [
        "Production",
        "Landing zone and production",
        "Landing zone alone (direct push)",
        "Building block and a doc",
    ]
    assert staging == ["Landing zone and production", "Landing zone alone (direct push)"]
    assert history.population_sizes == {"staging": 2, "production": 4}
    by_subject = {c.commit.subject: c.environments for c in history.changes}
    assert by_subject["Landing zone alone (direct push)"] == ("staging", "production")
    # The unaccounted commits are changes to no environment, for the rules judging scope
    # (README.md is not declared out of scope here).
    assert [(c.commit.subject, c.environments) for c in history.unplaced] == [
        ("Doc and readme", ()),
        ("Doc and an undeclared file", ()),
        ("Undeclared", ()),
    ]


def test_without_declarations_everything_outside_the_environments_is_unaccounted(repo, tmp_path):
    history = read_history(installation(repo.path), PERIOD, cache_dir=tmp_path)
    assert groups_of(history) == {
        "environments": ["Production", "Landing zone and production"],
        "unaccounted": [
            "Landing zone alone (direct push)",
            "Building block and a doc",
            "A doc",
            "Doc and readme",
            "Doc and an undeclared file",
            "Undeclared",
        ],
        "no_change": ["Nothing"],
    }


@pytest.mark.skipif(shutil.which("bash") is None, reason="the commands need bash")
def test_each_group_command_gives_its_count(repo, tmp_path) -> None:
    config = installation(repo.path, [PLATFORM, BLOCKS], [DOCS, README])
    history = read_history(config, PERIOD, cache_dir=tmp_path)
    reconciliation = history.reconciliation

    def run(command: str) -> int:
        done = subprocess.run(
            ["bash", "-c", counted(command)], capture_output=True, env=clean_env(), check=True
        )
        return int(done.stdout.decode().strip())

    assert run(reconciliation.command) == reconciliation.total
    for group in reconciliation.groups:
        assert (group.kind, group.name, run(group.command)) == (
            group.kind,
            group.name,
            len(group.indices),
        )
    for step in history.reproduce:
        if step.figure.startswith("population: "):
            assert str(run(step.command.removesuffix(" | wc -l"))) == step.expected


def test_answers_extend_when_the_head_moves_on(repo, tmp_path) -> None:
    """A cached head's groups plus the new commits' give the same groups as reading anew."""
    config = installation(repo.path, [PLATFORM], [DOCS])
    clone = repo.clone(tmp_path / "clone")
    clone.reset_hard("HEAD~4")
    moved = installation(clone.path, [PLATFORM], [DOCS])
    read_history(moved, PERIOD, cache_dir=tmp_path / "cache")
    clone.git("pull", "--ff-only", str(repo.path), "main")
    extended = read_history(moved, PERIOD, cache_dir=tmp_path / "cache")
    fresh = read_history(config, PERIOD, cache_dir=tmp_path / "fresh")
    assert groups_of(extended) == groups_of(fresh)


def test_the_periods_commits_are_those_gits_date_filters_keep(tmp_path) -> None:
    """The reader takes the period's commits from the line's dates: the same commits as the
    printed ``git log`` with its date filters, at offsets around both ends and behind skewed
    clocks."""
    r = GitRepo.create(tmp_path / "acme")
    dates = [
        "2025-12-30T10:00:00+00:00",  # before the period: the boundary
        "2026-01-01T00:30:00+01:00",  # 2025-12-31 23:30 UTC: outside
        "2025-12-31T23:30:00-01:00",  # 2026-01-01 00:30 UTC: inside
        "2026-02-01T10:00:00+00:00",
        "2025-11-01T10:00:00+00:00",  # a clock running behind: outside
        "2026-04-05T10:00:00+00:00",  # a clock running ahead: outside
        "2026-03-31T23:30:00-01:00",  # 2026-04-01 00:30 UTC: outside
        "2026-04-01T00:30:00+01:00",  # 2026-03-31 23:30 UTC: inside
        "2026-03-31T23:59:59+00:00",  # the last second: inside
        "2026-04-01T00:00:00+00:00",  # the first second after: outside
    ]
    for number, date in enumerate(dates):
        r.commit(f"Commit {number}", files={f"{PROD}/a.yaml": f"a: {number}\n"}, date=date)
    history = read_history(installation(r.path), PERIOD, cache_dir=tmp_path / "cache")
    reconciliation = history.reconciliation
    listed = subprocess.run(["bash", "-c", reconciliation.command], capture_output=True,
                            env=clean_env(), check=True, text=True).stdout.split()  # fmt: skip
    grouped = [i for group in reconciliation.groups for i in group.indices]
    assert sorted(history.commits[i].sha for i in grouped) == sorted(listed)
    assert subjects(history, sorted(grouped)) == [
        "Commit 2", "Commit 3", "Commit 7", "Commit 8",
    ]  # fmt: skip
    assert reconciliation.total == 4
