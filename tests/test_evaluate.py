"""Evaluating controls: roll-up order, accepted exceptions, bad evidence entries, record shape."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from importlib import resources

import pytest
from evidence_builders import ANN, History, change, promotion, sha
from jsonschema import Draft202012Validator

from generator.errors import BuildError, InputError
from generator.evidence import evaluate as evaluate_module
from generator.evidence.codec import to_plain
from generator.evidence.context import RuleContext
from generator.evidence.deviations import (
    canonical,
    deviation_id,
    deviation_records,
    summary_counts,
)
from generator.evidence.evaluate import (
    evaluate_control,
    evaluate_library,
    exception_records,
)
from generator.evidence.exceptions import ExceptionsRegister, RegisteredException
from generator.evidence.model import DeviationCounts
from generator.evidence.registry import Failure, Rule, RuleResult
from generator.library import Control, EvidenceSpec, Implementation
from generator.status import BY_RANK, Status, weakest

CHANGES = [
    change("ok", "2026-01-10T10:00:00Z"),
    change("unapproved", "2026-02-10T10:00:00Z", approvers=()),
    change("self", "2026-03-10T10:00:00Z", author=ANN, approvers=(ANN,)),
]
CONTEXT = RuleContext(
    History(
        changes=CHANGES,
        promotions=[promotion("2026.1.0", "2026-01-01T00:00:00Z", "2026-01-05T00:00:00Z")],
    )
)
APPROVAL = EvidenceSpec("change-approval", {"roles": ["production"]})
STAGING = EvidenceSpec("staging-before-production", {"min_hours": 24})
MANUAL = EvidenceSpec("manual", {"document": "missing.md", "owner": "CISO", "max_age_days": 1})


def control(*evidence: EvidenceSpec, control_id: str = "MS-CHG-01") -> Control:
    return Control(
        id=control_id,
        title="Changes are approved",
        description="Every change is approved by a second person.",
        owner="Platform team",
        responsibility="shared",
        implements=(Implementation("iso27001:2022/A.8.32", "full", "Approval of changes."),),
        evidence=evidence,
        path=f"controls/meshstack/{control_id}.yaml",
        proves="Approvals are recorded.",
        does_not_prove="That approvers read the change.",
        customer_part="Approve production changes.",
    )


def entry(exception_id: str, failing_sha: str, **changes) -> RegisteredException:
    fields = {
        "id": exception_id,
        "rules": ("change-approval",),
        "control": None,
        "sha": failing_sha,
        "window": None,
        "deviation": None,
        "event": None,
        "justification": "Emergency fix.",
        "accepted_by": "Jane Doe (CISO)",
        "ticket": "SEC-1",
        "expires": dt.date(2026, 12, 31),
        "status": "active",
        "path": "exceptions.yml",
        "line": 2,
    }
    return RegisteredException(**{**fields, **changes})


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["no_deviations", "deviations"], "deviations"),
        (["deviations", "not_tested", "no_deviations"], "deviations"),
        (["not_tested", "design_only", "no_deviations"], "not_tested"),
        (["design_only", "no_deviations"], "design_only"),
        (["no_deviations", "not_applicable"], "no_deviations"),
        (["not_applicable", "deviations"], "deviations"),
        (["not_applicable", "not_applicable"], "not_applicable"),
        (["no_deviations"], "no_deviations"),
        ([], "not_tested"),
        ([None, "no_deviations", None], "no_deviations"),
    ],
)
def test_weakest_wins(statuses, expected):
    rolled_up = weakest(statuses)
    assert rolled_up == expected
    assert isinstance(rolled_up, Status)


def test_status_rank_orders_weakest_first_and_words_parse():
    assert BY_RANK == (
        Status.DEVIATIONS,
        Status.NOT_TESTED,
        Status.DESIGN_ONLY,
        Status.NO_DEVIATIONS,
        Status.NOT_APPLICABLE,
    )
    assert [s.rank for s in BY_RANK] == [0, 1, 2, 3, 4]
    assert Status.parse("deviations") is Status.DEVIATIONS
    assert Status.parse(Status.NO_DEVIATIONS) is Status.NO_DEVIATIONS
    # The old words are gone.
    for old in ("effective", "exception", "not_evidenced", "passed"):
        assert Status.parse(old) is None
    assert Status.parse(None) is None
    # Written to JSON as the word itself.
    assert json.dumps({"s": Status.NOT_TESTED}) == '{"s": "not_tested"}'


def test_every_status_has_its_words_and_one_sentence():
    labels = [s.label for s in Status]
    assert len(set(labels)) == len(labels)
    assert Status.NO_DEVIATIONS.label == "No deviations found"
    for status in Status:
        assert status.label[0].isupper() and "_" not in status.label
        assert status.meaning.endswith(".") and status.meaning.count(". ") == 0
        assert "effective" not in f"{status.label} {status.meaning}".lower()


def test_a_plugin_result_with_the_status_word_is_held_as_the_enum(monkeypatch):
    rule = Rule(
        "word-status",
        "A plugin giving the word.",
        {"type": "object"},
        lambda context, params: RuleResult("no_deviations", "All fine."),
    )
    monkeypatch.setattr(evaluate_module, "all_rules", lambda: {rule.kind: rule})
    evaluation = evaluate_control(control(EvidenceSpec("word-status", {})), CONTEXT)
    assert evaluation.results[0].result.status is Status.NO_DEVIATIONS


def _plugin(monkeypatch, result: RuleResult, kinds=None) -> Control:
    rule = Rule(
        "odd-rule",
        "A plugin breaking the vocabulary's contract.",
        {"type": "object"},
        lambda context, params: result,
        deviation_kinds=kinds or {"late": "Too late."},
    )
    monkeypatch.setattr(evaluate_module, "all_rules", lambda: {rule.kind: rule})
    return control(EvidenceSpec("odd-rule", {}))


def test_a_deviation_of_a_kind_its_rule_does_not_declare_is_a_build_error(monkeypatch):
    failure = Failure("too early", sha("ok"), kind="early")
    odd = _plugin(monkeypatch, RuleResult(Status.DEVIATIONS, "Bad.", failures=(failure,)))
    message = r"rule 'odd-rule' reported a deviation of kind 'early'.*\(declared: late\)"
    with pytest.raises(BuildError, match=message):
        evaluate_control(odd, CONTEXT)


@pytest.mark.parametrize(
    ("status", "failures"),
    [
        (Status.NO_DEVIATIONS, (Failure("x", kind="late"),)),
        (Status.DEVIATIONS, ()),
        (Status.NOT_APPLICABLE, ()),
    ],
)
def test_deviations_exactly_when_failures_and_never_not_applicable(monkeypatch, status, failures):
    odd = _plugin(monkeypatch, RuleResult(status, "Odd.", failures=failures))
    with pytest.raises(BuildError, match="rule 'odd-rule' returned"):
        evaluate_control(odd, CONTEXT)


def _figures_and_judged(monkeypatch) -> tuple[EvidenceSpec, EvidenceSpec]:
    """A rule declaring no deviation kinds (it can find none) beside one that judges."""
    figures = Rule(
        "figures",
        "Counts things; can find no deviation.",
        {"type": "object"},
        lambda context, params: RuleResult(Status.NO_DEVIATIONS, "12 grants.", population=12),
    )
    judged = Rule(
        "judged",
        "Judges a document.",
        {"type": "object"},
        lambda context, params: RuleResult(Status.DESIGN_ONLY, "A description is current."),
        deviation_kinds={"stale": "Too old."},
    )
    rules = {figures.kind: figures, judged.kind: judged}
    monkeypatch.setattr(evaluate_module, "all_rules", lambda: rules)
    return EvidenceSpec("figures", {}), EvidenceSpec("judged", {})


def test_a_rule_that_can_find_no_deviation_does_not_count_towards_the_status(monkeypatch):
    figures, judged = _figures_and_judged(monkeypatch)
    evaluation = evaluate_control(control(figures, judged), CONTEXT)
    # weakest of all results would be design_only too; the figures must not lift it, and alone
    # they make nothing "no deviations"
    assert evaluation.status == "design_only"
    assert evaluation.reason == (
        "A description is current. figures reports figures only (it can find no deviation) and "
        "does not count towards the status."
    )
    record = evaluation.record()
    assert [r.informational for r in record.results] == [True, False]
    assert [r.status for r in record.results] == ["no_deviations", "design_only"]

    alone = evaluate_control(control(figures), CONTEXT)
    assert alone.status == "not_tested"
    assert alone.reason == (
        "Its rules (figures) report figures only and can find no deviation, so nothing tests "
        "this control."
    )


def test_a_control_takes_its_weakest_result():
    evaluation = evaluate_control(control(STAGING, APPROVAL), CONTEXT)
    assert [e.result.status for e in evaluation.results] == ["no_deviations", "deviations"]
    assert evaluation.status == "deviations"
    assert evaluation.reason == (
        "2 of 3 production changes were not properly approved: 1 without an approver, "
        "1 self-approved. The other 1 passed, only as an approval line naming the approver, "
        "written by whoever made the commit (not made or signed by the approver)."
    )
    assert evaluation.last_evidence == "2026-03-10"
    assert evaluation.results[1].accepted == (None, None)
    # Production accepts an approval line: what the control does not show says what it is.
    limit = evaluation.results[1].result.does_not_show
    assert limit and evaluation.does_not_prove == f"That approvers read the change. {limit[0]}"
    assert evaluation.record().does_not_prove == evaluation.does_not_prove
    assert evaluate_control(control(STAGING), CONTEXT).does_not_prove == (
        "That approvers read the change."
    )


def test_not_tested_beats_design_only_and_all_deciding_reasons_are_given():
    evaluation = evaluate_control(control(STAGING, MANUAL, MANUAL), CONTEXT)
    assert evaluation.status == "not_tested"
    reason = "missing.md (owner: CISO) was not found in the repository by the end of the period."
    assert evaluation.reason == f"{reason} {reason}"


def test_deviations_beat_not_tested():
    evaluation = evaluate_control(control(APPROVAL, MANUAL), CONTEXT)
    assert evaluation.status == "deviations"
    assert evaluation.reason.startswith("2 of 3 production changes were not properly approved")


def test_a_control_without_evidence_is_not_tested():
    evaluation = evaluate_control(control(), CONTEXT)
    assert evaluation.status == "not_tested"
    assert evaluation.reason == "No evidence is mapped to this control, so it is not tested."
    assert evaluation.last_evidence is None


def test_accepted_deviations_keep_the_deviations_status_and_are_counted():
    register = ExceptionsRegister((entry("EXC-1", sha("unapproved")),))
    evaluation = evaluate_control(control(APPROVAL), CONTEXT, register)
    assert evaluation.status == "deviations"
    assert evaluation.results[0].accepted == ("EXC-1", None)
    assert evaluation.reason.endswith(
        " 1 of 2 deviations is accepted in the exceptions register (EXC-1); 1 is open."
    )
    record = to_plain(evaluation.record())
    failures = record["results"][0]["failures"]
    assert [(f["kind"], f["sha"], f["state"], f["exception"]) for f in failures] == [
        ("unapproved", sha("unapproved"), "accepted", "EXC-1"),
        ("self_approved", sha("self"), "open", None),
    ]
    assert record["deviations"] == {"open": 1, "accepted": 1}


def test_exceptions_only_apply_to_their_control_and_rule():
    register = ExceptionsRegister(
        (
            entry("OTHER", sha("unapproved"), control="MS-CHG-02"),
            entry("MINE", sha("self"), control="MS-CHG-01"),
            entry("SIGNING", sha("unapproved"), rules=("signed-changes",)),
        )
    )
    evaluations = evaluate_library(
        [control(APPROVAL, control_id="MS-CHG-02"), control(APPROVAL)], CONTEXT, register
    )
    assert [e.id for e in evaluations] == ["MS-CHG-01", "MS-CHG-02"]
    assert evaluations[0].results[0].accepted == (None, "MINE")
    assert evaluations[1].results[0].accepted == ("OTHER", None)
    report = to_plain(exception_records(register, evaluations))
    assert [(r["id"], r["status"], r["matched"]) for r in report] == [
        ("MINE", "active", [deviation_id("self_approved", sha("self"))]),
        ("OTHER", "active", [deviation_id("unapproved", sha("unapproved"))]),
        ("SIGNING", "unused", []),
    ]


def test_an_expired_exception_accepts_nothing():
    register = ExceptionsRegister((entry("OLD", sha("unapproved"), status="expired"),))
    evaluations = evaluate_library([control(APPROVAL)], CONTEXT, register)
    assert evaluations[0].results[0].accepted == (None, None)
    assert exception_records(register, evaluations)[0].status == "expired"


UUID = "c2a54d56-c8cc-4062-ae6a-a179b58e41ac"


def test_an_entry_names_a_deviation_by_its_id_or_an_event_it_cites(monkeypatch):
    failure = Failure("approved by its requester", kind="late", items=(UUID, "other-uuid"))
    odd = _plugin(monkeypatch, RuleResult(Status.DEVIATIONS, "Bad.", failures=(failure,)))
    ident = deviation_id("late", None, (UUID, "other-uuid"), None)
    for scope in ({"deviation": ident}, {"event": UUID}):
        register = ExceptionsRegister((entry("EXC-1", None, rules=("odd-rule",), **scope),))
        evaluations = evaluate_library([odd], CONTEXT, register)
        assert evaluations[0].results[0].accepted == ("EXC-1",), scope
        assert to_plain(exception_records(register, evaluations))[0]["matched"] != []


@pytest.mark.parametrize(
    ("scope", "rules", "message"),
    [
        ({"deviation": "DEV-000000000000"}, ("odd-rule",),
         "exceptions.yml:4:16: exception EXC-1: unknown deviation DEV-000000000000: no deviation "
         "of this pack has that id (the pack's deviations list their ids and the events they "
         "cite)"),
        ({"event": "00000000-0000-0000-0000-000000000000"}, ("odd-rule",),
         "exceptions.yml:4:16: exception EXC-1: unknown event 00000000-0000-0000-0000-000000000000:"
         " no deviation of this pack cites it (the pack's deviations list their ids and the "
         "events they cite)"),
        ({"event": UUID}, ("change-approval",),
         f"exceptions.yml:4:16: exception EXC-1: event {UUID} is a deviation of odd-rule, a rule "
         "the entry does not list (change-approval)"),
    ],
)  # fmt: skip
def test_an_unknown_deviation_id_or_event_is_an_input_error_at_its_line(
    monkeypatch, scope, rules, message
):
    failure = Failure("approved by its requester", kind="late", items=(UUID,))
    odd = _plugin(monkeypatch, RuleResult(Status.DEVIATIONS, "Bad.", failures=(failure,)))
    register = ExceptionsRegister((entry("EXC-1", None, rules=rules, at=(4, 16), **scope),))
    with pytest.raises(InputError) as caught:
        evaluate_library([odd], CONTEXT, register)
    assert [str(p) for p in caught.value.problems] == [message]
    # An expired entry accepts nothing and is not checked.
    expired = ExceptionsRegister((entry("EXC-1", None, rules=rules, status="expired", **scope),))
    assert evaluate_library([odd], CONTEXT, expired)[0].results[0].accepted == (None,)


def test_exceptions_for_unknown_controls_are_input_errors():
    register = ExceptionsRegister((entry("EXC-1", sha("self"), control="MS-XYZ-01"),))
    with pytest.raises(InputError, match="exception EXC-1: unknown control 'MS-XYZ-01'"):
        evaluate_library([control(APPROVAL)], CONTEXT, register)


def test_an_unknown_rule_kind_is_an_input_error():
    with pytest.raises(InputError) as caught:
        evaluate_control(control(APPROVAL, EvidenceSpec("change-aproval", {})), CONTEXT)
    (problem,) = caught.value.problems
    assert str(problem).startswith(
        "controls/meshstack/MS-CHG-01.yaml:1:1: MS-CHG-01 evidence[1]: unknown evidence kind "
        "'change-aproval' (known: access-activity, access-expiry, access-four-eyes, "
        "access-removal, approval-gate, change-approval,"
    )


def test_invalid_params_are_input_errors():
    spec = EvidenceSpec("change-approval", {"roles": [], "min_approver": 2})
    with pytest.raises(InputError) as caught:
        evaluate_control(control(spec), CONTEXT)
    assert [str(p) for p in caught.value.problems] == [
        "controls/meshstack/MS-CHG-01.yaml:1:1: MS-CHG-01 evidence[0] (change-approval) params: "
        "Additional properties are not allowed ('min_approver' was unexpected)",
        "controls/meshstack/MS-CHG-01.yaml:1:1: MS-CHG-01 evidence[0] (change-approval) params: "
        "[] should be non-empty",
    ]


def test_a_crashing_rule_is_a_build_error_not_a_traceback(monkeypatch):
    def explode(context, params):
        raise ZeroDivisionError("division by zero")

    broken = Rule("broken", "Always crashes.", {"type": "object"}, explode)
    monkeypatch.setattr(evaluate_module, "all_rules", lambda: {"broken": broken})
    with pytest.raises(BuildError, match=r"MS-CHG-01 evidence\[0\]: rule 'broken' failed: "):
        evaluate_control(control(EvidenceSpec("broken", {})), CONTEXT)


def test_a_rule_returning_a_bad_status_is_a_build_error(monkeypatch):
    odd = Rule("odd", "Odd.", {"type": "object"}, lambda c, p: RuleResult("fine", "All fine."))
    monkeypatch.setattr(evaluate_module, "all_rules", lambda: {"odd": odd})
    with pytest.raises(BuildError, match="returned no valid RuleResult"):
        evaluate_control(control(EvidenceSpec("odd", {})), CONTEXT)


def test_records_match_the_evidence_json_schema():
    schema = json.loads(
        resources.files("generator.schemas").joinpath("evidence.schema.json").read_text("utf-8")
    )
    controls_schema = {**schema["properties"]["controls"], "$defs": schema["$defs"]}
    register = ExceptionsRegister((entry("EXC-1", sha("unapproved")),))
    evaluations = evaluate_library(
        [control(APPROVAL, STAGING), control(MANUAL, control_id="MS-DOC-01")], CONTEXT, register
    )
    records = to_plain([e.record() for e in evaluations])
    Draft202012Validator(controls_schema).validate(records)
    # Plain JSON: the records survive a round trip unchanged.
    assert json.loads(json.dumps(records)) == records
    assert records[0]["results"][0]["figures"] == {"population": 3, "passed": 1, "failed": 2}
    assert records[0]["implements"] == [
        {"ref": "iso27001:2022/A.8.32", "coverage": "full", "rationale": "Approval of changes."}
    ]


def test_a_deviation_under_two_controls_is_listed_and_counted_once():
    # EXC-1 accepts the unapproved change under MS-CHG-01 only: under MS-CHG-02 it stays open.
    register = ExceptionsRegister((entry("EXC-1", sha("unapproved"), control="MS-CHG-01"),))
    evaluations = evaluate_library(
        [control(APPROVAL), control(APPROVAL, control_id="MS-CHG-02")], CONTEXT, register
    )
    controls = [e.record() for e in evaluations]
    assert [c.deviations for c in controls] == [DeviationCounts(1, 1), DeviationCounts(2, 0)]
    listed = deviation_records(controls)
    assert [(d.kind, d.sha, d.controls, d.state) for d in listed] == [
        ("self_approved", sha("self"), ("MS-CHG-01", "MS-CHG-02"), "open"),
        ("unapproved", sha("unapproved"), ("MS-CHG-01", "MS-CHG-02"), "open"),
    ]
    assert summary_counts(listed) == DeviationCounts(open=2, accepted=0)
    # The same ids as each control's records give them, and an id anyone can recompute.
    ids = {f.id for c in controls for r in c.results for f in r.failures}
    assert ids == {d.id for d in listed}
    text = json.dumps(
        {"items": [], "kind": "unapproved", "sha": sha("unapproved"), "window": None},
        sort_keys=True,
        separators=(",", ":"),
    )
    expected = "DEV-" + hashlib.sha256(text.encode()).hexdigest()[:12]
    assert next(d.id for d in listed if d.kind == "unapproved") == expected


def test_a_deviation_accepted_wherever_it_shows_is_accepted_once():
    register = ExceptionsRegister((entry("EXC-1", sha("unapproved")),))
    evaluations = evaluate_library(
        [control(APPROVAL), control(APPROVAL, control_id="MS-CHG-02")], CONTEXT, register
    )
    listed = deviation_records([e.record() for e in evaluations])
    accepted = [d for d in listed if d.state == "accepted"]
    assert [(d.kind, d.exception) for d in accepted] == [("unapproved", "EXC-1")]
    assert summary_counts(listed) == DeviationCounts(open=1, accepted=1)


def test_deviations_are_listed_by_kind_and_id_with_each_control_once_in_order():
    # Controls given out of id order, one of them showing each deviation under two results: the
    # record names each control once, sorted, and the first showing's rule.
    register = ExceptionsRegister((entry("EXC-1", sha("unapproved"), control="MS-CHG-09"),))
    evaluations = evaluate_library(
        [control(APPROVAL, APPROVAL, control_id="MS-CHG-09"), control(APPROVAL)], CONTEXT, register
    )
    controls = [e.record() for e in reversed(evaluations)]
    assert [c.id for c in controls] == ["MS-CHG-09", "MS-CHG-01"]
    listed = deviation_records(controls)
    assert [(d.kind, d.controls, d.state, d.exception) for d in listed] == [
        ("self_approved", ("MS-CHG-01", "MS-CHG-09"), "open", None),
        ("unapproved", ("MS-CHG-01", "MS-CHG-09"), "open", None),
    ]
    alone = deviation_records(controls[:1])
    assert [(d.controls, d.state, d.exception) for d in alone] == [
        (("MS-CHG-09",), "open", None),
        (("MS-CHG-09",), "accepted", "EXC-1"),
    ]


def test_a_deviation_ids_text_is_the_documented_canonical_json():
    """docs/auditors.md: keys sorted, no spaces, non-ASCII kept as it is."""
    window = {"to": "2026-01-02T00:00:00Z", "from": "2026-01-01T00:00:00Z", "hours": 24}
    text = canonical("assertion_failed", "a" * 40, ("environments/prod/übung.yaml",), window)
    identity = {"kind": "assertion_failed", "sha": "a" * 40,
                "items": ["environments/prod/übung.yaml"], "window": window}  # fmt: skip
    assert text == json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert text.startswith('{"items":["environments/prod/übung.yaml"],"kind":"assertion_failed"')
