"""Reading one installation's configuration repository into an InstallationHistory.

The work is a handful of git processes whatever the history's size: one raw ``git log`` of the
first-parent line, one ``for-each-ref`` for tags, one path-limited ``git log`` per environment
over the period, one ``git log`` of the period's merged branches when the population has merges,
one ``%G?`` log when keys are configured (and a verifier per signed release tag of a change in
the period: tagsigning.py), and one ``cat-file --batch-command`` process for every file content.
With the cache of an older head on the same first-parent line, the logs walk only the new
commits (answers.py). Definitions: docs/history.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from generator.config import PROMOTION_ORDER, ApprovalConfig, InstallationConfig, Period
from generator.errors import BuildError
from generator.history.answers import HeadAnswers, extend_indices, indices_in_period
from generator.history.cache import CachedHistory, HistoryCache
from generator.history.gitenv import REPLACE_REFS, GraphOverrides
from generator.history.gitio import GitRunner
from generator.history.gitproc import REPAIR_HINT
from generator.history.history import InstallationHistory
from generator.history.model import Commit, Identity, Promotion, ReleaseEvent, Tag
from generator.history.parsedcache import ParsedCache
from generator.history.population import (
    approvers_of,
    build_changes,
    memberships,
    reproduce_commands,
)
from generator.history.rawlog import LOG_OPTIONS, UnreadableCommit, parse_log
from generator.history.reconcile import UNACCOUNTED, reconcile
from generator.history.releases import promotions, read_releases, tagged_commits
from generator.history.signing import gpg_user_id, is_verified
from generator.history.tags import read_tags
from generator.history.tagsigning import release_tags, verify_tags
from generator.memory import gc_paused
from generator.timewords import utc

MIN_GIT = (2, 37)


def read_history(
    installation: InstallationConfig,
    period: Period,
    *,
    cache_dir: Path | None = None,
    previous_head: str | None = None,
    environments: Sequence[str] | None = None,
) -> InstallationHistory:
    """One installation's history facts for one period; BuildError when they cannot be proven.

    `environments` limits `changes` to those environments' populations (default: every one),
    which is all release notes need; the history then says so in `changes_limited_to`.
    """
    names = [env.name for env in installation.environments]
    if environments is not None and (isinstance(environments, str) or set(environments) - {*names}):
        raise ValueError(f"environments {environments!r} are not all among {names}")
    limited = (
        None
        if environments is None or set(environments) == set(names)
        else tuple(name for name in names if name in environments)
    )
    with gc_paused():
        try:
            return _read(installation, period, cache_dir, previous_head, limited)
        except UnreadableCommit as exc:
            raise BuildError(
                f"{installation.name} ({installation.repo}): {exc}; meshcomply does not guess "
                "what it cannot read (`git fsck` names such commits; rewriting the history from "
                "before it is the only repair)"
            ) from None


def _read(
    installation: InstallationConfig,
    period: Period,
    cache_dir: Path | None,
    previous_head: str | None,
    limited: tuple[str, ...] | None,
) -> InstallationHistory:
    runner = GitRunner(installation.repo_path, f"{installation.name} ({installation.shown_repo})")
    head, overrides = _check_repository(runner, installation)
    cache = HistoryCache(installation.repo_path, cache_dir)
    cached = cache.load()
    loaded_state = cached.state()
    previous = cached.head
    commits, kept = _first_parent_line(runner, head, cached)

    if previous != head:
        cached.head, cached.commits = head, commits
        extend_indices(cached, kept)
    answers = HeadAnswers(runner, cached, previous, kept)
    start = answers.period_start(period)
    _check_period(runner.label, installation.ref, commits, period, start)
    boundary = commits[start - 1].sha if start > 0 else None
    if installation.signing.verifies:
        commits = _with_verification(installation, period, boundary, answers)

    populations = answers.populations(installation, period, start)
    members = memberships(populations, limited)
    known = {
        "all": indices_in_period(commits, period, start),
        "touching": {i for i in range(start, len(commits)) if commits[i].files},
    }
    if not installation.shared_scopes:
        known["environments"] = set().union(*populations.values())
    reconciliation = reconcile(
        installation,
        period,
        head,
        lambda asked: answers.path_logs(asked, period, start),
        known,
        overrides,
    )
    unaccounted = [i for g in reconciliation.groups if g.kind == UNACCOUNTED for i in g.indices]
    unread_tags: list[tuple[str, str]] = []
    tags = read_tags(runner, unread_tags)
    signed_tags: dict[str, tuple[Tag, ...]] = {}
    tag_warnings: list[str] = []
    if installation.signing.verifies:
        tags, signed_tags, tag_warnings = _verified_release_tags(
            runner, installation, tags, {commits[i].sha for i in [*members, *unaccounted]}, period
        )
    tagged = tagged_commits(commits, tags)
    releases = read_releases(
        installation.environments,
        commits,
        tags,
        runner.blobs(),
        cached.release_values,
        cached.touching,
        tagged,
        unread_tags,
    )
    merged = answers.merge_authors(members.keys() | set(unaccounted), start)
    approvals = installation.approvals
    changes = build_changes(commits, members, approvals, merged, releases.moves, signed_tags)
    outside = dict.fromkeys(unaccounted, ())
    unplaced = build_changes(commits, outside, approvals, merged, releases.moves, signed_tags)
    counts = {name: len(indices) for name, indices in populations.items()}
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
        promotions=_promotions(installation, period, commits, tagged, releases.events),
        reproduce=reproduce_commands(installation, period, head, counts, overrides),
        rewritten=_rewritten(runner, previous_head, head),
        warnings=[*overrides.warnings(), *releases.warnings, *tag_warnings],
        runner=runner,
        period_start=start,
        changes_limited_to=limited,
        population_sizes=counts,
        reconciliation=reconciliation,
        unplaced=unplaced,
        parsed_cache=ParsedCache(installation.repo_path, cache_dir),
        signed_tags=signed_tags,
    )


def _verified_release_tags(
    runner: GitRunner,
    installation: InstallationConfig,
    tags: list[Tag],
    shas: set[str],
    period: Period,
) -> tuple[list[Tag], dict[str, tuple[Tag, ...]], list[str]]:
    """The tags with the release tags of the period's changes verified; those of them that are
    signed and dated before the period's end, by the sha they point to (a tag made after the
    period, as tags are read as the repository is now, approved nothing in it); and a warning
    for each signed one without a tagger date, which is neither an approval nor judged, since
    when it was made cannot be told."""
    wanted = release_tags(installation.environments, tags, shas)
    if not wanted:
        return tags, {}, []
    checked = {t.name: t for t in verify_tags(runner, installation.signing, wanted)}
    by_sha: dict[str, tuple[Tag, ...]] = {}
    warnings = []
    for tag in checked.values():
        if not tag.verified:
            continue
        if tag.tagged_at is None:
            warnings.append(
                f"release tag {tag.name} is signed but has no tagger date, so when it was made "
                "cannot be told: it counts as no approval and its signature is not judged"
            )
        elif utc(tag.tagged_at) < period.end_utc_exclusive:
            by_sha[tag.sha] = (*by_sha.get(tag.sha, ()), tag)
    return [checked.get(tag.name, tag) for tag in tags], by_sha, sorted(warnings)


def _promotions(
    installation: InstallationConfig,
    period: Period,
    commits: list[Commit],
    tagged: dict[str, Commit],
    events: list[ReleaseEvent],
) -> list[Promotion]:
    """The promotions between the environments with the staging and the production role."""
    staging, production = (installation.environment_with_role(r) for r in PROMOTION_ORDER)
    production_name = production.name if production else None
    approvers = _approvers_at(commits, tagged, events, installation.approvals, production_name)
    return promotions(events, period, approvers, staging.name if staging else None, production_name)


def _approvers_at(
    commits: list[Commit],
    tagged: dict[str, Commit],
    events: list[ReleaseEvent],
    approvals: ApprovalConfig,
    production: str | None,
) -> Callable[[str], tuple[Identity, ...]]:
    """The approvers of the commit a production release event is at (a change's approvers are
    the same): tagged commits are at hand, release-file commits are found in one pass."""
    found = dict(tagged)
    wanted = {e.sha for e in events if e.environment == production}.difference(found)
    if wanted:
        found.update((commit.sha, commit) for commit in commits if commit.sha in wanted)

    def approvers(sha: str) -> tuple[Identity, ...]:
        commit = found.get(sha)
        return approvers_of(commit, approvals) if commit else ()

    return approvers


def _check_repository(
    runner: GitRunner, installation: InstallationConfig
) -> tuple[str, GraphOverrides]:
    """The sha the ref points to, after refusing what cannot prove a population complete, and
    what the repository holds that plain git would show instead of its commits (gitenv.py)."""
    if not installation.repo_path.is_dir():
        raise BuildError(f"{runner.label}: repository folder {installation.repo_path} is missing")
    version = runner.version()
    if version < MIN_GIT:
        found, needed = ".".join(map(str, version)), ".".join(map(str, MIN_GIT))
        raise BuildError(f"git {needed} or later is needed (for --since-as-filter); found {found}")
    status, out, stderr = runner.status(
        "rev-parse", "--is-bare-repository", "--absolute-git-dir", "--show-prefix",
        "--git-common-dir",
    )  # fmt: skip
    if "dubious ownership" in stderr:  # git's own advice names the safe.directory to add
        runner.fail(("rev-parse",), stderr)
    facts = out.split("\n") if status == 0 else []
    bare, git_dir, prefix, common = [*facts, "", "", "", ""][:4]
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
        target = runner.run("rev-parse", "--verify", "--quiet", "--end-of-options", ref,
                            check=False).strip()  # fmt: skip
        if target and not runner.ok("cat-file", "-e", target):
            raise BuildError(
                f"{runner.label}: object {target} is missing from the repository (the commit "
                f"ref '{ref}' points to); {REPAIR_HINT}"
            )
        raise BuildError(f"{runner.label}: ref '{ref}' does not exist or is not a commit")
    return head, _graph_overrides(runner, installation.repo_path / common)


def _graph_overrides(runner: GitRunner, common_dir: Path) -> GraphOverrides:
    """Whether the repository has replace refs or a grafts file (never read: gitenv.py)."""
    replaced = runner.run("for-each-ref", "--count=1", "--format=%(refname)", REPLACE_REFS)
    grafts = common_dir / "info" / "grafts"
    try:
        grafted = grafts.is_file() and grafts.stat().st_size > 0
    except OSError:
        grafted = False
    return GraphOverrides(replace_refs=bool(replaced.strip()), grafts=grafted)


def _first_parent_line(
    runner: GitRunner, head: str, cached: CachedHistory
) -> tuple[list[Commit], int]:
    """The first-parent line up to head, oldest first: cached, extended, or read in full; and
    how many commits it shares with the cached line (0 when read in full)."""
    if cached.head == head and cached.commits:
        return cached.commits, len(cached.commits)
    unshown: list[str] = []
    if cached.head and cached.commits and runner.ok("cat-file", "-e", f"{cached.head}^{{commit}}"):
        log = runner.stream("log", *LOG_OPTIONS, head, f"^{cached.head}")
        newer = list(parse_log(log, unshown))
        # The oldest new commit's first parent is the cached head exactly when the cached head
        # is on the new head's first-parent line (the walk stops at what the cached head reaches).
        if newer and newer[-1].parents[:1] == (cached.head,):
            _check_headers(runner, unshown)
            newer.reverse()
            return [*cached.commits, *newer], len(cached.commits)
    unshown.clear()
    commits = list(parse_log(runner.stream("log", *LOG_OPTIONS, head), unshown))
    _check_headers(runner, unshown)
    commits.reverse()
    return commits, 0


def _check_headers(runner: GitRunner, unshown: list[str]) -> None:
    """Refuse a commit git showed no message for because a NUL byte cut its header (git stops
    reading the header there): what follows the NUL, its message included, was never read. An
    empty message looks the same in the log, so only these few commits are read whole."""
    blobs = runner.blobs()
    for sha in unshown:
        found = blobs.read(sha, None)
        if found is not None and b"\0" in found[1].split(b"\n\n", 1)[0]:
            raise UnreadableCommit(
                sha,
                "its header holds a NUL byte, where git stops reading it, so the rest of its "
                "header and its message are not shown by git (git fsck: nulInHeader)",
            )


def _check_period(label: str, ref: str, commits: list[Commit], period: Period, start: int) -> None:
    """Refuse a period no commit of the line is dated in or after, or in or before.

    Commits are judged by their own dates, as populations are: a head whose clock ran behind
    (dated before the period, with commits inside the period below it) is no reason to refuse.
    `start` is the index of the first commit dated on or after the period start.
    """
    if start == len(commits):
        newest = max(commits, key=lambda commit: utc(commit.committed_at))
        raise BuildError(
            f"{label}: the period {period.text} starts after the newest commit of '{ref}' "
            f"({newest.committed_at}); fetch the repository or choose an earlier period"
        )
    end = period.end_utc_exclusive
    if not any(utc(commit.committed_at) < end for commit in commits):  # mostly the first one
        oldest = min(commits, key=lambda commit: utc(commit.committed_at))
        raise BuildError(
            f"{label}: the period {period.text} ends before the first commit of '{ref}' "
            f"({oldest.committed_at}); the repository holds no history for it"
        )


def _with_verification(
    installation: InstallationConfig,
    period: Period,
    boundary: str | None,
    answers: HeadAnswers,
) -> list[Commit]:
    """The commits with signature_verified (and for a good signature its signer and key) set
    for those in the period."""
    signing = installation.signing
    keys = hashlib.sha256()
    for path in (signing.allowed_signers, signing.gpg_keyring):
        keys.update(path.read_bytes() if path is not None else b"-")
    verdicts = answers.signature_verdicts(signing, keys.hexdigest(), period, boundary)
    commits = answers.cached.commits
    return [_verified(c, verdicts[c.sha]) if c.sha in verdicts else c for c in commits]


def _verified(commit: Commit, verdict: tuple[str, str, str]) -> Commit:
    letter, signer, key = verdict
    good = is_verified(commit.signature, letter)
    if commit.signature == "gpg":  # git gives gpg's status text as it is: %XX-escaped
        signer = gpg_user_id(signer)
    return commit._replace(
        signature_verified=good,
        signer=(signer or None) if good else None,
        signing_key=(key or None) if good else None,
    )


def _rewritten(runner: GitRunner, previous_head: str | None, head: str) -> bool:
    """Whether the head a previous build recorded is no longer in this history."""
    if not previous_head or previous_head == head:
        return False
    if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", previous_head):
        raise BuildError(f"{runner.label}: recorded head {previous_head!r} is not a commit sha")
    status, _out, stderr = runner.status("merge-base", "--is-ancestor", previous_head, head)
    if status in (0, 1):  # 1: not an ancestor
        return status == 1
    if not runner.ok("cat-file", "-e", f"{previous_head}^{{commit}}"):
        return True  # no longer in the repository at all: rewritten and collected
    runner.fail(("merge-base",), stderr)
