"""The exceptions register: loading with located errors, matching failures, expiry, the report."""

from __future__ import annotations

import pytest
from evidence_builders import History, commit, sha

from generator.errors import InputError
from generator.evidence.codec import to_plain
from generator.evidence.exceptions import ExceptionsRegister, exceptions_report, load_exceptions
from generator.evidence.registry import Failure

C1 = commit("c1", "2026-03-02T10:00:00Z")
C2 = commit("c2", "2026-03-05T10:00:00Z")
HISTORY = History(commits=[C1, C2], extra_commits={sha("side-branch")})

ENTRY = """\
  - id: {id}
    rule: change-approval
    {where}
    justification: Emergency fix during an outage, reviewed afterwards.
    accepted_by: Jane Doe (CISO, Acme)
    ticket: SEC-1234
    expires: "{expires}"
"""


def register_text(*entries: tuple[str, str, str]) -> str:
    body = "".join(ENTRY.format(id=i, where=w, expires=e) for i, w, e in entries)
    return f"exceptions:\n{body}"


def load(tmp_path, text: str, history: History = HISTORY) -> ExceptionsRegister:
    path = tmp_path / "exceptions.yml"
    path.write_text(text, encoding="utf-8")
    return load_exceptions(path, history, "exceptions.yml")


def problems(tmp_path, text: str, history: History = HISTORY) -> list[str]:
    with pytest.raises(InputError) as caught:
        load(tmp_path, text, history)
    return [str(p) for p in caught.value.problems]


def test_a_valid_register_resolves_short_shas_and_marks_expiry(tmp_path):
    register = load(
        tmp_path,
        register_text(
            ("EXC-1", f"sha: {C1.sha[:7]}", "2026-12-31"),
            ("EXC-2", 'window: {from: "2026-03-02", to: "2026-03-09"}', "2026-06-30"),
            ("EXC-3", f"sha: {C2.sha.upper()}", "2026-06-29"),
        ),
    )
    first, second, third = register.entries
    assert first.sha == C1.sha and first.status == "active" and first.line == 2
    assert second.window is not None and second.window[0].isoformat() == "2026-03-02"
    # Expiring on the period's last day still covers the period.
    assert second.status == "active"
    assert third.sha == C2.sha and third.status == "expired"
    assert first.record() == {
        "id": "EXC-1",
        "rules": ("change-approval",),
        "control": None,
        "sha": C1.sha,
        "window": None,
        "deviation": None,
        "event": None,
        "justification": "Emergency fix during an outage, reviewed afterwards.",
        "accepted_by": "Jane Doe (CISO, Acme)",
        "ticket": "SEC-1234",
        "expires": "2026-12-31",
        "line": 2,  # where the entry starts, so the pack can cite it there
    }
    assert [e.line for e in register.entries] == [2, 9, 16]  # seven lines an entry


def test_an_unknown_sha_is_an_input_error_at_its_line(tmp_path):
    found = problems(
        tmp_path,
        register_text(
            ("EXC-1", f"sha: {C1.sha}", "2026-12-31"), ("EXC-2", "sha: abcdef1", "2026-12-31")
        ),
    )
    assert found == ["exceptions.yml:11:10: commit abcdef1 does not exist in example/acme-config"]


def test_a_sha_off_the_first_parent_line_is_an_input_error(tmp_path):
    found = problems(tmp_path, register_text(("EXC-1", f"sha: {sha('side-branch')}", "2026-12-31")))
    assert found == [
        f"exceptions.yml:4:10: commit {sha('side-branch')} is not on the first-parent history of "
        "main; failures cite first-parent commits (for a merged branch, the merge commit)"
    ]


def test_an_ambiguous_prefix_is_an_input_error(tmp_path):
    twins = [C1._replace(sha="abcdef1" + "0" * 33), C2._replace(sha="abcdef1" + "1" * 33)]
    found = problems(
        tmp_path, register_text(("EXC-1", "sha: abcdef1", "2026-12-31")), History(commits=twins)
    )
    assert found == ["exceptions.yml:4:10: sha abcdef1 is ambiguous: give more digits"]


