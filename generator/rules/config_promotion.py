"""config-promotion: configuration changes reached staging before production.

Beside ``staging-before-production`` (release versions), this rule follows settings. Production's
and staging's files are paired by their path below each environment's folder (the one path of
each environment, ``<folder>/**`` or ``<folder>``): ``environments/production/logging.yaml`` and
``environments/staging/logging.yaml``. The population is every production file change of the
period: a first-parent commit in production's population changing a paired file, other than one
that changes nothing but the release version (that is the version rule's).

A file that parses as a YAML or JSON mapping is compared setting by setting: each leaf value at a
dotted key (a list is one value). Any other file is one setting, its whole content. A setting the
production change gave value V reached staging first when staging's file had V at that key at
some commit earlier on the first-parent line, after production's previous value of that setting
was set (or at that moment): then V was in staging while production still ran the value it
replaces. A removed key or file is the value "absent". Otherwise the change **skipped staging**;
when V was in staging for less than ``min_hours`` (from the staging commit that last set it) it
was **too short in staging**. Where that answer rests on a file version that could not be read
(binary, over the size bound, a name that is not UTF-8), nothing is claimed of the setting: the
change is an **unreadable version**, naming the version. The release version's key of each
environment's release file is left out. Every file's versions over the first-parent line are
read once and indexed by setting, so each check is a binary search: O(n log n) in the history.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import yaml

from generator.config import PROMOTION_ORDER, Role
from generator.evidence.context import (
    RuleContext,
    empty_population_result,
    every,
    missing_roles_result,
    number,
    part_of,
    plural,
    was_were,
)
from generator.evidence.registry import Failure, Rule, RuleResult
from generator.history.model import Change, ParsedVersion
from generator.history.parsedcache import BlobParser, Unparsable
from generator.status import Status
from generator.textcheck import NestingError, json_loads
from generator.timewords import utc
from generator.yamlio import Unbounded, load_data

SKIPPED, SHORT, UNREADABLE = "skipped_staging", "short_staging", "unreadable_version"
ABSENT = "absent"
WHOLE_FILE = "(whole file)"
# json.dumps(value, sort_keys=True, default=str), without a new encoder for every value.
_canonical = json.JSONEncoder(sort_keys=True, default=str).encode

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "min_hours": {
            "type": "number",
            "minimum": 0,
            "default": 0,
            "description": "the least time a setting must have been in staging before production",
        },
    },
}


def folder(paths: tuple[str, ...] | list[str]) -> str | None:
    """The one folder an environment's paths name (``a/b/**`` or ``a/b``), else None."""
    if len(paths) != 1:
        return None
    path = paths[0].removesuffix("/**").rstrip("/")
    if not path or any(c in path for c in "*?[]"):
        return None
    return path


def settings(text: str, is_json: bool) -> dict[str, str]:
    """Dotted key -> canonical JSON of the value, for a mapping file; else the whole content.

    The caller must not change the mapping it gets (it is shared, and cached between builds).
    Unparsable for text past the bounds every reader keeps (yamlio.check_bounds: an alias bomb,
    nesting deeper than textcheck.MAX_NESTING): an unreadable version, not one whole setting.
    """
    try:
        data = json_loads(text, exact=True) if is_json else load_data(text)
    except (Unbounded, NestingError) as exc:
        raise Unparsable(_where(exc)) from None
    except (ValueError, yaml.YAMLError):
        data = None
    if not isinstance(data, dict) or not data:
        return {WHOLE_FILE: "sha256:" + hashlib.sha256(text.encode()).hexdigest()}
    flat: dict[str, str] = {}
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        prefix, value = stack.pop()
        if isinstance(value, dict) and value:
            stack.extend((f"{prefix}{key}.", item) for key, item in value.items())
        else:
            flat[prefix[:-1]] = _canonical(value)
    return flat


def _where(exc: Unbounded | NestingError) -> str:
    if isinstance(exc, NestingError):
        return f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    return str(exc)


