"""The Statement of Applicability with statuses: roll-up, null statuses, completeness, schema."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from importlib import resources

import pytest
from jsonschema import Draft202012Validator

from generator.coverage import SoaRow
from generator.coverage import soa_rows as library_soa_rows
from generator.errors import BuildError
from generator.evidence.codec import to_plain
from generator.evidence.evaluate import ControlEvaluation
from generator.evidence.registry import all_rules
from generator.evidence.soa import soa_rows
from generator.library import load_library, shipped_controls_dir


def evaluation(control_id: str, status: str, last: str | None) -> ControlEvaluation:
    return ControlEvaluation(
        id=control_id,
        title=control_id,
        description="",
        owner="",
        responsibility="provider",
        customer_part=None,
        implements=(),
        proves="Nothing.",
        does_not_prove="Anything.",
        status=status,
        reason=f"{status}.",
        results=(),
        last_evidence=last,
    )


def row(ref: str, decision: str, implemented_by: tuple[str, ...] = ()) -> SoaRow:
    return SoaRow(
        ref=ref,
        title="Change management",
        theme="technological",
        decision=decision,
        justification="Because.",
        implemented_by=implemented_by,
        responsibility="provider" if decision != "excluded" else None,
        coverage="full" if implemented_by else None,
        refs_2013=("iso27001:2013/A.12.1.2",),
    )


EVALUATIONS = [
    evaluation("MS-CHG-01", "no_deviations", "2026-05-01"),
    evaluation("MS-CHG-02", "deviations", "2026-03-01"),
    evaluation("MS-DOC-01", "design_only", None),
    evaluation("MS-DOC-02", "not_tested", "2025-01-01"),
]


@pytest.mark.parametrize(
    ("implemented_by", "status", "last"),
    [
        (("MS-CHG-01",), "no_deviations", "2026-05-01"),
        (("MS-CHG-01", "MS-CHG-02"), "deviations", "2026-05-01"),
        (("MS-CHG-01", "MS-DOC-01"), "design_only", "2026-05-01"),
        (("MS-DOC-01",), "design_only", None),
        (("MS-CHG-02", "MS-DOC-02"), "deviations", "2026-03-01"),
        (("MS-DOC-01", "MS-DOC-02"), "not_tested", "2025-01-01"),
    ],
)
def test_implemented_rows_take_the_weakest_status_and_newest_evidence(implemented_by, status, last):
    (record,) = soa_rows([row("iso27001:2022/A.8.32", "implemented", implemented_by)], EVALUATIONS)
    assert record.status == status
    assert record.last_evidence == last
    assert record.applicable is True
    assert record.implemented_by == tuple(implemented_by)


def test_inherited_rows_have_no_status_and_excluded_ones_are_not_applicable():
    records = soa_rows(
        [row("iso27001:2022/A.7.1", "inherited"), row("iso27001:2022/A.7.2", "excluded")],
        EVALUATIONS,
    )
    assert [(r.decision, r.applicable, r.status, r.last_evidence) for r in records] == [
        ("inherited", True, None, None),
        ("excluded", False, "not_applicable", None),
    ]


def test_dict_rows_and_key_order():
    source = row("iso27001:2022/A.8.32", "implemented", ("MS-CHG-01",)).as_dict()
    (record,) = soa_rows([source], EVALUATIONS)
    assert list(to_plain(record)) == [
        "ref",
        "title",
        "theme",
        "applicable",
        "decision",
        "justification",
        "implemented_by",
        "responsibility",
        "coverage",
        "status",
        "last_evidence",
        "refs_2013",
        "tested_from",
    ]
    assert record.refs_2013 == ("iso27001:2013/A.12.1.2",)


@dataclass(frozen=True)
class _Spec:
    kind: str


@dataclass(frozen=True)
class _Evidence:
    spec: _Spec
    informational: bool = False


def test_rows_say_what_their_status_was_tested_from():
    def judged(cid: str, *kinds: str):
        return replace(
            evaluation(cid, "no_deviations", "2026-05-01"),
            results=tuple(_Evidence(_Spec(k)) for k in kinds),
        )

    evaluations = [
        judged("MS-ACC-03", "config-assertion", "access-four-eyes"),
        judged("MS-CFG-01", "changes-outside-git"),
        judged("MS-DOC-01", "manual"),
        # figures only (access-activity can find no deviation): not what the status rests on
        replace(
            evaluation("MS-LOG-03", "no_deviations", "2026-05-01"),
            results=(_Evidence(_Spec("manual")), _Evidence(_Spec("access-activity"), True)),
        ),
    ]
    rows = soa_rows(
        [
            row("iso27001:2022/A.5.15", "implemented", ("MS-ACC-03",)),
            row("iso27001:2022/A.8.9", "implemented", ("MS-CFG-01", "MS-DOC-01")),
            row("iso27001:2022/A.5.1", "implemented", ("MS-DOC-01",)),
            row("iso27001:2022/A.7.1", "inherited"),
            row("iso27001:2022/A.8.15", "implemented", ("MS-LOG-03",)),
        ],
        evaluations,
    )
    assert [r.tested_from for r in rows] == [
        ("events", "git"),
        ("events", "git", "documents"),
        ("documents",),
        (),
        ("documents",),
    ]


def test_a_row_naming_an_unevaluated_control_is_a_build_error():
    with pytest.raises(BuildError, match=r"A\.8\.32 is implemented by MS-XYZ-01, which was not"):
        soa_rows([row("iso27001:2022/A.8.32", "implemented", ("MS-XYZ-01",))], EVALUATIONS)


def test_the_shipped_library_gives_every_annex_a_and_cloud_control_once():
    library = load_library(shipped_controls_dir(), all_rules())
    evaluations = [evaluation(cid, "no_deviations", "2026-06-01") for cid in library.controls]
    records = soa_rows(library_soa_rows(library), evaluations)
    refs = [r.ref for r in records]
    assert len(refs) == len(set(refs)) == 100
    assert sum(r.startswith("iso27001:2022/A.") for r in refs) == 93
    assert sum(r.startswith("iso27017:2015/CLD.") for r in refs) == 7
    for record in records:
        expected = {"implemented": "no_deviations", "excluded": "not_applicable"}
        assert record.status == expected.get(record.decision)
    schema = json.loads(
        resources.files("generator.schemas").joinpath("evidence.schema.json").read_text("utf-8")
    )
    Draft202012Validator({**schema["properties"]["soa"], "$defs": schema["$defs"]}).validate(
        to_plain(records)
    )
