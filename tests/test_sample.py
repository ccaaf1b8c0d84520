import hashlib
import json
import os
import subprocess
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from test_history_gitfaults import make_project

from generator.cli import cli
from generator.evidence.codec import to_plain
from generator.evidence.model import SampleAttribute
from generator.evidence.registry import RuleResult
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
    untested_attributes,
)
from generator.library import Control, EvidenceSpec
from generator.status import Status

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


APPROVAL = SampleAttribute("approval", "An approver is recorded.", ("MS-A",))
SIGNATURE = SampleAttribute("signature", "A good signature.", ("MS-B",))


def test_samples_section_records_seed_method_table_and_their_basis():
    seed = seed_choice("acme", "2026-01-01..2026-06-30")
    attributes = {"staging": (APPROVAL,), "production": (APPROVAL,)}
    section = to_plain(
        draw_samples(
            seed, {"staging": SHAS[:5], "production": SHAS}, DEFAULT_TABLE, attributes=attributes
        )
    )
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
    configured = draw_samples(
        seed, {"p": SHAS}, DEFAULT_TABLE, configured_table=True, attributes={"p": (APPROVAL,)}
    )
    assert configured.table_basis.startswith("The table set in meshcomply.yml")


def test_the_rules_test_every_change_and_the_sample_is_drawn_only_to_re_perform_by_hand():
    seed = seed_choice("acme", "P")
    sample = draw_samples(
        seed,
        {"production": SHAS, "staging": SHAS[:4], "docs": SHAS[:30], "empty": []},
        DEFAULT_TABLE,
        attributes={"production": (APPROVAL, SIGNATURE), "staging": (APPROVAL,)},
        untested={"production": {"signature"}},
    )
    by_name = {p.environment: p for p in sample.populations}
    production, staging, docs, empty = (by_name[n] for n in ("production", "staging", "docs",
                                                              "empty"))  # fmt: skip
    # Tested as a whole by the rules, sampled to re-perform by hand.
    assert (production.size, production.whole, len(production.shas)) == (25, False, 25)
    assert production.tested == (
        "meshcomply tested each of the 120 changes for approval: those verdicts rest on the "
        "whole population, not on a sample. Signature was not tested (see the controls' "
        "results). The auditor re-performs the tests by hand on the 25 sampled changes."
    )
    # No larger than its sample size: the sample is the population.
    assert (staging.size, staging.whole, staging.shas) == (
        4,
        True,
        tuple(draw("acme:P", SHAS[:4], 4)),
    )
    assert staging.tested.endswith(
        "the auditor re-performs the tests on every change (the sample is the population)."
    )
    # No control tests these changes one by one: nothing to re-perform by hand, no sample.
    assert (docs.size, docs.whole, docs.shas, docs.attributes) == (0, False, (), ())
    assert docs.tested == (
        "No control tests these 30 changes one by one: there is nothing to re-perform by hand "
        "on them, so no sample is drawn."
    )
    assert (empty.size, empty.whole, empty.tested) == (
        0, False, "The population is empty: nothing to test or sample."
    )  # fmt: skip
    assert "never on a sample" in sample.method


def evaluation(kind: str, params: dict, status: Status) -> SimpleNamespace:
    evidence = SimpleNamespace(
        spec=EvidenceSpec(kind, params), result=RuleResult(status=status, reason="")
    )
    return SimpleNamespace(id="MS-X", results=(evidence,))


def test_an_attribute_whose_rule_did_not_run_is_untested_for_the_roles_it_covers():
    roles = {"stg": "staging", "prod": "production"}
    evaluations = [
        evaluation("change-approval", {"roles": ["staging", "production"]}, Status.DEVIATIONS),
        evaluation("signed-changes", {"roles": ["production"]}, Status.NOT_TESTED),
        evaluation("approval-gate", {}, Status.NO_DEVIATIONS),
        evaluation("config-assertion", {"file": "x", "assert": []}, Status.NOT_TESTED),
    ]
    assert untested_attributes(evaluations, roles) == {"prod": {"signature"}}


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


def test_an_attribute_is_tested_when_one_of_the_controls_applying_it_ran():
    # Two controls apply the signature check to production; one was excluded (not tested), the
    # other's rule judged every change: the attribute was tested.
    roles = {"prod": "production"}
    evaluations = [
        evaluation("signed-changes", {"roles": ["production"]}, Status.NOT_TESTED),
        evaluation("signed-changes", {"roles": ["production"]}, Status.NO_DEVIATIONS),
    ]
    assert untested_attributes(evaluations, roles) == {}
