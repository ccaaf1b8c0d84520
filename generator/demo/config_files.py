"""The files next to the example repositories: meshcomply.yml, exceptions registers, the allowed
signers file, the shared evidence folder and a README."""

from __future__ import annotations

from pathlib import Path

from generator.demo.content import scalar
from generator.demo.evidence_docs import SHARED_DOCS, render_shared_doc
from generator.demo.installations import PIPELINE, InstallationSpec
from generator.demo.meshstack_users import meshstack_url
from generator.demo.model import PlantedFinding
from generator.demo.planted import CORRECTIVE_ACTIONS, EXCEPTIONS
from generator.demo.timeline import PERIOD
from generator.evidence.deviations import deviation_id

RELEASE_NOTES_DIR = "release-notes"
EVIDENCE_DIR = "meshcloud-evidence"
EVENTS_DIR = "events"
ALLOWED_SIGNERS = "allowed_signers"
TAG_PATTERN = r"^production/(?P<version>\d+\.\d+\.\d+)$"


def repo_dir(spec: InstallationSpec) -> str:
    return f"{spec.name}-config"


def exceptions_file(spec: InstallationSpec) -> str:
    return f"{spec.name}-exceptions.yml"


def _installation(spec: InstallationSpec) -> str:
    def release(env: str) -> str:
        if env == "production" and spec.production_release == "tag":
            return f"{{tag_pattern: '{TAG_PATTERN}'}}"
        return f"{{file: environments/{env}/meshstack.yaml, key: meshstack.version}}"

    merge_note = (
        "# Globex approvers merge in GitLab: the merge committer is an approver"
        if spec.customer_merges
        else "# Acme's operators merge once approved: the committer is not an approver"
    )
    # Globex's approvers merge and sign themselves, so production can require their signature;
    # at Acme the customer's approval is a line the operator writes into the merge.
    strength = "signed" if spec.customer_merges else "trailer"
    board = f"{spec.name}-change-board"
    members = ", ".join(f"'{_pattern(person.email)}'" for person in spec.approvers)
    return (
        f"  {spec.name}:\n"
        f"    repo: ./{repo_dir(spec)}\n"
        "    ref: main\n"
        "    environments:\n"
        "      staging:\n"
        '        paths: ["environments/staging/**"]\n'
        f"        release: {release('staging')}\n"
        "        approval: optional\n"
        "        approvers: [meshcloud-operations]\n"
        "      production:\n"
        '        paths: ["environments/production/**"]\n'
        f"        release: {release('production')}\n"
        "        approval: required\n"
        f"        approvers: [{board}]  # the customer's people, nobody else\n"
        f"        approval_strength: {strength}\n"
        "    approvals:\n"
        "      trailers: [Approved-by, Reviewed-by]\n"
        f"      {merge_note}\n"
        f"      merge_committer: {scalar(spec.customer_merges)}\n"
        "      groups:\n"
        f"        {board}:\n"
        "          side: customer\n"
        f"          members: [{members}]\n"
        "        meshcloud-operations:\n"
        "          side: provider\n"
        "          members: ['[^@]+@meshcloud\\.io']\n"
        "      automation:\n"
        "        # The pipeline records release management's sign-off of each release\n"
        f"        - email: '{_pattern(PIPELINE.email)}'\n"
        "          carries_approvals_from: meshcloud release management (release sign-off)\n"
        "    signing:\n"
        f"      allowed_signers: ./{ALLOWED_SIGNERS}\n"
        "    # Landing zones, building blocks and the Terraform integration serve both\n"
        "    # environments: a change there is a change to each of them.\n"
        "    shared_scopes:\n"
        "      platform:\n"
        '        paths: ["landing-zones/**", "building-blocks/**", "infrastructure/terraform/**"]\n'
        "        reaches: [staging, production]\n"
        "    out_of_scope:\n"
        "      evidence-documents:\n"
        '        paths: ["docs/**"]\n'
        "        justification: >-\n"
        "          Records of tests and reviews (the manual evidence the control library reads);\n"
        "          they configure nothing that runs.\n"
        f"    exceptions: ./{exceptions_file(spec)}\n"
        + (f"    findings: ./{findings_file(spec)}\n" if findings_file(spec) else "")
        + f"    evidence_dir: ./{EVIDENCE_DIR}\n"
        "    # meshStack's event log: export files `meshcomply collect events` writes\n"
        "    events:\n"
        f"      folder: ./{EVENTS_DIR}\n"
        f"      url: {meshstack_url(spec)}\n"
    )


def _pattern(email: str) -> str:
    """An RE2 pattern matching exactly this address."""
    return email.replace(".", "\\.")


