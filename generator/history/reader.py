"""Reading one installation's configuration repository into an InstallationHistory.

The work is a handful of git processes whatever the history's size: one raw ``git log`` of the
first-parent line (incremental on top of the cache), one ``for-each-ref`` for tags, one
path-limited ``git log`` per environment over the period, one ``git log`` of the period's merged
branches when the population has merges, one ``%G?`` log when keys are configured, and one
``cat-file --batch-command`` process for every file content. Definitions: docs/history.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
from dataclasses import replace
from pathlib import Path

from generator.config import InstallationConfig, Period
from generator.errors import BuildError
from generator.gcpause import gc_paused
from generator.history.cache import CachedHistory, HistoryCache
from generator.history.gitio import GitRunner
from generator.history.history import InstallationHistory
from generator.history.model import Commit, Identity, utc
from generator.history.population import (
    approvers_of,
    build_changes,
    merged_authors,
    population_command,
    reproduce_commands,
)
from generator.history.rawlog import LOG_OPTIONS, parse_log
from generator.history.releases import promotions, read_releases
from generator.history.signing import is_verified, verify_signatures
from generator.history.tags import read_tags

MIN_GIT = (2, 37)


def read_history(
    installation: InstallationConfig,
    period: Period,
    *,
    cache_dir: Path | None = None,
    previous_head: str | None = None,
) -> InstallationHistory:
    """One installation's history facts for one period; BuildError when they cannot be proven."""
    with gc_paused():
        return _read(installation, period, cache_dir, previous_head)


def _read(
    installation: InstallationConfig,
    period: Period,
    cache_dir: Path | None,
    previous_head: str | None,
) -> InstallationHistory:
    runner = GitRunner(installation.repo_path, f"{installation.name} ({installation.repo})")
    head = _check_repository(runner, installation)
    cache = HistoryCache(installation.repo_path, cache_dir)
    cached = cache.load()
    loaded_state = cached.state()
    commits = _first_parent_line(runner, head, cached)
    _check_period(runner.label, installation.ref, commits, period)

    if cached.head != head:
        cached.per_head = {}
    start_key = ("start", period.text)
    if start_key not in cached.per_head:
        cached.per_head[start_key] = _first_index_in_period(commits, period)
    start = cached.per_head[start_key]
    boundary = commits[start - 1].sha if start > 0 else None
    cached.head, cached.commits = head, commits
    if installation.signing.verifies:
        commits = _with_verification(runner, installation, period, head, boundary, cached)

    members = _populations(runner, installation, period, head, boundary, cached)
    tags = read_tags(runner)
    touching = {key[1]: value for key, value in cached.per_head.items() if key[0] == "touching"}
    releases = read_releases(
        installation.environments, commits, tags, runner.blobs(), cached.release_values, touching
    )
    for path, indices in touching.items():
        cached.per_head[("touching", path)] = indices
    after_boundary = commits[start:]
    merged = {}
    if any(c.is_merge for c in after_boundary if c.sha in members):
        key = ("merged", boundary)
        if key not in cached.per_head:
            cached.per_head[key] = merged_authors(runner, head, boundary, after_boundary)
        merged = cached.per_head[key]
    changes = build_changes(after_boundary, members, installation.approvals, merged, releases.moves)

    by_change = {change.commit.sha: change for change in changes}

    def production_approvers(sha: str) -> tuple[Identity, ...]:
        if sha in by_change:
            return by_change[sha].approvers
        commit = next((c for c in reversed(commits) if c.sha == sha), None)
        return approvers_of(commit, installation.approvals) if commit else ()

    counts = {
        env.name: sum(1 for c in changes if env.name in c.environments)
        for env in installation.environments
    }
    if cached.state() != loaded_state:
        with contextlib.suppress(OSError):  # the cache only saves time; never a reason to fail
            cache.save(cached)
    return InstallationHistory(
        installation=installation,
        period=period,
        head=head,
        head_date=commits[-1].committed_at,
        commits=commits,
        tags=tags,
        changes=changes,
        releases=releases.events,
        promotions=promotions(releases.events, period, production_approvers),
        reproduce=reproduce_commands(installation, period, head, counts),
        rewritten=_rewritten(runner, previous_head, head),
        warnings=releases.warnings,
        runner=runner,
        period_start=start,
    )


