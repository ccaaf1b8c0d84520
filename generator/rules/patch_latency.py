"""patch-latency: versions reach production within ``max_days`` of reaching staging.

The population is the staged versions that reached production themselves in the period, plus
those still waiting at the period end; a waiting version counts as a failure once it has waited
longer than ``max_days``, and is listed as pending (outside the population) before that.

Versions production skipped are listed, never measured and never late: versions are cumulative,
so one that a newer version reached production before (bringing it along) was superseded before
promotion; the newer version is the one measured. A version still waiting at the period end is
waiting, whatever was staged after it: production has not moved past it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import statistics
from dataclasses import dataclass
from typing import Any

from generator.config import PROMOTION_ORDER
from generator.evidence.context import (
    RuleContext,
    empty_population_result,
    every,
    missing_roles_result,
    number,
    part_of,
    plural,
    utc_timestamp,
    was_were,
)
from generator.evidence.registry import Failure, Rule, RuleResult
from generator.history.model import ReleaseEvent
from generator.releasenotes.versions import version_key
from generator.status import Status
from generator.timewords import utc

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["max_days"],
    "properties": {
        "max_days": {
            "type": "number",
            "exclusiveMinimum": 0,
            "description": "the most days a version may take from staging to production",
        },
    },
}

DAY_SECONDS = 86400


@dataclass(frozen=True)
class Latency:
    version: str
    staging: ReleaseEvent
    production: ReleaseEvent | None  # the deployment that brought it (maybe a later version)
    via: str | None  # the later version that brought it, None when it went itself
    days: float  # to production, or waited until the period end when production is None


def _order(version: str) -> tuple[int, ...] | None:
    try:
        return version_key(version)[:4]
    except ValueError:
        return None


class _EarliestFrom:
    """The earliest deployment among those added whose version order is at least a given one.

    A Fenwick tree over the distinct version orders (reversed, so "at least" is a prefix) keeping
    the minimum (moment, position) per prefix: adding and asking are O(log n), which makes
    finding every staged version's first deployment O(n log n) instead of a scan per version.
    """

    def __init__(self, orders: list[tuple[int, ...]]):
        self._rank = {order: i + 1 for i, order in enumerate(sorted(set(orders), reverse=True))}
        self._ranks = sorted(self._rank.items())  # ascending order, for the "at least" look-up
        self._tree: list[tuple[dt.datetime, int] | None] = [None] * (len(self._rank) + 1)

    def add(self, order: tuple[int, ...], key: tuple[dt.datetime, int]) -> None:
        i = self._rank[order]
        while i < len(self._tree):
            known = self._tree[i]
            if known is None or key < known:
                self._tree[i] = key
            i += i & -i

    def earliest(
        self, order: tuple[int, ...], *, strict: bool = False
    ) -> tuple[dt.datetime, int] | None:
        """The earliest added at an order at least `order` (`strict`: greater than it)."""
        # The smallest known order >= `order` has the largest rank among those that qualify.
        if strict:
            at = bisect.bisect_right(self._ranks, (order, len(self._ranks) + 1))
        else:
            at = bisect.bisect_left(self._ranks, (order, 0))
        if at == len(self._ranks):
            return None
        i, best = self._ranks[at][1], None
        while i > 0:
            known = self._tree[i]
            if known is not None and (best is None or known < best):
                best = known
            i -= i & -i
        return best


def latencies(context: RuleContext) -> tuple[list[Latency], list[str]]:
    """Each staged version's way to production as of the period end; versions never staged.

    A version reached production with the earliest deployment (before the period end) of itself
    or of a version at least as new deployed at or after it was staged; on equal dates its own.
    """
    end = context.period.end_utc_exclusive
    orders = {p.version: _order(p.version) for p in context.history.promotions}
    moments: dict[str, dt.datetime] = {}

    def moment(event: ReleaseEvent) -> dt.datetime:
        if event.date not in moments:
            moments[event.date] = utc(event.date)
        return moments[event.date]

    deployed = [p.production for p in context.history.promotions if p.production]
    deployed = [e for e in deployed if moment(e) < end]
    for event in deployed:
        orders.setdefault(event.version, _order(event.version))
    by_moment = sorted(range(len(deployed)), key=lambda i: moment(deployed[i]), reverse=True)
    index = _EarliestFrom([o for o in (orders.get(e.version) for e in deployed) if o is not None])
    first_after: dict[int, ReleaseEvent | None] = {}
    staged_ones = [
        (i, p)
        for i, p in enumerate(context.history.promotions)
        if p.staging is not None and moment(p.staging) < end
    ]
    # Latest staging first: each adds the deployments at or after it, then asks.
    added = 0
    for i, promotion in sorted(staged_ones, key=lambda item: moment(item[1].staging), reverse=True):
        staged = moment(promotion.staging)
        while added < len(by_moment) and moment(deployed[by_moment[added]]) >= staged:
            position = by_moment[added]
            order = orders.get(deployed[position].version)
            if order is not None:
                index.add(order, (moment(deployed[position]), position))
            added += 1
        order = orders[promotion.version]
        found = index.earliest(order) if order is not None else None
        first_after[i] = deployed[found[1]] if found else None
    found_all, never_staged = [], []
    for i, promotion in enumerate(context.history.promotions):
        staging = promotion.staging
        if staging is None:
            if promotion.production is not None:
                never_staged.append(promotion.version)
            continue
        staged = moment(staging)
        if staged >= end:
            continue
        own, later = promotion.production, first_after[i]
        first = own if own and moment(own) < end else None
        if later is not None and (first is None or moment(later) < moment(first)):
            first = later
        if first is not None:
            seconds = max(0.0, (moment(first) - staged).total_seconds())
            via = None if first.version == promotion.version else first.version
            found_all.append(Latency(promotion.version, staging, first, via, seconds / DAY_SECONDS))
        else:
            waited = (end - staged).total_seconds() / DAY_SECONDS
            found_all.append(Latency(promotion.version, staging, None, None, waited))
    return found_all, sorted(never_staged, key=lambda v: orders[v] or ())


def distribution(days: list[float]) -> dict[str, Any]:
    """count, min, median, p90 (nearest rank) and max, in days."""
    if not days:
        return {"count": 0, "min": None, "median": None, "p90": None, "max": None}
    ordered = sorted(days)
    p90 = ordered[math.ceil(0.9 * len(ordered)) - 1]
    return {
        "count": len(ordered),
        "min": round(ordered[0], 2),
        "median": round(statistics.median(ordered), 2),
        "p90": round(p90, 2),
        "max": round(ordered[-1], 2),
    }


def _record(item: Latency) -> dict[str, Any]:
    return {
        "version": item.version,
        "staging_sha": item.staging.sha,
        "staging_date": item.staging.date,
        "production_sha": item.production.sha if item.production else None,
        "production_date": item.production.date if item.production else None,
        "via": item.via,
        "days": round(item.days, 2),
    }


def superseded_in_staging(context: RuleContext) -> dict[str, ReleaseEvent]:
    """Staged version -> the staging event of the first newer version staged after it (before the
    period end), for the versions that have one: O(n log n), like ``latencies``. A skipped
    version's record says which newer version superseded it first."""
    end = context.period.end_utc_exclusive
    staged = [
        (utc(p.staging.date), _order(p.version), p.staging)
        for p in context.history.promotions
        if p.staging is not None and utc(p.staging.date) < end
    ]
    staged.sort(key=lambda item: (item[0], item[2].version))
    index = _EarliestFrom([order for _, order, _ in staged if order is not None])
    found: dict[str, ReleaseEvent] = {}
    position = len(staged)
    while position > 0:  # latest staging first; one moment at a time, so "after" is strict
        moment, group = staged[position - 1][0], []
        while position > 0 and staged[position - 1][0] == moment:
            position -= 1
            group.append(position)
        for at in group:
            _, order, event = staged[at]
            earliest = index.earliest(order, strict=True) if order is not None else None
            if earliest is not None:
                found[event.version] = staged[earliest[1]][2]
        for at in group:
            order = staged[at][1]
            if order is not None:
                index.add(order, (staged[at][0], at))
    return found


