"""manual: where the document is read from, its date, and staleness to the day."""

from __future__ import annotations

from evidence_builders import History, commit, installation, sha

from generator.evidence.context import RuleContext
from generator.evidence.registry import Failure, all_rules

MANUAL = all_rules()["manual"].evaluate
DOC = "docs/risk-assessment.md"
PARAMS = {"document": DOC, "owner": "CISO", "max_age_days": 365}
LAST = commit("last", "2026-06-20T10:00:00Z")
AFTER = commit("after", "2026-07-02T10:00:00Z")  # after the period: never read


def with_front_matter(date: str, key: str = "date") -> str:
    return f"---\ntitle: Risk assessment\n{key}: {date}\n---\n# Risk assessment\n"


def judge(files=None, evidence_dir=None, params=PARAMS, commits=(LAST, AFTER)):
    history = History(
        installation=installation(evidence_dir=evidence_dir),
        commits=list(commits),
        files=files or {},
    )
    return MANUAL(RuleContext(history), params)


def test_a_current_document_in_the_repository_is_design_only():
    result = judge({(DOC, LAST.sha): with_front_matter("2026-03-01")})
    assert result.status == "design_only"
    assert result.reason == (
        f"{DOC} (owner: CISO) is dated 2026-03-01, 121 days old at the period end (maximum 365); "
        "it shows the control is designed, not that it operated."
    )
    assert result.failures == ()
    assert result.cited == (sha("last"),)
    assert result.last_evidence == "2026-03-01"
    assert result.details["source"] == "repository"
    assert (result.population, result.passed, result.failed) == (1, 1, 0)


def test_staleness_to_the_day():
    # The period ends 2026-06-30: 365 days before is 2025-06-30.
    assert judge({(DOC, LAST.sha): with_front_matter("2025-06-30")}).status == "design_only"
    stale = judge({(DOC, LAST.sha): with_front_matter("2025-06-29")})
    # A stale document is a control that did not operate when due: a deviation, not a gap.
    assert stale.status == "deviations"
    assert stale.failures == (
        Failure(
            f"{DOC} dated 2025-06-29, 366 days old (maximum 365)",
            kind="stale_document",
            items=(DOC,),
        ),
    )
    assert stale.reason == (
        f"{DOC} (owner: CISO) is stale: dated 2025-06-29, 366 days old at the period end "
        "(maximum 365)."
    )
    assert stale.last_evidence == "2025-06-29"
    assert (stale.population, stale.passed, stale.failed) == (1, 0, 1)


def test_a_document_dated_after_the_period_does_not_evidence_it():
    result = judge({(DOC, LAST.sha): with_front_matter("2026-07-01")})
    assert result.status == "not_tested"
    assert (
        result.reason
        == f"{DOC} (owner: CISO) is dated 2026-07-01, after the period end 2026-06-30."
    )


def test_the_document_is_read_at_the_last_commit_of_the_period(tmp_path):
    # Only the version after the period has the document: it must not count.
    result = judge({(DOC, AFTER.sha): with_front_matter("2026-03-01")})
    assert result.status == "not_tested"
    assert result.reason == (
        f"{DOC} (owner: CISO) was not found in the repository at the end of the period."
    )


def test_the_evidence_folder_is_the_fallback(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / DOC).write_text(with_front_matter("2026-05-02T09:00:00+02:00"), encoding="utf-8")
    result = judge(evidence_dir=tmp_path)
    assert result.status == "design_only"
    assert result.details["source"] == "evidence folder"
    assert result.details["sha"] is None and result.cited == ()
    assert result.last_evidence == "2026-05-02"


def test_missing_everywhere(tmp_path):
    result = judge(evidence_dir=tmp_path)
    assert result.reason == (
        f"{DOC} (owner: CISO) was not found in the repository at the end of the period or the "
        "evidence folder."
    )


def test_symlinks_out_of_the_evidence_folder_are_not_followed(tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text(with_front_matter("2026-05-02"), encoding="utf-8")
    folder = tmp_path / "evidence"
    (folder / "docs").mkdir(parents=True)
    (folder / DOC).symlink_to(outside)
    assert judge(evidence_dir=folder).status == "not_tested"


def test_every_way_the_date_can_be_missing():
    cases = {
        "# no front matter\n": "has no YAML front matter",
        "---\ndate: 2026-01-01\n": "has unterminated YAML front matter",
        "---\ntitle: x\n---\n": "has no 'date'",
        "---\ndate: soon\n---\n": "has 'date: soon', which is not a date (YYYY-MM-DD)",
        "---\ndate: [\n---\n": "has unreadable front matter (line 2: ",
        "---\n- a list\n---\n": "has front matter that is not a mapping",
    }
    for text, problem in cases.items():
        result = judge({(DOC, LAST.sha): text})
        assert result.status == "not_tested", text
        assert result.reason.startswith(f"{DOC} (owner: CISO) {problem}"), result.reason
        assert result.cited == (LAST.sha,)


def test_date_key_and_yaml_documents():
    params = {**PARAMS, "document": "evidence/review.yaml", "date_key": "reviewed_on"}
    files = {("evidence/review.yaml", LAST.sha): "reviewed_on: 2026-06-30\nby: Jane\n"}
    result = judge(files, params=params)
    assert result.status == "design_only" and result.details["age_days"] == 0


def test_no_commit_by_the_period_end_means_no_repository_document():
    assert judge({(DOC, AFTER.sha): with_front_matter("2026-03-01")}, commits=(AFTER,)).status == (
        "not_tested"
    )
