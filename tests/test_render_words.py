"""generator/render/words.py: what the PDF and the portal show of free-form model values."""

from __future__ import annotations

import datetime as dt
import subprocess
from types import SimpleNamespace as Record

from generator.evidence.registry import all_rules
from generator.render.words import (
    CONTINUATION,
    DEVIATION_WORDS,
    command_lines,
    details_view,
    evidence_words,
    kind_text,
    params_text,
    promotion_approvals,
    shell_words,
    utc_text,
    value_text,
    window_text,
)
from generator.timewords import utc, utc_words


def test_times_are_shown_in_utc_whatever_offset_git_recorded():
    assert utc_text("2026-03-11T14:47:00+01:00") == "2026-03-11 13:47 UTC"
    assert utc_text("2026-06-30T23:30:00-02:00") == "2026-07-01 01:30 UTC"
    assert utc_text("2026-03-11") == "2026-03-11"  # a date stays a date
    assert utc_text("not a time") == "not a time"


def test_moments_in_words_are_utc_to_the_minute():
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert utc_words(dt.datetime(2026, 6, 25, 14, 1, 59, tzinfo=plus_two)) == "2026-06-25 12:01 UTC"
    assert utc_words(dt.datetime(2026, 1, 1, 0, 30, tzinfo=dt.UTC)) == "2026-01-01 00:30 UTC"


def test_one_reading_of_timestamps_for_every_layer(monkeypatch):
    import time

    from generator.render import timeline

    # A timestamp without an offset is UTC on any machine, never its local time (the history's
    # reader took it as local time, the release-note and render timelines as UTC).
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert utc("2026-01-01T10:00:00") == dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)
        assert utc("2026-01-01") == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        assert utc("2026-01-01T10:00:00+01:00") == dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)
        assert timeline._moment("2026-01-01T10:00:00") == utc("2026-01-01T10:00:00")
        assert timeline._moment("not a time") is None and timeline._moment(None) is None
    finally:
        monkeypatch.undo()
        time.tzset()


def test_every_module_takes_utc_from_timewords():
    # One reading, imported from where it is defined: no module defines its own, and none
    # hands timewords' on (a re-export hides where the reading lives and ties layers together).
    import ast
    from pathlib import Path

    package = Path(__file__).parents[1] / "generator"
    elsewhere = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name == "utc":
                elsewhere.append(f"{path.name}: def utc")
            imports = isinstance(node, ast.ImportFrom) and any(a.name == "utc" for a in node.names)
            if imports and node.module != "generator.timewords":
                elsewhere.append(f"{path.name}: from {node.module} import utc")
    assert elsewhere == ["timewords.py: def utc"]


def test_params_are_words_not_python():
    text = params_text({"roles": ["staging", "production"], "min_approvers": 2})
    assert text == "roles: staging, production; minimum approvers: 2"
    assert params_text({"file": "a.yaml", "key": "logging.enabled", "op": "==", "value": True}) == (
        "file: a.yaml; condition: logging.enabled is true"
    )
    assert params_text({"key": "v", "op": "!=", "value": None}) == "condition: v is not null"
    assert params_text({"key": "p", "op": "in", "value": ["oidc", "saml"]}) == (
        "condition: p is one of oidc, saml"
    )
    assert params_text({"key": "d", "op": ">=", "value": 30}) == "condition: d is at least 30"
    # Hours and days with their unit; a yes/no switch; a mapping's entries in brackets, so
    # "; " still parts the parameters.
    assert params_text({"min_hours": 24, "max_age_days": 365, "tolerance_hours": 1.5}) == (
        "minimum time: 24 h; maximum age: 365 days; tolerance: 1.5 h"
    )
    assert params_text({"api_keys": False, "privileged_roles": []}) == (
        "API keys: no; privileged roles: none"
    )
    assert params_text({"titles": {"Policy Changed": ["a/**", "b/**"]}, "max_days": 7}) == (
        "titles: Policy Changed (a/**, b/**); maximum time: 7 days"
    )
    assert params_text({}) == "none"
    for shown in (text, params_text({"value": None})):
        assert "[" not in shown and "'" not in shown and "None" not in shown


def test_every_built_in_deviation_kind_has_words():
    """Pages show a kind as words (its id beside it); a new kind without words would show as
    its id in words, so each built-in rule's kinds must be in the table."""
    kinds = {kind for rule in all_rules().values() for kind in rule.deviation_kinds}
    assert kinds - DEVIATION_WORDS.keys() == set()
    assert DEVIATION_WORDS.keys() - kinds == set()  # no words for a kind no rule reports
    assert kind_text("skipped_staging") == "Skipped staging"
    assert kind_text("some_plugin_kind") == "Some plugin kind"