def meshcomply_yml(specs: tuple[InstallationSpec, ...]) -> str:
    start, end = PERIOD
    return (
        "# meshcomply configuration of the example installations made by `meshcomply demo`.\n"
        "# Paths are relative to this file. See docs/history.md for every option.\n"
        f"period: {start.isoformat()}..{end.isoformat()}\n"
        f"release_notes: ./{RELEASE_NOTES_DIR}\n"
        "installations:\n" + "".join(_installation(spec) for spec in specs)
    )


def findings_file(spec: InstallationSpec) -> str | None:
    """The findings register's file name, None for an installation that keeps none."""
    return f"{spec.name}-findings.yml" if CORRECTIVE_ACTIONS[spec.name] else None


def findings_yml(spec: InstallationSpec, shas: dict[str, str]) -> str:
    """The corrective actions of some open deviations, each named by the id the pack gives it."""
    lines = [
        f"# Findings register of {spec.customer}: corrective actions for open deviations.",
        "findings:",
    ]
    for entry in CORRECTIVE_ACTIONS[spec.name]:
        deviation = deviation_id(entry["kind"], shas[entry["commit_key"]])
        lines.append(f"  - deviation: {deviation}   # {entry['kind']}")
        for field in ("root_cause", "action", "owner"):
            lines.append(f"    {field}: {scalar(entry[field])}")
        lines.append(f'    due: "{entry["due"]}"')
        lines.append(f"    state: {entry['state']}")
        lines.append(f"    ticket: {entry['ticket']}")
    return "\n".join(lines) + "\n"


def exceptions_yml(spec: InstallationSpec, shas: dict[str, str]) -> str:
    lines = [
        f"# Exceptions register of {spec.customer}: deviations accepted by the customer.",
        "exceptions:",
    ]
    for entry in EXCEPTIONS[spec.name]:
        lines.append(f"  - id: {entry['id']}")
        rule = entry["rule"]
        written = f"[{', '.join(map(str, rule))}]" if isinstance(rule, list) else rule
        lines.append(f"    rule: {written}")
        if "control" in entry:
            lines.append(f"    control: {entry['control']}")
        lines.append(f"    sha: {shas[str(entry['commit_key'])]}")
        for field in ("justification", "accepted_by", "ticket"):
            lines.append(f"    {field}: {scalar(entry[field])}")
        lines.append(f'    expires: "{entry["expires"]}"')
    return "\n".join(lines) + "\n"


def write_shared_evidence(folder: Path) -> None:
    for path in SHARED_DOCS:
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render_shared_doc(path), encoding="utf-8")


def readme(specs: tuple[InstallationSpec, ...], findings: list[PlantedFinding]) -> str:
    start, end = PERIOD
    lines = [
        "# meshcomply demo: example installations",
        "",
        "Synthetic, deterministic example data made by `meshcomply demo` (same bytes and commit",
        "shas on every run). Nothing here is real customer data. The signing key is a published",
        "throwaway key: never trust it outside this demo.",
        "",
        "- `meshcomply.yml`: the installations and the audit period "
        f"{start.isoformat()}..{end.isoformat()}",
        *(f"- `{repo_dir(spec)}/`: {spec.customer}'s configuration repository" for spec in specs),
        *(f"- `{exceptions_file(spec)}`: {spec.customer}'s exceptions register" for spec in specs),
        *(
            f"- `{findings_file(spec)}`: {spec.customer}'s findings register (corrective "
            "actions for some open deviations)"
            for spec in specs
            if findings_file(spec)
        ),
        f"- `{ALLOWED_SIGNERS}`: the ssh allowed-signers file for signature verification",
        f"- `{EVIDENCE_DIR}/`: meshcloud-wide manual evidence documents",
        f"- `{EVENTS_DIR}/`: each installation's meshStack event log over the audit period "
        "(export files)",
        f"- `{RELEASE_NOTES_DIR}/`: synthetic release notes of every version in the histories",
        "",
        "## Planted findings in the audit period",
        "",
        "| installation | rule | finding | commit, document or events | accepted exception |",
        "| --- | --- | --- | --- | --- |",
    ]
    for finding in findings:
        where = [finding.sha or finding.path or ""] if not finding.events else finding.events
        lines.append(
            f"| {finding.installation} | {finding.rule} | {finding.title} "
            f"| {', '.join(f'`{item}`' for item in where)} | {finding.exception_id or '-'} |"
        )
    lines += ["", "Everything else in the period is approved, signed, staged first and current."]
    return "\n".join(lines) + "\n"