# How file versions are read, by JSON or YAML: kept per blob between builds (the history's
# parsed-files cache), so a build parses only the versions no earlier build has seen.
_PARSERS = {
    is_json: BlobParser(
        f"config-promotion.settings.{'json' if is_json else 'yaml'}",
        partial(settings, is_json=is_json),
    )
    for is_json in (False, True)
}


def settings_parser(path: str) -> BlobParser:
    """The parser of a file's settings, by its name (``.json``: JSON, else YAML)."""
    return _PARSERS[path.endswith(".json")]


@dataclass
class _Track:
    """One file's settings along the line: for each key, the line indexes where its value
    changed and the values from there on; for each (key, value), the indexes it was set at;
    the indexes of all its versions, and of those that could not be read (with why)."""

    changed_at: dict[str, list[int]] = field(default_factory=dict)
    values: dict[str, list[str]] = field(default_factory=dict)
    set_at: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    versions: list[int] = field(default_factory=list)
    unreadable: list[int] = field(default_factory=list)
    why: dict[int, str] = field(default_factory=dict)

    def add(self, index: int, now: dict[str, str], before: dict[str, str]) -> list[str]:
        """Record a version; the keys whose value it changed."""
        changed = sorted(k for k in now.keys() | before.keys() if now.get(k) != before.get(k))
        for key in changed:
            value = now.get(key, ABSENT)
            self.changed_at.setdefault(key, []).append(index)
            self.values.setdefault(key, []).append(value)
            self.set_at.setdefault((key, value), []).append(index)
        return changed

    def value_at(self, key: str, index: int) -> tuple[str, int | None]:
        """The key's value just after the commit at `index`, and where it was set."""
        at = bisect.bisect_right(self.changed_at.get(key, []), index) - 1
        if at < 0:
            return ABSENT, None
        return self.values[key][at], self.changed_at[key][at]

    def in_effect(self, index: int) -> int | None:
        """The line index of the version in effect just after the commit at `index`."""
        at = bisect.bisect_right(self.versions, index) - 1
        return self.versions[at] if at >= 0 else None

    def unread(self, start: int, end: int) -> list[int]:
        """The unreadable versions made from `start` up to just before `end` (line indexes)."""
        lo, hi = (
            bisect.bisect_left(self.unreadable, start),
            bisect.bisect_left(self.unreadable, end),
        )
        return self.unreadable[lo:hi]

    def unread_around(self, start: int, end: int) -> list[int]:
        """The unreadable versions in effect at some moment from just after `start` up to just
        before `end`."""
        effect = self.in_effect(start)
        return self.unread(start + 1 if effect is None else effect, end)

    def held(self, key: str, value: str, start: int, end: int) -> int | None:
        """Where staging last set `value` at `key`, if it held it at some moment from just after
        `start` up to just before `end` (line indexes); None if that was not shown."""
        own, since = self.value_at(key, start)
        indexes = self.set_at.get((key, value), [])
        at = bisect.bisect_left(indexes, end) - 1
        if at >= 0 and indexes[at] > start:
            return indexes[at]
        effect = self.in_effect(start)
        if own == value and (effect is None or effect not in self.why):
            return since if since is not None else -1
        return None


def _track(path: str, versions: list[tuple[int, ParsedVersion]]) -> tuple[_Track, dict[int, list]]:
    """The file's track, and per line index the keys that version changed with its values."""
    track = _Track()
    changes: dict[int, list] = {}
    before: dict[str, str] = {}
    for index, version in versions:
        track.versions.append(index)
        if version.problem is not None:
            # Nothing is known of its settings: each gets a value of this version alone, so no
            # value is taken to have held, or not, while it was in effect.
            track.unreadable.append(index)
            track.why[index] = f"{path} at {version.sha[:12]} ({version.problem})"
            unknown = f"unreadable at {version.sha[:12]} ({version.problem})"
            now = dict.fromkeys([*before, WHOLE_FILE], unknown)
        else:
            now = {} if version.value is None else version.value
        keys = track.add(index, now, before)
        changes[index] = [(key, now.get(key, ABSENT), before.get(key, ABSENT)) for key in keys]
        before = now
    return track, changes