def test_every_entry_problem_is_reported_at_once(tmp_path):
    text = register_text(
        ("EXC-1", f"sha: {C1.sha}", "2026-12-31"),
        ("EXC-1", f"sha: {C2.sha}", "2026-12-31"),
        ("EXC-3", 'window: {from: "2026-03-09", to: "2026-03-02"}', "2026-02-30"),
        (
            "EXC-4",
            f'sha: {C1.sha}\n    window: {{from: "2026-03-02", to: "2026-03-09"}}',
            "2026-12-31",
        ),
    )
    text = text.replace("rule: change-approval", "rule: change-aproval", 1)
    assert problems(tmp_path, text) == [
        "exceptions.yml:3:11: unknown rule 'change-aproval' (known: access-activity, "
        "access-expiry, access-four-eyes, access-removal, approval-gate, change-approval, "
        "changes-outside-git, config-assertion, config-promotion, direct-push, manual, "
        "patch-latency, signed-changes, "
        "staging-before-production)",
        "exceptions.yml:9:9: duplicate exception id 'EXC-1' (first defined on line 2)",
        "exceptions.yml:18:13: window ends before it starts",
        "exceptions.yml:22:14: 2026-02-30 is not a calendar date",
        "exceptions.yml:23:5: give one of 'sha', 'window', 'deviation' or 'event' (the deviations "
        "it accepts)",
    ]


def test_a_repeated_key_or_an_unreadable_value_hides_no_other_problem(tmp_path):
    text = register_text(("EXC-1", f"sha: {C1.sha}", "2026-02-30"))
    text = text.replace("  - id: EXC-1\n", "  - id: EXC-1\n    id: EXC-9\n")
    text = text.replace("rule: change-approval", "rule: !!int abc", 1)
    assert problems(tmp_path, text) == [
        "exceptions.yml:3:5: duplicate key 'id' (first defined on line 2)",
        "exceptions.yml:4:11: 'abc' cannot be read as tag:yaml.org,2002:int: invalid literal "
        "for int() with base 10: 'abc'",
        "exceptions.yml:9:14: 2026-02-30 is not a calendar date",
    ]


def test_schema_problems_are_located(tmp_path):
    text = """\
exceptions:
  - id: EXC-1
    rule: manual
    sha: not-a-sha
    accepted_by: Jane
    ticket: 12
    expires: "2026-12-31"
    note: extra
"""
    found = problems(tmp_path, text)
    assert "exceptions.yml:2:5: exceptions[0]: missing required field 'justification'" in found
    assert (
        "exceptions.yml:6:13: exceptions[0].ticket must be of type string, not a whole number "
        "('12'); put it in quotes to keep it as text" in found
    )
    assert any(
        p.startswith("exceptions.yml:8:5: unknown field 'note' in exceptions[0]") for p in found
    )
    assert any(
        p.startswith("exceptions.yml:4:10: exceptions[0].sha: 'not-a-sha' is not valid")
        for p in found
    )


def test_neither_sha_nor_window(tmp_path):
    found = problems(tmp_path, register_text(("EXC-1", "control: MS-CHG-01", "2026-12-31")))
    assert found == [
        "exceptions.yml:2:5: give one of 'sha', 'window', 'deviation' or 'event' (the deviations "
        "it accepts)"
    ]


def test_an_empty_register_file_says_what_to_write(tmp_path):
    assert problems(tmp_path, "") == [
        "exceptions.yml:1:1: the register is empty: write 'exceptions: []'"
    ]
    assert load(tmp_path, "exceptions: []\n").entries == ()


def test_unknown_controls_are_reported_against_the_library(tmp_path):
    register = load(
        tmp_path,
        register_text(("EXC-1", f"sha: {C1.sha}\n    control: MS-CHG-99", "2026-12-31")),
    )
    with pytest.raises(InputError) as caught:
        register.check_controls(["MS-CHG-01"])
    assert [str(p) for p in caught.value.problems] == [
        "exceptions.yml:2:1: exception EXC-1: unknown control 'MS-CHG-99'"
    ]


def test_matching_by_sha_rule_and_control(tmp_path):
    register = load(
        tmp_path,
        register_text(
            ("EXPIRED", f"sha: {C1.sha}", "2026-01-01"),
            ("OTHER-CONTROL", f"sha: {C1.sha}\n    control: MS-CHG-02", "2026-12-31"),
            ("ANY-CONTROL", f"sha: {C1.sha}", "2026-12-31"),
            ("LATER", f"sha: {C1.sha}", "2026-12-31"),
        ),
    )
    failure = Failure("no approver", C1.sha, kind="unapproved")
    assert register.accepting("change-approval", "MS-CHG-01", failure, C1.committed_at).id == (
        "ANY-CONTROL"
    )
    assert register.accepting("change-approval", "MS-CHG-02", failure, None).id == "OTHER-CONTROL"
    assert register.accepting("signed-changes", "MS-CHG-01", failure, None) is None
    assert (
        register.accepting(
            "change-approval", "MS-CHG-01", Failure("x", C2.sha, kind="unapproved"), None
        )
        is None
    )