def evaluate(context: RuleContext, params: dict[str, Any]) -> RuleResult:
    maximum = params["max_days"]
    missing = missing_roles_result(context, PROMOTION_ORDER)
    if missing:
        return missing
    items, never_staged = latencies(context)
    newer_staged = superseded_in_staging(context)
    reached = [
        i for i in items if i.production and i.via is None and context.in_period(i.production.date)
    ]
    # Versions production skipped: a newer version reached production first (it brought them),
    # or, still not in production, a newer version was staged after them. Listed, not judged.
    # Versions production skipped: a newer version reached production before them (and so
    # brought them). Listed, not judged; the newer version is the one measured.
    skipped = [
        i
        for i in items
        if i.via is not None and i.production and context.in_period(i.production.date)
    ]
    waiting = [i for i in items if i.production is None]
    overdue = [i for i in waiting if i.days > maximum]
    pending = [i for i in waiting if i.days <= maximum]
    population = sorted(reached + overdue, key=lambda i: (utc(i.staging.date), i.version))
    details = {
        "max_days": maximum,
        "distribution": distribution([i.days for i in reached]),
        "versions": [_record(i) for i in population],
        "pending": [_record(i) for i in pending],
        "skipped": [_skipped(i, newer_staged.get(i.version)) for i in skipped],
        "never_staged": never_staged,
        "period_end": utc_timestamp(context.period.end_utc_exclusive),
    }
    if not population:
        result = empty_population_result(
            context,
            context.environments_with_roles(PROMOTION_ORDER),
            "version reaching production",
            status=Status.NOT_TESTED,
            reason="No staged version reached production in the period, so there was nothing "
            "to measure." + _skipped_sentence(len(skipped)),
        )
        return RuleResult(status=result.status, reason=result.reason, details=details)
    failures = []
    for item in population:
        days = number(item.days)
        if item.production is None:
            failures.append(
                Failure(
                    f"{item.version}: not in production after {days} days "
                    f"(maximum {number(maximum)})",
                    sha=item.staging.sha,
                    kind="late_promotion",
                )
            )
        elif item.days > maximum:
            failures.append(
                Failure(
                    f"{item.version}: reached production after {days} days "
                    f"(maximum {number(maximum)})",
                    sha=item.production.sha,
                    kind="late_promotion",
                )
            )
    total, failed = len(population), len(failures)
    spread = details["distribution"]
    if failures:
        status = Status.DEVIATIONS
        late = sum(1 for f in failures if "reached production after" in f.message)
        parts = []
        if late:
            parts.append(f"{late} reached production later")
        if failed - late:
            parts.append(
                f"{failed - late} {'is' if failed - late == 1 else 'are'} still not in "
                "production at the period end"
            )
        figures = (
            f" (of the {plural(spread['count'], 'version')} that reached production: median "
            f"{number(spread['median'])}, longest {number(spread['max'])} days)"
            if spread["count"]
            else ""
        )
        reason = (
            f"{part_of(failed, total, 'version')} {was_were(failed)} not in production within "
            f"{number(maximum)} days of staging: {' and '.join(parts)}{figures}."
        )
    else:
        status = Status.NO_DEVIATIONS
        reason = (
            f"{every(total, 'version')} reached production within {number(maximum)} days of "
            f"staging (median {number(spread['median'])}, longest {number(spread['max'])} days)."
        )
    reason += _skipped_sentence(len(skipped))
    cited = []
    for item in population:
        cited.append(item.staging.sha)
        if item.production:
            cited.append(item.production.sha)
    return RuleResult(
        status=status,
        reason=reason,
        population=total,
        passed=total - failed,
        failed=failed,
        cited=tuple(dict.fromkeys(cited)),
        failures=tuple(failures),
        details=details,
        last_evidence=context.newest_date(
            i.production.date if i.production else i.staging.date for i in population
        ),
    )


def _skipped_sentence(count: int) -> str:
    if not count:
        return ""
    verb = "is" if count == 1 else "are"
    return (
        f" {plural(count, 'version')} that production skipped (superseded before promotion) "
        f"{verb} listed, not measured."
    )


def _skipped(item: Latency, newer: ReleaseEvent | None) -> dict[str, Any]:
    """A version production skipped: the newer version that superseded it first (staged after
    it, or reaching production before it) and when, and the version that then brought it to
    production (None: none yet)."""
    candidates = [(e, w) for e, w in ((newer, "staging"), (item.production, "production")) if e]
    first, where = min(candidates, key=lambda c: (utc(c[0].date), c[1]))
    return {
        "version": item.version,
        "staging_sha": item.staging.sha,
        "staging_date": item.staging.date,
        "superseded_by": first.version,
        "superseded_at": first.date,
        "in": where,
        "production_with": item.via,
    }


RULE = Rule(
    kind="patch-latency",
    summary="Versions reach production within a maximum number of days of reaching staging.",
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    deviation_kinds={
        "late_promotion": (
            "A version took longer than the maximum from staging to production, or is still "
            "not in production after it."
        ),
    },
)
