"""meshcomply build: pack layout, schema, determinism, atomic output, CLI options and exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GitRepo
from jsonschema import Draft202012Validator

from generator.cli import cli
from generator.manifest import verify_pack
from generator.validate import load_schema

STAGE = "environments/staging/meshstack.yaml"
PROD = "environments/production/meshstack.yaml"
BOB, CAROL = "Bob Operator <bob@example.com>", "Carol Customer <carol@customer.example>"
PIPELINE = "Release Pipeline <ci@example.com>"
PACK = Path("packs/acme/2026-01-01_2026-03-31")


def settings(version: str) -> str:
    return f"meshstack:\n  version: {version}\nlogging:\n  enabled: true\n"


CONFIG = """\
period: 2026-01-01..2026-03-31
installations:
  acme:
    repo: ./acme
    ref: main
    environments:
      staging:
        paths: ["environments/staging/**"]
        release: {file: environments/staging/meshstack.yaml, key: meshstack.version}
      production:
        paths: ["environments/production/**"]
        release: {file: environments/production/meshstack.yaml, key: meshstack.version}
        approval: required
    approvals: {trailers: [Approved-by], merge_committer: false}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def make_project(tmp_path: Path) -> Path:
    """acme: three releases staged and promoted in January, one promotion without approval."""
    repo = GitRepo.create(tmp_path / "acme")
    repo.commit("Initial", files={STAGE: settings("2025.50.0"), PROD: settings("2025.50.0")},
                author=BOB, date="2025-12-01T10:00:00+00:00")  # fmt: skip
    for week, version in enumerate(("2026.1.0", "2026.2.0", "2026.3.0")):
        day = 5 + 7 * week
        repo.commit(f"Stage {version}", files={STAGE: settings(version)}, author=PIPELINE,
                    date=f"2026-01-{day:02d}T08:00:00+00:00")  # fmt: skip
        repo.branch(f"promote-{version}")
        repo.commit(f"Promote {version}", files={PROD: settings(version)}, author=BOB,
                    date=f"2026-01-{day + 2:02d}T09:00:00+00:00")  # fmt: skip
        repo.checkout("main")
        trailers = [] if version == "2026.2.0" else [("Approved-by", CAROL)]
        repo.merge(f"promote-{version}", committer=BOB, trailers=trailers,
                   date=f"2026-01-{day + 2:02d}T10:00:00+00:00")  # fmt: skip
    (tmp_path / "meshcomply.yml").write_text(CONFIG)
    return tmp_path


def run(project: Path, *args: str, catch_exceptions: bool = True):
    cwd = os.getcwd()
    os.chdir(project)
    try:
        return CliRunner().invoke(
            cli, ["build", "--quiet", "--format", "json", *args], catch_exceptions=catch_exceptions
        )
    finally:
        os.chdir(cwd)


def pack_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}  # fmt: skip


def test_build_writes_a_complete_valid_pack(project: Path):
    result = run(project, "--out", "out")
    assert result.exit_code == 0, result.output
    pack = project / "out" / PACK
    assert sorted(p.name for p in pack.iterdir()) == [
        "changes.csv", "deviations.csv", "evidence.json", "manifest.json", "sample.csv",
    ]  # fmt: skip
    model = json.loads((pack / "evidence.json").read_text())
    assert list(Draft202012Validator(load_schema("evidence")).iter_errors(model)) == []
    assert len(model["soa"]) == 100
    assert {e["name"]: e["population"] for e in model["environments"]} == {
        "staging": 3, "production": 3,
    }  # fmt: skip
    assert verify_pack(pack) == []
    assert "acme 2026-01-01..2026-03-31" in result.output
    # No leftovers of the staging folder (the lock file stays), no absolute paths in the model.
    assert sorted(p.name for p in (project / "out").iterdir()) == [".meshcomply.lock", "packs"]
    assert str(project) not in (pack / "evidence.json").read_text()


def test_unapproved_production_change_is_the_only_approval_failure(project: Path):
    run(project, "--out", "out")
    model = json.loads((project / "out" / PACK / "evidence.json").read_text())
    merge = next(c for c in model["changes"] if c["subject"] == "Merge promote-2026.2.0")
    assert merge["approvers"] == []
    results = [
        r for c in model["controls"] for r in c["results"]
        if r["rule"] == "change-approval" and r["params"]["roles"] == ["production"]
    ]  # fmt: skip
    assert results
    for result in results:
        assert result["status"] == "deviations"
        assert [(f["kind"], f["sha"], f["message"], f["state"]) for f in result["failures"]] == [
            ("unapproved", merge["sha"], "no approver", "open")
        ]
        assert result["figures"] == {"population": 3, "passed": 2, "failed": 1}
    # Shown under several controls, it is one deviation of the pack.
    # approval-gate finds the same deviation (the merge set the production version): one id.
    listed = [
        d for d in model["deviations"] if d["sha"] == merge["sha"] and d["kind"] != "unsigned"
    ]
    assert [(d["kind"], d["rule"], d["state"]) for d in listed] == [
        ("unapproved", "approval-gate", "open")
    ]
    showing = {c["id"] for c in model["controls"] for r in c["results"] if r in results}
    assert showing and set(listed[0]["controls"]) >= showing


