"""staging-before-production: every version reaching production had soaked in staging first.

The population is the versions that first reached production in the period. A version whose
production deployment came before (or without) its staging deployment fails, as does one that
spent less than ``min_hours`` in staging. Staging and production are the environments with those
roles.
"""

from __future__ import annotations

from typing import Any

from generator.config import PROMOTION_ORDER, Role
from generator.evidence.context import (
    RuleContext,
    empty_population_result,
    every,
    missing_roles_result,
    newest_date,
    number,
    part_of,
    was_were,
)
from generator.evidence.registry import Failure, Rule, RuleResult
from generator.history.model import Promotion, ReleaseEvent, utc
from generator.status import Status

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
    failures, versions, cited = [], [], []
    for promotion in promotions:
        production = _production(promotion)
        hours = hours_in_staging(promotion)
        kind = "skipped_staging"
        if promotion.staging is None:
            message = "never deployed to staging"
        elif hours is None or hours < 0:
            message = "deployed to staging only after production"
        elif hours < minimum:
            kind = "short_staging"
            message = f"only {number(hours)} h in staging (minimum {number(minimum)} h)"
        else:
            message = ""
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
        reason = (
            f"{part_of(failed, total, noun, nouns)} {was_were(failed)} not in staging{soak} first."
        )
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
        last_evidence=newest_date(_production(p).date for p in promotions),
    )


RULE = Rule(
    kind="staging-before-production",
    summary="Every version that reached production was in staging first, for a minimum time.",
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    deviation_kinds={
        "skipped_staging": (
            "A version reached production without reaching staging first (never, or only "
            "after production)."
        ),
        "short_staging": "A version spent less than the minimum time in staging.",
    },
)
