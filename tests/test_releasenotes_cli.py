"""``meshcomply release-notes`` end to end: a small git history, real notes, every error path."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GitRepo
from releasenotes_files import REAL_NOTES

from generator.cli import cli

APPROVER = ("Approved-by", "Dana Approver <dana@example.com>")

CONFIG = """\
period: 2025-12-01..2025-12-31
{notes_line}installations:
  acme:
    repo: ./acme-config
    ref: main
    environments:
      staging:
        paths: ["environments/staging/**"]
        release: {{file: environments/staging/meshstack.yaml, key: meshstack.version}}
      production:
        paths: ["environments/production/**"]
        release: {{file: environments/production/meshstack.yaml, key: meshstack.version}}
        approval: required
"""

NOTE = """\
---
title: Release {version}
---

Release period: 2025-12-10 to 2025-12-17
<!--truncate-->

## Ticket Details
### Operator ticket of {version}
**Audience:** {audience}<br>

#### Description
Text of {version}.
"""


def version_file(version: str) -> str:
    return f"meshstack:\n  version: {version}\n"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """acme: production 2025.50.0 -> 2025.55.0, staging on to 2025.56.0, one config change."""
    assert REAL_NOTES.is_dir(), f"real release notes missing: {REAL_NOTES}"
    root = tmp_path_factory.mktemp("release-notes-cli")
    repo = GitRepo.create(root / "acme-config")
    stg, prd = "environments/staging/meshstack.yaml", "environments/production/meshstack.yaml"
    repo.commit(
        "Initial import",
        files={stg: version_file("2025.50.0"), prd: version_file("2025.50.0")},
        date="2025-11-20T10:00:00+01:00",
    )
    repo.commit(
        "Stage 2025.53.0", files={stg: version_file("2025.53.0")}, date="2025-12-10T10:00:00+01:00"
    )
    repo.commit(
        "Raise <b>log</b> level",
        files={"environments/production/logging.yaml": "x\n"},
        date="2025-12-12T10:00:00+01:00",
        author="Ann Operator <ann@example.com>",
        trailers=[("Approved-by", "Bob Reviewer <bob@example.com>")],
    )
    repo.commit(
        "Stage 2025.55.0", files={stg: version_file("2025.55.0")}, date="2025-12-17T10:00:00+01:00"
    )
    repo.commit(
        "Promote 2025.55.0",
        files={prd: version_file("2025.55.0")},
        date="2025-12-19T11:00:00+01:00",
        trailers=[APPROVER],
    )
    repo.commit(
        "Stage 2025.56.0", files={stg: version_file("2025.56.0")}, date="2025-12-22T10:00:00+01:00"
    )
    (root / "meshcomply.yml").write_text(CONFIG.format(notes_line=""))
    return root


def run(workspace: Path, *args: str, cwd: Path | None = None):
    runner = CliRunner()
    env = {"MESHCOMPLY_CACHE": str(workspace / ".cache")}
    config = ["--config", str(workspace / "meshcomply.yml")]
    return runner.invoke(cli, ["release-notes", *config, *args], env=env, catch_exceptions=False)


def test_markdown_of_a_production_jump_with_upcoming_and_config_changes(workspace):
    result = run(
        workspace,
        "--notes",
        str(REAL_NOTES),
        "--installation",
        "acme",
        "--environment",
        "production",
    )
    assert result.exit_code == 0, result.stderr
    output = result.stdout
    headings = re.findall(r"^## (.*)$", output, re.M)
    assert headings == ["2025.56.0 (upcoming)", "2025.55.0"]  # 2025.50.0 arrived before
    assert (
        "- **Jump:** from 2025.50.0, includes 2025.54.0, 2025.53.1, 2025.53.0, 2025.52.0, "
        "2025.51.0, 2025.50.1" in output
    )
    assert "- **Approvals recorded:** Dana Approver (named in the message only)" in output
    assert "- **Time in staging:** 2.0 days" in output
    assert "### Release 2025.51.0, included in the jump to 2025.55.0" in output
    assert "No release note is published for 2025.56.0." in output
    # The change happened between 2025.50.0 and 2025.55.0 in production: 2025.50.0's window,
    # which started before the period; 2025.55.0's window has no changes.
    assert "Raise" not in output
    staging = run(
        workspace,
        "--notes",
        str(REAL_NOTES),
        "--installation",
        "acme",
        "--environment",
        "staging",
        "--since",
        "2025.53.0",
    )
    assert staging.exit_code == 0, staging.stderr
    assert re.findall(r"^## (.*)$", staging.stdout, re.M) == ["2025.56.0", "2025.55.0"]
    assert "upcoming" not in staging.stdout


def test_environments_named_otherwise_are_found_by_role(workspace):
    renamed = workspace / "renamed.yml"
    renamed.write_text(
        CONFIG.format(notes_line="")
        .replace("      staging:\n", "      stg:\n        role: staging\n")
        .replace("      production:\n", "      prod:\n        role: production\n")
    )
    args = ["--notes", str(REAL_NOTES), "--installation", "acme", "--environment"]
    env = {"MESHCOMPLY_CACHE": str(workspace / ".cache")}
    result = CliRunner().invoke(
        cli, ["release-notes", "--config", str(renamed), *args, "prod"], env=env
    )
    assert result.exit_code == 0, result.stderr
    original = run(workspace, *args, "production")
    assert original.exit_code == 0, original.stderr
    # The same page, with the environments' own names where it names them.
    expected = original.stdout
    for old, new in (
        ("acme, production", "acme, prod"),
        ("reached production of", "reached prod of"),
        ("**Production:**", "**Prod:**"),
        ("**Staging:**", "**Stg:**"),
    ):
        assert old in expected
        expected = expected.replace(old, new)
    assert result.stdout == expected
    assert re.findall(r"^## (.*)$", result.stdout, re.M) == ["2025.56.0 (upcoming)", "2025.55.0"]
    assert "- **Approvals recorded:** Dana Approver (named in the message only)" in result.stdout


def test_configuration_changes_of_the_window(workspace, tmp_path):
    result = run(
        workspace,
        "--notes",
        str(REAL_NOTES),
        "--installation",
        "acme",
        "--environment",
        "production",
        "--period",
        "2025-11-01..2025-12-31",
    )
    assert result.exit_code == 0, result.stderr
    assert re.search(
        r"^- 2025-12-12 `[0-9a-f]{12}` Raise &lt;b&gt;log&lt;/b&gt; level, by Ann Operator; "
        r"approvals recorded: Bob Reviewer \(named in the message only\)$",
        result.stdout,
        re.M,
    )


def test_atom_to_a_file_atomically(workspace, tmp_path):
    out = tmp_path / "feed.xml"
    args = [
        "--notes",
        str(REAL_NOTES),
        "--installation",
        "acme",
        "--environment",
        "production",
        "--format",
        "atom",
        "--audience",
        "user",
        "--out",
        str(out),
    ]
    result = run(workspace, *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    first = out.read_bytes()
    feed = ET.fromstring(first)
    ids = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}id")]
    assert ids == [
        "urn:meshcomply:acme:production:for-user",
        "urn:meshcomply:acme:production:2025.55.0:for-user",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed.xml"]  # no temporary file left
    assert out.stat().st_mode & 0o044  # readable for publishing, not mkstemp's 0600
    assert run(workspace, *args).exit_code == 0
    assert out.read_bytes() == first


def test_html_page(workspace):
    result = run(
        workspace,
        "--notes",
        str(REAL_NOTES),
        "--installation",
        "acme",
        "--environment",
        "production",
        "--format",
        "html",
        "--audience",
        "Operator",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert "For operators." in result.stdout


def test_notes_folder_from_the_config_and_located_note_errors(workspace, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "2025-12-17-Release-0.md").write_text(
        NOTE.format(version="2025.55.0", audience="Operator")
    )
    config = tmp_path / "meshcomply.yml"
    config.write_text(
        CONFIG.format(notes_line="release_notes: ./notes\n").replace(
            "./acme-config", str(workspace / "acme-config")
        )
    )
    runner = CliRunner()
    env = {"MESHCOMPLY_CACHE": str(tmp_path / ".cache")}
    base = [
        "release-notes",
        "--config",
        str(config),
        "--installation",
        "acme",
        "--environment",
        "production",
    ]
    result = runner.invoke(cli, base, env=env)
    assert result.exit_code == 0, result.stderr
    assert "##### Operator ticket of 2025.55.0" in result.stdout

    (notes / "2025-12-10-Release-0.md").write_text(
        NOTE.format(version="2025.53.0", audience="Admin")
    )
    (notes / "2025-12-11-Release-0.md").write_text(
        "---\nauthor: meshcloud\n---\n\n## Ticket Details\n### T\n**Audience:** User\n"
    )
    out = tmp_path / "published.md"
    out.write_text("previous version\n")
    # --strict: every note problem is an error, and nothing is written.
    result = runner.invoke(cli, [*base, "--strict", "--out", str(out)], env=env)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{notes}/2025-12-10-Release-0.md:10:1: unknown audience 'Admin' in ticket "
        "'Operator ticket of 2025.53.0' (expected User, Customer, Partner, Operator)",
        f"{notes}/2025-12-11-Release-0.md:1:1: front matter has no 'title'",
        "meshcomply: 2 problems found",
    ]
    assert out.read_text() == "previous version\n"  # nothing half-written, nothing replaced
    # Without: warnings saying what was done, and the notes that can be used.
    result = runner.invoke(cli, [*base, "--out", str(out)], env=env)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"{notes}/2025-12-10-Release-0.md:10:1: warning: unknown audience 'Admin' in ticket "
        "'Operator ticket of 2025.53.0' (expected User, Customer, Partner, Operator); "
        "shown to every audience",
        f"{notes}/2025-12-11-Release-0.md:1:1: warning: front matter has no 'title'; "
        "the note is left out",
        f"release notes: {out}",
    ]
    assert "##### Operator ticket of 2025.55.0" in out.read_text()
    # Audiences come from the notes: "admin" is one now, and its ticket is shown to everybody.
    result = runner.invoke(cli, [*base, "--audience", "admin"], env=env)
    assert result.exit_code == 0, result.stderr
    assert "For admin." in result.stdout
    assert "Operator ticket of 2025.55.0" not in result.stdout
    result = runner.invoke(cli, [*base, "--audience", "user"], env=env)
    assert result.exit_code == 0, result.stderr
    assert "Operator ticket of 2025.53.0" in result.stdout  # shown to every audience


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["--installation", "nope", "--environment", "production"],
            1,
            "meshcomply.yml:1:1: no installation 'nope' (known: acme)",
        ),
        (
            ["--installation", "acme", "--environment", "prod"],
            1,
            "meshcomply.yml:1:1: installation 'acme' has no environment 'prod' "
            "(known: staging, production)",
        ),
        (
            [
                *("--notes", str(REAL_NOTES), "--installation", "acme"),
                *("--environment", "production", "--audience", "admin"),
            ],
            2,
            "Invalid value for '--audience': 'admin': not an audience of the notes (known: User, "
            "Customer, Partner, Operator)",
        ),
        (
            ["--installation", "acme", "--environment", "production", "--since", "latest"],
            2,
            "Invalid value for '--since': not a meshStack version (expected N.N.N): 'latest'",
        ),
        (
            ["--installation", "acme", "--environment", "production", "--period", "2025-12"],
            2,
            "Invalid value for '--period': period '2025-12' is not FIRST..LAST",
        ),
        (
            ["--installation", "acme", "--environment", "production", "--format", "pdf"],
            2,
            "Invalid value for '--format'",
        ),
        (
            ["--installation", "acme", "--environment", "production"],
            2,
            "no release notes: give --notes DIR or set `release_notes: DIR` in",
        ),
        (
            ["--notes", "missing-folder", "--installation", "acme", "--environment", "production"],
            1,
            "missing-folder:1:1: release-note folder does not exist",
        ),
        (
            [
                "--notes",
                str(REAL_NOTES),
                "--installation",
                "acme",
                "--environment",
                "production",
                "--out",
                "no/such/folder/out.md",
            ],
            1,
            "meshcomply: error: cannot write no/such/folder/out.md: folder no/such/folder does "
            "not exist",
        ),
        (
            [
                "--notes",
                str(REAL_NOTES),
                "--installation",
                "acme",
                "--environment",
                "production",
                "--period",
                "2030-01-01..2030-01-31",
            ],
            1,
            "meshcomply: error: acme",
        ),
    ],
)
def test_bad_input_is_reported_without_traceback(workspace, args, code, message):
    result = run(workspace, *args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_the_commands_one_environment_part_gives_the_whole_models_view(workspace):
    # The command builds the history part for one environment only (the join reads no other
    # changes): the view must be the one the part with every environment's changes gives.
    from generator.build import config_sections
    from generator.config import load_config
    from generator.evidence.sections import history_sections
    from generator.history import read_history
    from generator.releasenotes import load_release_notes
    from generator.releasenotes.join import release_view

    config = load_config(workspace / "meshcomply.yml", config_sections())
    installation = config.installations[0]
    history = read_history(installation, config.period, cache_dir=workspace / ".cache-lean")
    assert history.changes
    whole = history_sections(history, earlier_releases=True)
    notes = load_release_notes(REAL_NOTES)
    for environment in ("staging", "production"):
        part = history_sections(history, environment=environment, earlier_releases=True)
        assert part.changes == tuple(c for c in whole.changes if environment in c.environments)
        assert part.changes != whole.changes
        views = [release_view(model, notes, environment) for model in (part, whole)]
        assert views[0] == views[1]
        assert views[0].versions