def test_rebuild_gives_identical_bytes(project: Path):
    assert run(project, "--out", "one").exit_code == 0
    assert run(project, "--out", "two").exit_code == 0
    assert pack_bytes(project / "one" / PACK) == pack_bytes(project / "two" / PACK)


def test_fail_on_gates_with_exit_3(project: Path):
    result = run(project, "--out", "out", "--fail-on", "open")
    assert result.exit_code == 3
    model = json.loads((project / "out" / PACK / "evidence.json").read_text())
    opened = len(model["deviations"])
    assert opened > 1 and {d["state"] for d in model["deviations"]} == {"open"}
    assert f"--fail-on open: {opened} open deviations" in result.output
    assert (project / "out" / PACK / "evidence.json").is_file()  # the pack is still written
    result = run(project, "--out", "out", "--fail-on", "deviations")
    assert result.exit_code == 3
    assert "--fail-on deviations: " in result.output
    assert f"deviations: {opened} open, 0 accepted" in result.output


def test_an_accepted_deviation_is_counted_apart_from_the_open_ones(project: Path):
    assert run(project, "--out", "first").exit_code == 0
    model = json.loads((project / "first" / PACK / "evidence.json").read_text())
    merge = next(c for c in model["changes"] if c["subject"] == "Merge promote-2026.2.0")
    register = project / "exceptions.yml"
    # The deviation shows under both approval rules: accepted only once both accept it.
    register.write_text(
        "exceptions:\n"
        + "".join(
            f"  - id: EXC-{n}\n"
            f"    rule: {rule}\n"
            f"    sha: {merge['sha']}\n"
            "    justification: Emergency fix.\n"
            "    accepted_by: Jane Doe (CISO)\n"
            "    ticket: SEC-1\n"
            '    expires: "2027-12-31"\n'
            for n, rule in ((1, "approval-gate"), (2, "change-approval"))
        ),
        encoding="utf-8",
    )
    config = project / "meshcomply.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "    repo:", "    exceptions: ./exceptions.yml\n    repo:", 1
        ),
        encoding="utf-8",
    )
    opened = len(model["deviations"]) - 1
    result = run(project, "--out", "out", "--fail-on", "open")
    assert f"deviations: {opened} open, 1 accepted" in result.output
    assert f"--fail-on open: {opened} open deviations" in result.output
    accepted = json.loads((project / "out" / PACK / "evidence.json").read_text())["deviations"]
    assert [(d["sha"], d["exception"]) for d in accepted if d["state"] == "accepted"] == [
        (merge["sha"], "EXC-1")
    ]


def test_period_option_overrides_the_config(project: Path):
    result = run(project, "--out", "out", "--period", "2026-01-01..2026-01-10")
    assert result.exit_code == 0, result.output
    model = json.loads((project / "out/packs/acme/2026-01-01_2026-01-10/evidence.json").read_text())
    assert model["period"] == {"from": "2026-01-01", "to": "2026-01-10"}
    assert max(c["committed_at"] for c in model["changes"]) < "2026-01-11"


def test_bad_period_and_format_are_usage_errors(project: Path):
    assert run(project, "--period", "2026-02-30..2026-03-01").exit_code == 2
    assert run(project, "--format", "json,docx").exit_code == 2


def test_unknown_installation_is_an_input_error(project: Path):
    result = run(project, "--out", "out", "--installation", "nope")
    assert result.exit_code == 1
    assert "meshcomply.yml:1:1: no installation 'nope' (known: acme)" in result.output
    assert not (project / "out" / "packs").exists()


