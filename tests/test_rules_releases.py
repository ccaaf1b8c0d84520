"""staging-before-production and patch-latency: verdicts, failure shapes and the distribution."""

from __future__ import annotations

import datetime as dt

from evidence_builders import History, installation, promotion, release, sha
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator.evidence.context import RuleContext
from generator.evidence.registry import Failure, all_rules
from generator.rules.patch_latency import _order, latencies
from generator.timewords import utc

STAGING_FIRST = all_rules()["staging-before-production"].evaluate
LATENCY = all_rules()["patch-latency"].evaluate


def judge(rule, history: History, **params):
    return rule(RuleContext(history), params)


def prod(version: str) -> str:
    return sha(f"production {version}")


def stag(version: str) -> str:
    return sha(f"staging {version}")


def test_versions_soaked_long_enough_have_no_deviations():
    history = History(
        promotions=[
            promotion("2026.1.0", "2026-01-05T10:00:00Z", "2026-01-06T10:00:00Z"),
            promotion("2026.2.0", "2026-02-01T10:00:00Z", "2026-02-10T10:00:00Z"),
            # reached production before the period: not in the population
            promotion("2025.9.0", "2025-12-01T10:00:00Z", "2025-12-20T10:00:00Z"),
        ]
    )
    result = judge(STAGING_FIRST, history, min_hours=24)
    assert result.status == "no_deviations"
    assert result.reason == (
        "All 2 versions reaching production in the period were in staging for at least 24 h first."
    )
    assert result.cited == (stag("2026.1.0"), prod("2026.1.0"), stag("2026.2.0"), prod("2026.2.0"))
    assert result.last_evidence == "2026-02-10"
    assert result.details["versions"][0]["staging_hours"] == 24.0


def test_every_staging_failure_shape():
    history = History(
        promotions=[
            promotion("2026.1.0", None, "2026-01-06T10:00:00Z"),
            promotion("2026.2.0", "2026-02-01T10:00:00Z", "2026-02-01T13:30:00Z"),
            promotion("2026.3.0", "2026-03-02T10:00:00Z", "2026-03-01T10:00:00Z"),
            promotion("2026.4.0", "2026-04-01T10:00:00Z", "2026-04-02T10:00:00Z"),
        ]
    )
    result = judge(STAGING_FIRST, history, min_hours=24)
    assert result.status == "deviations"
    assert result.failures == (
        Failure("2026.1.0: never deployed to staging", prod("2026.1.0"), kind="skipped_staging"),
        Failure(
            "2026.2.0: only 3.5 h in staging (minimum 24 h)", prod("2026.2.0"), kind="short_staging"
        ),
        Failure(
            "2026.3.0: deployed to staging only after production",
            prod("2026.3.0"),
            kind="skipped_staging",
        ),
    )
    assert (result.population, result.passed, result.failed) == (4, 1, 3)
    assert result.reason == (
        "3 of 4 versions reaching production in the period were not in staging for at least "
        "24 h first."
    )


def test_a_production_release_without_a_promotion_counts_as_never_staged():
    history = History(releases=[release("2026.1.0", "production", "2026-01-06T10:00:00Z")])
    result = judge(STAGING_FIRST, history, min_hours=1)
    assert result.failures == (
        Failure("2026.1.0: never deployed to staging", prod("2026.1.0"), kind="skipped_staging"),
    )


def test_a_zero_minimum_only_asks_for_staging_first():
    history = History(
        promotions=[
            promotion("2026.1.0", "2026-01-05T10:00:00Z", "2026-01-05T10:00:00Z"),
            promotion("2026.2.0", None, "2026-02-05T10:00:00Z"),
        ]
    )
    result = judge(STAGING_FIRST, history, min_hours=0)
    assert result.reason == (
        "1 of 2 versions reaching production in the period was not in staging first."
    )
    assert result.failures == (
        Failure("2026.2.0: never deployed to staging", prod("2026.2.0"), kind="skipped_staging"),
    )