def _release_keys(context: RuleContext, pair: tuple[str, str]) -> set[tuple[str, str]]:
    """(relative file path, key) of the release version in either environment's folder."""
    keys: set[tuple[str, str]] = set()
    for env in context.installation.environments:
        release = getattr(env, "release", None)
        if env.role in PROMOTION_ORDER and release is not None and release.file and release.key:
            for base in pair:
                if release.file.startswith(base + "/"):
                    keys.add((release.file[len(base) + 1 :], release.key))
    return keys


def evaluate(context: RuleContext, params: dict[str, Any]) -> RuleResult:
    minimum = params.get("min_hours", 0)
    missing = missing_roles_result(context, PROMOTION_ORDER)
    if missing:
        return missing
    envs = {env.role: env for env in context.installation.environments}
    staging, production = envs[Role.STAGING], envs[Role.PRODUCTION]
    pair = folder(list(production.paths)), folder(list(staging.paths))
    if pair[0] is None or pair[1] is None:
        return RuleResult(
            status=Status.NOT_TESTED,
            reason=f"The paths of {production.name} ({', '.join(production.paths)}) and "
            f"{staging.name} ({', '.join(staging.paths)}) are not one folder each, so their "
            "files cannot be paired and no setting could be followed from staging to production.",
        )
    prod_folder, staging_folder = pair
    release_keys = _release_keys(context, (prod_folder, staging_folder))
    members: list[tuple[Change, str]] = []
    for change in context.changes_in([production.name]):
        for entry in change.commit.files:
            for path in dict.fromkeys(p for p in (entry.path, entry.old_path) if p):
                if path.startswith(prod_folder + "/"):
                    members.append((change, path[len(prod_folder) + 1 :]))
    index_of = {c.sha: i for i, c in enumerate(context.history.commits)}
    tracks: dict[str, tuple[_Track, dict[int, list], _Track]] = {}
    population, failures, cited, dates = 0, [], [], []
    for change, relative in members:
        path, staging_path = f"{prod_folder}/{relative}", f"{staging_folder}/{relative}"
        if relative not in tracks:
            parser, history = settings_parser(relative), context.history
            prod_track, prod_changes = _track(path, history.parsed_history(path, parser))
            staging_track, _ = _track(staging_path, history.parsed_history(staging_path, parser))
            tracks[relative] = (prod_track, prod_changes, staging_track)
        index = index_of[change.commit.sha]
        changes = tracks[relative][1].get(index, [])
        changed = [c for c in changes if (relative, c[0]) not in release_keys]
        if not changed:
            continue  # nothing but the release version (or no setting) changed
        population += 1
        cited.append(change.commit.sha)
        dates.append(change.commit.committed_at)
        failure = _judged(context, change, index, path, changed, tracks[relative], minimum)
        if failure is not None:
            failures.append(failure)
    noun = "production configuration file change"
    if not population:
        return empty_population_result(
            context,
            [production.name],
            f"{noun}s",
            status=Status.NO_DEVIATIONS,
            reason=f"No {noun} in the period besides release versions, so none skipped staging.",
        )
    total, failed = population, len(failures)
    soak = f" for at least {number(minimum)} h" if minimum > 0 else ""
    if failures:
        unread = sum(f.kind == UNREADABLE for f in failures)
        counts = [
            plural(n, word, word)
            for n, word in (
                (sum(f.kind == SKIPPED for f in failures), "skipped staging"),
                (sum(f.kind == SHORT for f in failures), "too short in staging"),
                (unread, "not compared (a file version could not be read)"),
            )
            if n
        ]
        status = Status.DEVIATIONS
        shown = "not shown to have been" if unread else "not"
        reason = (
            f"{part_of(failed, total, noun)} in the period {was_were(failed)} {shown} in "
            f"staging{soak} first: {', '.join(counts)}."
        )
    else:
        status = Status.NO_DEVIATIONS
        reason = f"{every(total, noun)} in the period {was_were(total)} in staging{soak} first."
    return RuleResult(
        status=status,
        reason=reason,
        population=total,
        passed=total - failed,
        failed=failed,
        cited=tuple(dict.fromkeys(cited)),
        failures=tuple(failures),
        details={
            "min_hours": minimum,
            "production_folder": prod_folder,
            "staging_folder": staging_folder,
        },
        last_evidence=context.newest_date(dates),
    )