def test_windows_match_commit_dates_and_overlapping_windows(tmp_path):
    register = load(
        tmp_path,
        register_text(("W", 'window: {from: "2026-03-02", to: "2026-03-04"}', "2026-12-31")),
    )
    entry = register.entries[0]

    def covers(failure, date=None):
        return entry.covers("change-approval", "MS-CHG-01", failure, date)

    assert covers(Failure("x", C1.sha, kind="unapproved"), "2026-03-02T00:00:00Z")
    assert covers(Failure("x", C1.sha, kind="unapproved"), "2026-03-04T23:59:59Z")
    assert not covers(Failure("x", C1.sha, kind="unapproved"), "2026-03-05T00:00:00Z")
    assert not covers(Failure("x", C1.sha, kind="unapproved"), "2026-03-01T23:59:59Z")
    # Offsets count: 00:30+02:00 on March 5 is still March 4 in UTC.
    assert covers(Failure("x", C1.sha, kind="unapproved"), "2026-03-05T00:30:00+02:00")
    assert not covers(
        Failure("x", C1.sha, kind="unapproved")
    )  # no date known: a window cannot match

    def window(start, end):
        return Failure(
            "x",
            None,
            {"from": start, "to": end, "from_sha": None, "to_sha": None, "hours": 0},
            kind="unapproved",
        )

    assert covers(window("2026-02-01T00:00:00+00:00", "2026-03-02T00:00:01+00:00"))
    assert not covers(window("2026-02-01T00:00:00+00:00", "2026-03-02T00:00:00+00:00"))
    assert covers(window("2026-03-04T23:00:00+00:00", "2026-07-01T00:00:00+00:00"))
    assert not covers(window("2026-03-05T00:00:00+00:00", "2026-07-01T00:00:00+00:00"))
    assert covers(window("2026-03-03T00:00:00+00:00", "2026-03-03T00:00:00+00:00"))


def test_report_statuses(tmp_path):
    register = load(
        tmp_path,
        register_text(
            ("B-USED", f"sha: {C1.sha}", "2026-12-31"),
            ("A-UNUSED", f"sha: {C2.sha}", "2026-12-31"),
            ("C-EXPIRED", f"sha: {C2.sha}", "2026-01-31"),
        ),
    )
    report = to_plain(exceptions_report(register, {"B-USED": [C1.sha, C1.sha]}))
    assert [(r["id"], r["status"], r["matched"]) for r in report] == [
        ("A-UNUSED", "unused", []),
        ("B-USED", "active", [C1.sha]),
        ("C-EXPIRED", "expired", []),
    ]


def test_schema_and_entry_problems_come_in_one_run(tmp_path):
    # Before, the schema's three problems came first and the rest only once they were fixed.
    text = f"""\
exceptions:
  - id: EXC-1
    rule: change-aproval
    sha: {sha("nowhere")[:12]}
    justification: yes
    accepted_by: Jane
    ticket: 12
    expires: 2026-02-30
    note: extra
  - id: EXC-2
    rule: manual
    control: MS-NOPE-01
    window: {{from: "2026-03-01", to: "2026-03-02"}}
    justification: j
    accepted_by: a
    expires: "2026-12-31"
"""
    path = tmp_path / "exceptions.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_exceptions(path, HISTORY, "exceptions.yml", control_ids=["MS-CHG-01"])
    assert [str(p) for p in caught.value.problems] == [
        "exceptions.yml:3:11: unknown rule 'change-aproval' (known: access-activity, "
        "access-expiry, access-four-eyes, access-removal, approval-gate, change-approval, "
        "changes-outside-git, config-assertion, config-promotion, direct-push, manual, "
        "patch-latency, signed-changes, "
        "staging-before-production)",
        f"exceptions.yml:4:10: commit {sha('nowhere')[:12]} does not exist in "
        f"{HISTORY.installation.repo}",
        "exceptions.yml:5:20: exceptions[0].justification must be of type string, not "
        "true/false ('yes'); put it in quotes to keep it as text",
        "exceptions.yml:7:13: exceptions[0].ticket must be of type string, not a whole number "
        "('12'); put it in quotes to keep it as text",
        "exceptions.yml:8:14: 2026-02-30 is not a calendar date",
        "exceptions.yml:9:5: unknown field 'note' in exceptions[0] (allowed: accepted_by, "
        "control, deviation, event, expires, id, justification, rule, sha, ticket, window)",
        "exceptions.yml:10:5: exceptions[1]: missing required field 'ticket'",
        "exceptions.yml:12:14: exception EXC-2: unknown control 'MS-NOPE-01'",
    ]