def _check_repository(runner: GitRunner, installation: InstallationConfig) -> str:
    """The sha the ref points to, after refusing what cannot prove a population complete."""
    if not installation.repo_path.is_dir():
        raise BuildError(f"{runner.label}: repository folder {installation.repo_path} is missing")
    version = runner.git.version_info
    if version < MIN_GIT:
        found, needed = ".".join(map(str, version)), ".".join(map(str, MIN_GIT))
        raise BuildError(f"git {needed} or later is needed (for --since-as-filter); found {found}")
    facts = runner.run(
        "rev-parse", "--is-bare-repository", "--absolute-git-dir", "--show-prefix", check=False
    ).split("\n")  # fmt: skip
    bare, git_dir, prefix = [*facts, "", "", ""][:3]
    # A folder inside some other repository would otherwise read that repository's history.
    top = Path(git_dir).resolve() if bare == "true" else None
    if not git_dir or prefix or (top is not None and top != installation.repo_path.resolve()):
        raise BuildError(f"{runner.label}: {installation.repo_path} is not a git repository")
    if runner.run("rev-parse", "--is-shallow-repository").strip() == "true":
        raise BuildError(
            f"{runner.label}: the repository is a shallow clone, so its history is incomplete; "
            "fetch the full history (git fetch --unshallow)"
        )
    ref = installation.ref
    head = runner.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}",
                      check=False).strip()  # fmt: skip
    if not head:
        raise BuildError(f"{runner.label}: ref '{ref}' does not exist or is not a commit")
    return head


def _first_parent_line(runner: GitRunner, head: str, cached: CachedHistory) -> list[Commit]:
    """The first-parent line up to head, oldest first: cached, extended, or read in full."""
    if cached.head == head and cached.commits:
        return cached.commits
    if cached.head and cached.commits and runner.ok("cat-file", "-e", f"{cached.head}^{{commit}}"):
        newer = list(parse_log(runner.stream("log", *LOG_OPTIONS, head, f"^{cached.head}")))
        if newer and newer[-1].parents[:1] == (cached.head,):
            newer.reverse()
            return [*cached.commits, *newer]
    commits = list(parse_log(runner.stream("log", *LOG_OPTIONS, head)))
    commits.reverse()
    return commits


def _check_period(label: str, ref: str, commits: list[Commit], period: Period) -> None:
    newest, oldest = commits[-1], commits[0]
    if utc(newest.committed_at) < period.start_utc:
        raise BuildError(
            f"{label}: the period {period.text} starts after the newest commit of '{ref}' "
            f"({newest.committed_at}); fetch the repository or choose an earlier period"
        )
    if utc(oldest.committed_at) >= period.end_utc_exclusive:
        raise BuildError(
            f"{label}: the period {period.text} ends before the first commit of '{ref}' "
            f"({oldest.committed_at}); the repository holds no history for it"
        )


def _first_index_in_period(commits: list[Commit], period: Period) -> int:
    """Index of the first commit dated on or after the period start: nothing before it counts.

    Dates along the first-parent line are almost always ascending; a clock running behind only
    moves this index earlier, never past a commit that belongs to the period.
    """
    start = period.start_utc
    # A local date two days before the start's date is before the start whatever the offset
    # (offsets stay within a day), so most commits are passed by comparing ten characters.
    surely_before = (start - dt.timedelta(days=2)).date().isoformat()
    parse = dt.datetime.fromisoformat  # aware datetimes compare across offsets: no conversion
    for index, commit in enumerate(commits):
        if commit.committed_at[:10] > surely_before and parse(commit.committed_at) >= start:
            return index
    return len(commits)


def _populations(
    runner: GitRunner,
    installation: InstallationConfig,
    period: Period,
    head: str,
    boundary: str | None,
    cached: CachedHistory,
) -> dict[str, tuple[str, ...]]:
    """sha -> the environments (in config order) whose population it belongs to."""
    keys = {
        env.name: ("population", env.paths, period.text, boundary)
        for env in installation.environments
    }
    missing = [env for env in installation.environments if keys[env.name] not in cached.per_head]
    if missing:
        commands = [population_command(env, period, head, boundary) for env in missing]
        for env, output in zip(missing, runner.run_many(commands), strict=True):
            cached.per_head[keys[env.name]] = output.split()
    members: dict[str, list[str]] = {}
    for environment in installation.environments:
        for sha in cached.per_head[keys[environment.name]]:
            members.setdefault(sha, []).append(environment.name)
    return {sha: tuple(names) for sha, names in members.items()}


def _with_verification(
    runner: GitRunner,
    installation: InstallationConfig,
    period: Period,
    head: str,
    boundary: str | None,
    cached: CachedHistory,
) -> list[Commit]:
    """The commits with signature_verified set for those in the period."""
    signing = installation.signing
    keys = hashlib.sha256()
    for path in (signing.allowed_signers, signing.gpg_keyring):
        keys.update(path.read_bytes() if path is not None else b"-")
    fingerprint = keys.hexdigest()
    key = ("verified", fingerprint, period.text, boundary)
    if key not in cached.per_head:
        cached.per_head[key] = verify_signatures(runner, signing, period, head, boundary)
    letters = cached.per_head[key]
    return [
        replace(c, signature_verified=is_verified(c.signature, letters[c.sha]))
        if c.sha in letters
        else c
        for c in cached.commits
    ]


def _rewritten(runner: GitRunner, previous_head: str | None, head: str) -> bool:
    """Whether the head a previous build recorded is no longer in this history."""
    if not previous_head or previous_head == head:
        return False
    if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", previous_head):
        raise BuildError(f"{runner.label}: recorded head {previous_head!r} is not a commit sha")
    return not runner.ok("merge-base", "--is-ancestor", previous_head, head)