def _judged(
    context: RuleContext,
    change: Change,
    index: int,
    path: str,
    changed: list[tuple[str, str, str]],
    tracks: tuple[_Track, dict[int, list], _Track],
    minimum: float,
) -> Failure | None:
    """The deviation of one production change (at line `index`) to one file (`path`), if any:
    the settings it changed that were never, or too short, in staging. A setting whose answer
    rests on a version that could not be read is not judged: the change names that version."""
    prod, _, staging = tracks
    skipped, short, unread = [], [], []
    if index in prod.why:  # what the change set is not known
        unread.append(prod.why[index])
        changed = []
    for key, value, _old in changed:
        previous = prod.changed_at[key]
        start = previous[bisect.bisect_left(previous, index) - 1] if previous[0] < index else -1
        set_at = staging.held(key, value, start, index)
        if set_at is None:
            # Production's previous value, or staging's at some moment between, is not known.
            unknown = [prod.why[i] for i in prod.unread(start, index)]
            unknown += [staging.why[i] for i in staging.unread_around(start, index)]
            if unknown:
                unread.extend(unknown)
            else:
                skipped.append(f"{key} = {_shown(value)}")
        elif minimum > 0:
            staged = context.history.commits[set_at].committed_at if set_at >= 0 else None
            hours = _hours(staged, change.commit.committed_at)
            if hours is not None and hours < minimum:
                # Staging may have had the value before, in a version that could not be read.
                earlier = staging.in_effect(set_at - 1) if set_at > 0 else None
                if earlier is not None and earlier in staging.why:
                    unread.append(staging.why[earlier])
                else:
                    short.append(f"{key} = {_shown(value)} ({number(hours)} h)")
    parts = []
    if skipped:
        parts.append(f"never in staging before production: {'; '.join(skipped)}")
    if short:
        what = (
            "too short in staging"
            if skipped
            else (f"in staging for less than {number(minimum)} h before production")
        )
        parts.append(f"{what}: {'; '.join(short)}")
    if unread:
        parts.append(
            f"not compared with staging, a version could not be read: "
            f"{'; '.join(dict.fromkeys(unread))}"
        )
    if not parts:
        return None
    kind = SKIPPED if skipped else SHORT if short else UNREADABLE
    return Failure(f"{path}: {'; '.join(parts)}", sha=change.commit.sha, kind=kind, items=(path,))


def _shown(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "..."


def _hours(start: str | None, end: str) -> float | None:
    if start is None:
        return None
    return (utc(end) - utc(start)).total_seconds() / 3600


RULE = Rule(
    kind="config-promotion",
    summary="Configuration changes reached staging (with the same setting values) before "
    "production.",
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    deviation_kinds={
        SKIPPED: "A production configuration change set a value that was not in staging before "
        "it reached production.",
        SHORT: "A production configuration change set a value that was in staging for less than "
        "the minimum time before it reached production.",
        UNREADABLE: "A production configuration change could not be compared with staging: a "
        "version of the file it rests on (production's or staging's) could not be read as text "
        "(binary, over the size limit, or a name that is not UTF-8). Nothing is claimed of its "
        "settings; the message names the version.",
    },
)