def test_exactly_the_minimum_passes():
    history = History(
        promotions=[promotion("2026.1.0", "2026-01-05T10:00:00Z", "2026-01-06T10:00:00Z")]
    )
    assert judge(STAGING_FIRST, history, min_hours=24).status == "no_deviations"
    assert judge(STAGING_FIRST, history, min_hours=24.01).status == "deviations"


def test_no_production_release_in_the_period_is_not_tested():
    earlier = promotion("2025.9.0", "2025-12-01T10:00:00Z", "2025-12-20T10:00:00Z")
    result = judge(STAGING_FIRST, History(promotions=[earlier]), min_hours=24)
    assert result.status == "not_tested"
    assert result.reason == (
        "No version reached production in the period, so there was nothing to test."
    )
    assert judge(STAGING_FIRST, History(), min_hours=24).status == "not_tested"
    only_production = History(installation=installation(("production",)), promotions=[earlier])
    assert judge(STAGING_FIRST, only_production, min_hours=24).status == "not_tested"


def test_latency_distribution_and_pass():
    history = History(
        promotions=[
            promotion("2026.1.0", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),  # 1 day
            promotion("2026.2.0", "2026-02-01T00:00:00Z", "2026-02-04T12:00:00Z"),  # 3.5
            promotion("2026.3.0", "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z"),  # 7
            promotion("2026.4.0", "2026-04-01T00:00:00Z", "2026-04-03T00:00:00Z"),  # 2
        ]
    )
    result = judge(LATENCY, history, max_days=7)
    assert result.status == "no_deviations"
    assert result.details["distribution"] == {
        "count": 4,
        "min": 1.0,
        "median": 2.75,
        "p90": 7.0,
        "max": 7.0,
    }
    assert result.reason == (
        "All 4 versions reached production within 7 days of staging (median 2.8, longest 7 days)."
    )
    assert result.population == 4 and result.failed == 0


def test_slow_version_fails_with_its_latency():
    history = History(
        promotions=[
            promotion("2026.1.0", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),
            promotion("2026.2.0", "2026-02-01T00:00:00Z", "2026-02-18T06:00:00Z"),
        ]
    )
    result = judge(LATENCY, history, max_days=14)
    assert result.status == "deviations"
    assert result.failures == (
        Failure(
            "2026.2.0: reached production after 17.2 days (maximum 14)",
            prod("2026.2.0"),
            kind="late_promotion",
        ),
    )
    assert result.reason == (
        "1 of 2 versions was not in production within 14 days of staging: 1 reached production "
        "later (of the 2 versions that reached production: median 9.1, longest 17.2 days)."
    )


def test_a_version_production_skipped_is_listed_not_measured():
    history = History(
        promotions=[
            promotion("2026.1.0", "2026-01-01T00:00:00Z", None),  # skipped by the customer
            promotion("2026.1.1", "2026-01-03T00:00:00Z", "2026-01-05T00:00:00Z"),
        ]
    )
    result = judge(LATENCY, history, max_days=3)
    assert result.failures == () and result.population == 1
    assert [v["version"] for v in result.details["versions"]] == ["2026.1.1"]
    assert result.details["versions"][0]["via"] is None
    assert result.details["versions"][0]["days"] == 2.0
    assert result.details["skipped"] == [
        {
            "version": "2026.1.0",
            "staging_sha": stag("2026.1.0"),
            "staging_date": "2026-01-01T00:00:00Z",
            "superseded_by": "2026.1.1",
            "superseded_at": "2026-01-03T00:00:00Z",
            "in": "staging",
            "production_with": "2026.1.1",
        }
    ]
    assert result.reason.endswith(
        " 1 version that production skipped (superseded before promotion) is listed, not measured."
    )


