"""config-assertion: failure windows with exact boundaries, and every way a version can fail."""

from __future__ import annotations

import pytest
from evidence_builders import History, sha
from reason_checks import disagreements

from generator.evidence.context import RuleContext
from generator.evidence.registry import Failure, all_rules
from generator.history.model import FileVersion
from generator.rules.config_assertion import compare

ASSERTION = all_rules()["config-assertion"].evaluate
FILE = "environments/production/backup.yaml"
RETENTION = {"file": FILE, "key": "backup.retention_days", "op": ">=", "value": 30}
START, END = "2026-01-01T00:00:00+00:00", "2026-07-01T00:00:00+00:00"


def version(label: str, date: str, days: int | None = None, text: str | None = None):
    if days is not None:
        text = f"backup:\n  retention_days: {days}\n"
    return FileVersion(sha(label), date, text)


def judge(versions: list[FileVersion], params=RETENTION, path: str = FILE):
    return ASSERTION(RuleContext(History(versions={path: versions})), params)


def window(from_sha, to_sha, start, end, hours):
    return {"from_sha": from_sha, "to_sha": to_sha, "from": start, "to": end, "hours": hours}


def test_holding_at_every_version_has_no_deviations():
    result = judge(
        [
            version("v0", "2025-11-01T10:00:00Z", 30),
            version("v1", "2026-03-01T10:00:00Z", 45),
        ]
    )
    assert result.status == "no_deviations"
    assert result.reason == (
        "backup.retention_days >= 30 held throughout the period "
        f"(2 versions of {FILE} in effect, all passing)."
    )
    assert (result.population, result.passed, result.failed) == (2, 2, 0)
    assert result.cited == (sha("v0"), sha("v1"))
    assert result.last_evidence == "2026-03-01"


def test_failing_at_period_start_until_fixed_exactly_at_a_commit():
    result = judge(
        [
            version("v0", "2025-11-01T10:00:00Z", 7),
            version("fix", "2026-01-03T13:00:00+01:00", 30),
        ]
    )
    assert result.status == "deviations"
    assert result.failures == (
        Failure(
            "backup.retention_days is 7",
            sha("v0"),
            window(sha("v0"), sha("fix"), START, "2026-01-03T12:00:00+00:00", 60.0),
            kind="assertion_failed",
        ),
    )
    assert (result.population, result.passed, result.failed) == (2, 1, 1)
    assert result.reason == (
        "backup.retention_days >= 30 failed in 1 window totalling 60 h "
        f"(2 versions of {FILE} in effect during the period)."
    )


def test_failing_at_period_end_has_no_fixing_commit():
    result = judge(
        [
            version("v0", "2025-11-01T10:00:00Z", 30),
            version("break", "2026-06-29T00:00:00Z", 14),
        ]
    )
    assert result.failures == (
        Failure(
            "backup.retention_days is 14",
            sha("break"),
            window(sha("break"), None, "2026-06-29T00:00:00+00:00", END, 48.0),
            kind="assertion_failed",
        ),
    )
    assert result.reason == (
        "backup.retention_days >= 30 failed in 1 window totalling 48 h and still failed at "
        f"the period end (2 versions of {FILE} in effect during the period)."
    )


def test_two_windows_and_a_failing_change_inside_a_window():
    result = judge(
        [
            version("v0", "2025-11-01T10:00:00Z", 30),
            version("b1", "2026-02-01T00:00:00Z", 7),
            version("b1'", "2026-02-01T06:00:00Z", 8),  # still failing: same window
            version("f1", "2026-02-02T00:00:00Z", 31),
            version("b2", "2026-03-01T00:00:00Z", 0),
            version("f2", "2026-03-01T00:30:00Z", 90),
        ]
    )
    assert result.failures == (
        Failure(
            "backup.retention_days is 7; backup.retention_days is 8",
            sha("b1"),
            window(
                sha("b1"), sha("f1"), "2026-02-01T00:00:00+00:00", "2026-02-02T00:00:00+00:00", 24.0
            ),
            kind="assertion_failed",
        ),
        Failure(
            "backup.retention_days is 0",
            sha("b2"),
            window(
                sha("b2"), sha("f2"), "2026-03-01T00:00:00+00:00", "2026-03-01T00:30:00+00:00", 0.5
            ),
            kind="assertion_failed",
        ),
    )
    assert (result.population, result.passed, result.failed) == (6, 3, 3)
    assert "failed in 2 windows totalling 24.5 h (6 versions" in result.reason


