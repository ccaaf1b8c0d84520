"""Each rule's sentence agrees with its own figures (tests/reason_checks.py), and patch-latency
reports the versions production skipped as skipped, never as late."""

from __future__ import annotations

import datetime as dt

from evidence_builders import History, promotion
from hypothesis import example, given, settings
from hypothesis import strategies as st
from reason_checks import disagreements

from generator.evidence.context import RuleContext
from generator.evidence.registry import all_rules
from generator.status import Status

LATENCY = all_rules()["patch-latency"]


def judge(history: History, max_days: float = 30):
    return LATENCY.evaluate(RuleContext(history), {"max_days": max_days})


def day(offset: float | None) -> str | None:
    if offset is None:
        return None
    return (dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=offset)).isoformat()


def test_versions_production_skipped_are_not_late() -> None:
    """The real-world shape: weekly versions staged, production taking every third one."""
    promotions = []
    for week in range(24):
        staged = day(7 * week)
        promoted = day(7 * week + 1) if week % 3 == 2 else None
        promotions.append(promotion(f"2026.{week + 1}.0", staged, promoted))
    result = judge(History(promotions=promotions))
    assert result.status == Status.NO_DEVIATIONS
    assert result.population == 8 and result.failures == ()
    skipped = result.details["skipped"]
    assert [s["version"] for s in skipped] == [f"2026.{w + 1}.0" for w in range(24) if w % 3 != 2]
    assert skipped[0] == {
        "version": "2026.1.0",
        "staging_sha": promotions[0].staging.sha,
        "staging_date": day(0),
        "superseded_by": "2026.2.0",
        "superseded_at": day(7),
        "in": "staging",
        "production_with": "2026.3.0",
    }
    assert result.reason == (
        "All 8 versions reached production within 30 days of staging (median 1, longest 1 "
        "days). 16 versions that production skipped (superseded before promotion) are listed, "
        "not measured."
    )
    assert disagreements(result) == []


def test_a_version_a_newer_one_brought_to_production_is_skipped_not_measured() -> None:
    """Staged on day 0, brought to production with 2026.1.1 on day 42: not 42 days late."""
    history = History(
        promotions=[
            promotion("2026.1.0", day(0), None),
            promotion("2026.1.1", day(40), day(42)),
        ]
    )
    result = judge(history)
    assert result.failures == () and result.population == 1
    skipped = result.details["skipped"]
    assert [(s["version"], s["superseded_by"], s["in"], s["production_with"]) for s in skipped] == [
        ("2026.1.0", "2026.1.1", "staging", "2026.1.1")
    ]


def test_late_and_waiting_versions_are_told_apart() -> None:
    history = History(
        promotions=[
            promotion("2026.1.0", day(0), day(2)),  # 2 days
            promotion("2026.2.0", day(10), day(50)),  # 40 days: late
            promotion("2026.3.0", day(55), day(58)),  # 3 days
            promotion("2026.3.1", day(60), None),  # skipped: 2026.4.0 reached production first
            promotion("2026.4.0", day(70), day(75)),  # 5 days
            # waiting since day 100, though 2026.5.1 was staged after it: production has not
            # moved past it, so it is waiting, not skipped
            promotion("2026.5.0", day(100), None),
            promotion("2026.5.1", day(170), None),  # pending: 11 days at the period end
        ]
    )
    result = judge(history)
    assert [(f.kind, f.message) for f in result.failures] == [
        ("late_promotion", "2026.2.0: reached production after 40 days (maximum 30)"),
        ("late_promotion", "2026.5.0: not in production after 81 days (maximum 30)"),
    ]
    assert [p["version"] for p in result.details["pending"]] == ["2026.5.1"]
    assert [s["version"] for s in result.details["skipped"]] == ["2026.3.1"]
    assert result.reason == (
        "2 of 5 versions were not in production within 30 days of staging: 1 reached "
        "production later and 1 is still not in production at the period end (of the 4 "
        "versions that reached production: median 4, longest 40 days). 1 version that "
        "production skipped (superseded before promotion) is listed, not measured."
    )
    assert disagreements(result) == []


_PROMOTIONS = st.lists(
    st.tuples(
        st.sampled_from([f"2026.{m}.{p}" for m in range(1, 6) for p in range(2)]),
        st.one_of(st.none(), st.integers(0, 170)),
        st.one_of(st.none(), st.integers(0, 200)),
    ),
    max_size=10,
    unique_by=lambda item: item[0],
)


@settings(max_examples=300, derandomize=True, database=None)
@given(_PROMOTIONS, st.sampled_from([1, 7, 30]))
@example([("2026.1.0", 0, None), ("2026.2.0", 7, 100)], 30)
def test_every_patch_latency_sentence_agrees_with_its_figures(generated, max_days) -> None:
    promotions = [promotion(version, day(s), day(p)) for version, s, p in generated]
    result = judge(History(promotions=promotions), max_days)
    assert disagreements(result) == []
    late = [f for f in result.failures if "reached production after" in f.message]
    assert all(float(f.message.split(" after ")[1].split()[0]) > max_days for f in late)
    skipped = {s["version"] for s in result.details["skipped"]}
    measured = {v["version"] for v in result.details["versions"]}
    assert not skipped & measured


def test_the_checker_catches_a_sentence_that_contradicts_its_figures() -> None:
    contradiction = {
        "reason": "53 of 74 versions took more than 30 days from staging to production: 53 "
        "reached production later (median 0, longest 20 days).",
        "figures": {"population": 74, "passed": 21, "failed": 53},
        "failures": [{"message": "x: reached production after 40 days", "kind": "late_promotion"}]
        * 53,
        "details": {"max_days": 30, "distribution": {"count": 74, "median": 0, "max": 20}},
    }
    assert disagreements(contradiction) == ["late versions, but the longest is within the maximum"]
    wrong_count = {**contradiction, "figures": {"population": 74, "passed": 22, "failed": 52}}
    assert "failed: the reason says 53, the figures 52" in disagreements(wrong_count)
