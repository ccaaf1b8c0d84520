"""direct-push and config-promotion on histories read from real repositories: shared scopes,
unaccounted and out-of-scope commits, and settings followed from staging to production."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from gitrepo import GitRepo
from reason_checks import disagreements

from generator.config import EnvironmentConfig, InstallationConfig, Period, ReleaseSource
from generator.evidence.context import RuleContext
from generator.evidence.registry import all_rules
from generator.history import read_history
from generator.scopes import OutOfScope, SharedScope
from generator.status import Status

PROD, STAGING = "environments/production", "environments/staging"
PERIOD = Period.parse("2026-01-01..2026-03-31")
BOB, CAROL = "Bob <bob@example.com>", "Carol <carol@example.com>"


def installation(path: Path, *, staging_paths=(f"{STAGING}/**",)) -> InstallationConfig:
    return InstallationConfig(
        name="acme",
        repo=str(path),
        repo_path=path,
        ref="main",
        environments=(
            EnvironmentConfig(
                "staging",
                tuple(staging_paths),
                ReleaseSource(f"{STAGING}/meshstack.yaml", "meshstack.version"),
                "optional",
            ),
            EnvironmentConfig("production", (f"{PROD}/**",), None, "required"),
        ),
        shared_scopes=(SharedScope("platform", ("landing-zones/**",), ("staging", "production")),),
        out_of_scope=(OutOfScope("docs", ("docs/**",), "records of reviews"),),
    )


def run(rule: str, history, **params):
    return all_rules()[rule].evaluate(RuleContext(history), params)


# -- direct-push ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pushes(tmp_path_factory) -> GitRepo:
    r = GitRepo.create(tmp_path_factory.mktemp("pushes") / "acme")
    r.commit("Initial", files={f"{PROD}/a.yaml": "a: 0\n"}, date="2025-12-01T10:00:00Z")
    r.branch("change")
    r.commit("Branch work", files={f"{PROD}/a.yaml": "a: 1\n"}, date="2026-01-02T09:00:00Z")
    r.checkout("main")
    r.merge("change", committer=CAROL, date="2026-01-02T10:00:00Z",
            trailers=[("Approved-by", BOB)])  # fmt: skip
    r.commit("Direct to production", files={f"{PROD}/a.yaml": "a: 2\n"},
             date="2026-01-03T10:00:00Z")  # fmt: skip
    r.commit("Pipeline with approval", files={f"{STAGING}/a.yaml": "a: 2\n"},
             date="2026-01-04T10:00:00Z", trailers=[("Approved-by", BOB)])  # fmt: skip
    r.commit("Direct to a landing zone", files={"landing-zones/lz.yaml": "x: 1\n"},
             date="2026-01-05T10:00:00Z")  # fmt: skip
    r.commit("Direct to an undeclared path", files={"scripts/run.sh": "echo\n"},
             date="2026-01-06T10:00:00Z")  # fmt: skip
    r.commit("Direct to docs", files={"docs/review.md": "ok\n"}, date="2026-01-07T10:00:00Z")
    r.branch("unapproved")
    r.commit("Unapproved work", files={f"{PROD}/a.yaml": "a: 3\n"}, date="2026-01-08T09:00:00Z")
    r.checkout("main")
    r.merge("unapproved", committer=CAROL, date="2026-01-08T10:00:00Z")
    return r


def test_direct_pushes_to_in_scope_paths_are_deviations(pushes, tmp_path) -> None:
    history = read_history(installation(pushes.path), PERIOD, cache_dir=tmp_path)
    result = run("direct-push", history)
    subjects = {c.sha: c.subject for c in history.commits}
    assert result.status == Status.DEVIATIONS
    assert [(subjects[f.sha], f.kind, f.message) for f in result.failures] == [
        ("Direct to production", "direct_push",
         "pushed directly to main without an approval (production)"),
        ("Direct to a landing zone", "direct_push",
         "pushed directly to main without an approval (staging, production)"),
        ("Direct to an undeclared path", "direct_push",
         "pushed directly to main without an approval (no environment: outside every declared "
         "path)"),
    ]  # fmt: skip
    # The docs commit is out of scope; a merge without approval is change-approval's business.
    assert [subjects[s] for s in result.cited] == [
        "Merge change",
        "Direct to production",
        "Pipeline with approval",
        "Direct to a landing zone",
        "Direct to an undeclared path",
        "Merge unapproved",
    ]
    assert (result.population, result.passed, result.failed) == (6, 3, 3)
    assert result.reason == (
        "3 of 6 in-scope commits in the period (1 of them outside every declared path) were "
        "pushed directly to main: not a merge and without an approval."
    )
    assert result.details == {"merges": 2, "approved_commits": 1, "unaccounted": 1}


def test_no_direct_push_in_a_period_of_merges(pushes, tmp_path) -> None:
    history = read_history(
        installation(pushes.path), Period.parse("2026-01-02..2026-01-02"), cache_dir=tmp_path
    )
    result = run("direct-push", history)
    assert (result.status, result.failures, result.population) == (Status.NO_DEVIATIONS, (), 1)
    assert (
        result.reason == "The 1 in-scope commit in the period was a merge or carried an approval."
    )


def test_a_history_without_its_reconciliation_is_not_tested(pushes, tmp_path) -> None:
    history = read_history(
        installation(pushes.path), PERIOD, cache_dir=tmp_path, environments=["production"]
    )
    result = run("direct-push", history)
    assert result.status == Status.NOT_TESTED and result.failures == ()


# -- config-promotion ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> GitRepo:
    r = GitRepo.create(tmp_path_factory.mktemp("settings") / "acme")
    base = "a: 1\nb: 1\nversion: 1\n"
    r.commit(
        "Initial",
        files={
            f"{PROD}/app.yaml": base,
            f"{STAGING}/app.yaml": base,
            f"{PROD}/meshstack.yaml": "meshstack: {version: 2026.1.0}\n",
            f"{STAGING}/meshstack.yaml": "meshstack: {version: 2026.1.0}\n",
            f"{STAGING}/run.sh": "echo 1\n",
            f"{PROD}/run.sh": "echo 1\n",
        },
        date="2025-12-01T10:00:00Z",
    )
    r.commit("Staging a=2", files={f"{STAGING}/app.yaml": "a: 2\nb: 1\nversion: 1\n"},
             date="2026-01-05T10:00:00Z")  # fmt: skip
    r.commit("Production a=2 after 48 h", files={f"{PROD}/app.yaml": "a: 2\nb: 1\nversion: 1\n"},
             date="2026-01-07T10:00:00Z")  # fmt: skip
    r.commit("Production b=5 only", files={f"{PROD}/app.yaml": "a: 2\nb: 5\nversion: 1\n"},
             date="2026-01-08T10:00:00Z")  # fmt: skip
    r.commit("Production b=1 again", files={f"{PROD}/app.yaml": "a: 2\nb: 1\nversion: 1\n"},
             date="2026-01-09T10:00:00Z")  # fmt: skip
    r.commit("Staging c=1", files={f"{STAGING}/app.yaml": "a: 2\nb: 1\nversion: 1\nc: 1\n"},
             date="2026-01-12T09:00:00Z")  # fmt: skip
    r.commit("Production c=1 after 3 h",
             files={f"{PROD}/app.yaml": "a: 2\nb: 1\nversion: 1\nc: 1\n"},
             date="2026-01-12T12:00:00Z")  # fmt: skip
    r.commit("Production version only",
             files={f"{PROD}/meshstack.yaml": "meshstack: {version: 2026.2.0}\n"},
             date="2026-01-13T10:00:00Z")  # fmt: skip
    r.commit("Both at once",
             files={f"{PROD}/app.yaml": "a: 3\nb: 1\nversion: 1\nc: 1\n",
                    f"{STAGING}/app.yaml": "a: 3\nb: 1\nversion: 1\nc: 1\n"},
             date="2026-01-14T10:00:00Z")  # fmt: skip
    r.commit("Staging script", files={f"{STAGING}/run.sh": "echo 2\n"},
             date="2026-01-15T10:00:00Z")  # fmt: skip
    r.commit("Production script as staged", files={f"{PROD}/run.sh": "echo 2\n"},
             date="2026-01-19T10:00:00Z")  # fmt: skip
    r.commit("Production script of its own", files={f"{PROD}/run.sh": "echo 3\n"},
             date="2026-01-20T10:00:00Z")  # fmt: skip
    r.commit("Production comment only",
             files={f"{PROD}/app.yaml": "# tidy\na: 3\nb: 1\nversion: 1\nc: 1\n"},
             date="2026-01-21T10:00:00Z")  # fmt: skip
    return r


def test_settings_that_were_not_in_staging_first_are_deviations(settings, tmp_path) -> None:
    history = read_history(installation(settings.path), PERIOD, cache_dir=tmp_path)
    result = run("config-promotion", history, min_hours=24)
    subjects = {c.sha: c.subject for c in history.commits}
    assert [(subjects[f.sha], f.kind, f.message, f.items) for f in result.failures] == [
        ("Production b=5 only", "skipped_staging",
         f"{PROD}/app.yaml: never in staging before production: b = 5", (f"{PROD}/app.yaml",)),
        ("Production c=1 after 3 h", "short_staging",
         f"{PROD}/app.yaml: in staging for less than 24 h before production: c = 1 (3 h)",
         (f"{PROD}/app.yaml",)),
        ("Both at once", "skipped_staging",
         f"{PROD}/app.yaml: never in staging before production: a = 3", (f"{PROD}/app.yaml",)),
        ("Production script of its own", "skipped_staging",
         f"{PROD}/run.sh: never in staging before production: (whole file) = "
         + ("sha256:" + hashlib.sha256(b"echo 3\n").hexdigest())[:57] + "...",
         (f"{PROD}/run.sh",)),
    ]  # fmt: skip
    # Restoring a value staging kept all along, the version bump and the comment are no
    # deviations; the last two are not even members (no setting besides the version changed).
    assert [subjects[s] for s in result.cited] == [
        "Production a=2 after 48 h",
        "Production b=5 only",
        "Production b=1 again",
        "Production c=1 after 3 h",
        "Both at once",
        "Production script as staged",
        "Production script of its own",
    ]
    assert (result.status, result.population, result.failed) == (Status.DEVIATIONS, 7, 4)
    assert result.reason == (
        "4 of 7 production configuration file changes in the period were not in staging for at "
        "least 24 h first: 3 skipped staging, 1 too short in staging."
    )


def test_without_a_minimum_a_short_stay_in_staging_passes(settings, tmp_path) -> None:
    history = read_history(installation(settings.path), PERIOD, cache_dir=tmp_path)
    result = run("config-promotion", history)
    assert [f.kind for f in result.failures] == ["skipped_staging"] * 3


def test_a_period_of_staged_changes_has_no_deviations(settings, tmp_path) -> None:
    period = Period.parse("2026-01-01..2026-01-07")
    history = read_history(installation(settings.path), period, cache_dir=tmp_path)
    result = run("config-promotion", history, min_hours=24)
    assert (result.status, result.population, result.failures) == (Status.NO_DEVIATIONS, 1, ())
    assert result.reason == (
        "The 1 production configuration file change in the period was in staging for at least "
        "24 h first."
    )


def test_environments_that_are_not_one_folder_each_are_not_tested(settings, tmp_path) -> None:
    config = installation(settings.path, staging_paths=(f"{STAGING}/*.yaml",))
    history = read_history(config, PERIOD, cache_dir=tmp_path)
    result = run("config-promotion", history)
    assert result.status == Status.NOT_TESTED and result.failures == ()
    assert "cannot be paired" in result.reason


def test_settings_of_a_file_whose_name_is_not_utf8_are_a_visible_gap(tmp_path) -> None:
    """Two files whose names differ only in bytes that are not UTF-8 share one name as read:
    neither is judged with the other's settings, the change is shown as unreadable."""
    r = GitRepo.create(tmp_path / "acme")
    ff, fe = "a\udcff.yaml", "a\udcfe.yaml"  # the bytes 0xff and 0xfe (surrogateescape)
    r.commit("Initial", files={f"{env}/{name}": f"{key}: 1\n" for env in (PROD, STAGING)
                               for name, key in ((ff, "ff"), (fe, "fe"))},
             date="2025-12-01T10:00:00Z")  # fmt: skip
    r.commit("Staging ff=2", files={f"{STAGING}/{ff}": "ff: 2\n"}, date="2026-01-05T10:00:00Z")
    change = r.commit("Production ff=2 after 72 h", files={f"{PROD}/{ff}": "ff: 2\n"},
                      date="2026-01-08T10:00:00Z")  # fmt: skip
    history = read_history(installation(r.path), PERIOD, cache_dir=tmp_path / "cache")
    result = run("config-promotion", history, min_hours=24)
    assert [(f.sha, f.kind, f.items) for f in result.failures] == [
        (change, "unreadable_version", (f"{PROD}/a\ufffd.yaml",))
    ]
    assert result.failures[0].message.startswith(
        f"{PROD}/a\ufffd.yaml: not compared with staging, a version could not be read: "
        f"{PROD}/a\ufffd.yaml at {change[:12]} (its name is not valid UTF-8"
    )
    assert f"{PROD}/a\ufffd.yaml at {change[:12]}: its name is not valid UTF-8, so git's " in (
        "\n".join(history.warnings)
    )


