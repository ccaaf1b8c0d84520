"""staging-before-production: every version reaching production had soaked in staging first.

The population is the versions that first reached production in the period. A version whose
production deployment came before (or without) its staging deployment fails, as does one that
spent less than ``min_hours`` in staging. Staging and production are the environments with those
roles. Where staging's release file could not be read at a commit before the version's staging
(or production) deployment, the version may have been in staging then: nothing is claimed of it,
it is an **unreadable version** naming the versions of the file not read.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from generator.config import PROMOTION_ORDER, Role
from generator.evidence.context import (
    EnvironmentLike,
    RuleContext,
    empty_population_result,
    every,
    missing_roles_result,
    number,
    part_of,
    was_were,
)
from generator.evidence.registry import Failure, Rule, RuleResult
from generator.history.model import Promotion, ReleaseEvent
from generator.history.parsedcache import BlobParser
from generator.history.releases import file_value
from generator.status import Status
from generator.timewords import utc

SKIPPED, SHORT, UNREADABLE = "skipped_staging", "short_staging", "unreadable_version"
_SHOWN_GAPS = 3  # unreadable versions named in a message; the rest are counted

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["min_hours"],
    "properties": {
        "min_hours": {
            "type": "number",
            "minimum": 0,
            "description": "the least time a version must spend in staging before production",
        },
    },
}


def production_promotions(context: RuleContext, production: str) -> list[Promotion]:
    """Promotions whose production deployment falls in the period, oldest first.

    `production` names the environment with the production role. A production release the
    reader has no promotion for counts as never staged.
    """
    found: dict[str, Promotion] = {}
    for promotion in context.history.promotions:
        if promotion.production and context.in_period(promotion.production.date):
            found[promotion.version] = promotion
    for event in context.history.releases:
        if event.environment == production and context.in_period(event.date):
            found.setdefault(event.version, Promotion(event.version, None, event, None))
    return sorted(found.values(), key=lambda p: (utc(_production(p).date), p.version))


def _production(promotion: Promotion) -> ReleaseEvent:
    assert promotion.production is not None
    return promotion.production


def hours_in_staging(promotion: Promotion) -> float | None:
    """Hours from staging to production; negative when production came first."""
    if promotion.staging_hours is not None:
        return promotion.staging_hours
    if promotion.staging is None or promotion.production is None:
        return None
    delta = utc(promotion.production.date) - utc(promotion.staging.date)
    return delta.total_seconds() / 3600


def _release_value(text: str, path: str, key: str) -> tuple[str | None, str | None]:
    """The version a release file's text names at `key`, or why none could be read (as the
    history reader reads it: releases.file_value)."""
    return file_value(("blob", text.encode("utf-8")), path, key)


def staging_gaps(context: RuleContext, staging: EnvironmentLike) -> list[tuple[str, str]]:
    """(date, what) of each version of staging's release file that could not be read (oldest
    first): a version deployed to staging then is not known. Tag-based releases have none."""
    source = getattr(staging, "release", None)
    if source is None or source.tag_pattern is not None or not source.file or not source.key:
        return []
    kind = "json" if source.file.endswith(".json") else "yaml"
    parser = BlobParser(
        f"staging-before-production.release.{kind}.{source.key}",
        partial(_release_value, path=source.file, key=source.key),
    )
    gaps = []
    for _index, version in context.history.parsed_history(source.file, parser):
        problem = version.problem or (version.value[1] if version.value else None)
        if problem is not None:
            gaps.append((version.date, f"{source.file} at {version.sha[:12]} ({problem})"))
    return gaps


def _unread_before(gaps: list[tuple[str, str]], moment: str) -> str | None:
    """The unreadable versions made before `moment`, in words (the newest few), or None."""
    before = [what for date, what in gaps if utc(date) < utc(moment)]
    if not before:
        return None
    shown = "; ".join(before[-_SHOWN_GAPS:])
    more = len(before) - _SHOWN_GAPS
    return shown + (f"; and {more} earlier" if more > 0 else "")


def evaluate(context: RuleContext, params: dict[str, Any]) -> RuleResult:
    minimum = params["min_hours"]
    missing = missing_roles_result(context, PROMOTION_ORDER)
    if missing:
        return missing
    production = context.environments_with_roles([Role.PRODUCTION])[0]
    promotions = production_promotions(context, production)
    if not promotions:
        return empty_population_result(
            context,
            [production],
            "version reaching production",
            status=Status.NOT_TESTED,
            reason="No version reached production in the period, so there was nothing to test.",
        )
    staging_env = next(e for e in context.installation.environments if e.role == Role.STAGING)
    gaps: list[tuple[str, str]] | None = None  # read only when a version fails
    failures, versions, cited = [], [], []
    for promotion in promotions:
        production = _production(promotion)
        hours = hours_in_staging(promotion)
        kind = SKIPPED
        if promotion.staging is None:
            message = "never deployed to staging"
        elif hours is None or hours < 0:
            message = "deployed to staging only after production"
        elif hours < minimum:
            kind = SHORT
            message = f"only {number(hours)} h in staging (minimum {number(minimum)} h)"
        else:
            message = ""
        if message:
            gaps = staging_gaps(context, staging_env) if gaps is None else gaps
            first = promotion.staging if kind == SHORT and promotion.staging else production
            unread = _unread_before(gaps, first.date)
            if unread is not None:
                kind = UNREADABLE
                message = f"not compared with staging, its release file could not be read: {unread}"
        if message:
            failures.append(
                Failure(message=f"{promotion.version}: {message}", sha=production.sha, kind=kind)
            )
        if promotion.staging:
            cited.append(promotion.staging.sha)
        cited.append(production.sha)
        versions.append(
            {
                "version": promotion.version,
                "staging_sha": promotion.staging.sha if promotion.staging else None,
                "staging_date": promotion.staging.date if promotion.staging else None,
                "production_sha": production.sha,
                "production_date": production.date,
                "staging_hours": None if hours is None else round(hours, 2),
            }
        )
    total, failed = len(promotions), len(failures)
    noun = "version reaching production in the period"
    nouns = "versions reaching production in the period"
    soak = f" for at least {number(minimum)} h" if minimum > 0 else ""
    if failures:
        status = Status.DEVIATIONS
        unread = sum(f.kind == UNREADABLE for f in failures)
        shown = "not shown to have been" if unread else "not"
        reason = (
            f"{part_of(failed, total, noun, nouns)} {was_were(failed)} {shown} in staging{soak} "
            "first"
        )
        if unread:
            reason += f" ({unread} not compared: a release file version could not be read)"
        reason += "."
    else:
        status = Status.NO_DEVIATIONS
        reason = f"{every(total, noun, nouns)} {was_were(total)} in staging{soak} first."
    return RuleResult(
        status=status,
        reason=reason,
        population=total,
        passed=total - failed,
        failed=failed,
        cited=tuple(dict.fromkeys(cited)),
        failures=tuple(failures),
        details={"min_hours": minimum, "versions": versions},
        last_evidence=context.newest_date(_production(p).date for p in promotions),
    )


RULE = Rule(
    kind="staging-before-production",
    summary="Every version that reached production was in staging first, for a minimum time.",
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    deviation_kinds={
        SKIPPED: (
            "A version reached production without reaching staging first (never, or only "
            "after production)."
        ),
        SHORT: "A version spent less than the minimum time in staging.",
        UNREADABLE: "A version could not be compared with staging: staging's release file "
        "could not be read at a commit before the version's staging (or production) deployment, "
        "so the version may have been in staging then. Nothing is claimed of it; the message "
        "names the versions of the file not read.",
    },
)
