"""load_library: every class of bad input is reported with its exact file, line and message.

Each case copies the tiny valid library in tests/fixtures/library/valid and breaks ONE thing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.library.support import FAKE_RULES, VALID, copy_library, replace, use_fake_rules

from generator.errors import InputError
from generator.library import load_library
from generator.yamlio import MAX_FILE_BYTES

CHG = "controls/meshstack/MS-CHG-01.yaml"
LOG = "controls/meshstack/MS-LOG-01.yaml"
APPL = "controls/applicability.yaml"


def gap(ref: str, title: str) -> str:
    return (
        f"{APPL}:1:1: '{ref}' ({title}) is neither implemented by a meshStack control nor "
        "decided here: implement it or decide 'inherited' or 'excluded'"
    )


CHANGE_GAP = gap("iso27001:2022/A.8.32", "Change management")


@pytest.fixture
def controls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_fake_rules(monkeypatch)
    return copy_library(tmp_path, monkeypatch)


def problems_of(controls: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_library(controls, FAKE_RULES)
    return [str(p) for p in caught.value.problems]


def test_valid_fixture_loads(controls: Path) -> None:
    library = load_library(controls, FAKE_RULES)
    assert list(library.controls) == ["MS-CHG-01", "MS-LOG-01"]
    chg = library.controls["MS-CHG-01"]
    assert chg.responsibility == "shared"
    assert [(i.ref, i.coverage) for i in chg.implements] == [
        ("iso27001:2022/A.8.32", "full"),
        ("iso27001:2022/9.2.1", "partial"),
    ]
    assert chg.evidence[0].kind == "change-approval"
    assert chg.evidence[0].params == {"roles": ["production"]}
    assert chg.path == CHG
    assert chg.proves == "Whether every production change carries a recorded approval."
    assert chg.does_not_prove == "That the approver reviewed the content of the change."
    assert chg.customer_part == "Approve each production rollout."
    # A provider's control has no customer part, and none is required.
    assert library.controls["MS-LOG-01"].customer_part is None
    assert list(library.decisions) == ["iso27001:2022/A.5.1", "iso27001:2022/A.7.1"]
    inherited = library.decisions["iso27001:2022/A.7.1"]
    assert (inherited.decision, inherited.responsible) == ("inherited", "hosting provider")
    assert library.implemented_by("iso27017:2015/CLD.12.4.5") == ("MS-LOG-01",)


# (file, text to replace, replacement, expected problems)
CONTROL_CASES = {
    "shared-without-customer-part": (
        CHG,
        "customer_part: Approve each production rollout.\n",
        "",
        [f"{CHG}:1:1: document: missing required field 'customer_part'"],
    ),
    "blank-does-not-prove": (
        CHG,
        "does_not_prove: That the approver reviewed the content of the change.",
        "does_not_prove: ' '",
        [
            f"{CHG}:20:17: does_not_prove: ' ' is not valid (one sentence: what the evidence "
            "does not show, so no one reads more into a verdict than it says; must not be blank)"
        ],
    ),
    "without-proves": (
        LOG,
        "proves: Whether a current logging review document is kept in the repository.\n",
        "",
        [f"{LOG}:1:1: document: missing required field 'proves'"],
    ),
    # Pages print it under "What the rules test" beside the result: a library written when it
    # said what the evidence shows is told to word it as the question the result answers.
    "proves-states-the-pass-case": (
        CHG,
        "proves: Whether every production change carries a recorded approval.",
        "proves: Every production change carries a recorded approval.",
        [
            f"{CHG}:19:9: proves: 'Every production change carries a recorded approval.' is not "
            "valid (what the rules test, as the question their result answers: begin it with "
            "'Whether' (e.g. 'Whether every change to production carries a recorded approval'); "
            "pages print it under 'What the rules test' beside the result, so a sentence stating "
            "the pass case would read as a finding)"
        ],
    ),
    "yaml-syntax": (
        CHG,
        "owner: meshcloud Platform Operations",
        "owner: [meshcloud",
        [f"{CHG}:7:15: YAML syntax error: expected ',' or ']', but got ':'"],
    ),
    "duplicate-key": (
        CHG,
        "owner: meshcloud Platform Operations\n",
        "owner: meshcloud Platform Operations\nowner: somebody else\n",
        [f"{CHG}:7:1: duplicate key 'owner' (first defined on line 6)"],
    ),
    "wrong-type": (
        CHG,
        "owner: meshcloud Platform Operations",
        "owner: 42",
        [
            f"{CHG}:6:8: owner must be of type string, not a whole number ('42'); put it in "
            "quotes to keep it as text"
        ],
    ),
    "unknown-field": (
        CHG,
        "responsibility: shared\n",
        "responsibility: shared\nseverity: high\n",
        [
            f"{CHG}:8:1: unknown field 'severity' in document (allowed: customer_part, "
            "description, does_not_prove, evidence, id, implements, owner, proves, "
            "responsibility, title)"
        ],
    ),
    "missing-field": (
        CHG,
        "owner: meshcloud Platform Operations\n",
        "",
        [f"{CHG}:1:1: document: missing required field 'owner'"],
    ),
    "bad-id-pattern": (
        CHG,
        "id: MS-CHG-01",
        "id: MS-CHG-1",
        [
            f"{CHG}:1:5: control id 'MS-CHG-1' does not match the file name MS-CHG-01.yaml: "
            "name the file MS-CHG-1.yaml",
            f"{CHG}:1:5: id: 'MS-CHG-1' is not valid (MS-<family of 2-4 capital letters>-"
            "<two digits>, e.g. MS-CHG-01; equal to the file name)",
        ],
    ),
    "file-name-differs": (
        CHG,
        "id: MS-CHG-01",
        "id: MS-CHG-02",
        [
            f"{CHG}:1:5: control id 'MS-CHG-02' does not match the file name MS-CHG-01.yaml: "
            "name the file MS-CHG-02.yaml"
        ],
    ),
    "responsibility-enum": (
        CHG,
        "responsibility: shared",
        "responsibility: meshcloud",
        [f"{CHG}:7:17: responsibility: 'meshcloud' is not one of: provider, customer, shared"],
    ),
    "coverage-enum": (
        CHG,
        "coverage: full",
        "coverage: mostly",
        [f"{CHG}:10:15: implements[0].coverage: 'mostly' is not one of: full, partial"],
    ),
    "missing-rationale": (
        CHG,
        "    rationale: Changes reach production only through an approved merge.\n",
        "",
        [f"{CHG}:9:5: implements[0]: missing required field 'rationale'"],
    ),
    "blank-rationale": (
        CHG,
        "rationale: Changes reach production only through an approved merge.",
        'rationale: " "',
        [
            f"{CHG}:11:16: implements[0].rationale: ' ' is not valid (one line why this "
            "control implements that reference; must not be blank)"
        ],
    ),
    "unknown-reference": (
        CHG,
        "ref: iso27001:2022/A.8.32",
        "ref: iso27001:2022/A.5.99",
        [
            f"{CHG}:9:10: unknown reference 'iso27001:2022/A.5.99': 'A.5.99' is not in the "
            "ISO/IEC 27001:2022 catalog",
            CHANGE_GAP,
        ],
    ),
    "unknown-standard": (
        CHG,
        "ref: iso27001:2022/A.8.32",
        "ref: iso27001:2023/A.8.32",
        [
            f"{CHG}:9:10: unknown reference 'iso27001:2023/A.8.32': no catalog for "
            "'iso27001:2023' (known: iso27001:2013, iso27001:2022, iso27017:2015)",
            CHANGE_GAP,
        ],
    ),
    "unqualified-reference": (
        CHG,
        "ref: iso27001:2022/A.8.32",
        "ref: A.8.32",
        [f"{CHG}:9:10: 'A.8.32' is not fully qualified: write 'iso27001:2022/A.8.32'", CHANGE_GAP],
    ),
    "unqualified-cloud-reference": (
        LOG,
        "ref: iso27017:2015/CLD.12.4.5",
        "ref: CLD.12.4.5",
        [
            f"{LOG}:11:10: 'CLD.12.4.5' is not fully qualified: write 'iso27017:2015/CLD.12.4.5'",
            gap("iso27017:2015/CLD.12.4.5", "Monitoring of cloud services"),
        ],
    ),
    "unqualified-unknown-reference": (
        CHG,
        "ref: iso27001:2022/A.8.32",
        "ref: A.9.99",
        [
            f"{CHG}:9:10: 'A.9.99' is not fully qualified: write <standard>/<id>, e.g. "
            "'iso27001:2022/A.8.32' or 'iso27017:2015/CLD.12.4.5'",
            CHANGE_GAP,
        ],
    ),
    "reference-to-2013": (
        CHG,
        "ref: iso27001:2022/A.8.32",
        "ref: iso27001:2013/A.12.1.2",
        [
            f"{CHG}:9:10: 'iso27001:2013/A.12.1.2' is a control of ISO/IEC 27001:2013: map to its "
            "ISO/IEC 27001:2022 equivalent instead (iso27001:2022/A.8.32)",
            CHANGE_GAP,
        ],
    ),
    "reference-listed-twice": (
        LOG,
        "ref: iso27017:2015/CLD.12.4.5",
        "ref: iso27001:2022/A.8.15",
        [
            f"{LOG}:11:10: 'iso27001:2022/A.8.15' is listed twice (first on line 8)",
            gap("iso27017:2015/CLD.12.4.5", "Monitoring of cloud services"),
        ],
    ),
    "unknown-evidence-kind": (
        CHG,
        "kind: change-approval",
        "kind: change-approvals",
        [f"{CHG}:16:11: unknown evidence kind 'change-approvals' (known: change-approval, manual)"],
    ),
    "evidence-params-wrong-type": (
        CHG,
        "params: {roles: [production]}",
        "params: {roles: production}",
        [f"{CHG}:17:21: evidence[0].params.roles must be of type array, not text"],
    ),
    "evidence-params-unknown": (
        CHG,
        "params: {roles: [production]}",
        "params: {roles: [production], approvers: 2}",
        [
            f"{CHG}:17:35: unknown field 'approvers' in evidence[0].params "
            "(allowed: min_approvers, roles)"
        ],
    ),
    "evidence-params-missing": (
        LOG,
        "      owner: meshcloud SRE\n      max_age_days: 365\n",
        "      max_age_days: 365\n",
        [f"{LOG}:17:7: evidence[0].params: missing required field 'owner'"],
    ),
    "evidence-without-params": (
        CHG,
        "    params: {roles: [production]}\n",
        "",
        [f"{CHG}:16:5: evidence[0]: missing required field 'params'"],
    ),
    "no-evidence": (
        CHG,
        "evidence:\n  - kind: change-approval\n    params: {roles: [production]}\n",
        "evidence: []\n",
        [f"{CHG}:15:11: evidence: [] should be non-empty"],
    ),
}


@pytest.mark.parametrize("case", sorted(CONTROL_CASES))
def test_bad_control_file(controls: Path, case: str) -> None:
    file, old, new, expected = CONTROL_CASES[case]
    replace(Path(file), old, new)
    assert problems_of(controls) == sorted(expected)


APPLICABILITY_CASES = {
    "missing-justification": (
        "  justification: Policies are set by the customer's ISMS, not by this service.\n",
        "",
        [f"{APPL}:1:3: [0]: missing required field 'justification'"],
    ),
    "blank-justification": (
        "justification: Policies are set by the customer's ISMS, not by this service.",
        'justification: ""',
        [f"{APPL}:3:18: [0].justification: '' is not valid (why; must not be blank)"],
    ),
    "soa-gap": (
        "- ref: iso27001:2022/A.7.1\n  decision: inherited\n  responsible: hosting provider\n"
        "  justification: The data centres are run by the customer's hosting provider.\n",
        "",
        [
            f"{APPL}:1:1: 'iso27001:2022/A.7.1' (Physical security perimeters) is neither "
            "implemented by a meshStack control nor decided here: implement it or decide "
            "'inherited' or 'excluded'"
        ],
    ),
    "decided-twice": (
        "ref: iso27001:2022/A.7.1",
        "ref: iso27001:2022/A.5.1",
        [
            f"{APPL}:4:8: 'iso27001:2022/A.5.1' is decided twice (first on line 1)",
            f"{APPL}:1:1: 'iso27001:2022/A.7.1' (Physical security perimeters) is neither "
            "implemented by a meshStack control nor decided here: implement it or decide "
            "'inherited' or 'excluded'",
        ],
    ),
    "implemented-and-decided": (
        "ref: iso27001:2022/A.5.1",
        "ref: iso27001:2022/A.8.32",
        [
            f"{APPL}:1:8: 'iso27001:2022/A.8.32' is implemented by MS-CHG-01, so it must not "
            "also be decided here",
            f"{APPL}:1:1: 'iso27001:2022/A.5.1' (Policies for information security) is neither "
            "implemented by a meshStack control nor decided here: implement it or decide "
            "'inherited' or 'excluded'",
        ],
    ),
    "clause-decided": (
        "ref: iso27001:2022/A.5.1",
        "ref: iso27001:2022/9.2.1",
        [
            f"{APPL}:1:8: 'iso27001:2022/9.2.1' is a clause of ISO/IEC 27001:2022, not an Annex "
            "A or ISO/IEC 27017 control: clauses are not decided in the Statement of "
            "Applicability",
            f"{APPL}:1:1: 'iso27001:2022/A.5.1' (Policies for information security) is neither "
            "implemented by a meshStack control nor decided here: implement it or decide "
            "'inherited' or 'excluded'",
        ],
    ),
    "unknown-decision-reference": (
        "ref: iso27001:2022/A.5.1",
        "ref: iso27001:2022/A.5.99",
        [
            f"{APPL}:1:8: unknown reference 'iso27001:2022/A.5.99': 'A.5.99' is not in the "
            "ISO/IEC 27001:2022 catalog",
            f"{APPL}:1:1: 'iso27001:2022/A.5.1' (Policies for information security) is neither "
            "implemented by a meshStack control nor decided here: implement it or decide "
            "'inherited' or 'excluded'",
        ],
    ),
    "decided-2013-reference": (
        "ref: iso27001:2022/A.5.1",
        "ref: iso27001:2013/A.5.1.1",
        [
            f"{APPL}:1:8: 'iso27001:2013/A.5.1.1' is a control of ISO/IEC 27001:2013: decide its "
            "ISO/IEC 27001:2022 equivalent instead (iso27001:2022/A.5.1)",
            gap("iso27001:2022/A.5.1", "Policies for information security"),
        ],
    ),
    "decision-enum": (
        "decision: excluded",
        "decision: ignored",
        [f"{APPL}:2:13: [0].decision: 'ignored' is not one of: inherited, excluded"],
    ),
    "inherited-without-responsible": (
        "  responsible: hosting provider\n",
        "",
        [
            f"{APPL}:4:3: an inherited decision needs 'responsible' "
            "(hosting provider, customer or meshcloud)"
        ],
    ),
    "excluded-with-responsible": (
        "  decision: excluded\n",
        "  decision: excluded\n  responsible: customer\n",
        [
            f"{APPL}:3:3: an excluded control has no one responsible: remove 'responsible' "
            "or decide 'inherited'"
        ],
    ),
    "responsible-enum": (
        "responsible: hosting provider",
        "responsible: AWS",
        [
            f"{APPL}:6:16: [1].responsible: 'AWS' is not one of: hosting provider, customer, "
            "meshcloud"
        ],
    ),
    "unknown-decision-field": (
        "  decision: excluded\n",
        "  decision: excluded\n  reviewed: 2026-01-01\n",
        [
            f"{APPL}:3:3: unknown field 'reviewed' in [0] (allowed: decision, justification, "
            "ref, responsible)"
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(APPLICABILITY_CASES))
def test_bad_applicability(controls: Path, case: str) -> None:
    old, new, expected = APPLICABILITY_CASES[case]
    replace(Path(APPL), old, new)
    assert problems_of(controls) == sorted(expected)


def test_duplicate_control_ids_across_files(controls: Path) -> None:
    (controls / "meshstack" / "MS-LOG-02.yaml").write_text(
        (controls / "meshstack" / "MS-LOG-01.yaml").read_text("utf-8"), "utf-8"
    )
    copy = "controls/meshstack/MS-LOG-02.yaml"
    assert problems_of(controls) == sorted(
        [
            f"{copy}:1:5: control id 'MS-LOG-01' does not match the file name MS-LOG-02.yaml: "
            "name the file MS-LOG-01.yaml",
            f"{copy}:1:5: duplicate control id 'MS-LOG-01' (also in {LOG})",
            f"{LOG}:1:5: duplicate control id 'MS-LOG-01' (also in {copy})",
        ]
    )


def test_every_problem_of_every_file_at_once_sorted(controls: Path) -> None:
    replace(Path(LOG), "coverage: full", "coverage: most")
    replace(Path(CHG), "owner: meshcloud Platform Operations", "owner: [x")
    replace(Path(APPL), "decision: excluded", "decision: maybe")
    replace(Path("controls/catalogs/iso27017-2015.yaml"), "kind: cloud", "kind: cloudy")
    assert problems_of(controls) == [
        f"{APPL}:2:13: [0].decision: 'maybe' is not one of: inherited, excluded",
        "controls/catalogs/iso27017-2015.yaml:5:11: entries[0].kind: 'cloudy' is not one of: "
        "clause, annex-a, cloud",
        f"{CHG}:7:15: YAML syntax error: expected ',' or ']', but got ':'",
        f"{LOG}:9:15: implements[0].coverage: 'most' is not one of: full, partial",
    ]


def test_alias_bomb_is_refused(controls: Path) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        refs = ",".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    Path(CHG).write_text("\n".join(lines) + "\n", "utf-8")
    [message] = problems_of(controls)
    assert message == (
        f"{CHG}:6:10: aliases here expand the document to more than 200,000 values (an alias bomb?)"
    )


def test_oversized_file_is_refused(controls: Path) -> None:
    Path(LOG).write_text("# padding\n" * (MAX_FILE_BYTES // 10 + 1), "utf-8")
    size = Path(LOG).stat().st_size
    assert problems_of(controls) == [
        f"{LOG}:1:1: file is {size} bytes, over the {MAX_FILE_BYTES // 1024} KiB limit"
    ]


def test_non_utf8_file_is_refused(controls: Path) -> None:
    Path(LOG).write_bytes(Path(LOG).read_bytes().replace(b"Central", b"Centr\xe4l"))
    assert problems_of(controls) == [f"{LOG}:2:1: file is not valid UTF-8"]


def test_missing_applicability_file(controls: Path) -> None:
    Path(APPL).unlink()
    gap = (
        "is neither implemented by a meshStack control nor decided here: implement it or "
        "decide 'inherited' or 'excluded'"
    )
    assert problems_of(controls) == sorted(
        [
            f"{APPL}:1:1: file not found: every Annex A and ISO/IEC 27017 control no meshStack "
            "control implements needs a decision here",
            f"{APPL}:1:1: 'iso27001:2022/A.5.1' (Policies for information security) {gap}",
            f"{APPL}:1:1: 'iso27001:2022/A.7.1' (Physical security perimeters) {gap}",
        ]
    )


def test_missing_meshstack_folder(controls: Path) -> None:
    for path in (controls / "meshstack").iterdir():
        path.unlink()
    (controls / "meshstack").rmdir()
    assert problems_of(controls) == ["controls/meshstack:1:1: meshStack control folder not found"]


def test_missing_catalog_folder(controls: Path) -> None:
    for path in (controls / "catalogs").iterdir():
        path.unlink()
    (controls / "catalogs").rmdir()
    assert problems_of(controls) == ["controls/catalogs:1:1: catalog folder not found"]


CATALOG_CASES = {
    "duplicate-catalog-id": (
        "controls/catalogs/iso27001-2022.yaml",
        "  - id: A.7.1\n",
        "  - id: A.5.1\n",
        [
            "controls/catalogs/iso27001-2022.yaml:11:9: duplicate id 'A.5.1' (first on line 7)",
            "controls/catalogs/crosswalk-2013-2022.yaml:7:10: 'A.7.1' is not in iso27001:2022",
        ],
    ),
    "crosswalk-to-unknown": (
        "controls/catalogs/crosswalk-2013-2022.yaml",
        "to: [A.7.1]",
        "to: [A.7.99]",
        ["controls/catalogs/crosswalk-2013-2022.yaml:7:10: 'A.7.99' is not in iso27001:2022"],
    ),
    "crosswalk-from-unknown": (
        "controls/catalogs/crosswalk-2013-2022.yaml",
        "from: A.11.1.1",
        "from: A.11.1.9",
        ["controls/catalogs/crosswalk-2013-2022.yaml:6:11: 'A.11.1.9' is not in iso27001:2013"],
    ),
    "missing-soa-catalog": (
        "controls/catalogs/iso27017-2015.yaml",
        "standard: iso27017:2015",
        "standard: iso27018:2019",
        ["controls/catalogs:1:1: no catalog for iso27017:2015 in this folder"],
    ),
}


@pytest.mark.parametrize("case", sorted(CATALOG_CASES))
def test_bad_catalog(controls: Path, case: str) -> None:
    file, old, new, expected = CATALOG_CASES[case]
    replace(Path(file), old, new)
    assert problems_of(controls) == sorted(expected)


def test_paths_outside_the_current_folder_are_shown_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_fake_rules(monkeypatch)
    controls = copy_library(tmp_path / "elsewhere", monkeypatch)
    monkeypatch.chdir(VALID)
    replace(controls / "meshstack" / "MS-CHG-01.yaml", "coverage: full", "coverage: all")
    [message] = problems_of(controls)
    assert message.startswith(f"{controls}/meshstack/MS-CHG-01.yaml:10:15: ")
