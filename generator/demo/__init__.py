"""The deterministic example installations behind ``meshcomply demo``.

``generate_demo(root)`` writes ``root/example/``: two installations' configuration repositories
with two years of history (2024-07-01..2026-06-30), their meshStack event log exports over the
audit period, ``meshcomply.yml``, exceptions registers, an allowed-signers file, shared evidence
documents and synthetic release notes. Dates, names and
choices are fixed, so every run on every machine gives the same files and the same commit shas.
docs/demo.md describes the content and the planted findings.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from generator.demo.config_files import (
    ALLOWED_SIGNERS,
    EVENTS_DIR,
    EVIDENCE_DIR,
    RELEASE_NOTES_DIR,
    exceptions_file,
    exceptions_yml,
    findings_file,
    findings_yml,
    meshcomply_yml,
    readme,
    repo_dir,
    write_shared_evidence,
)
from generator.demo.customers import INSTALLATIONS
from generator.demo.events import installation_events, write_events_export
from generator.demo.expected import findings as planted_findings
from generator.demo.history import plan_commits
from generator.demo.model import PlannedCommit, PlantedFinding
from generator.demo.release_notes import write_release_notes
from generator.demo.repo_writer import WrittenRepository, write_repository
from generator.demo.signing import allowed_signers, demo_signer
from generator.demo.timeline import PERIOD

__all__ = ["EXAMPLE_DIR", "PERIOD", "DemoResult", "generate_demo"]

EXAMPLE_DIR = "example"


@dataclass
class DemoResult:
    example: Path  # the folder holding meshcomply.yml
    config: Path  # meshcomply.yml
    repositories: dict[str, WrittenRepository]  # installation name -> repository facts
    findings: list[PlantedFinding]  # what the evidence engine must report, with shas
    release_versions: list[str]  # every version with a release note, oldest first


def _locate(finding: PlantedFinding, repo: WrittenRepository) -> PlantedFinding:
    if finding.commit_key is None:
        return finding
    window_shas = None
    if finding.window_end_key is not None:
        window_shas = (repo.shas[finding.commit_key], repo.shas[finding.window_end_key])
    return dataclasses.replace(finding, sha=repo.shas[finding.commit_key], window_shas=window_shas)


def generate_demo(root: Path) -> DemoResult:
    """Write the example into ``root/example`` (which must not exist yet)."""
    example = root / EXAMPLE_DIR
    example.mkdir(parents=True)
    plans: dict[str, list[PlannedCommit]] = {
        spec.name: plan_commits(spec) for spec in INSTALLATIONS
    }
    with demo_signer() as signer, ThreadPoolExecutor(max_workers=len(INSTALLATIONS)) as pool:
        # Signing runs one ssh-keygen per commit; the installations are independent, so their
        # processes can overlap.
        futures = {
            spec.name: pool.submit(
                write_repository, example / repo_dir(spec), plans[spec.name], signer
            )
            for spec in INSTALLATIONS
        }
        repositories = {name: future.result() for name, future in futures.items()}
    findings: list[PlantedFinding] = []
    for spec in INSTALLATIONS:
        repo = repositories[spec.name]
        _write(example / exceptions_file(spec), exceptions_yml(spec, repo.shas))
        if findings_file(spec):
            _write(example / str(findings_file(spec)), findings_yml(spec, repo.shas))
        write_events_export(example / EVENTS_DIR, spec, installation_events(spec, plans[spec.name]))
        findings += [_locate(item, repo) for item in planted_findings(spec)]
    _write(example / "meshcomply.yml", meshcomply_yml(INSTALLATIONS))
    _write(example / ALLOWED_SIGNERS, allowed_signers(_signers(plans)))
    write_shared_evidence(example / EVIDENCE_DIR)
    versions = write_release_notes(example / RELEASE_NOTES_DIR)
    _write(example / "README.md", readme(INSTALLATIONS, findings))
    return DemoResult(example, example / "meshcomply.yml", repositories, findings, versions)


def _signers(plans: dict[str, list[PlannedCommit]]) -> list[str]:
    emails = set()
    for planned in (commit for commits in plans.values() for commit in commits):
        emails.add(planned.committer.email)
        emails.update(branch_commit.author.email for branch_commit in planned.branch_commits)
    return sorted(emails)


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