@pytest.fixture(scope="module")
def unreadable(tmp_path_factory) -> GitRepo:
    """One file per case: s.yaml unreadable in staging, p.yaml in production, h.yaml held in
    staging around an unreadable version, o.yaml unreadable before the window that matters,
    t.yaml a short stay after an unreadable staging version."""
    r = GitRepo.create(tmp_path_factory.mktemp("unreadable") / "acme")
    binary = b"k: 2\n\0"
    names = ("s", "p", "h", "o", "t")
    r.commit("Initial", files={f"{env}/{n}.yaml": "k: 1\n" for env in (PROD, STAGING)
                               for n in names}, date="2025-12-01T10:00:00Z")  # fmt: skip
    r.commit("Staging o binary", files={f"{STAGING}/o.yaml": binary}, date="2025-12-05T10:00:00Z")
    r.commit("Staging o=1", files={f"{STAGING}/o.yaml": "k: 1\n"}, date="2025-12-10T10:00:00Z")
    r.commit("Production o=4", files={f"{PROD}/o.yaml": "k: 4\n"}, date="2025-12-20T10:00:00Z")
    r.commit("Staging t binary", files={f"{STAGING}/t.yaml": binary}, date="2026-01-03T10:00:00Z")
    r.commit("Staging s binary, h=2", files={f"{STAGING}/s.yaml": binary,
             f"{STAGING}/h.yaml": "k: 2\n"}, date="2026-01-05T10:00:00Z")  # fmt: skip
    r.commit("Staging h binary", files={f"{STAGING}/h.yaml": binary}, date="2026-01-06T10:00:00Z")
    r.commit("Staging t=2", files={f"{STAGING}/t.yaml": "k: 2\n"}, date="2026-01-07T09:00:00Z")
    r.commit("Production t=2 after 3 h", files={f"{PROD}/t.yaml": "k: 2\n"},
             date="2026-01-07T12:00:00Z")  # fmt: skip
    r.commit("Production s=2, h=2, o=5", files={f"{PROD}/{n}.yaml": f"k: {v}\n" for n, v in
             (("s", 2), ("h", 2), ("o", 5))}, date="2026-01-08T10:00:00Z")  # fmt: skip
    r.commit("Production p binary", files={f"{PROD}/p.yaml": binary}, date="2026-01-09T10:00:00Z")
    r.commit("Production p=1 again", files={f"{PROD}/p.yaml": "k: 1\n"},
             date="2026-01-10T10:00:00Z")  # fmt: skip
    r.commit("Production p=3", files={f"{PROD}/p.yaml": "k: 3\n"}, date="2026-01-11T10:00:00Z")
    return r