def test_a_missing_key_fails():
    result = judge(
        [
            version("v0", "2025-11-01T10:00:00Z", text="backup:\n  enabled: true\n"),
            version("fix", "2026-01-02T00:00:00Z", 35),
        ]
    )
    assert result.failures[0].message == "key missing"
    assert result.failures[0].window["hours"] == 24.0


def test_unparseable_yaml_is_a_window_naming_the_sha():
    broken = version("broken", "2026-04-01T00:00:00Z", text="backup: [unclosed\n")
    result = judge(
        [
            version("v0", "2025-11-01T10:00:00Z", 30),
            broken,
            version("fix", "2026-04-01T02:00:00Z", 30),
        ]
    )
    (failure,) = result.failures
    assert failure.message.startswith(f"not valid YAML at {broken.sha[:12]} (line 2: ")
    assert failure.window == window(
        broken.sha, sha("fix"), "2026-04-01T00:00:00+00:00", "2026-04-01T02:00:00+00:00", 2.0
    )


def test_duplicate_keys_are_unparseable_rather_than_silently_last_wins():
    text = "backup:\n  retention_days: 7\n  retention_days: 30\n"
    result = judge([version("v0", "2025-11-01T10:00:00Z", text=text)])
    assert "duplicate key 'retention_days'" in result.failures[0].message


def test_a_deleted_file_fails_until_it_returns():
    result = judge(
        [
            version("v0", "2025-11-01T10:00:00Z", 30),
            version("rm", "2026-05-01T00:00:00Z", text=None),
            version("back", "2026-05-03T00:00:00Z", 30),
        ]
    )
    assert result.failures == (
        Failure(
            "file missing",
            sha("rm"),
            window(
                sha("rm"),
                sha("back"),
                "2026-05-01T00:00:00+00:00",
                "2026-05-03T00:00:00+00:00",
                48.0,
            ),
            kind="assertion_failed",
        ),
    )


def test_a_file_created_during_the_period_failed_before_it_existed():
    # The reader reports the (absent) version in effect at the period start as text None.
    result = judge(
        [
            version("v0", "2025-11-01T10:00:00Z", text=None),
            version("add", "2026-01-02T00:00:00Z", 30),
        ]
    )
    assert result.failures[0].window == window(
        sha("v0"), sha("add"), START, "2026-01-02T00:00:00+00:00", 24.0
    )


def test_a_repository_younger_than_the_period_has_no_version_at_the_start():
    result = judge([version("first", "2026-01-02T00:00:00Z", 30)])
    assert result.failures == (
        Failure(
            "file missing",
            None,
            window(None, sha("first"), START, "2026-01-02T00:00:00+00:00", 24.0),
            kind="assertion_failed",
        ),
    )
    assert result.population == 2 and result.cited == (sha("first"),)


def test_a_file_never_present_is_not_tested():
    result = judge([version("v0", "2025-11-01T10:00:00Z", text=None)])
    assert result.status == "not_tested"
    assert result.reason == (
        f"{FILE} does not exist at any commit in the period, so backup.retention_days >= 30 "
        "cannot be shown to hold."
    )
    assert judge([]).status == "not_tested"


def test_versions_after_the_period_are_ignored():
    result = judge(
        [
            version("v0", "2025-11-01T10:00:00Z", 30),
            version("later", "2026-07-01T00:00:00Z", 1),
        ]
    )
    assert result.status == "no_deviations" and result.population == 1