def test_a_failure_window_is_its_moments_and_commits():
    window = {
        "from_sha": "a" * 40,
        "to_sha": "b" * 40,
        "from": "2026-03-11T13:47:00+00:00",
        "to": "2026-03-18T13:03:00+00:00",
        "hours": 167.27,
    }
    assert window_text(window) == (
        f"from 2026-03-11 13:47 UTC (commit {'a' * 12}) to 2026-03-18 13:03 UTC "
        f"(commit {'b' * 12}), 167.27 h"
    )
    still = {**window, "to_sha": None, "to": "2026-07-01T00:00:00+00:00"}
    assert "(still open at the period end)" in window_text(still)
    register = {"from": "2026-03-01", "to": "2026-03-31"}
    assert window_text(register) == "2026-03-01 to 2026-03-31 (UTC days, both included)"
    assert window_text(None) == ""


def test_details_become_facts_and_tables_with_spoken_names():
    view = details_view(
        {
            "min_hours": 24,
            "keys_configured": False,
            "distribution": {"count": 2, "median": 1.5},
            "versions": [{"version": "1.0", "staging_sha": None}, {"version": "1.1"}],
        },
        max_rows=1,
    )
    assert view["facts"] == [
        ("Min hours", "24"),
        ("Keys configured", "no"),
        ("Distribution", "count: 2; median: 1.5"),
    ]
    (table,) = view["tables"]
    assert table["name"] == "Versions" and table["columns"] == ["Version", "Staging sha"]
    assert table["rows"] == [["1.0", None]] and table["more"] == 1
    assert value_text(None) == "—" and value_text([]) == "none"


def test_approval_evidence_says_who_did_what():
    assert evidence_words("trailer") == "named in the message only"
    assert evidence_words("merged") == "merged by the approver"
    assert evidence_words("signed") == "signed by the approver"


def test_promotion_approvers_carry_the_evidence_their_production_change_records():
    marcus = Record(name="Marcus Webb", email="Marcus.Webb@acme.example")
    jane = Record(name="Jane Doe", email="jane.doe@acme.example")
    change = Record(
        sha="p1",
        approvals=[
            Record(approver=Record(name="Marcus Webb", email="marcus.webb@acme.example"),
                   evidence="trailer"),
            Record(approver=jane, evidence="signed"),
        ],
    )  # fmt: skip
    promotions = [
        Record(production=Record(sha="p1"), production_approvers=(marcus, jane)),
        Record(production=Record(sha="gone"), production_approvers=(jane,)),
        Record(production=None, production_approvers=()),
    ]
    rows = promotion_approvals(promotions, [Record(sha="other", approvals=[]), change])
    assert [[(a["approver"].name, a["evidence"]) for a in row] for row in rows] == [
        [("Marcus Webb", "trailer"), ("Jane Doe", "signed")],
        [("Jane Doe", None)],  # the production change is not in the pack: no evidence claimed
        [],
    ]


LONG_COMMAND = (
    "comm -23 <(git -C ./acme-config log --first-parent --format=%H "
    "--since-as-filter='2026-01-01 00:00:00 +0000' --until='2026-06-30 23:59:59 +0000' "
    "cecddaa3b148e68237bb8535c793c333371fda36 -- ':(glob)landing-zones/**' | sort) "
    "<(git -C ./acme-config log --first-parent --format=%H -- ':(glob)environments/staging/**' "
    '| sort) | wc -l; echo "a b"'
)


def test_a_command_is_broken_between_words_only_each_broken_line_ending_in_a_backslash():
    laid_out = command_lines(LONG_COMMAND, 60)
    lines = laid_out.split("\n")
    assert len(lines) > 3
    assert all(len(line) <= 60 for line in lines)
    assert all(line.endswith(CONTINUATION) for line in lines[:-1])
    assert not lines[-1].endswith("\\")
    # a quoted date keeps its space: the quotes open and close on one line
    assert any("--since-as-filter='2026-01-01 00:00:00 +0000'" in line for line in lines)
    assert all(line.count("'") % 2 == 0 for line in lines)
    assert shell_words("x  '2026-01-01 00:00:00 +0000' \"a b\"") == [
        "x",
        "'2026-01-01 00:00:00 +0000'",
        '"a b"',
    ]
    assert command_lines("git log", 60) == "git log"


def test_a_laid_out_command_is_the_same_command_to_bash():
    # bash joins a backslash-newline: the words it runs are the original's
    words = 'printf "%s|" {}'
    original = subprocess.run(
        ["bash", "-c", words.format(LONG_COMMAND.replace("<(", "").replace(")", ""))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    laid = command_lines(LONG_COMMAND.replace("<(", "").replace(")", ""), 40)
    copied = subprocess.run(
        ["bash", "-c", words.format(laid)], capture_output=True, text=True, check=True
    ).stdout
    assert "\n" in laid and copied == original


def test_a_word_longer_than_the_width_stands_alone():
    long_word = "x" * 50
    assert command_lines(f"echo {long_word} done", 20).split("\n") == [
        "echo \\",
        f"  {long_word} \\",
        "  done",
    ]
