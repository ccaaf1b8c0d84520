"""manual: documents as evidence: hashed, their front matter read strictly, recurring occurrences.

Every deviation kind the rule declares (stale_document, not_performed, failed_result) and every
status it gives (no_deviations, deviations, design_only, not_tested) is produced here.
"""

from __future__ import annotations

import hashlib

import pytest
from evidence_builders import History, commit, installation, sha
from jsonschema import Draft202012Validator

from generator.evidence.context import RuleContext
from generator.evidence.documents import Result, result_label
from generator.evidence.registry import all_rules
from generator.history.model import FileVersion

RULE = all_rules()["manual"]
MANUAL = RULE.evaluate
DOC = "docs/risk-assessment.md"
PARAMS = {"document": DOC, "owner": "CISO", "max_age_days": 365}
LAST = commit("last", "2026-06-20T10:00:00Z")
BEFORE = commit("before", "2025-12-20T10:00:00Z")
AFTER = commit("after", "2026-07-02T10:00:00Z")  # after the period: never read


def doc(date: str, result: str | None = None, key: str = "date", extra: str = "") -> str:
    lines = ["---", "title: Risk assessment", f"{key}: {date}"]
    if result:
        lines.append(f"result: {result}")
    return "\n".join(lines) + f"\n{extra}---\n# Risk assessment\n"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def version(label: str, date: str, text: str | None) -> FileVersion:
    return FileVersion(sha(label), date, text)


def judge(versions=None, evidence_dir=None, params=PARAMS, files=None, path=DOC):
    history = History(
        installation=installation(evidence_dir=evidence_dir),
        commits=[BEFORE, LAST, AFTER],
        versions={path: versions} if versions is not None else {},
        files=files or {},
    )
    return MANUAL(RuleContext(history), params)


def current(text: str, **kwargs):
    """The document as in effect at the period end: changed by the period's last commit."""
    return judge([version("before", BEFORE.committed_at, None), _last(text)], **kwargs)


def _last(text: str) -> FileVersion:
    return FileVersion(LAST.sha, LAST.committed_at, text)


# --- one document in effect at the period end (max_age_days) ------------------------------------


def test_a_current_document_without_a_result_shows_design_only_and_is_hashed():
    text = doc("2026-03-01")
    result = current(text)
    assert result.status == "design_only"
    assert result.reason == (
        f"{DOC} (owner: CISO) is dated 2026-03-01, 121 days old at the period end (maximum 365). "
        "It shows the control is designed; it is recorded without a result, so nothing shows it "
        "operated in the period."
    )
    assert (result.population, result.passed, result.failed) == (0, 0, 0)
    assert result.cited == (LAST.sha,)
    assert result.last_evidence == "2026-03-01"
    (read,) = result.documents
    assert (read.path, read.source, read.commit) == (DOC, "repository", LAST.sha)
    assert read.sha256 == digest(text) and read.size == len(text.encode())
    assert result.details["documents"] == [
        {
            "document": f"{DOC}@{LAST.sha[:12]}",
            "date": "2026-03-01",
            "result": "none recorded",
            "sha256": digest(text),
        }
    ]


def test_staleness_to_the_day_is_a_stale_document_deviation():
    # The period ends 2026-06-30: 365 days before is 2025-06-30.
    assert current(doc("2025-06-30")).status == "design_only"
    stale = judge([FileVersion(BEFORE.sha, BEFORE.committed_at, doc("2025-06-29"))])
    assert stale.status == "deviations"
    assert stale.reason.startswith(
        f"{DOC} (owner: CISO) is dated 2025-06-29, 366 days old at the period end, older than "
        "its maximum of 365 days: it is stale."
    )
    (failure,) = stale.failures
    where = f"{DOC}@{BEFORE.sha[:12]}"
    assert (failure.kind, failure.sha, failure.items) == ("stale_document", BEFORE.sha, (where,))
    assert failure.message == f"{where} is dated 2025-06-29, 366 days old (maximum 365)"
    assert (stale.population, stale.passed, stale.failed) == (1, 0, 1)


