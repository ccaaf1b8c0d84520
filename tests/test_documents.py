"""Evidence documents' front matter: every field typed, every malformed value located."""

from __future__ import annotations

import datetime as dt

from generator.evidence.documents import FrontMatter, parse_document, sha256_hex

WHERE = "docs/security/access-review.md@0123456789ab"


def parse(text: str, **kwargs):
    return parse_document(text, WHERE, yaml_document=False, **kwargs)


def test_every_field():
    text = (
        "---\n"
        "title: Access review\n"
        "date: 2026-03-11\n"
        "period: 2026-01-01..2026-03-31\n"
        "result: pass_with_findings\n"
        "performed_by: Jane Doe\n"
        "approved_by: [John Roe, Erika Muster]\n"
        "scope: >-\n  VPN accounts and\n  cluster roles\n"
        "---\n# Access review\n"
    )
    parsed = parse(text)
    assert parsed.problems == ()
    assert parsed.facts == FrontMatter(
        date=dt.date(2026, 3, 11),
        covers=(dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        result="pass_with_findings",
        performed_by=("Jane Doe",),
        approved_by=("John Roe", "Erika Muster"),
        scope="VPN accounts and cluster roles",
        date_line=3,
    )


def test_only_the_date_is_required():
    parsed = parse("---\ndate: 2026-03-11T09:00:00+02:00\n---\n")
    assert parsed.facts == FrontMatter(dt.date(2026, 3, 11), None, None, (), (), None, 2)


def test_every_malformed_value_is_located_at_its_line_all_at_once():
    text = (
        "---\n"  # line 1
        "title: Business continuity test\n"
        "date: soon\n"  # 3
        "period: 2026-03-01..2026-02-01\n"  # 4
        "result: FAILED\n"  # 5
        "performed_by: []\n"  # 6
        "approved_by: 42\n"  # 7
        "scope: [a]\n"  # 8
        "---\n"
    )
    parsed = parse(text)
    assert parsed.facts is None
    assert [str(p) for p in parsed.problems] == [
        f"{WHERE}:3:7: 'date: 'soon'' is not a date (YYYY-MM-DD)",
        f"{WHERE}:4:9: 'period: '2026-03-01..2026-02-01'' ends before it starts",
        f"{WHERE}:5:9: 'result: 'FAILED'' is not one of pass, pass_with_findings, fail",
        f"{WHERE}:6:15: 'performed_by' must be a name or a list of names",
        f"{WHERE}:7:14: 'approved_by' must be a name or a list of names",
        f"{WHERE}:8:8: 'scope' must be text",
    ]


def test_yaml_booleans_and_bad_periods_are_refused_as_written():
    parsed = parse("---\ndate: 2026-01-01\nresult: yes\nperiod: Q1 2026\n---\n")
    assert [p.message for p in parsed.problems] == [
        "'result: 'yes'' is not one of pass, pass_with_findings, fail",
        "'period: 'Q1 2026'' is not FIRST..LAST with dates as YYYY-MM-DD",
    ]


def test_documents_without_usable_front_matter():
    cases = {
        "# no front matter\n": (1, "has no YAML front matter (a first line '---')"),
        "---\ndate: 2026-01-01\n": (1, "has unterminated YAML front matter (no closing '---')"),
        "---\ntitle: x\n---\n": (2, "has no 'date'"),
        "---\n- a list\n---\n": (2, "has front matter that is not a mapping"),
        "---\ntitle: x\ndate: [\n---\n": (3, "YAML syntax error"),
        "---\ndate: 2026-01-01\ndate: 2026-02-01\n---\n": (3, "duplicate key 'date'"),
    }
    for text, (line, message) in cases.items():
        parsed = parse(text)
        assert parsed.facts is None, text
        (problem,) = parsed.problems
        assert (problem.path, problem.line) == (WHERE, line), text
        assert problem.message.startswith(message), problem.message


def test_yaml_documents_are_their_own_front_matter_and_the_date_key_can_be_named():
    text = "reviewed_on: 2026-06-30\nresult: fail\n"
    parsed = parse_document(text, "review.yaml", yaml_document=True, date_key="reviewed_on")
    assert parsed.facts is not None and parsed.facts.result == "fail"
    assert parsed.facts.date == dt.date(2026, 6, 30)
    bad = parse_document(
        "reviewed_on: x\n", "review.yaml", yaml_document=True, date_key="reviewed_on"
    )
    assert [str(p) for p in bad.problems] == [
        "review.yaml:1:14: 'reviewed_on: 'x'' is not a date (YYYY-MM-DD)"
    ]


def test_long_names_are_cut_and_the_hash_is_of_the_bytes():
    parsed = parse(f"---\ndate: 2026-01-01\nperformed_by: {'x' * 500}\n---\n")
    assert parsed.facts is not None and len(parsed.facts.performed_by[0]) == 200
    assert sha256_hex(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_front_matter_nested_too_deep_is_a_located_problem_not_a_recursion_error():
    # Before: the loader's RecursionError stopped the whole build from the manual rule.
    deep = "[" * 3000 + "]" * 3000
    parsed = parse(f"---\ntitle: Access review\nscope: {deep}\n---\n# Access review\n")
    assert parsed.facts is None
    assert [str(p) for p in parsed.problems] == [
        f"{WHERE}:3:507: collections nested more than 500 deep"
    ]
