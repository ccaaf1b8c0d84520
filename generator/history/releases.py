"""Release versions per environment, and each version's way from staging to production.

Staging and production are roles (config.Role): the environments with those roles, whatever
their names, make up the promotions.

A version is read from a file's dotted key at every first-parent commit that touches the file, or
from tags matching a pattern. An environment's release event is the first appearance of a version
there. A change *moves* an environment's version when the version it sets differs from the last
known one (rolling back to an older version is a move, but not a new appearance).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from generator.config import EnvironmentConfig, Period
from generator.history.gitio import Blob, BlobReader, OversizeError
from generator.history.history import name_problem
from generator.history.model import Commit, Identity, Promotion, ReleaseEvent, Tag
from generator.history.rawlog import UnreadableCommit, parse_identity
from generator.patterns import MAX_TAG_CHARS, MAX_VERSION_CHARS, compile_pattern, shorten
from generator.textcheck import NestingError, json_loads
from generator.timewords import utc
from generator.yamlio import Unbounded, load_data

_VERSION = re.compile(r"v?([0-9]+)\.([0-9]+)\.([0-9]+)")

# What a release file said at one commit: a version, None (no version there), or a problem.
FileValue = tuple[str | None, str | None]


@dataclass
class Releases:
    events: list[ReleaseEvent] = field(default_factory=list)
    moves: dict[str, dict[str, str]] = field(default_factory=dict)  # sha -> {environment: version}
    warnings: list[str] = field(default_factory=list)


def normalize(version: str) -> str:
    """ "v2026.01.0" -> "2026.1.0"; anything that is not N.N.N is kept as written."""
    match = _VERSION.fullmatch(version.strip())
    if match is None:
        return version.strip()
    return ".".join(str(int(part)) for part in match.groups())


def read_releases(
    environments: Sequence[EnvironmentConfig],
    commits: Sequence[Commit],
    tags: Sequence[Tag],
    blobs: BlobReader,
    memo: dict[tuple[str, str, str], FileValue],
    touching: dict[str, list[int]],
    tagged: dict[str, Commit],
    unread_tags: Sequence[tuple[str, str]] = (),
) -> Releases:
    """Release events (oldest first), version moves and reading problems for all environments.

    `unread_tags` are the tags read_tags could not read as a commit's tag (name, why): a release
    tag among them is named in the warnings, its version not read.

    `memo` holds release-file values by (sha, file, key), `touching` the indices in `commits` of
    the commits that touch each release file; both are filled in here and kept by the caller.
    `tagged` holds the commits of `commits` that tags point to, by sha (see tagged_commits).
    """
    releases = Releases()
    dates = {sha: commit.committed_at for sha, commit in tagged.items()}
    for environment in environments:
        source = environment.release
        if source is None:
            continue
        if source.tag_pattern is not None:
            _from_tags(environment.name, source.tag_pattern, tags, dates, blobs, releases)
            _unread_release_tags(source.tag_pattern, unread_tags, releases)
        elif source.file and source.key:
            if source.file not in touching:
                touching[source.file] = [
                    index for index, commit in enumerate(commits) if touches(commit, source.file)
                ]
            changed = [commits[index] for index in touching[source.file]]
            _from_file(environment.name, source.file, source.key, changed, blobs, memo, releases)
    releases.events.sort(key=lambda e: (utc(e.date), e.environment, e.version))
    return releases


def tagged_commits(commits: Sequence[Commit], tags: Sequence[Tag]) -> dict[str, Commit]:
    """The commits tags point to, by sha (one pass over the line for every tag)."""
    shas = {tag.sha for tag in tags}
    return {commit.sha: commit for commit in commits if commit.sha in shas}


def _from_file(
    env: str,
    path: str,
    key: str,
    touching: Sequence[Commit],
    blobs: BlobReader,
    memo: dict[tuple[str, str, str], FileValue],
    releases: Releases,
) -> None:
    """Release events and moves from the commits (`touching`) that changed the release file."""
    unread = [c for c in touching if (c.sha, path, key) not in memo]
    for commit, value in zip(unread, _file_values(unread, path, key, blobs), strict=True):
        memo[(commit.sha, path, key)] = value
    current: str | None = None
    seen: set[str] = set()
    for commit in touching:
        version, problem = memo[(commit.sha, path, key)]
        if problem is not None:
            releases.warnings.append(f"{path} at {commit.sha[:12]}: {problem}; version not read")
            continue
        if version is None or version == current:
            continue
        current = version
        releases.moves.setdefault(commit.sha, {})[env] = version
        if version not in seen:
            seen.add(version)
            event = ReleaseEvent(version, env, commit.sha, commit.committed_at, "file")
            releases.events.append(event)


def _file_values(
    commits: Sequence[Commit], path: str, key: str, blobs: BlobReader
) -> list[FileValue]:
    """What the release file said after each of `commits` (which touched it), read by the blob
    id git's log gave (no tree lookup; each distinct blob read and judged once), and by
    ``<commit>:<path>`` where no id is known: a commit not read from git's log, or a name that is
    not UTF-8, whose id may be another file's (history.name_problem). A blob the repository lacks
    is an error naming it, the path and the first commit holding it, as either way of asking says.
    """
    by_name = name_problem(path) is not None
    asked: list[str | None] = []  # per commit: a blob id, "<commit>:<path>", None (no file)
    ids: dict[str, str] = {}  # blob id -> what it is needed for
    names: list[str] = []
    for commit in commits:
        if by_name or len(commit.blobs) != len(commit.files):
            names.append(f"{commit.sha}:{path}")
            asked.append(names[-1])
            continue
        blob = commit.blob_left(path)
        asked.append(blob)
        if blob is not None:
            ids.setdefault(blob, f"{path} at commit {commit.sha}")
    found = blobs.read_blobs(ids) if ids else {}
    if names:
        found.update(blobs.read_many(names))
    values: dict[str | None, FileValue] = {None: (None, None)}
    for name in asked:
        if name not in values:
            values[name] = file_value(found[name], path, key)
    return [values[name] for name in asked]


def touches(commit: Commit, path: str) -> bool:
    """Whether the commit's change (renames by both paths) touches `path`."""
    # A plain loop: this runs for every commit, and any() over a generator is several times slower.
    for change in commit.files:  # noqa: SIM110
        if change.path == path or change.old_path == path:
            return True
    return False


