"""Answers that depend on the head, kept per head and extended when the head moves on.

The period start, each environment's population and the period's signature checks are answers
about the first-parent line up to a head. When a new head's first-parent line continues the
cached head's (the oldest new commit's first parent is the cached head, which the reader checks
before extending the line), the answers for the cached head stay true for that part, and only the
new commits are asked about:

- a population is ``git log --first-parent <dates> HEAD ^BOUNDARY -- <paths>``. On a first-parent
  line every commit after BOUNDARY descends from it, and git marks BOUNDARY and all its ancestors
  uninteresting, so the walk yields exactly the line's commits after BOUNDARY; the date filters
  (``--since-as-filter``, ``--until``) and the path check (against the first parent only, under
  ``--first-parent``) judge each commit by itself. The same command with the walk
  ``NEW ^OLD`` therefore yields exactly the members among the new commits, and the union with
  the old answer is what the full command gives, at the period start and end too (a new commit
  dated outside the period is filtered the same way in both). Membership stays git's decision.
- signature letters are the same walk with the same date filters, so they extend the same way.
- the period start is the first commit dated on or after it: unchanged when the old line had one.

Anything else (a rewritten line, another period, boundary, paths or keys) is a different key or a
line read in full, and is computed from scratch. Answers a moved head did not ask for are dropped,
so the cache holds answers for the periods and environments in use, not every one ever asked.
Merge authors need no head: what a merge brought depends on the merge alone (see
``merge_authors``), so they are kept by merge sha.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container
from typing import Any

from generator.config import InstallationConfig, Period, SigningConfig
from generator.errors import BuildError
from generator.history.cache import CachedHistory
from generator.history.gitio import GitRunner
from generator.history.model import Commit, Identity
from generator.history.population import merged_authors, pathspecs, population_command
from generator.history.releases import touches
from generator.history.signing import Verdict, verify_signatures


class HeadAnswers:
    """The answers for `cached.head`: cached, extended from the previous head's, or computed."""

    def __init__(self, runner: GitRunner, cached: CachedHistory, previous: str, kept: int):
        """`previous` is the head the cache held; `kept` how many of its commits `cached.commits`
        still starts with (all of them when the line was extended, 0 when it was read anew)."""
        self.runner = runner
        self.cached = cached
        self.head = cached.head
        self.previous = previous
        self.stale: dict[Any, Any] = {}
        self.kept = kept
        if previous == cached.head:
            return
        extended = kept > 0 and cached.commits[kept - 1].sha == previous
        self.stale = cached.answers if extended else {}
        cached.answers = {}
        if not extended:
            self.kept = 0

    def period_start(self, period: Period) -> int:
        """Index in the line of the first commit dated on or after the period start."""
        key = ("start", period.text)
        answers = self.cached.answers
        if key not in answers:
            old = self.stale.get(key)
            if old is not None and old < self.kept:
                answers[key] = old
            else:  # every commit before the old answer is dated before the start
                answers[key] = first_index_in_period(self.cached.commits, period, old or 0)
        return answers[key]

    def populations(
        self, installation: InstallationConfig, period: Period, start: int
    ) -> dict[str, list[int]]:
        """Environment name -> the indices in the line of its population's commits (those
        touching its own paths or a shared scope reaching it)."""
        queries = {
            env.name: tuple(pathspecs(installation.population_paths(env)))
            for env in installation.environments
        }
        return self.path_logs(queries, period, start)

    def path_logs(
        self, queries: dict[str, tuple[str, ...]], period: Period, start: int
    ) -> dict[str, list[int]]:
        """Name -> the indices in the line of the period's commits touching the pathspecs the
        query gives (none: every commit of the period), ascending.

        Kept as indices rather than shas: a smaller cache, and changes are built by index.
        """
        commits = self.cached.commits
        boundary = commits[start - 1].sha if start > 0 else None
        keys = {name: ("pathlog", specs, period.text, boundary) for name, specs in queries.items()}
        answers = self.cached.answers
        todo: dict[Any, tuple[str, ...]] = {}
        for name, specs in queries.items():
            if keys[name] not in answers:
                todo.setdefault(keys[name], specs)
        if todo:
            commands = [
                population_command(specs, period, self.head, self._bottom(key, boundary))
                for key, specs in todo.items()
            ]
            positions: dict[int, dict[str, int]] = {}
            for key, output in zip(todo, self.runner.run_many(commands), strict=True):
                first = self.kept if key in self.stale else start
                if first not in positions:
                    positions[first] = {commits[i].sha: i for i in range(first, len(commits))}
                found = sorted(_indices(output, positions[first]))
                answers[key] = [*self.stale.get(key, ()), *found]
        return {name: answers[keys[name]] for name in queries}

    def signature_verdicts(
        self, signing: SigningConfig, fingerprint: str, period: Period, boundary: str | None
    ) -> dict[str, Verdict]:
        """(%G?, signer, key) per sha of the first-parent commits in the period, for the keys
        `fingerprint`."""
        key = ("signatures", fingerprint, period.text, boundary)
        answers = self.cached.answers
        if key not in answers:
            bottom = self._bottom(key, boundary)
            verdicts = verify_signatures(self.runner, signing, period, self.head, bottom)
            answers[key] = {**self.stale.get(key, {}), **verdicts}
        return answers[key]

    def merge_authors(self, wanted: Container[int], start: int) -> dict[str, tuple[Identity, ...]]:
        """Authors each merge brought in (by sha), known for every merge in `wanted` (indices in
        the line) from `start` on.

        What a merge M brought, the commits reachable from its other parents and not from its
        first parent, depends on M alone. ``merged_authors`` finds it exactly for every merge
        after the bottom of its walk, provided the bottom is on the first-parent line before M.
        So the walk starts just before the oldest merge not yet known, which after new commits
        is among them.
        """
        known = self.cached.merge_authors
        commits = self.cached.commits
        missing = [
            index
            for index in self.cached.merges
            if index >= start and index in wanted and commits[index].sha not in known
        ]
        if missing:
            first = missing[0]  # never 0: the first commit of a line has no parents
            mainline = commits[first:]
            known.update(merged_authors(self.runner, self.head, commits[first - 1].sha, mainline))
        return known

    def _bottom(self, key: Any, boundary: str | None) -> str | None:
        """Where the walk for `key` stops: the previous head when extending its answer."""
        return self.previous if key in self.stale else boundary


