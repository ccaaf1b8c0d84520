"""staging-before-production on a real repository whose staging release file could not be read
at a commit: a version that may have been in staging then is never claimed to have skipped it."""

from __future__ import annotations

from gitrepo import GitRepo
from reason_checks import disagreements

from generator.config import EnvironmentConfig, InstallationConfig, Period, ReleaseSource
from generator.evidence.context import RuleContext
from generator.evidence.registry import all_rules
from generator.history import read_history
from generator.status import Status

STAGING, PROD = "environments/staging/meshstack.yaml", "environments/production/meshstack.yaml"
PERIOD = Period.parse("2026-01-01..2026-03-31")


def version(number: str) -> str:
    return f"meshstack:\n  version: {number}\n"


def installation(repo: GitRepo) -> InstallationConfig:
    return InstallationConfig(
        name="acme",
        repo=str(repo.path),
        repo_path=repo.path,
        ref="main",
        environments=tuple(
            EnvironmentConfig(
                name, (f"environments/{name}/**",), ReleaseSource(path, "meshstack.version"),
                "optional" if name == "staging" else "required",
            )
            for name, path in (("staging", STAGING), ("production", PROD))
        ),
    )  # fmt: skip


def test_a_version_staging_may_have_had_unread_is_not_claimed_to_have_skipped_it(tmp_path):
    r = GitRepo.create(tmp_path / "acme")
    r.commit("Initial", files={STAGING: version("2026.1.0"), PROD: version("2026.1.0")},
             date="2025-12-01T10:00:00Z")  # fmt: skip
    r.commit("Production 2026.1.5", files={PROD: version("2026.1.5")}, date="2026-01-04T10:00:00Z")
    binary = r.commit("Staging binary", files={STAGING: version("2026.2.0").encode() + b"\0"},
                      date="2026-01-05T10:00:00Z")  # fmt: skip
    r.commit("Staging 2026.3.0", files={STAGING: version("2026.3.0")}, date="2026-01-06T10:00:00Z")
    r.commit("Production 2026.3.0", files={PROD: version("2026.3.0")}, date="2026-01-08T10:00:00Z")
    r.commit("Production 2026.2.0", files={PROD: version("2026.2.0")}, date="2026-01-10T10:00:00Z")
    history = read_history(installation(r), PERIOD, cache_dir=tmp_path / "cache")
    rule = all_rules()["staging-before-production"]
    result = rule.evaluate(RuleContext(history), {"min_hours": 72})
    shas = {c.subject: c.sha for c in history.commits}
    unread = (
        "not compared with staging, its release file could not be read: "
        f"{STAGING} at {binary[:12]} (file is binary)"
    )
    assert [(f.sha, f.kind, f.message) for f in result.failures] == [
        # Deployed before the unreadable version: it did skip staging.
        (shas["Production 2026.1.5"], "skipped_staging", "2026.1.5: never deployed to staging"),
        # 48 h in staging as read, but staging may have had it since the unreadable version.
        (shas["Production 2026.3.0"], "unreadable_version", f"2026.3.0: {unread}"),
        # Never read in staging; the unreadable version may have been it.
        (shas["Production 2026.2.0"], "unreadable_version", f"2026.2.0: {unread}"),
    ]
    assert (result.status, result.population, result.failed) == (Status.DEVIATIONS, 3, 3)
    assert result.reason == (
        "3 of 3 versions reaching production in the period were not shown to have been in "
        "staging for at least 72 h first (2 not compared: a release file version could not be "
        "read)."
    )
    assert disagreements(result) == []
    # With 24 h, the 48 h of 2026.3.0 pass: a version that passes as read raises no doubt.
    result = rule.evaluate(RuleContext(history), {"min_hours": 24})
    assert [f.kind for f in result.failures] == ["skipped_staging", "unreadable_version"]
