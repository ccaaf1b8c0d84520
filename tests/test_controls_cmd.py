"""`meshcomply controls`: the coverage matrix as table, JSON (a contract) and CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.library.support import copy_library, replace, use_fake_rules

from generator.catalog import load_catalogs
from generator.cli import cli

REPO_CONTROLS = Path(__file__).parents[1] / "controls"
CONTRACT_KEYS = ["ref", "title", "implemented_by", "decision", "justification"]

FIXTURE_MATRIX = [
    {
        "ref": "iso27001:2022/A.5.1",
        "title": "Policies for information security",
        "implemented_by": [],
        "decision": "excluded",
        "justification": "Policies are set by the customer's ISMS, not by this service.",
    },
    {
        "ref": "iso27001:2022/A.7.1",
        "title": "Physical security perimeters",
        "implemented_by": [],
        "decision": "inherited",
        "justification": "The data centres are run by the customer's hosting provider.",
    },
    {
        "ref": "iso27001:2022/A.8.15",
        "title": "Logging",
        "implemented_by": ["MS-LOG-01"],
        "decision": "implemented",
        "justification": "MS-LOG-01 (full): Every component logs to the central log store.",
    },
    {
        "ref": "iso27001:2022/A.8.32",
        "title": "Change management",
        "implemented_by": ["MS-CHG-01"],
        "decision": "implemented",
        "justification": "MS-CHG-01 (full): Changes reach production only through an approved "
        "merge.",
    },
    {
        "ref": "iso27017:2015/CLD.12.4.5",
        "title": "Monitoring of cloud services",
        "implemented_by": ["MS-LOG-01"],
        "decision": "implemented",
        "justification": "MS-LOG-01 (partial): The customer can see alerts and dashboards of "
        "its installation.",
    },
]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="meshcomply")


@pytest.fixture
def controls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_fake_rules(monkeypatch)
    return copy_library(tmp_path, monkeypatch)


def test_json_is_exactly_one_object_per_control(controls: Path) -> None:
    result = run("controls", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == FIXTURE_MATRIX


def test_json_lists_implementers_sorted_and_composes_justifications(controls: Path) -> None:
    second = controls / "meshstack" / "MS-CHG-00.yaml"
    text = (controls / "meshstack" / "MS-CHG-01.yaml").read_text("utf-8")
    second.write_text(text.replace("MS-CHG-01", "MS-CHG-00").replace("full", "partial"), "utf-8")
    matrix = json.loads(run("controls", "--format", "json").stdout)
    change = next(row for row in matrix if row["ref"] == "iso27001:2022/A.8.32")
    assert change["implemented_by"] == ["MS-CHG-00", "MS-CHG-01"]
    assert change["justification"] == (
        "MS-CHG-00 (partial): Changes reach production only through an approved merge. "
        "MS-CHG-01 (full): Changes reach production only through an approved merge."
    )


def test_json_contract_on_the_shipped_library() -> None:
    result = run("controls", "--controls", str(REPO_CONTROLS), "--format", "json")
    assert result.exit_code == 0, result.stderr
    matrix = json.loads(result.stdout)
    catalogs = load_catalogs(REPO_CONTROLS / "catalogs")
    assert [row["ref"] for row in matrix] == list(catalogs.soa_refs())
    assert len(matrix) == 100
    for row in matrix:
        assert list(row) == CONTRACT_KEYS
        assert row["title"] == catalogs.entries[row["ref"]].title
        assert row["decision"] in {"implemented", "inherited", "excluded"}
        assert bool(row["implemented_by"]) == (row["decision"] == "implemented")
        assert all(isinstance(i, str) and i.startswith("MS-") for i in row["implemented_by"])
        assert row["justification"].strip()


def test_csv_has_the_contract_columns(controls: Path) -> None:
    result = run("controls", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0].keys() == set(CONTRACT_KEYS)
    assert result.stdout.splitlines()[0] == ",".join(CONTRACT_KEYS)
    assert [
        {
            **row,
            "implemented_by": row["implemented_by"].split("; ") if row["implemented_by"] else [],
        }
        for row in rows
    ] == FIXTURE_MATRIX


def test_csv_writes_cells_as_the_pack_csv_files_do(controls: Path) -> None:
    """implemented_by joined with "; " and a formula-like justification neutralised, as in every
    CSV meshcomply writes (docs/csv.md)."""
    second = controls / "meshstack" / "MS-CHG-00.yaml"
    text = (controls / "meshstack" / "MS-CHG-01.yaml").read_text("utf-8")
    second.write_text(text.replace("MS-CHG-01", "MS-CHG-00").replace("full", "partial"), "utf-8")
    replace(
        controls / "applicability.yaml",
        "justification: Policies are set by the customer's ISMS, not by this service.",
        'justification: "=SUM(1) Policies are set by the customer\'s ISMS."',
    )
    result = run("controls", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = {r["ref"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["iso27001:2022/A.8.32"]["implemented_by"] == "MS-CHG-00; MS-CHG-01"
    assert (
        rows["iso27001:2022/A.5.1"]["justification"]
        == "'=SUM(1) Policies are set by the customer's ISMS."
    )
    matrix = json.loads(run("controls", "--format", "json").stdout)
    assert matrix[0]["justification"] == "=SUM(1) Policies are set by the customer's ISMS."


def test_table_fits_100_columns_and_names_every_control(controls: Path) -> None:
    result = run("controls")
    assert result.exit_code == 0
    header = "control    decision    implemented by / responsible     title"
    assert result.stdout.splitlines() == [
        "ISO/IEC 27001:2022",
        header,
        "-" * 100,
        "A.5.1      excluded    -                                Policies for information security",
        "A.7.1      inherited   (hosting provider)               Physical security perimeters",
        "A.8.15     implemented MS-LOG-01                        Logging",
        "A.8.32     implemented MS-CHG-01                        Change management",
        "",
        "ISO/IEC 27017:2015",
        header,
        "-" * 100,
        "CLD.12.4.5 implemented MS-LOG-01                        Monitoring of cloud services",
        "",
        "5 controls: 3 implemented, 1 inherited, 1 excluded",
    ]


def test_table_of_the_shipped_library_wraps_within_100_columns() -> None:
    result = run("controls", "--controls", str(REPO_CONTROLS))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    catalogs = load_catalogs(REPO_CONTROLS / "catalogs")
    starts = {line.split(" ", 1)[0] for line in lines}
    assert {catalogs.entries[ref].id for ref in catalogs.soa_refs()} <= starts
    assert lines[-1].startswith("100 controls: ")


def test_bad_library_exits_1_without_output_on_stdout(controls: Path) -> None:
    replace(controls / "meshstack" / "MS-LOG-01.yaml", "kind: manual", "kind: handwritten")
    result = run("controls", "--format", "json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "controls/meshstack/MS-LOG-01.yaml:15:11: unknown evidence kind 'handwritten' "
        "(known: change-approval, manual)\n"
        "meshcomply: 1 problem found\n"
    )


def test_unknown_format_is_a_usage_error(controls: Path) -> None:
    result = run("controls", "--format", "xml")
    assert result.exit_code == 2
    assert "'xml' is not one of 'table', 'json', 'csv'" in result.stderr


def test_help() -> None:
    result = run("controls", "--help")
    assert result.exit_code == 0
    assert "--format [table|json|csv]" in result.stdout
