"""The control library shipped in controls/ passes every check against the real evidence rules."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from generator.catalog import load_catalogs
from generator.coverage import soa_rows
from generator.errors import InputError
from generator.evidence.registry import all_rules
from generator.library import ControlLibrary, load_library, shipped_controls_dir

REPO_CONTROLS = Path(__file__).parents[1] / "controls"
FAMILIES = {
    "CHG", "CFG", "DEL", "ACC", "IAM", "LOG", "OPS", "BCK", "CRY", "ISO", "GOV", "TEN", "SUP",
}  # fmt: skip
ENVIRONMENT_FILES = {
    "environments/staging/meshstack.yaml",
    "environments/production/meshstack.yaml",
}


@pytest.fixture(scope="module")
def library() -> ControlLibrary:
    return load_library(REPO_CONTROLS, all_rules())


def test_the_library_meshcomply_ships_is_this_one(library: ControlLibrary) -> None:
    shipped = load_library(shipped_controls_dir(), all_rules())
    assert shipped.controls.keys() == library.controls.keys()
    assert shipped.decisions.keys() == library.decisions.keys()


def test_at_least_32_controls_in_every_family(library: ControlLibrary) -> None:
    assert len(library.controls) >= 32
    families = Counter(control_id.split("-")[1] for control_id in library.controls)
    assert set(families) == FAMILIES


def test_soa_has_every_annex_a_and_cloud_control_exactly_once(library: ControlLibrary) -> None:
    rows = soa_rows(library)
    catalogs = load_catalogs(REPO_CONTROLS / "catalogs")
    expected = [
        ref
        for ref, entry in catalogs.entries.items()
        if (entry.standard, entry.kind)
        in {("iso27001:2022", "annex-a"), ("iso27017:2015", "cloud")}
    ]
    assert len(expected) == 93 + 7
    assert [row.ref for row in rows] == expected
    implemented = {ref for c in library.controls.values() for ref in (i.ref for i in c.implements)}
    for row in rows:
        assert (row.decision == "implemented") == (row.ref in implemented), row.ref
        assert (row.ref in library.decisions) == (row.decision != "implemented"), row.ref
        assert row.justification.strip(), row.ref


def test_soa_rows_carry_responsibility_and_2013_numbers(library: ControlLibrary) -> None:
    rows = {row.ref: row for row in soa_rows(library)}
    change = rows["iso27001:2022/A.8.32"]
    assert change.decision == "implemented"
    assert "MS-CHG-01" in change.implemented_by
    assert change.justification.startswith(f"{change.implemented_by[0]} (")
    assert change.refs_2013 == (
        "iso27001:2013/A.12.1.2",
        "iso27001:2013/A.14.2.2",
        "iso27001:2013/A.14.2.3",
        "iso27001:2013/A.14.2.4",
    )
    perimeter = rows["iso27001:2022/A.7.1"]
    assert (perimeter.decision, perimeter.responsibility) == ("inherited", "hosting provider")
    assert perimeter.refs_2013 == ("iso27001:2013/A.11.1.1",)
    assert rows["iso27017:2015/CLD.9.5.1"].theme == "cloud"
    assert rows["iso27001:2022/A.8.30"].responsibility is None


def test_every_control_is_traceable(library: ControlLibrary) -> None:
    rules = all_rules()
    for control in library.controls.values():
        assert Path(control.path).name == f"{control.id}.yaml"
        assert any(
            i.ref.startswith(("iso27001:2022/A.", "iso27017:2015/")) for i in control.implements
        )
        for spec in control.evidence:
            assert spec.kind in rules
            if spec.kind == "config-assertion":
                assert spec.params["file"] in ENVIRONMENT_FILES, control.id
            if spec.kind == "manual":
                assert re.fullmatch(r"docs/[a-z-]+/[a-z-]+\.md", spec.params["document"])


def test_required_topics_are_covered(library: ControlLibrary) -> None:
    text = " ".join(
        f"{c.title} {c.description}".lower().replace("\n", " ") for c in library.controls.values()
    )
    for topic in [
        "git repository", "several times a week", "staging automatically",
        "customer's manual approval", "artefact store", "infrastructure as code", "vpn",
        "openstack", "aws account", "azure subscription", "meshstack-managed cloud",
        "central log", "alert", "customer's soc", "backup", "key management service", "oidc",
        "saml", "ldap", "entra id", "scim", "four-eye", "expire", "api key", "event log", "tag",
        "landing zone", "building block", "desired state", "tenant deletion",
        "between customers", "release notes", "versioning", "compliance documentation",
    ]:  # fmt: skip
        assert topic in text, topic


def test_rule_params_name_roles_and_wrong_ones_are_located(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library names roles, never environments; check says where a wrong one is."""
    for path in sorted((REPO_CONTROLS / "meshstack").glob("*.yaml")):
        text = path.read_text("utf-8")
        assert "environments: [" not in text and "environment: " not in text, path.name
    controls = tmp_path / "controls"
    shutil.copytree(REPO_CONTROLS, controls)
    monkeypatch.chdir(tmp_path)
    chg01 = controls / "meshstack" / "MS-CHG-01.yaml"
    text = chg01.read_text("utf-8")
    text = text.replace("{role: production}", "{role: prod}")
    text = text.replace("{roles: [production]}", "{roles: [staging, live]}")
    chg01.write_text(text, "utf-8")
    chg04 = controls / "meshstack" / "MS-CHG-04.yaml"
    chg04.write_text(
        chg04.read_text("utf-8").replace("{roles: [production]}", "{environments: [production]}"),
        "utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_library(controls, all_rules())
    assert [str(p) for p in caught.value.problems] == [
        "controls/meshstack/MS-CHG-01.yaml:28:20: evidence[0].params.role: 'prod' is not one "
        "of: staging, production",
        "controls/meshstack/MS-CHG-01.yaml:30:31: evidence[1].params.roles[1]: 'live' is not one "
        "of: staging, production, other",
        "controls/meshstack/MS-CHG-04.yaml:23:13: evidence[0].params: missing required field "
        "'roles'",
        "controls/meshstack/MS-CHG-04.yaml:23:14: unknown field 'environments' in "
        "evidence[0].params (allowed: require_verified, roles)",
    ]


def test_every_control_says_what_its_evidence_proves_and_what_it_does_not(
    library: ControlLibrary,
) -> None:
    for control in library.controls.values():
        assert control.proves.endswith("."), control.id
        # printed under "What the rules test" beside the result: a question, never a finding
        assert control.proves.startswith("Whether "), control.id
        assert control.does_not_prove.endswith("."), control.id
        # ISO/IEC 27017 CLD.6.3.1: a shared or customer control names the customer's part.
        assert (control.customer_part is not None) == (control.responsibility != "provider")


def test_document_controls_say_what_the_document_verdict_tests(library: ControlLibrary) -> None:
    """A document control's sentences follow what the manual rule tests: every occurrence due
    with its recorded result (a recurring control), or the version in effect at the period end
    and its age; never only that "a current document is kept" (issue #13)."""
    checked = 0
    for control in library.controls.values():
        for spec in control.evidence:
            if spec.kind != "manual":
                continue
            checked += 1
            assert "is kept in the repository" not in control.proves, control.id
            if "frequency" in spec.params:
                assert "due in the period" in control.proves, control.id
                assert "result it records" in control.proves, control.id
                assert "missing" in control.proves and "fail" in control.proves, control.id
            else:
                assert "in effect at the period end" in control.proves, control.id
                assert "older is a deviation" in control.proves, control.id
                # a description tests nothing: the control stays design only
                assert "not a test" in control.does_not_prove, control.id
    assert checked >= 20


def test_clauses_of_the_isms_itself_are_not_claimed_by_installation_controls(
    library: ControlLibrary,
) -> None:
    """A change control is not the planning of ISMS changes (6.3); a penetration test is not
    an internal audit (9.2): the review of issue #13 found both."""
    claimed = {i.ref for c in library.controls.values() for i in c.implements}
    assert "iso27001:2022/6.3" not in claimed
    assert not [ref for ref in claimed if ref.startswith("iso27001:2022/9.")]


def test_claims_rest_on_evidence_that_tests_them(library: ControlLibrary) -> None:
    for control in library.controls.values():
        kinds = {e.kind for e in control.evidence}
        coverage = {i.ref: i.coverage for i in control.implements}
        if kinds <= {"patch-latency", "staging-before-production"}:
            # promotion delays say nothing about licences
            assert "iso27001:2022/A.5.32" not in coverage, control.id
        if "patch-latency" in kinds:
            # the delay includes the customer's approval time: never all of A.8.8
            assert coverage.get("iso27001:2022/A.8.8") != "full", control.id
        for item in control.evidence:
            params = item.params
            if item.kind == "config-assertion" and params["op"] == "!=" and params["value"] is None:
                # "a version is set" shows configuration kept as code, nothing about release notes
                assert control.id == "MS-CFG-01", control.id