def test_a_passed_test_performed_in_the_period_is_a_test_result():
    result = current(doc("2026-03-01", "pass"))
    assert result.status == "no_deviations"
    assert result.reason.endswith(
        "The test it records is dated in the period and recorded as passed."
    )
    assert (result.population, result.passed, result.failed) == (1, 1, 0)
    findings = current(doc("2026-03-01", "pass_with_findings"))
    assert findings.status == "no_deviations"
    assert findings.reason.endswith("dated in the period and recorded as passed with findings.")
    # The documents table a person reads gives the result in words, never the front matter's.
    assert [row["result"] for row in findings.details["documents"]] == ["passed with findings"]
    assert findings.documents[0].facts.result == "pass_with_findings"  # evidence.json's word


def test_each_result_has_its_words_defined_once():
    assert {r.value: r.label for r in Result} == {
        "pass": "passed",
        "pass_with_findings": "passed with findings",
        "fail": "failed",
    }
    assert result_label("fail") == "failed" and result_label(None) == "none recorded"
    with pytest.raises(ValueError):
        result_label("FAILED")


def test_a_passed_test_before_the_period_shows_design_only():
    result = judge([FileVersion(BEFORE.sha, BEFORE.committed_at, doc("2025-12-01", "pass"))])
    assert result.status == "design_only"
    assert "the test it records is dated before the period (recorded as passed)" in result.reason


def test_a_failed_result_is_a_deviation():
    result = current(doc("2026-03-01", "fail"))
    assert result.status == "deviations"
    (failure,) = result.failures
    where = f"{DOC}@{LAST.sha[:12]}"
    assert (failure.kind, failure.sha, failure.items) == ("failed_result", LAST.sha, (where,))
    assert failure.message == f"{where}, dated 2026-03-01, records a failed result"
    assert result.reason.endswith("It is recorded as failed.")
    assert (result.population, result.passed, result.failed) == (1, 0, 1)


def test_a_document_dated_after_the_period_is_not_tested(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / DOC).write_text(doc("2026-07-01"), encoding="utf-8")
    result = judge(evidence_dir=tmp_path)
    assert result.status == "not_tested"
    assert result.reason == (
        f"{DOC} (owner: CISO) is dated 2026-07-01, after the period end 2026-06-30."
    )


def test_only_versions_up_to_the_period_end_are_read():
    # The file exists only after the period (file_versions never lists that commit).
    result = judge([version("before", BEFORE.committed_at, None)])
    assert result.status == "not_tested"
    assert (
        result.reason
        == f"{DOC} (owner: CISO) was not found in the repository by the end of the period."
    )


def test_the_evidence_folder_is_the_fallback_and_its_bytes_are_hashed(tmp_path):
    (tmp_path / "docs").mkdir()
    raw = "\ufeff---\r\ndate: 2026-05-02T09:00:00+02:00\r\n---\r\n".encode()
    (tmp_path / DOC).write_bytes(raw)
    result = judge(evidence_dir=tmp_path)
    assert result.status == "design_only"
    (read,) = result.documents
    assert (read.source, read.commit, read.sha256) == (
        "evidence folder",
        None,
        hashlib.sha256(raw).hexdigest(),
    )
    assert result.cited == () and result.last_evidence == "2026-05-02"
    assert "sha" not in result.details


def test_missing_everywhere(tmp_path):
    result = judge(evidence_dir=tmp_path)
    assert result.status == "not_tested"
    assert result.reason == (
        f"{DOC} (owner: CISO) was not found in the repository by the end of the period or the "
        "evidence folder."
    )


