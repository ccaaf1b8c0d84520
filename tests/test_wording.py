"""The figures and counts rules write into their sentences."""

from __future__ import annotations

import pytest

from generator.evidence.context import count_text, every, number, part_of, plural


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.5, "3.5"),
        (24, "24"),
        (24.0, "24"),
        (0.04, "0"),
        (-0.04, "0"),
        (-2.25, "-2.2"),
        (1_250.5, "1,250.5"),
        (123_456.78, "123,456.8"),
        (1_234_567, "1,234,567"),
        (1e20, "100,000,000,000,000,000,000"),
    ],
)
def test_number_has_at_most_one_decimal_and_never_an_exponent(value, text):
    assert number(value) == text


def test_counts_separate_thousands():
    assert count_text(999) == "999"
    assert count_text(24_896) == "24,896"
    assert plural(1, "change") == "1 change"
    assert plural(100_000, "change") == "100,000 changes"
    assert part_of(24_896, 100_000, "change") == "24,896 of 100,000 changes"
    assert part_of(1, 1, "entry", "entries") == "1 of 1 entry"
    assert every(1, "change") == "The 1 change"
    assert every(3_508, "release") == "All 3,508 releases"


def test_the_reason_checks_read_figures_written_with_separators():
    from reason_checks import disagreements

    spread = {"count": 5, "median": 1_250.5, "max": 2_000}
    result = {
        "reason": "All 5 versions reached production within 3,000 days of staging "
        "(median 1,250.5, longest 2,000 days).",
        "figures": {"population": 5, "passed": 5, "failed": 0},
        "failures": [],
        "details": {"distribution": spread, "max_days": 3_000},
    }
    assert disagreements(result) == []
    wrong = {**result, "reason": result["reason"].replace("1,250.5", "1,205.5")}
    assert disagreements(wrong) == ["median: the reason says 1205.5, the figures 1250.5"]