def test_one_entry_can_accept_a_commits_deviations_under_several_rules(tmp_path):
    text = register_text(("EMERGENCY", f"sha: {C1.sha}", "2026-12-31")).replace(
        "rule: change-approval", "rule: [change-approval, direct-push, config-promotion]"
    )
    register = load(tmp_path, text)
    (entry,) = register.entries
    assert entry.rules == ("change-approval", "direct-push", "config-promotion")
    for rule, kind in [("change-approval", "unapproved"), ("direct-push", "direct_push"),
                       ("config-promotion", "skipped_staging")]:  # fmt: skip
        failure = Failure("x", C1.sha, kind=kind)
        assert register.accepting(rule, "MS-CHG-02", failure, None).id == "EMERGENCY"
    # A rule the entry does not list stays open.
    unsigned = Failure("not signed", C1.sha, kind="unsigned")
    assert register.accepting("signed-changes", "MS-CHG-04", unsigned, None) is None
    assert to_plain(exceptions_report(register, {"EMERGENCY": [C1.sha]})[0])["rules"] == [
        "change-approval", "direct-push", "config-promotion",
    ]  # fmt: skip


def test_an_unknown_rule_in_a_list_is_reported_at_its_item(tmp_path):
    text = register_text(("EXC-1", f"sha: {C1.sha}", "2026-12-31")).replace(
        "rule: change-approval", "rule:\n      - change-approval\n      - direct-pusj"
    )
    found = problems(tmp_path, text)
    assert len(found) == 1
    assert found[0].startswith("exceptions.yml:5:9: unknown rule 'direct-pusj' (known: ")
    empty = register_text(("EXC-1", f"sha: {C1.sha}", "2026-12-31")).replace(
        "rule: change-approval", "rule: []"
    )
    assert problems(tmp_path, empty)[0].startswith("exceptions.yml:3:")
    twice = register_text(("EXC-1", f"sha: {C1.sha}", "2026-12-31")).replace(
        "rule: change-approval", "rule: [change-approval, change-approval]"
    )
    # The schema's uniqueItems, reported at the repeat (line and column as the file has them).
    assert problems(tmp_path, twice) == [
        "exceptions.yml:3:29: exceptions[0].rule: 'change-approval' is listed twice "
        "(first on line 3)"
    ]
    listed = register_text(("EXC-1", f"sha: {C1.sha}", "2026-12-31")).replace(
        "rule: change-approval",
        "rule:\n      - change-approval\n      - direct-push\n      - change-approval",
    )
    assert problems(tmp_path, listed) == [
        "exceptions.yml:6:9: exceptions[0].rule: 'change-approval' is listed twice "
        "(first on line 4)"
    ]


def test_an_entry_can_name_a_deviation_id_or_an_event_uuid(tmp_path):
    uuid = "C2A54D56-C8CC-4062-AE6A-A179B58E41AC"
    register = load(
        tmp_path,
        register_text(
            ("BY-ID", "deviation: DEV-0123456789ab", "2026-12-31"),
            ("BY-EVENT", f"event: {uuid}", "2026-12-31"),
        ),
    )
    by_id, by_event = register.entries
    assert (by_id.deviation, by_id.event, by_id.sha, by_id.at) == ("DEV-0123456789ab", None,
                                                                   None, (4, 16))  # fmt: skip
    assert (by_event.event, by_event.at) == (uuid.lower(), (11, 12))
    record = by_event.record()
    assert (record["deviation"], record["event"]) == (None, uuid.lower())
    cited = Failure("approved by its requester", kind="self_approved_access", items=(uuid.lower(),))
    assert register.accepting("change-approval", "MS-ACC-03", cited, None).id == "BY-EVENT"


def test_a_malformed_deviation_id_or_two_scopes_are_located(tmp_path):
    found = problems(
        tmp_path,
        register_text(
            ("EXC-1", "deviation: DEV-12", "2026-12-31"),
            (
                "EXC-2",
                f"sha: {C1.sha}\n    event: 1b36fc84-93ce-4bc9-ac95-53b34ecd772a",
                "2026-12-31",
            ),
        ),
    )
    assert found[0].startswith(
        "exceptions.yml:4:16: exceptions[0].deviation: 'DEV-12' is not valid"
    )
    assert found[1] == (
        "exceptions.yml:9:5: give one of 'sha', 'window', 'deviation' or 'event' (the "
        "deviations it accepts)"
    )
