"""Release events from files and tags, version moves on changes, and promotions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from gitrepo import GitRepo

from generator.config import EnvironmentConfig, InstallationConfig, Period, ReleaseSource
from generator.history import read_history
from generator.history.model import Identity

PERIOD = Period.parse("2026-01-01..2026-03-31")
STAGE_FILE = "environments/staging/meshstack.yaml"
PROD_FILE = "environments/production/meshstack.yaml"
PIPELINE, BOB, MAX = "Pipeline <ci@example.com>", "Bob <bob@example.com>", "Max <max@example.com>"


def staging_yaml(version: str) -> str:
    return f"meshstack:\n  version: {version}\n  replicas: 2\n"


def installation(path: Path, production: ReleaseSource) -> InstallationConfig:
    return InstallationConfig(
        name="acme",
        repo="./acme",
        repo_path=path,
        ref="main",
        environments=(
            EnvironmentConfig(
                "staging",
                ("environments/staging/**",),
                ReleaseSource(file=STAGE_FILE, key="meshstack.version"),
                "optional",
            ),
            EnvironmentConfig(
                "production", ("environments/production/**",), production, "required"
            ),
        ),
    )


TAGS = ReleaseSource(tag_pattern=r"production/(?P<version>\d+\.\d+\.\d+)")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> GitRepo:
    r = GitRepo.create(tmp_path_factory.mktemp("releases") / "acme")
    r.commit("Initial", files={STAGE_FILE: staging_yaml("2025.48.0"), PROD_FILE: "v: 1\n"},
             date="2025-12-01T10:00:00+00:00")  # fmt: skip
    r.tag("production/2025.48.0")  # lightweight: dated by its commit
    r.commit("Staging 2026.1.0", files={STAGE_FILE: staging_yaml("2026.1.0")}, author=PIPELINE,
             date="2026-01-05T08:00:00+00:00")  # fmt: skip
    r.branch("promote")
    r.commit("Promote 2026.1.0", files={PROD_FILE: "v: 2\n"}, author=BOB,
             date="2026-01-07T10:00:00+00:00")  # fmt: skip
    r.checkout("main")
    r.merge("promote", committer=MAX, date="2026-01-08T10:00:00+00:00",
            trailers=[("Approved-by", BOB)])  # fmt: skip
    r.tag("production/2026.1.0", message="Release 2026.1.0", tagger=MAX,
          date="2026-01-08T10:30:00+01:00")  # fmt: skip
    r.tag("staging/2026.1.0")  # does not match the pattern
    r.commit("Staging v2026.02.0", files={STAGE_FILE: staging_yaml("v2026.02.0")},
             author=PIPELINE, date="2026-01-12T10:00:00+00:00")  # fmt: skip
    r.commit("Broken YAML", files={STAGE_FILE: "meshstack: [unclosed\n"}, author=PIPELINE,
             date="2026-01-13T10:00:00+00:00")  # fmt: skip
    r.commit("Roll back", files={STAGE_FILE: staging_yaml("2026.1.0")}, author=PIPELINE,
             date="2026-01-14T10:00:00+00:00")  # fmt: skip
    r.commit("Hotfix straight to production", files={PROD_FILE: "v: 3\n"}, author=BOB,
             date="2026-02-01T10:00:00+00:00")  # fmt: skip
    r.tag("production/2026.3.0")
    r.commit("Production before staging", files={PROD_FILE: "v: 4\n"}, author=BOB,
             date="2026-02-08T10:00:00+00:00")  # fmt: skip
    r.tag("production/2026.4.0", message="early", tagger=MAX, date="2026-02-09T10:00:00+00:00")
    r.commit("Staging 2026.4.0", files={STAGE_FILE: staging_yaml("2026.4.0")}, author=PIPELINE,
             date="2026-02-10T10:00:00+00:00")  # fmt: skip
    r.commit("Huge release file", files={STAGE_FILE: "x" * (1024 * 1024 + 1)},
             date="2026-02-11T10:00:00+00:00")  # fmt: skip
    r.commit("Release file removed", files={STAGE_FILE: None}, date="2026-02-12T10:00:00+00:00")
    r.commit("Release file back", files={STAGE_FILE: staging_yaml("2026.4.0")},
             date="2026-02-13T10:00:00+00:00")  # fmt: skip
    return r


@pytest.fixture(scope="module")
def history(repo, tmp_path_factory):
    return read_history(installation(repo.path, TAGS), PERIOD,
                        cache_dir=tmp_path_factory.mktemp("cache"))  # fmt: skip


def sha_of(repo: GitRepo, subject: str) -> str:
    return repo.git("log", "--format=%H", f"--grep=^{subject}$", "main").split()[0]


def test_release_events_are_first_appearances_over_the_whole_history(history, repo):
    assert [(e.version, e.environment, e.date, e.source) for e in history.releases] == [
        ("2025.48.0", "production", "2025-12-01T10:00:00+00:00", "tag"),
        ("2025.48.0", "staging", "2025-12-01T10:00:00+00:00", "file"),
        ("2026.1.0", "staging", "2026-01-05T08:00:00+00:00", "file"),
        ("2026.1.0", "production", "2026-01-08T10:30:00+01:00", "tag"),  # the tagger date
        ("2026.2.0", "staging", "2026-01-12T10:00:00+00:00", "file"),  # "v2026.02.0" normalized
        ("2026.3.0", "production", "2026-02-01T10:00:00+00:00", "tag"),  # lightweight: commit date
        ("2026.4.0", "production", "2026-02-09T10:00:00+00:00", "tag"),
        ("2026.4.0", "staging", "2026-02-10T10:00:00+00:00", "file"),
    ]
    assert history.releases[3].sha == sha_of(repo, "Merge promote")


def test_changes_record_the_versions_they_moved(history):
    moved = {c.commit.subject: c.releases for c in history.changes}
    assert moved == {
        "Staging 2026.1.0": {"staging": "2026.1.0"},
        "Merge promote": {"production": "2026.1.0"},
        "Staging v2026.02.0": {"staging": "2026.2.0"},
        "Broken YAML": {},
        "Roll back": {"staging": "2026.1.0"},  # a move back, not a new appearance
        "Hotfix straight to production": {"production": "2026.3.0"},
        "Production before staging": {"production": "2026.4.0"},
        "Staging 2026.4.0": {"staging": "2026.4.0"},
        "Huge release file": {},
        "Release file removed": {},
        "Release file back": {},  # same version as before the gap: nothing moved
    }


def test_unreadable_release_files_are_reported_not_skipped_silently(history, repo):
    broken, huge = sha_of(repo, "Broken YAML")[:12], sha_of(repo, "Huge release file")[:12]
    assert len(history.warnings) == 2
    assert history.warnings[0].startswith(f"{STAGE_FILE} at {broken}: not valid YAML (")
    assert history.warnings[1] == (
        f"{STAGE_FILE} at {huge}: file is 1048577 bytes, over the 1024 KiB limit; version not read"
    )


def test_promotions_in_the_period_with_time_in_staging_and_approvers(history):
    rows = [
        (
            p.version,
            p.staging.date if p.staging else None,
            p.production.date if p.production else None,
            p.staging_hours,
            p.production_approvers,
        )
        for p in history.promotions
    ]
    assert rows == [
        ("2026.1.0", "2026-01-05T08:00:00+00:00", "2026-01-08T10:30:00+01:00", 73.5,
         (Identity("Bob", "bob@example.com"), Identity("Max", "max@example.com"))),
        ("2026.2.0", "2026-01-12T10:00:00+00:00", None, None, ()),
        ("2026.3.0", None, "2026-02-01T10:00:00+00:00", None, ()),
        ("2026.4.0", "2026-02-10T10:00:00+00:00", "2026-02-09T10:00:00+00:00", -24.0, ()),
    ]  # fmt: skip


def test_promotions_follow_the_roles_not_the_names(history, repo, tmp_path):
    def renamed(names: dict[str, str], roles: dict[str, str | None]) -> InstallationConfig:
        config = installation(repo.path, TAGS)
        environments = tuple(
            replace(env, name=names[env.name], role=roles[env.name]) for env in config.environments
        )
        return replace(config, environments=environments)

    stg_prod = renamed({"staging": "stg", "production": "prod"},
                       {"staging": "staging", "production": "production"})  # fmt: skip
    other = read_history(stg_prod, PERIOD, cache_dir=tmp_path)
    assert other.promotions == [
        replace(
            p,
            staging=p.staging and replace(p.staging, environment="stg"),
            production=p.production and replace(p.production, environment="prod"),
        )
        for p in history.promotions
    ]
    assert len(other.promotions) == 4
    # A "production" environment without the production role takes no part in promotions.
    no_production = renamed({"staging": "staging", "production": "production"},
                            {"staging": "staging", "production": "other"})  # fmt: skip
    staged_only = read_history(no_production, PERIOD, cache_dir=tmp_path).promotions
    assert [(p.version, p.production) for p in staged_only] == [
        ("2026.1.0", None),
        ("2026.2.0", None),
        ("2026.4.0", None),
    ]


def test_release_versions_from_a_file_in_production(repo, tmp_path):
    by_file = ReleaseSource(file=PROD_FILE, key="v")
    history = read_history(installation(repo.path, by_file), PERIOD, cache_dir=tmp_path)
    production = [(e.version, e.date) for e in history.releases if e.environment == "production"]
    assert production == [
        ("1", "2025-12-01T10:00:00+00:00"),
        ("2", "2026-01-08T10:00:00+00:00"),  # the merge that brought the change to main
        ("3", "2026-02-01T10:00:00+00:00"),
        ("4", "2026-02-08T10:00:00+00:00"),
    ]
    merge = next(c for c in history.changes if c.commit.subject == "Merge promote")
    assert merge.releases == {"production": "2"}


def test_tags_annotated_and_lightweight(history, repo):
    tags = {t.name: t for t in history.tags}
    assert sorted(tags) == [
        "production/2025.48.0",
        "production/2026.1.0",
        "production/2026.3.0",
        "production/2026.4.0",
        "staging/2026.1.0",
    ]
    annotated = tags["production/2026.1.0"]
    assert annotated.annotated and annotated.sha == sha_of(repo, "Merge promote")
    assert annotated.tagger == Identity("Max", "max@example.com")
    assert annotated.tagged_at == "2026-01-08T10:30:00+01:00"
    assert annotated.message == "Release 2026.1.0"
    light = tags["production/2026.3.0"]
    assert (light.annotated, light.tagger, light.tagged_at) == (False, None, None)


def test_release_files_are_read_by_blob_id_each_blob_once_as_by_commit_and_path(
    repo, tmp_path, monkeypatch
):
    """The versions come from the blob ids git's log gave, no `<commit>:<path>` lookups, a blob
    shared by versions (a roll back) read and judged once; what each commit's version says,
    problems included, is what asking git for `<commit>:<path>` gives."""
    from generator.history.gitio import BlobReader
    from generator.history.releases import _file_values, file_value, touches

    by_name: list[str] = []
    by_id: list[str] = []
    read_many, read_blobs = BlobReader.read_many, BlobReader.read_blobs

    def names_asked(self, names, *rest):
        by_name.extend(names)
        return read_many(self, names, *rest)

    def ids_asked(self, ids, *rest):
        by_id.extend(ids)
        return read_blobs(self, ids, *rest)

    monkeypatch.setattr(BlobReader, "read_many", names_asked)
    monkeypatch.setattr(BlobReader, "read_blobs", ids_asked)
    read = read_history(installation(repo.path, TAGS), PERIOD, cache_dir=tmp_path / "cache")
    monkeypatch.undo()
    try:
        assert not [name for name in by_name if name.endswith(STAGE_FILE)]
        touching = [c for c in read.commits if touches(c, STAGE_FILE)]
        distinct = {c.blob_left(STAGE_FILE) for c in touching} - {None}
        assert sorted(by_id) == sorted(distinct) and len(distinct) < len(touching) - 1
        blobs = read.runner.blobs()
        key = "meshstack.version"
        names = [f"{c.sha}:{STAGE_FILE}" for c in touching]
        found = blobs.read_many(names)  # by commit and path, as before blob ids
        asked = [file_value(found[name], STAGE_FILE, key) for name in names]
        assert _file_values(touching, STAGE_FILE, key, blobs) == asked
        assert [problem is not None for _, problem in asked].count(True) == 2  # YAML, size
        assert asked[-2] == (None, None)  # removed
        # Commits without blob ids (not read from git's log) are read by commit and path.
        bare = [c._replace(blobs=()) for c in touching]
        assert _file_values(bare, STAGE_FILE, key, blobs) == asked
    finally:
        read.close()
