"""changes-outside-git: configuration changed in meshStack has a matching change in git.

From meshStack's event log (the ``events`` source) and the configuration repository (``git``):
every event of the named titles (``Landing Zone Configuration Changed``, ``Policy Changed``,
``Platform Configuration Changed``, ...) needs a first-parent commit touching the paths the
mapping names for that title within ``tolerance_hours`` before or after it. A change made in the
panel with no such commit bypassed the reviewed repository.

The commits touching each title's paths are found in one pass over the history and sorted once;
each event is then one binary search: O((commits x files + events) log commits).
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Any

from generator.evidence import eventlog as ev
from generator.evidence.context import (
    RuleContext,
    every,
    number,
    part_of,
    was_were,
)
from generator.evidence.registry import Failure, Rule, RuleResult
from generator.patterns import glob_regex
from generator.status import Status
from generator.timewords import utc

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["titles"],
    "properties": {
        "titles": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": {"type": "string", "minLength": 1},
            },
            "description": (
                "event title -> the repository path globs (** crosses folders) a matching git "
                "change touches"
            ),
        },
        "tolerance_hours": {
            "type": "number",
            "minimum": 0,
            "default": 24,
            "description": "how far before or after the event the git change may be",
        },
    },
}

KINDS = {
    "changed_outside_git": (
        "meshStack's configuration was changed with no matching change in the installation's git "
        "repository within the tolerance window."
    ),
}


class CommitIndex:
    """The first-parent commits touching some paths, by commit time (UTC), sorted once.

    ``commits`` are (UTC commit time, commit) pairs, already narrowed to the times that can match.
    """

    def __init__(self, commits: list[tuple[dt.datetime, Any]], globs: list[str]) -> None:
        patterns = [glob_regex(g) for g in globs]
        touching = sorted(
            (moment, c.sha)
            for moment, c in commits
            if any(p.fullmatch(f.path) or (f.old_path and p.fullmatch(f.old_path))
                   for f in c.files for p in patterns)
        )  # fmt: skip
        self.times = [moment for moment, _sha in touching]
        self.shas = [sha for _moment, sha in touching]

    def nearest(self, moment: dt.datetime, tolerance: dt.timedelta) -> str | None:
        """The sha of the commit closest in time to ``moment`` within the tolerance, if any."""
        i = bisect.bisect_left(self.times, moment)
        candidates = [j for j in (i - 1, i) if 0 <= j < len(self.times)]
        best = min(candidates, key=lambda j: abs(self.times[j] - moment), default=None)
        if best is None or abs(self.times[best] - moment) > tolerance:
            return None
        return self.shas[best]


def evaluate(context: RuleContext, params: dict[str, Any]) -> RuleResult:
    data = context.source(ev.SOURCE)
    missing = ev.missing_result(data, "whether configuration changed outside git")
    if missing:
        return missing
    titles: dict[str, list[str]] = params["titles"]
    hours = params.get("tolerance_hours", 24)
    tolerance = dt.timedelta(hours=hours)
    # Only commits within the tolerance of the period can match one of its events: each
    # commit's time is parsed once, and the paths of the others are never matched.
    start = context.period.start_utc - tolerance
    end = context.period.end_utc_exclusive + tolerance
    moments = ((utc(c.committed_at), c) for c in context.history.commits)
    commits = [(moment, c) for moment, c in moments if start <= moment <= end]
    indexes: dict[tuple[str, ...], CommitIndex] = {}
    for globs in titles.values():
        key = tuple(sorted(globs))
        if key not in indexes:
            indexes[key] = CommitIndex(commits, list(key))
    population = [
        e for e in ev.events_of(data) if e.title in titles and ev.in_period(e, context.period)
    ]
    failures, rows, matched = [], [], []
    for event in population:
        moment = event.created_at
        sha = indexes[tuple(sorted(titles[event.title]))].nearest(moment, tolerance)
        if sha is not None:
            matched.append(sha)
            continue
        paths = ", ".join(titles[event.title])
        failures.append(
            Failure(
                f"{event.title} by {event.author_type} {event.author}"
                f"{_about(event)}: no commit touching {paths} within {number(hours)} hours",
                window={
                    "from": ev.utc_text(moment - tolerance),
                    "to": ev.utc_text(moment + tolerance),
                    "hours": float(2 * hours),
                },
                kind="changed_outside_git",
                items=(event.uuid,),
            )
        )
        rows.append(ev.event_row(event, "no matching git change"))
    counts = ev.titles_count(population)
    for title in titles:
        counts.setdefault(title, 0)
    details: dict[str, Any] = {
        "tolerance_hours": hours,
        "titles": {title: ", ".join(globs) for title, globs in sorted(titles.items())},
        "matched": len(matched),
        "reproduce": ev.reproduce(data, context.period, counts),
        "events": rows,
    }
    total, failed = len(population), len(failures)
    noun = "configuration change in meshStack"
    nouns = "configuration changes in meshStack"
    cited = tuple(dict.fromkeys(matched))
    if not population:
        return RuleResult(
            status=Status.NO_DEVIATIONS,
            reason=(
                f"The event log records no {', '.join(sorted(titles))} event in the period, so "
                "no configuration was changed outside git."
            ),
            details=details,
        )
    if failures:
        status = Status.DEVIATIONS
        reason = (
            f"{part_of(failed, total, noun, nouns)} {was_were(failed)} made without a "
            f"matching git change within {number(hours)} hours."
        )
    else:
        status = Status.NO_DEVIATIONS
        reason = (
            f"{every(total, noun, nouns)} {was_were(total)} matched by a git change within "
            f"{number(hours)} hours."
        )
    return RuleResult(
        status=status,
        reason=reason,
        population=total,
        passed=total - failed,
        failed=failed,
        cited=cited,
        failures=tuple(failures),
        details=details,
        last_evidence=ev.newest_event_date(population),
        events=tuple(e.uuid for e in population),
    )


def _about(event: ev.EventLike) -> str:
    name = event.content.get("name") or event.content.get("identifier")
    return f" ({name})" if isinstance(name, str) and name else ""


RULE = Rule(
    kind="changes-outside-git",
    summary=(
        "Landing zone, policy and platform configuration changes in meshStack's event log have a "
        "matching change in the installation's git repository within a tolerance window."
    ),
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    reads=("events", "git"),
    deviation_kinds=KINDS,
)