def test_an_older_line_hotfix_is_not_brought_by_an_earlier_newer_release():
    history = History(
        promotions=[
            promotion("2026.2.0", "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"),
            # a hotfix staged after 2026.2.0 went to production: only a later deployment counts
            promotion("2026.1.5", "2026-02-10T00:00:00Z", None),
        ]
    )
    result = judge(LATENCY, history, max_days=30)
    assert result.failures == (
        Failure(
            "2026.1.5: not in production after 141 days (maximum 30)",
            stag("2026.1.5"),
            kind="late_promotion",
        ),
    )


def test_waiting_versions_fail_only_once_older_than_the_maximum():
    history = History(
        promotions=[
            promotion("2026.1.0", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),
            # staged 20 days before the period end (2026-07-01T00:00Z), never promoted
            promotion("2026.6.0", "2026-06-11T00:00:00Z", None),
            # staged 3 days before the end: pending, not failing
            promotion("2026.6.1", "2026-06-28T00:00:00Z", "2026-07-02T00:00:00Z"),
        ]
    )
    result = judge(LATENCY, history, max_days=14)
    assert result.failures == (
        Failure(
            "2026.6.0: not in production after 20 days (maximum 14)",
            stag("2026.6.0"),
            kind="late_promotion",
        ),
    )
    assert result.population == 2
    assert [p["version"] for p in result.details["pending"]] == ["2026.6.1"]
    assert result.details["distribution"]["count"] == 1


def test_versions_never_staged_are_listed_not_measured():
    history = History(
        promotions=[
            promotion("2026.1.0", None, "2026-01-02T00:00:00Z"),
            promotion("2026.2.0", "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"),
        ]
    )
    result = judge(LATENCY, history, max_days=14)
    assert result.population == 1
    assert result.details["never_staged"] == ["2026.1.0"]


def test_latency_without_production_releases_is_not_tested():
    before = promotion("2025.1.0", "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z")
    result = judge(LATENCY, History(promotions=[before]), max_days=14)
    assert result.status == "not_tested"
    assert result.details["distribution"]["count"] == 0


def _latencies_by_definition(context: RuleContext):
    """The rule's definition, checked for each staged version against every deployment."""
    end = context.period.end_utc_exclusive
    deployed = [p.production for p in context.history.promotions if p.production]
    deployed = [e for e in deployed if utc(e.date) < end]
    found = []
    for p in context.history.promotions:
        if p.staging is None or utc(p.staging.date) >= end:
            continue
        staged, order = utc(p.staging.date), _order(p.version)
        candidates = [p.production] if p.production and utc(p.production.date) < end else []
        if order is not None:
            candidates += [
                e for e in deployed if utc(e.date) >= staged and (_order(e.version) or ()) >= order
            ]
        if candidates:
            first = min(candidates, key=lambda e: (utc(e.date), e.version != p.version))
            found.append((p.version, first.sha, first.date))
        else:
            found.append((p.version, None, None))
    return found


_DAYS = st.integers(min_value=0, max_value=10)  # few days: many ties
_VERSIONS = [f"2026.{minor}.{patch}" for minor in range(4) for patch in range(3)] + ["next"]
_PROMOTIONS = st.lists(
    st.tuples(st.sampled_from(_VERSIONS), st.one_of(st.none(), _DAYS), st.one_of(st.none(), _DAYS)),
    max_size=13,
    unique_by=lambda item: item[0],
)


@settings(max_examples=300, derandomize=True, database=None)
@given(_PROMOTIONS)
@example([("2026.2.0", 1, 4), ("2026.1.0", 0, 4)])  # a newer version deployed the same day
def test_each_version_reaches_production_with_the_deployment_the_definition_picks(generated):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def day(offset):
        return None if offset is None else (base + dt.timedelta(days=offset)).isoformat()

    promotions = [promotion(version, day(s), day(p)) for version, s, p in generated]
    context = RuleContext(History(promotions=promotions))
    items, _ = latencies(context)
    got = [(i.version, i.production.sha if i.production else None) for i in items]
    want = [(version, found) for version, found, _ in _latencies_by_definition(context)]
    assert got == want
