"""Incremental per-head answers: a history read on top of the cache of an older head is the
history read without a cache, and that read asks git about the new commits only."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from gitrepo import GitRepo, ssh_key

from generator.config import (
    EnvironmentConfig,
    InstallationConfig,
    Period,
    ReleaseSource,
    SigningConfig,
)
from generator.history import InstallationHistory, read_history
from generator.history.gitio import GitRunner

PERIOD = Period.parse("2026-01-01..2026-03-31")
STAGING, PROD = "environments/staging", "environments/production"
STAGE_FILE = f"{STAGING}/meshstack.yaml"
PROD_FILE = f"{PROD}/meshstack.yaml"
ANN, BOB, CAROL = "Ann <ann@example.com>", "Bob <bob@example.com>", "Carol <carol@example.com>"
DAVE, MAX = "Dave <dave@example.com>", "Max <max@example.com>"
TAGS = ReleaseSource(tag_pattern=r"production/(?P<version>\d+\.\d+\.\d+)")
PROD_RELEASE_FILE = ReleaseSource(file=PROD_FILE, key="meshstack.version")
_numbers = itertools.count()


def version_yaml(version: str) -> str:
    return f"meshstack:\n  version: {version}\n"


def installation(
    path: Path, production: ReleaseSource = TAGS, signing: SigningConfig | None = None
) -> InstallationConfig:
    return InstallationConfig(
        name="acme",
        repo="./acme",
        repo_path=path,
        ref="main",
        environments=(
            EnvironmentConfig(
                "staging",
                (f"{STAGING}/**",),
                ReleaseSource(file=STAGE_FILE, key="meshstack.version"),
                "optional",
            ),
            EnvironmentConfig("production", (PROD,), production, "required"),
        ),
        signing=signing or SigningConfig(),
    )


def base_repo(path: Path) -> GitRepo:
    """Commits before and in the period, release files, tags and a merge."""
    r = GitRepo.create(path)
    r.commit("Initial", files={STAGE_FILE: version_yaml("2025.50.0"), PROD_FILE: version_yaml(
        "2025.50.0"), "README": "x\n"}, date="2025-12-01T10:00:00+00:00")  # fmt: skip
    r.tag("production/2025.50.0")
    r.commit("Last second of 2025", files={f"{PROD}/app.yaml": "a: 1\n"},
             date="2025-12-31T23:59:59+00:00")  # fmt: skip
    r.commit("First second", files={f"{PROD}/app.yaml": "a: 2\n"}, author=ANN,
             trailers=[("Approved-by", BOB)], date="2026-01-01T00:00:00+00:00")  # fmt: skip
    r.commit("Stage 2026.1.0", files={STAGE_FILE: version_yaml("2026.1.0")},
             date="2026-01-05T10:00:00+00:00")  # fmt: skip
    r.branch("feature")
    r.commit("Feature", files={f"{PROD}/feature.yaml": "f: 1\n"}, author=DAVE,
             trailers=[("Co-authored-by", CAROL)], date="2026-01-06T10:00:00+00:00")  # fmt: skip
    r.checkout("main")
    r.merge("feature", committer=MAX, date="2026-01-07T10:00:00+00:00")
    r.commit("Promote 2026.1.0", files={PROD_FILE: version_yaml("2026.1.0")}, author=ANN,
             trailers=[("Approved-by", BOB)], date="2026-01-08T10:00:00+00:00")  # fmt: skip
    r.tag("production/2026.1.0", message="2026.1.0", date="2026-01-08T12:00:00+00:00")
    r.commit("Docs", files={"README": "y\n"}, date="2026-01-09T10:00:00+00:00")
    return r


# -- extensions: what a new release (or other new commits) adds on top of the cached head ----


def a_release(r: GitRepo) -> None:
    """Every kind of new commit: in and out of populations, a release, a merge, period edges."""
    old = r.head()
    r.commit("Staging only", files={f"{STAGING}/app.yaml": "s: 1\n"}, author=ANN,
             date="2026-02-01T10:00:00+00:00")  # fmt: skip
    both = {f"{STAGING}/app.yaml": "s: 2\n", f"{PROD}/app.yaml": "a: 3\n"}
    r.commit("Both", files=both, author=ANN, trailers=[("Approved-by", ANN)],
             date="2026-02-02T10:00:00+00:00")  # fmt: skip
    r.commit("Empty", date="2026-02-03T10:00:00+00:00")
    r.commit("Stage 2026.2.0", files={STAGE_FILE: version_yaml("2026.2.0")},
             date="2026-02-04T10:00:00+00:00")  # fmt: skip
    r.branch("hotfix")
    r.commit("Hotfix one", files={f"{PROD}/hot.yaml": "h: 1\n"}, author=DAVE,
             date="2026-02-05T10:00:00+00:00")  # fmt: skip
    r.commit("Hotfix two", files={f"{PROD}/hot.yaml": "h: 2\n"}, author=CAROL,
             trailers=[("Co-authored-by", ANN)], date="2026-02-05T11:00:00+00:00")  # fmt: skip
    r.checkout("main")
    r.merge("hotfix", committer=MAX, trailers=[("Approved-by", BOB)],
            date="2026-02-06T10:00:00+00:00")  # fmt: skip
    r.commit("Promote 2026.2.0", files={PROD_FILE: version_yaml("2026.2.0")}, author=ANN,
             trailers=[("Approved-by", BOB)], date="2026-02-07T10:00:00+00:00")  # fmt: skip
    r.tag("production/2026.2.0", message="2026.2.0", date="2026-02-07T12:00:00+00:00")
    r.tag("production/2025.51.0", old)  # a late tag on a cached commit: tags are read anew
    r.commit("Clock behind", files={f"{PROD}/app.yaml": "a: 4\n"},
             date="2025-06-01T10:00:00+00:00")  # fmt: skip
    r.commit("Last second", files={f"{PROD}/app.yaml": "a: 5\n"},
             date="2026-03-31T23:59:59+00:00")  # fmt: skip
    r.commit("Day after", files={f"{PROD}/app.yaml": "a: 6\n"},
             date="2026-04-01T00:00:00+00:00")  # fmt: skip
    r.commit("Day after in Kyiv", files={f"{PROD}/app.yaml": "a: 7\n"},
             date="2026-04-01T01:00:00+02:00")  # fmt: skip  # March 31st in UTC: inside


def after_the_period(r: GitRepo) -> None:
    """New commits after the period end, one of them with a clock dating it inside."""
    r.commit("May", files={f"{PROD}/app.yaml": "a: 8\n"}, date="2026-05-01T10:00:00+00:00")
    r.commit("Skewed into March", files={f"{STAGING}/app.yaml": "s: 9\n"},
             date="2026-03-15T10:00:00+00:00")  # fmt: skip
    r.commit("Stage 2026.3.0", files={STAGE_FILE: version_yaml("2026.3.0")},
             date="2026-05-02T10:00:00+00:00")  # fmt: skip
    r.tag("production/2026.3.0")


def outside_populations(r: GitRepo) -> None:
    r.commit("More docs", files={"README": "z\n"}, date="2026-02-10T10:00:00+00:00")
    r.commit("Nothing", date="2026-02-11T10:00:00+00:00")


def merge_only(r: GitRepo) -> None:
    side = f"side-{next(_numbers)}"
    r.branch(side)
    r.commit("Side staging", files={f"{STAGING}/side.yaml": "x: 1\n"}, author=CAROL,
             date="2026-02-12T10:00:00+00:00")  # fmt: skip
    r.commit("Side docs", files={"README": "w\n"}, author=DAVE,
             date="2026-02-12T11:00:00+00:00")  # fmt: skip
    r.checkout("main")
    r.merge(side, committer=BOB, date="2026-02-13T10:00:00+00:00")


EXTENSIONS = [a_release, after_the_period, outside_populations, merge_only]


# -- helpers --------------------------------------------------------------------------------


@pytest.fixture
def git_calls(monkeypatch) -> list[tuple[str, ...]]:
    """Every git command the reader runs (arguments after the fixed -c options)."""
    calls: list[tuple[str, ...]] = []
    for name in ("run", "stream", "ok"):
        original = getattr(GitRunner, name)

        def recording(self, *args, _original=original, **kwargs):
            calls.append(args)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(GitRunner, name, recording)
    run_many = GitRunner.run_many

    def recording_many(self, commands):
        calls.extend(commands)
        return run_many(self, commands)

    monkeypatch.setattr(GitRunner, "run_many", recording_many)
    return calls


def fresh(
    config: InstallationConfig, period: Period, folder: Path, **options
) -> InstallationHistory:
    """The history read with an empty cache: what every incremental read must equal."""
    return read_history(config, period, cache_dir=folder / f"fresh-{next(_numbers)}", **options)


def assert_same(found: InstallationHistory, expected: InstallationHistory) -> None:
    for field in dataclasses.fields(InstallationHistory):
        if field.compare:
            assert getattr(found, field.name) == getattr(expected, field.name), field.name
    assert found == expected


def logs_walk_only_new_commits(calls: list[tuple[str, ...]], old: str, new: set[str]) -> None:
    """Every git log stopped at the old head or at a newer commit: nothing old was walked."""
    logs = [call for call in calls if "log" in call]
    assert logs
    for call in logs:
        bottoms = [arg[1:] for arg in call if arg.startswith("^")]
        assert bottoms and all(b == old or b in new for b in bottoms), call


def new_shas(repo: GitRepo, old: str) -> set[str]:
    return set(repo.git("rev-list", f"{old}..HEAD").split())


# -- the incremental read equals the fresh one ----------------------------------------------


@pytest.mark.parametrize("extend", EXTENSIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("production", [TAGS, PROD_RELEASE_FILE], ids=["tags", "file"])
def test_a_read_after_new_commits_equals_a_read_without_cache(
    extend: Callable[[GitRepo], None], production: ReleaseSource, tmp_path, git_calls
):
    repo = base_repo(tmp_path / "acme")
    config = installation(repo.path, production)
    cache = tmp_path / "cache"
    read_history(config, PERIOD, cache_dir=cache)
    read_extended(repo, config, PERIOD, cache, git_calls, extend)


def read_extended(
    repo: GitRepo,
    config: InstallationConfig,
    period: Period,
    cache: Path,
    git_calls: list[tuple[str, ...]],
    *extensions: Callable[[GitRepo], None],
) -> InstallationHistory:
    """Extend the repository, read it with the cache from before: every log walks only the new
    commits, and the history equals one read without a cache."""
    old = repo.head()
    for extend in extensions:
        extend(repo)
    git_calls.clear()
    history = read_history(config, period, cache_dir=cache)
    logs_walk_only_new_commits(git_calls, old, new_shas(repo, old))
    assert_same(history, fresh(config, period, cache.parent))
    return history


def test_one_extension_after_another(tmp_path, git_calls):
    repo = base_repo(tmp_path / "acme")
    config = installation(repo.path)
    cache = tmp_path / "cache"
    read_history(config, PERIOD, cache_dir=cache)
    for extend in [outside_populations, a_release, merge_only, after_the_period]:
        history = read_extended(repo, config, PERIOD, cache, git_calls, extend)
        assert_same(read_history(config, PERIOD, cache_dir=cache), history)  # and cached as is


@pytest.mark.parametrize(
    "period",
    [
        Period.parse("2026-01-09..2026-03-31"),  # starts at the cached head: boundary just before
        Period.parse("2025-12-31..2026-01-31"),  # ends before most new commits
        Period.parse("2025-01-01..2026-12-31"),  # every commit
    ],
    ids=["starts-at-old-head", "ends-early", "everything"],
)
def test_period_edges_around_the_cached_head(period: Period, tmp_path, git_calls):
    repo = base_repo(tmp_path / "acme")
    config = installation(repo.path)
    cache = tmp_path / "cache"
    read_history(config, period, cache_dir=cache)
    read_extended(repo, config, period, cache, git_calls, a_release, after_the_period)


def test_another_period_after_new_commits_is_computed_in_full(tmp_path, git_calls):
    repo = base_repo(tmp_path / "acme")
    config = installation(repo.path)
    cache = tmp_path / "cache"
    read_history(config, PERIOD, cache_dir=cache)
    a_release(repo)
    other = Period.parse("2026-01-06..2026-06-30")
    git_calls.clear()
    history = read_history(config, other, cache_dir=cache)
    boundary = history.commits[history.period_start - 1].sha
    # Two populations; the period's commits are the line's commits dated in it (no third log).
    path_logs = [call for call in git_calls if "--format=%H" in call]
    assert len(path_logs) == 2 and all(f"^{boundary}" in call for call in path_logs)
    assert_same(history, fresh(config, other, tmp_path))


def test_a_rewritten_history_is_computed_in_full(tmp_path, git_calls):
    repo = base_repo(tmp_path / "acme")
    config = installation(repo.path)
    cache = tmp_path / "cache"
    read_history(config, PERIOD, cache_dir=cache)
    repo.reset_hard("HEAD~2")
    a_release(repo)
    git_calls.clear()
    history = read_history(config, PERIOD, cache_dir=cache)
    boundary = history.commits[history.period_start - 1].sha
    # Two populations; the period's commits are the line's commits dated in it (no third log).
    path_logs = [call for call in git_calls if "--format=%H" in call]
    assert len(path_logs) == 2 and all(f"^{boundary}" in call for call in path_logs)
    assert_same(history, fresh(config, PERIOD, tmp_path))


def test_signature_checks_are_extended_with_the_new_commits(tmp_path, git_calls):
    keys = tmp_path / "keys"
    trusted = ssh_key(keys, "trusted", principal="ann@example.com")
    stranger = ssh_key(keys, "stranger", principal="ann@example.com")
    repo = base_repo(tmp_path / "acme")
    repo.commit("Signed in January", files={f"{PROD}/s.yaml": "s: 1\n"}, author=ANN,
                sign=trusted, date="2026-01-20T10:00:00+00:00")  # fmt: skip
    config = installation(repo.path, signing=SigningConfig(allowed_signers=trusted.allowed_signers))
    cache = tmp_path / "cache"
    read_history(config, PERIOD, cache_dir=cache)
    old = repo.head()
    repo.commit("Trusted", files={f"{PROD}/s.yaml": "s: 2\n"}, author=ANN, sign=trusted,
                date="2026-02-01T10:00:00+00:00")  # fmt: skip
    repo.commit("Stranger", files={f"{PROD}/s.yaml": "s: 3\n"}, author=ANN, sign=stranger,
                date="2026-02-02T10:00:00+00:00")  # fmt: skip
    repo.commit("Unsigned", files={f"{PROD}/s.yaml": "s: 4\n"}, author=ANN,
                date="2026-02-03T10:00:00+00:00")  # fmt: skip
    repo.commit("Trusted after the period", files={f"{PROD}/s.yaml": "s: 5\n"}, author=ANN,
                sign=trusted, date="2026-04-02T10:00:00+00:00")  # fmt: skip
    git_calls.clear()
    history = read_history(config, PERIOD, cache_dir=cache)
    logs_walk_only_new_commits(git_calls, old, new_shas(repo, old))
    assert any("--format=%H%x1f%G?%x1f%GF%x1f%GS" in call for call in git_calls)
    assert_same(history, fresh(config, PERIOD, tmp_path))
    verified = {
        c.commit.subject: c.verified for c in history.changes if c.commit.signature != "none"
    }
    assert verified == {"Signed in January": True, "Trusted": True, "Stranger": False}


# -- reading one environment's changes only ---------------------------------------------------


def test_a_limited_read_holds_that_environments_changes_and_says_so(tmp_path):
    repo = base_repo(tmp_path / "acme")
    a_release(repo)
    config = installation(repo.path)
    cache = tmp_path / "cache"
    full = read_history(config, PERIOD, cache_dir=cache)
    for cached in (False, True):
        folder = cache if cached else tmp_path / f"cold-{next(_numbers)}"
        limited = read_history(config, PERIOD, cache_dir=folder, environments=["production"])
        assert limited.changes_limited_to == ("production",)
        assert limited.changes == full.population("production")
        assert any(c.environments == ("staging", "production") for c in limited.changes)
        assert limited.population_sizes == full.population_sizes == {"staging": 4, "production": 8}
        for name in ("commits", "tags", "releases", "promotions", "reproduce", "warnings"):
            assert getattr(limited, name) == getattr(full, name), name
        assert limited.population("production") == limited.changes
        with pytest.raises(ValueError, match="production only"):
            limited.population("staging")
    assert full.changes_limited_to is None
    every = read_history(config, PERIOD, cache_dir=cache, environments=["production", "staging"])
    assert every.changes_limited_to is None and every.changes == full.changes


def test_population_sizes_are_the_reproduce_counts(tmp_path):
    repo = base_repo(tmp_path / "acme")
    a_release(repo)
    history = read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "cache")
    expected = {r.figure.removeprefix("population: "): int(r.expected)
                for r in history.reproduce if r.figure.startswith("population")}  # fmt: skip
    assert history.population_sizes == expected
    assert expected == {name: len(history.population(name)) for name in expected}


@pytest.mark.parametrize("environments", [["nowhere"], "production", ["production", "x"]])
def test_unknown_environments_are_refused(environments, tmp_path):
    repo = base_repo(tmp_path / "acme")
    with pytest.raises(ValueError, match="not all among"):
        read_history(installation(repo.path), PERIOD, cache_dir=tmp_path / "c",
                     environments=environments)  # fmt: skip
