import hashlib
import json
import os
import subprocess

import pytest
from click.testing import CliRunner
from test_history_gitfaults import make_project

from generator.cli import cli
from generator.evidence.codec import to_plain
from generator.evidence.sample import (
    DEFAULT_TABLE,
    SizeBand,
    attributes_by_environment,
    draw,
    draw_samples,
    rank,
    sample_size,
    seed_choice,
    table_from_config,
)
from generator.library import Control, EvidenceSpec

SHAS = [hashlib.sha1(str(i).encode()).hexdigest() for i in range(120)]


def test_size_follows_the_table_and_never_exceeds_the_population():
    populations = (0, 1, 10, 11, 50, 51, 250, 251, 1000, 5000)
    sizes = [sample_size(n, DEFAULT_TABLE) for n in populations]
    assert sizes == [0, 1, 10, 10, 10, 25, 25, 40, 40, 60]


def test_configured_table_replaces_the_default():
    table = table_from_config([{"max": 5, "size": 5}, {"max": None, "size": 3}])
    assert table == (SizeBand(5, 5), SizeBand(None, 3))
    assert sample_size(4, table) == 4
    assert sample_size(6, table) == 3


def test_same_seed_draws_the_same_sample_in_any_input_order():
    first = draw("acme:2026-01-01..2026-06-30", SHAS, 25)
    second = draw("acme:2026-01-01..2026-06-30", list(reversed(SHAS)), 25)
    assert first == second
    assert len(set(first)) == 25


def test_another_seed_draws_differently_and_an_environment_name_changes_nothing():
    base = draw("seed-a", SHAS, 25)
    assert draw("seed-b", SHAS, 25) != base
    renamed = draw_samples(seed_choice("acme", "x"), {"prod": SHAS}, DEFAULT_TABLE)
    named = draw_samples(seed_choice("acme", "x"), {"production": SHAS}, DEFAULT_TABLE)
    assert renamed.populations[0].shas == named.populations[0].shas


def test_an_auditor_can_redraw_with_sha256sum():
    """The documented re-performance: rank by `printf '%s' seed:sha | sha256sum`."""
    seed = "acme:2026-01-01..2026-06-30"
    script = (
        f"for sha in {' '.join(SHAS)}; do "
        f"rank=$(printf '%s' \"{seed}:$sha\" | sha256sum | cut -d' ' -f1); "
        "printf '%s %s\\n' $rank $sha; "
        "done | sort | head -n 10 | cut -d' ' -f2"
    )
    redrawn = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert redrawn.stdout.split() == draw(seed, SHAS, 10)


def test_samples_section_records_seed_method_table_and_their_basis():
    seed = seed_choice("acme", "2026-01-01..2026-06-30")
    section = to_plain(draw_samples(seed, {"staging": SHAS[:5], "production": SHAS}, DEFAULT_TABLE))
    assert section["seed"] == "acme:2026-01-01..2026-06-30"
    assert section["seed_by"] is None
    assert "predictable, and chosen by the audited party" in section["seed_basis"]
    assert "SHA-256" in section["method"]
    assert [e["environment"] for e in section["populations"]] == ["production", "staging"]
    assert [(e["population"], e["size"], e["whole"]) for e in section["populations"]] == [
        (120, 25, False),
        (5, 5, True),
    ]
    assert section["table"][-1] == {"max": None, "size": 60}
    assert section["table_basis"].startswith("meshcomply's default table")
    configured = draw_samples(seed, {"p": SHAS}, DEFAULT_TABLE, configured_table=True)
    assert configured.table_basis.startswith("The table set in meshcomply.yml")


def test_the_seed_says_who_chose_it():
    auditor = seed_choice("acme", "P", configured="x", auditor_seed="s3cret", auditor="A. Uditor")
    assert (auditor.seed, auditor.supplied_by) == ("s3cret", "A. Uditor")
    assert auditor.basis.startswith("Supplied by A. Uditor on the command line")
    configured = seed_choice("acme", "P", configured="x")
    assert (configured.seed, configured.supplied_by) == ("x:acme:P", None)
    assert "chosen by the audited party" in configured.basis


def control(cid: str, *evidence: EvidenceSpec) -> Control:
    return Control(
        id=cid,
        title="",
        description="",
        owner="",
        responsibility="provider",
        implements=(),
        evidence=evidence,
        path=f"{cid}.yaml",
        proves="",
        does_not_prove="",
        customer_part=None,
    )


def test_test_attributes_come_from_the_rules_testing_each_population():
    controls = [
        control("MS-B", EvidenceSpec("signed-changes", {"roles": ["production"]}),
                EvidenceSpec("config-assertion", {"file": "x", "assert": []})),
        control("MS-A", EvidenceSpec("change-approval", {"roles": ["staging", "production"]})),
        control("MS-C", EvidenceSpec("approval-gate", {})),
    ]  # fmt: skip
    found = attributes_by_environment(
        controls, {"stg": "staging", "prod": "production", "dev": "other"}
    )
    assert [(a.name, a.controls) for a in found["prod"]] == [
        ("approval", ("MS-A",)),
        ("signature", ("MS-B",)),
        ("release approval", ("MS-C",)),  # approval-gate guards production by default
    ]
    assert [(a.name, a.controls) for a in found["stg"]] == [("approval", ("MS-A",))]
    assert "dev" not in found
    assert "git verify-commit" in found["prod"][1].check


def build(folder, *args):
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(
            cli, ["build", "--quiet", "--format", "json", "--out", "out", *args]
        )
    finally:
        os.chdir(cwd)


def test_an_auditors_seed_draws_the_sample_and_is_recorded_with_who_gave_it(tmp_path):
    make_project(tmp_path)
    result = build(tmp_path, "--sample-seed", "wx-2026", "--sample-seed-by", "A. Uditor (KPMG)")
    assert result.exit_code == 0, result.output
    model = json.loads(next((tmp_path / "out" / "packs").rglob("evidence.json")).read_text())
    sample = model["sample"]
    assert (sample["seed"], sample["seed_by"]) == ("wx-2026", "A. Uditor (KPMG)")
    production = next(p for p in sample["populations"] if p["environment"] == "production")
    shas = [c["sha"] for c in model["changes"] if "production" in c["environments"]]
    assert production["shas"] == draw("wx-2026", shas, production["size"])
    assert production["whole"] is (production["size"] == len(shas))
    rows = (tmp_path / "out" / "packs").rglob("sample.csv").__next__().read_text().splitlines()
    assert rank("wx-2026", production["shas"][0]) in rows[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--sample-seed", "wx"), "--sample-seed needs --sample-seed-by NAME"),
        (("--sample-seed-by", "A. Uditor"), "--sample-seed-by needs --sample-seed"),
        (("--sample-seed", "wx", "--sample-seed-by", " "), "--sample-seed needs --sample-seed-by"),
    ],
)
def test_a_seed_without_who_supplied_it_is_a_usage_error(tmp_path, args, message):
    make_project(tmp_path)
    result = build(tmp_path, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "out").exists()