def test_symlinks_out_of_the_evidence_folder_are_a_problem_not_a_document(tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text(doc("2026-05-02"), encoding="utf-8")
    folder = tmp_path / "evidence"
    (folder / "docs").mkdir(parents=True)
    (folder / DOC).symlink_to(outside)
    result = judge(evidence_dir=folder)
    assert result.status == "not_tested"
    assert result.details["problems"] == [f"{DOC}:1:1: points outside the evidence folder"]


def test_malformed_front_matter_is_not_tested_with_every_problem_located():
    text = "---\ndate: soon\nresult: FAILED\nperformed_by: [1]\n---\n"
    result = current(text)
    where = f"{DOC}@{LAST.sha[:12]}"
    assert result.status == "not_tested"
    assert result.details["problems"] == [
        f"{where}:2:7: 'date: 'soon'' is not a date (YYYY-MM-DD)",
        f"{where}:3:9: 'result: 'FAILED'' is not one of pass, pass_with_findings, fail",
        f"{where}:4:15: 'performed_by' must be a name or a list of names",
    ]
    assert result.reason.startswith(f"{DOC} (owner: CISO) cannot be read as evidence: {where}:2:7")
    assert result.documents[0].sha256 == digest(text)  # read and hashed, just not usable


def test_a_date_after_the_commit_that_recorded_it_is_a_located_problem():
    result = current(doc("2026-06-25"))  # LAST is 2026-06-20
    assert result.status == "not_tested"
    assert result.details["problems"] == [
        f"{DOC}@{LAST.sha[:12]}:3:1: is dated 2026-06-25, after the commit that recorded it "
        "(2026-06-20): a document cannot record what has not happened yet"
    ]


def test_date_key_and_yaml_documents():
    params = {**PARAMS, "document": "evidence/review.yaml", "date_key": "reviewed_on"}
    text = "reviewed_on: 2026-06-01\nresult: pass\n"
    result = judge([_last(text)], params=params, path="evidence/review.yaml")
    assert result.status == "no_deviations" and result.details["age_days"] == 29


# --- recurring controls (frequency) ------------------------------------------------------------

REVIEW = "docs/security/access-review.md"
QUARTERLY = {"document": REVIEW, "owner": "Security", "frequency": "quarterly"}
Q4 = commit("q4", "2025-12-10T16:45:00Z")
Q1 = commit("q1", "2026-03-11T16:45:00Z")
Q2 = commit("q2", "2026-06-17T16:45:00Z")


def review(date: str, result: str | None = "pass") -> str:
    return doc(date, result).replace("Risk assessment", "Access review")


def recurring(versions, params=QUARTERLY):
    return judge(versions, params=params, path=params.get("document", REVIEW))


def test_every_due_quarter_needs_its_own_occurrence():
    # The Q1 review is in git, the Q2 one is missing: the latest instance alone is not enough.
    versions = [
        FileVersion(Q4.sha, Q4.committed_at, review("2025-12-10")),
        FileVersion(Q1.sha, Q1.committed_at, review("2026-03-11")),
    ]
    result = recurring(versions)
    assert result.status == "deviations"
    (failure,) = result.failures
    assert failure.kind == "not_performed"
    assert failure.window == {"from": "2026-04-01", "to": "2026-06-30"}
    assert failure.message == "no occurrence dated in 2026-Q2 (2026-04-01..2026-06-30)"
    assert failure.items == ("docs/security/access-review.md",)
    assert (result.population, result.passed, result.failed) == (2, 1, 1)
    assert result.cited == (Q1.sha,)  # the December review evidences nothing of this period
    assert [row["verdict"] for row in result.details["schedule"]] == ["performed", "not performed"]
    assert result.reason == (
        "docs/security/access-review.md (owner: Security) is due every quarter. 2026-Q1: "
        "2026-03-11, recorded as passed. 2026-Q2: none, not performed. 1 of 2 requirements failed."
    )
    assert len(result.documents) == 2  # both read and hashed


def test_every_quarter_performed_and_passed_is_a_test_result():
    versions = [
        FileVersion(Q1.sha, Q1.committed_at, review("2026-03-11")),
        FileVersion(Q2.sha, Q2.committed_at, review("2026-06-17", "pass_with_findings")),
    ]
    result = recurring(versions)
    assert result.status == "no_deviations" and result.failures == ()
    assert (result.population, result.passed, result.failed) == (2, 2, 0)
    assert result.reason == (
        "docs/security/access-review.md (owner: Security) is due every quarter. 2026-Q1: "
        "2026-03-11, recorded as passed. 2026-Q2: 2026-06-17, recorded as passed with findings. "
        "Every occurrence relied on is recorded as passed; 2 dated in the period."
    )
    assert result.last_evidence == "2026-06-17"


def test_occurrences_without_a_result_show_design_only():
    versions = [
        FileVersion(Q1.sha, Q1.committed_at, review("2026-03-11", None)),
        FileVersion(Q2.sha, Q2.committed_at, review("2026-06-17", None)),
    ]
    result = recurring(versions)
    assert result.status == "design_only"
    assert result.reason == (
        "docs/security/access-review.md (owner: Security) is due every quarter. 2026-Q1: "
        "2026-03-11, recorded without a result. 2026-Q2: 2026-06-17, recorded without a result. "
        "Not every occurrence relied on records a result, so nothing shows the control operated as "
        "intended."
    )
    assert (result.population, result.passed, result.failed) == (0, 0, 0)


def test_a_later_edit_of_the_same_occurrence_replaces_it():
    edit = commit("q1-signed", "2026-03-20T09:00:00Z")
    versions = [
        FileVersion(Q1.sha, Q1.committed_at, review("2026-03-11", None)),
        FileVersion(edit.sha, edit.committed_at, review("2026-03-11", "pass")),
        FileVersion(Q2.sha, Q2.committed_at, review("2026-06-17")),
    ]
    result = recurring(versions)
    assert result.status == "no_deviations"
    assert result.cited == (edit.sha, Q2.sha)


YEARLY = {
    "document": "docs/security/penetration-test.md",
    "owner": "Security",
    "frequency": "yearly",
}


def pentest(label: str, committed: str, date: str, result: str = "pass") -> FileVersion:
    return FileVersion(sha(label), committed, review(date, result))


def test_a_yearly_test_before_the_period_counts_within_one_year_and_the_pack_says_so():
    result = recurring([pentest("oct", "2025-10-23T16:45:00Z", "2025-10-23")], YEARLY)
    assert result.status == "design_only"
    assert result.failures == ()
    assert result.reason == (
        "docs/security/penetration-test.md (owner: Security) is due every year. 2026 (open at "
        "the period end): 2025-10-23, recorded as passed. Evidence dated before the period "
        "(2025-10-23) counts only because it is within one year before the period start (from "
        "2025-01-01). None was performed in the period, so nothing shows the control operated "
        "in it."
    )
    assert result.details["earliest_counted"] == "2025-01-01"


def test_a_yearly_test_older_than_a_year_is_a_stale_document():
    # The planted Globex penetration test: 651 days old at the period end.
    old = pentest("sep", "2024-09-17T16:45:00Z", "2024-09-17")
    result = recurring([old], YEARLY)
    assert result.status == "deviations"
    (failure,) = result.failures
    where = f"docs/security/penetration-test.md@{old.sha[:12]}"
    assert (failure.kind, failure.sha, failure.items) == ("stale_document", old.sha, (where,))
    assert failure.message == (
        f"the newest occurrence, {where} dated 2024-09-17, is more than one year old at the "
        "period end"
    )
    assert result.reason == (
        "docs/security/penetration-test.md (owner: Security) is due every year. 2026 (open at "
        "the period end): no occurrence within one year before the period end, stale. Older "
        "evidence (2024-09-17) does not count. 1 of 1 requirement failed."
    )
    assert (result.population, result.passed, result.failed) == (1, 0, 1)


def test_a_failed_occurrence_in_the_period_is_a_failed_result():
    result = recurring([pentest("mar", "2026-03-18T16:45:00Z", "2026-03-18", "fail")], YEARLY)
    assert result.status == "deviations"
    assert [f.kind for f in result.failures] == ["failed_result"]
    assert result.reason.endswith(
        "2026 (open at the period end): 2026-03-18, recorded as failed. 1 of 1 requirement failed."
    )


def test_no_version_at_all_is_not_tested():
    result = recurring([version("before", BEFORE.committed_at, None)], YEARLY)
    assert result.status == "not_tested"


def test_dated_files_matching_a_pattern_are_the_occurrences():
    params = {
        "documents": "docs/reviews/access-*.md",
        "owner": "Security",
        "frequency": "quarterly",
    }
    files = {
        ("docs/reviews/access-2026-q1.md", LAST.sha): review("2026-03-11"),
        ("docs/reviews/access-2026-q2.md", LAST.sha): review("2026-06-17"),
        ("docs/reviews/other.md", LAST.sha): review("2026-06-01", "fail"),
        ("docs/reviews/sub/access-x.md", LAST.sha): review("2026-06-01", "fail"),
    }
    history = History(installation=installation(), commits=[BEFORE, LAST, AFTER], files=files)
    result = MANUAL(RuleContext(history), params)
    assert result.status == "no_deviations"
    assert [d.path for d in result.documents] == [
        "docs/reviews/access-2026-q1.md",
        "docs/reviews/access-2026-q2.md",
    ]
    history = History(
        installation=installation(),
        commits=[BEFORE, LAST, AFTER],
        files=dict(list(files.items())[:1]),
    )
    missed = MANUAL(RuleContext(history), params)
    assert [f.kind for f in missed.failures] == ["not_performed"]


def test_dated_files_in_the_evidence_folder(tmp_path):
    params = {"documents": "reviews/*.md", "owner": "Security", "frequency": "half-yearly"}
    (tmp_path / "reviews").mkdir()
    (tmp_path / "reviews" / "2026-h1.md").write_text(review("2026-05-02"), encoding="utf-8")
    history = History(installation=installation(evidence_dir=tmp_path), commits=[LAST])
    result = MANUAL(RuleContext(history), params)
    # passed and dated in the period, but only by its own word: outside version control
    assert result.status == "design_only"
    assert (result.population, result.passed, result.failed) == (0, 0, 0)
    assert result.documents[0].source == "evidence folder"
    assert result.documents[0].written is None
    assert result.reason.endswith(
        "Every occurrence relied on is recorded as passed, but only by itself: it shows the "
        "control is designed, and nothing shows it operated in the period. reviews/2026-h1.md is "
        "read from the evidence folder, not under version control: its date and result are "
        "self-declared, with no history showing when it was written or by whom."
    )


def test_a_passed_document_in_the_evidence_folder_is_design_only_a_failed_one_a_deviation(
    tmp_path,
):
    (tmp_path / "docs").mkdir()
    (tmp_path / DOC).write_text(doc("2026-03-01", "pass"), encoding="utf-8")
    result = judge(evidence_dir=tmp_path)
    assert result.status == "design_only" and result.population == 0
    assert "it is dated in the period and recorded as passed, but self-declared" in result.reason
    assert "not under version control" in result.reason
    (tmp_path / DOC).write_text(doc("2026-03-01", "fail"), encoding="utf-8")
    failed = judge(evidence_dir=tmp_path)  # a document admitting a failure is still one
    assert failed.status == "deviations"
    assert [f.kind for f in failed.failures] == ["failed_result"]
    assert failed.reason.endswith("with no history showing when it was written or by whom.")


def test_the_same_document_in_the_repository_is_a_test_result_with_who_wrote_it():
    result = judge([version("last", LAST.committed_at, doc("2026-03-01", "pass"))])
    assert result.status == "no_deviations"
    (read,) = result.documents
    assert read.written is not None
    assert (read.written.sha, read.written.author, read.written.committer) == (
        LAST.sha,
        LAST.author,
        LAST.committer,
    )


def test_params_say_what_and_how_often_exactly_once():
    validator = Draft202012Validator(RULE.params_schema)
    ok = [
        PARAMS,
        QUARTERLY,
        {"documents": "docs/r/*.md", "owner": "x", "frequency": "monthly"},
    ]
    bad = [
        {"owner": "x", "max_age_days": 1},  # nothing to read
        {**PARAMS, "documents": "a/*.md"},  # both
        {**PARAMS, "frequency": "yearly"},  # both
        {"documents": "docs/r/*.md", "owner": "x", "max_age_days": 3},  # files need a frequency
        {"documents": "docs/*/r.md", "owner": "x", "frequency": "yearly"},  # wildcard in folder
        {**QUARTERLY, "frequency": "weekly"},
    ]
    assert [list(validator.iter_errors(p)) for p in ok] == [[], [], []]
    assert all(list(validator.iter_errors(p)) for p in bad)


def test_the_rule_declares_the_kinds_it_produces():
    assert set(RULE.deviation_kinds) == {"not_performed", "stale_document", "failed_result"}


def test_the_model_lists_each_document_version_once_with_the_controls_reading_it():
    from generator.evidence.evaluate import document_records, evaluate_library
    from generator.library import Control, EvidenceSpec, Implementation

    def control(control_id: str, params: dict) -> Control:
        return Control(
            id=control_id,
            title="Access is reviewed",
            description="Quarterly access review.",
            owner="Security",
            responsibility="shared",
            implements=(Implementation("iso27001:2022/A.5.18", "full", "Reviews."),),
            evidence=(EvidenceSpec("manual", params),),
            path=f"controls/meshstack/{control_id}.yaml",
            proves="Each quarterly review is recorded.",
            does_not_prove="What the review covered.",
            customer_part="Take part in each review.",
        )

    q1 = review("2026-03-11").replace(
        "result: pass", "result: pass\nperiod: 2026-01-01..2026-03-31"
    )
    versions = [
        FileVersion(Q4.sha, Q4.committed_at, review("2025-12-10")),
        FileVersion(Q1.sha, Q1.committed_at, q1),
    ]
    history = History(commits=[Q4, Q1, LAST], versions={REVIEW: versions})
    evaluations = evaluate_library(
        [control("MS-ACC-02", QUARTERLY), control("MS-IAM-02", {**QUARTERLY, "owner": "CISO"})],
        RuleContext(history),
    )
    records = document_records(evaluations)
    assert [(r.commit, r.date, r.controls) for r in records] == [
        (Q4.sha, "2025-12-10", ("MS-ACC-02", "MS-IAM-02")),
        (Q1.sha, "2026-03-11", ("MS-ACC-02", "MS-IAM-02")),
    ]
    assert records[1].sha256 == digest(q1)
    assert (records[1].covers.start, records[1].covers.end) == ("2026-01-01", "2026-03-31")
    result = evaluations[0].results[0].record()
    assert result.documents == (digest(review("2025-12-10")), digest(q1))


def test_dated_files_are_read_in_the_tree_in_effect_at_the_period_end():
    # No commit in the period: the files as of the last commit before it still count (and a
    # commit after the period never does).
    params = {"documents": "docs/pentests/*.md", "owner": "Security", "frequency": "yearly"}
    files = {
        ("docs/pentests/2025.md", BEFORE.sha): review("2025-11-20"),
        ("docs/pentests/2026.md", AFTER.sha): review("2026-07-01"),
    }
    history = History(installation=installation(), commits=[BEFORE, AFTER], files=files)
    result = MANUAL(RuleContext(history), params)
    assert result.status == "design_only"
    assert [(d.path, d.commit) for d in result.documents] == [("docs/pentests/2025.md", BEFORE.sha)]