def file_value(found: Blob, path: str, key: str) -> FileValue:
    """The version at a dotted key of a YAML or JSON file, from what reading the file gave."""
    if isinstance(found, OversizeError):
        return None, f"file is {found}"
    if found is None or found[0] != "blob":
        return None, None
    data = found[1]
    if b"\0" in data[:8192]:
        return None, "file is binary"
    text = data.decode("utf-8-sig", "replace")
    try:
        parsed = json_loads(text, exact=True) if path.endswith(".json") else load_data(text)
    except Unbounded as exc:
        return None, str(exc)
    except NestingError as exc:
        return None, f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except (ValueError, yaml.YAMLError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, f"not valid {'JSON' if path.endswith('.json') else 'YAML'} ({reason})"
    for part in key.split("."):
        if not isinstance(parsed, dict) or part not in parsed:
            return None, None
        parsed = parsed[part]
    if parsed is None or isinstance(parsed, dict | list | bool):
        return None, None if parsed is None else f"{key} is not a version"
    if len(str(parsed)) > MAX_VERSION_CHARS:
        return None, f"{key} is over {MAX_VERSION_CHARS} characters, not a version"
    return normalize(str(parsed)), None


def _warn(releases: Releases, warning: str) -> None:
    """A warning once, however many environments' tag patterns met the same tag."""
    if warning not in releases.warnings:
        releases.warnings.append(warning)


def _from_tags(
    env: str,
    pattern: str,
    tags: Sequence[Tag],
    dates: dict[str, str],
    blobs: BlobReader,
    releases: Releases,
) -> None:
    compiled = compile_pattern(pattern)  # RE2: linear in the tag name (config checked it)
    first: dict[str, ReleaseEvent] = {}
    for tag in tags:
        written, problem = release_tag_version(tag.name, compiled)
        if problem is not None:
            _warn(releases, problem)
        if written is None:
            continue
        version = normalize(written)
        date = (
            tag.tagged_at if tag.annotated and tag.tagged_at else commit_date(tag.sha, dates, blobs)
        )
        if date is None:
            blobs.missing(tag.sha, f"the commit tag {tag.name} points to")
        event = ReleaseEvent(version, env, tag.sha, date, "tag")
        if version not in first or utc(date) < utc(first[version].date):
            first[version] = event
        releases.moves.setdefault(tag.sha, {})[env] = version
    releases.events.extend(first.values())


def _unread_release_tags(
    pattern: str, unread: Sequence[tuple[str, str]], releases: Releases
) -> None:
    """A warning for each tag the pattern names a version in that is no commit's tag (a tag of
    a tree or a blob) or whose date cannot be read: a release not read, never one left out
    silently."""
    compiled = compile_pattern(pattern)
    for name, problem in unread:
        written, too_long = release_tag_version(name, compiled)
        if too_long is not None:
            _warn(releases, too_long)
        elif written is not None:
            _warn(releases, f"release tag {shorten(name)} {problem}; version not read")


def release_tag_version(name: str, compiled: Any) -> FileValue:
    """The version a tag name gives under a release tag pattern (compiled with
    `compile_pattern`), as written, or why it gives none: (None, None) when the pattern does
    not name a version in it, (None, problem) when its name or version is over the limits. The
    one test of what a release tag is, for reading releases and for choosing the tags whose
    signatures are verified."""
    if len(name) > MAX_TAG_CHARS:
        return None, f"tag {shorten(name)}: name over {MAX_TAG_CHARS} characters; not read"
    match = compiled.fullmatch(name)
    if match is None or not match.group("version"):
        return None, None
    if len(match.group("version")) > MAX_VERSION_CHARS:
        return None, f"tag {shorten(name)}: version over {MAX_VERSION_CHARS} characters; not read"
    return match.group("version"), None


def commit_date(sha: str, dates: dict[str, str], blobs: BlobReader) -> str | None:
    """A commit's committer date, also for commits off the first-parent line."""
    if sha in dates:
        return dates[sha]
    found = blobs.read(sha)
    if found is None or found[0] != "commit":
        return None
    for line in found[1].split(b"\n"):
        if line.startswith(b"committer "):
            date = parse_identity(line[len(b"committer ") :], None)[1]
            if date is None:
                raise UnreadableCommit(sha, "its committer date cannot be read")
            return date
        if not line:
            break
    raise UnreadableCommit(sha, "it has no committer line")


def promotions(
    events: Sequence[ReleaseEvent],
    period: Period,
    approvers: Callable[[str], tuple[Identity, ...]],
    staging: str | None,
    production: str | None,
) -> list[Promotion]:
    """Every version that reached staging or production in the period, oldest first.

    `staging` and `production` name the environments with those roles (None: there is none).
    Ordered by the staging date (the production date for a version that skipped staging), then
    the production date. `approvers` gives the approvers of the commit that carried a version
    into production.
    """
    utc_of = lru_cache(maxsize=None)(utc)  # each event's date is compared several times
    first, end = period.start_utc, period.end_utc_exclusive
    staged = {e.version: e for e in events if e.environment == staging}
    produced = {e.version: e for e in events if e.environment == production}
    result = []
    for version in set(staged) | set(produced):
        on_staging, on_production = staged.get(version), produced.get(version)
        if not any(
            e is not None and first <= utc_of(e.date) < end for e in (on_staging, on_production)
        ):
            continue
        hours = None
        if on_staging and on_production:
            hours = (utc_of(on_production.date) - utc_of(on_staging.date)).total_seconds() / 3600
        result.append(
            Promotion(
                version=version,
                staging=on_staging,
                production=on_production,
                staging_hours=hours,
                production_approvers=approvers(on_production.sha) if on_production else (),
            )
        )

    def order(promotion: Promotion) -> tuple:
        began = promotion.staging or promotion.production
        produced = utc_of(promotion.production.date) if promotion.production else end
        return utc_of(began.date), produced, promotion.version

    return sorted(result, key=order)