def test_failed_build_leaves_the_previous_pack_untouched(project: Path):
    assert run(project, "--out", "out").exit_code == 0
    before = pack_bytes(project / "out" / PACK)
    (project / "acme-exceptions.yml").write_text(
        "exceptions:\n  - id: EXC-1\n    rule: change-approval\n    sha: deadbeefdeadbeef\n"
        "    justification: j\n    accepted_by: a\n    ticket: T-1\n    expires: '2027-01-01'\n"
    )
    config = project / "meshcomply.yml"
    config.write_text(config.read_text() + "    exceptions: ./acme-exceptions.yml\n")
    result = run(project, "--out", "out")
    assert result.exit_code == 1
    assert "acme-exceptions.yml:4:" in result.output and "does not exist" in result.output
    assert "Traceback" not in result.output
    assert pack_bytes(project / "out" / PACK) == before
    assert sorted(p.name for p in (project / "out").iterdir()) == [".meshcomply.lock", "packs"]


def test_previous_pack_adds_changes_since(project: Path):
    assert run(project, "--out", "q1", "--period", "2026-01-01..2026-01-10").exit_code == 0
    result = run(project, "--out", "q2", "--period", "2026-01-11..2026-03-31", "--previous", "q1")
    assert result.exit_code == 0, result.output
    model = json.loads((project / "q2/packs/acme/2026-01-11_2026-03-31/evidence.json").read_text())
    since = model["changes_since"]
    assert since["previous"]["period"] == {"from": "2026-01-01", "to": "2026-01-10"}
    assert isinstance(since["status_changes"], list)


def test_unreadable_release_file_is_a_warning_in_the_pack(project: Path):
    repo = GitRepo(project / "acme")
    repo.commit("Broken staging file", files={STAGE: "meshstack: [unclosed\n"}, author=PIPELINE,
                date="2026-02-10T08:00:00+00:00")  # fmt: skip
    assert run(project, "--out", "out").exit_code == 0
    model = json.loads((project / "out" / PACK / "evidence.json").read_text())
    warnings = model["source"]["warnings"]
    assert len(warnings) == 1 and STAGE in warnings[0]


def test_rewritten_history_is_reported_loudly(project: Path):
    assert run(project, "--out", "out").exit_code == 0
    repo = GitRepo(project / "acme")
    repo.reset_hard("HEAD~1")
    repo.commit("Rewritten promotion", files={PROD: settings("2026.3.0")}, author=BOB,
                date="2026-01-21T10:00:00+00:00", trailers=[("Approved-by", CAROL)])  # fmt: skip
    result = run(project, "--out", "out")
    assert result.exit_code == 0, result.output
    assert "WARNING: acme: the history was REWRITTEN since the last build" in result.output
    model = json.loads((project / "out" / PACK / "evidence.json").read_text())
    assert model["source"]["history_rewritten"] is True


def test_releases_include_the_version_running_when_the_period_began(project: Path):
    assert run(project, "--out", "out").exit_code == 0
    model = json.loads((project / "out" / PACK / "evidence.json").read_text())
    before = [(r["environment"], r["version"]) for r in model["releases"] if not r["in_period"]]
    assert sorted(before) == [("production", "2025.50.0"), ("staging", "2025.50.0")]
    inside = [(r["environment"], r["version"]) for r in model["releases"] if r["in_period"]]
    assert ("production", "2026.1.0") in inside and len(inside) == 6


def test_release_notes_are_read_and_checked_before_anything_else(project: Path, monkeypatch):
    notes = project / "notes"
    notes.mkdir()
    (notes / "2026-01-05-Release-0.md").write_text("---\ntitle: Release 2026\n---\n")
    config = project / "meshcomply.yml"
    config.write_text("release_notes: ./notes\n" + config.read_text())

    def no_history(*args, **kwargs):
        raise AssertionError("the history was read before the notes were checked")

    monkeypatch.setattr("generator.packwriter.make_model", no_history)
    result = run(project, "--out", "out", "--format", "json,html")
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        "notes:1:1: no usable release note in the folder",
        "notes/2026-01-05-Release-0.md:2:1: no version (N.N.N) in title 'Release 2026'",
        "meshcomply: 2 problems found",
    ]
    # Without the portal the notes are not needed, so not read.
    with pytest.raises(AssertionError, match="history was read"):
        run(project, "--out", "out", "--format", "json", catch_exceptions=False)
    # With a usable note the build goes on; the broken one is a warning saying what was done.
    monkeypatch.undo()
    (notes / "2026-01-12-Release-0.md").write_text(
        "---\ntitle: Release 2026.2.0\n---\n\n## Ticket Details\n### T\n**Audience:** User\n"
    )
    result = run(project, "--out", "out", "--format", "json,html")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith("warning: acme: The period ends on 2026-03-31, after the newest")
    assert lines[1:] == [
        "notes/2026-01-05-Release-0.md:2:1: warning: no version (N.N.N) in title "
        "'Release 2026'; the note is left out"
    ]
    assert (project / "out/site/acme/2026-01-01_2026-03-31/release-notes/production.html").is_file()