def test_json_files_and_list_indexes():
    path = "environments/production/logging.json"
    params = {"file": path, "key": "sinks.1.enabled", "op": "==", "value": True}
    ok = FileVersion(sha("j0"), "2025-11-01T10:00:00Z", '{"sinks": [{}, {"enabled": true}]}')
    bad = FileVersion(sha("j1"), "2026-02-01T00:00:00Z", '{"sinks": [{}, {"enabled": 1}]}')
    broken = FileVersion(sha("j2"), "2026-02-02T00:00:00Z", '{"sinks": ')
    result = judge([ok, bad, broken], params, path)
    (failure,) = result.failures
    assert failure.message == (
        f"sinks.1.enabled is 1; not valid JSON at {sha('j2')[:12]} (line 1: Expecting value)"
    )
    assert failure.window["to_sha"] is None


def test_uncomparable_values_fail_with_the_reason():
    result = judge(
        [version("v0", "2025-11-01T10:00:00Z", text="backup:\n  retention_days: '30'\n")]
    )
    assert result.failures[0].message == (
        'backup.retention_days is "30", which cannot be compared with >='
    )


@pytest.mark.parametrize(
    ("actual", "op", "expected", "holds"),
    [
        (True, "==", True, True),
        (1, "==", True, False),
        (True, "!=", 1, True),
        (30, ">=", 30, True),
        (30.5, ">", 30, True),
        (29, ">=", 30, False),
        (3, "<", 4, True),
        (4, "<=", 3, False),
        ("b", ">", "a", True),
        ("eu-west-1", "in", ["eu-west-1", "eu-central-1"], True),
        ("us-east-1", "in", ["eu-west-1"], False),
        (None, "==", None, True),
        ("30", ">=", 30, None),
        (True, ">=", 0, None),
    ],
)
def test_compare(actual, op, expected, holds):
    assert compare(actual, op, expected) is holds


def test_the_readers_empty_sha_for_no_commit_before_the_period():
    # generator.history stands in FileVersion("", <period start>, None) for that case.
    result = judge([FileVersion("", START, None), version("first", "2026-01-02T00:00:00Z", 30)])
    assert result.failures == (
        Failure(
            "file missing",
            None,
            window(None, sha("first"), START, "2026-01-02T00:00:00+00:00", 24.0),
            kind="assertion_failed",
        ),
    )
    assert result.population == 2 and result.cited == (sha("first"),)


def test_a_version_that_could_not_be_read_is_a_window_of_its_own_kind():
    """Neither a failure nor a pass: the time an unreadable version was in effect is a window of
    kind unreadable_version; failing versions on either side keep theirs."""
    result = judge(
        [
            version("v0", "2025-11-01T10:00:00Z", 7),
            FileVersion(sha("binary"), "2026-01-02T00:00:00Z", None, "file is binary"),
            version("fix", "2026-01-03T00:00:00Z", 30),
            FileVersion(sha("huge"), "2026-06-30T00:00:00Z", None, "file is 2 MiB"),
        ]
    )
    day = "2026-01-0{}T00:00:00+00:00"
    assert [(f.kind, f.message, f.window) for f in result.failures] == [
        ("assertion_failed", "backup.retention_days is 7",
         window(sha("v0"), sha("binary"), START, day.format(2), 24.0)),
        ("unreadable_version", f"file is binary at {sha('binary')[:12]}",
         window(sha("binary"), sha("fix"), day.format(2), day.format(3), 24.0)),
        ("unreadable_version", f"file is 2 MiB at {sha('huge')[:12]}",
         window(sha("huge"), None, "2026-06-30T00:00:00+00:00", END, 24.0)),
    ]  # fmt: skip
    assert (result.population, result.passed, result.failed) == (4, 1, 3)
    assert result.reason == (
        "backup.retention_days >= 30 failed in 1 window totalling 24 h, and could not be judged "
        "in 2 windows totalling 48 h in which the file could not be read as text and was still "
        f"unreadable at the period end (4 versions of {FILE} in effect during the period)."
    )
    assert disagreements(result) == []
