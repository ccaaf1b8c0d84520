"""What a control's rules tested, in words: printed beside every status in lists and the SoA."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from generator.evidence.registry import all_rules
from generator.library import load_library
from generator.render.tested import INFORMATIONAL, control_tested, rule_words

REPO_CONTROLS = Path(__file__).resolve().parent.parent / "controls"


def _result(rule: str, params: dict, informational: bool = False) -> SimpleNamespace:
    return SimpleNamespace(rule=rule, params=params, informational=informational)


def test_every_built_in_rule_has_words_for_every_shipped_use() -> None:
    library = load_library(REPO_CONTROLS, all_rules())
    for control in library.controls.values():
        for spec in control.evidence:
            words = rule_words(spec.kind, spec.params)
            assert not words.startswith("rule "), (control.id, spec.kind)
            assert "None" not in words, (control.id, spec.kind, words)
    # every built-in kind, shipped or not, has its own words
    assert all(not rule_words(kind, {}).startswith("rule ") for kind in all_rules())


def test_words_carry_the_parameters_that_bound_the_test() -> None:
    assert rule_words("patch-latency", {"max_days": 30}) == "staging to production within 30 days"
    assert rule_words("change-approval", {"roles": ["staging", "production"]}) == (
        "approval of each staging and production change"
    )
    assert rule_words(
        "config-assertion", {"file": "a.yaml", "key": "alerting.enabled", "op": "==", "value": True}
    ) == ("setting alerting.enabled == true in git")
    assert rule_words(
        "manual", {"document": "docs/security/access-review.md", "frequency": "quarterly"}
    ) == ("each quarterly access-review.md recorded with its result")
    assert rule_words("manual", {"document": "docs/isolation.md", "max_age_days": 365}) == (
        "isolation.md at most 365 days old"
    )
    assert rule_words("staging-before-production", {"min_hours": 24}) == (
        "each production version on staging first for 24 h"
    )
    assert rule_words("staging-before-production", {"min_hours": 0}) == (
        "each production version on staging first"
    )
    # a plugin's kind is named as it is
    assert rule_words("ticket-reference", {"pattern": "SEC-"}) == "rule ticket-reference"


def test_a_result_that_can_find_no_deviation_is_marked_and_left_out_of_what_was_judged() -> None:
    control = SimpleNamespace(
        results=(
            _result("manual", {"document": "r.md", "frequency": "quarterly"}),
            _result("access-activity", {}, informational=True),
            _result("manual", {"document": "r.md", "frequency": "quarterly"}),
        )
    )
    assert control_tested(control) == [
        "each quarterly r.md recorded with its result",
        f"access activity per month ({INFORMATIONAL})",
    ]
    assert control_tested(control, judged_only=True) == [
        "each quarterly r.md recorded with its result"
    ]
    assert control_tested(SimpleNamespace(results=())) == []