def test_a_version_that_could_not_be_read_is_never_claimed_to_have_skipped_staging(
    unreadable, tmp_path
) -> None:
    """Where the answer rests on a binary version (production's or staging's), the change is an
    unreadable version naming it, never skipped or short staging; a value staging is shown to
    have held still passes, and an unreadable version outside the window changes nothing."""
    history = read_history(installation(unreadable.path), PERIOD, cache_dir=tmp_path)
    result = run("config-promotion", history, min_hours=24)
    sha = {c.subject: c.sha for c in history.commits}
    found = {(f.items[0].removeprefix(f"{PROD}/"), f.sha): (f.kind, f.message)
             for f in result.failures}  # fmt: skip
    assert found == {
        ("t.yaml", sha["Production t=2 after 3 h"]): (
            "unreadable_version",
            f"{PROD}/t.yaml: not compared with staging, a version could not be read: "
            f"{STAGING}/t.yaml at {sha['Staging t binary'][:12]} (file is binary)",
        ),
        ("s.yaml", sha["Production s=2, h=2, o=5"]): (
            "unreadable_version",
            f"{PROD}/s.yaml: not compared with staging, a version could not be read: "
            f"{STAGING}/s.yaml at {sha['Staging s binary, h=2'][:12]} (file is binary)",
        ),
        ("o.yaml", sha["Production s=2, h=2, o=5"]): (
            "skipped_staging",
            f"{PROD}/o.yaml: never in staging before production: k = 5",
        ),
        ("p.yaml", sha["Production p binary"]): (
            "unreadable_version",
            f"{PROD}/p.yaml: not compared with staging, a version could not be read: "
            f"{PROD}/p.yaml at {sha['Production p binary'][:12]} (file is binary)",
        ),
        ("p.yaml", sha["Production p=3"]): (
            "skipped_staging",
            f"{PROD}/p.yaml: never in staging before production: k = 3",
        ),
    }
    # h.yaml was shown in staging for 72 h; p.yaml's return to the value staging kept passes.
    assert (result.status, result.population, result.failed) == (Status.DEVIATIONS, 7, 5)
    assert result.reason == (
        "5 of 7 production configuration file changes in the period were not shown to have been "
        "in staging for at least 24 h first: 2 skipped staging, 3 not compared (a file version "
        "could not be read)."
    )
    assert disagreements(result) == []
    warnings = "\n".join(history.warnings)
    assert f"{STAGING}/s.yaml at {sha['Staging s binary, h=2'][:12]}: file is binary" in warnings