def _indices(output: str, positions: dict[str, int]) -> list[int]:
    """Line indices of the shas a population command printed (all after its walk's bottom)."""
    try:
        return [positions[sha] for sha in output.split()]
    except KeyError as missing:  # git walked the same line: this would be a bug, not bad input
        raise BuildError(f"population commit {missing} is not on the first-parent line") from None


def extend_indices(cached: CachedHistory, kept: int) -> None:
    """Bring the line's indices (release-file commits, merges) up to date with its new commits."""
    if kept == 0:
        cached.touching = {}
        cached.merges = [i for i, c in enumerate(cached.commits) if len(c.parents) > 1]
        return
    new = range(kept, len(cached.commits))
    commits = cached.commits
    for path, indices in cached.touching.items():
        indices.extend(i for i in new if touches(commits[i], path))
    cached.merges.extend(i for i in new if len(commits[i].parents) > 1)


def first_index_in_period(commits: list[Commit], period: Period, begin: int = 0) -> int:
    """Index of the first commit from `begin` dated on or after the period start.

    Dates along the first-parent line are almost always ascending; a clock running behind only
    moves this index earlier, never past a commit that belongs to the period.
    """
    start = period.start_utc
    # A local date two days before the start's date is before the start whatever the offset
    # (offsets stay within a day), so most commits are passed by comparing ten characters.
    surely_before = (start - dt.timedelta(days=2)).date().isoformat()
    parse = dt.datetime.fromisoformat  # aware datetimes compare across offsets: no conversion
    for index in range(begin, len(commits)):
        date = commits[index].committed_at
        if date[:10] > surely_before and parse(date) >= start:
            return index
    return len(commits)


def indices_in_period(commits: list[Commit], period: Period, begin: int) -> set[int]:
    """Indices from `begin` of the commits git's date filters (``date_filters``: committer date
    from 00:00:00 UTC of the first day to 23:59:59 UTC of the last, both included) keep: what the
    period's unfiltered ``git log`` lists when its walk starts after `begin` - 1.

    A commit's ISO date is its committer timestamp in its own offset, under a day from UTC: a
    local date more than a day inside the period's dates is inside it whatever the offset, so
    only commits dated near either end are converted (a clock running behind included).
    """
    inside_from = (period.start + dt.timedelta(days=2)).isoformat()
    inside_to = (period.end - dt.timedelta(days=1)).isoformat()
    start, end = period.start_utc, period.end_utc_exclusive
    parse = dt.datetime.fromisoformat  # aware datetimes compare across offsets: no conversion
    found = set()
    for index in range(begin, len(commits)):
        date = commits[index].committed_at
        if inside_from <= date[:10] < inside_to or start <= parse(date) < end:
            found.add(index)
    return found
