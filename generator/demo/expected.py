"""What the evidence engine must report for each installation in the audit period: the findings
planted.py plants, as the pack states them, each with the register entry accepting it.

tests/test_demo_findings.py checks a demo build against these; docs/demo.md lists them.
"""

from __future__ import annotations

import dataclasses

from generator.demo.events import event_uuid
from generator.demo.installations import InstallationSpec
from generator.demo.model import PlantedFinding
from generator.demo.planted import (
    ACME_DIRECT_PUSH,
    ACME_EMERGENCY,
    ACME_FOREIGN_KEY,
    ACME_LOGGING_OFF,
    ACME_LOGGING_ON,
    ACME_MISSED_DOC,
    ACME_NOT_ALLOWED,
    ACME_SELF_APPROVED,
    ACME_UNSIGNED,
    EXCEPTIONS,
    GLOBEX_FAILED_DOC,
    GLOBEX_SKIPPED,
    GLOBEX_SKIPPED_CONFIG,
    GLOBEX_SKIPPED_VERSION,
    GLOBEX_STALE_DOC,
)


def _rules(entry: dict[str, object]) -> list[str]:
    """The rule kinds a register entry accepts (`rule` is one kind or a list of them)."""
    rule = entry["rule"]
    return [str(kind) for kind in rule] if isinstance(rule, list) else [str(rule)]


def _uuids(installation: str, key: str, *steps: str) -> tuple[str, ...]:
    """The uuids of the demo events behind an event finding, in the order the rule cites them."""
    keys = [f"{key}:{step}" for step in steps] if steps else [key]
    return tuple(event_uuid(installation, k) for k in keys)


def findings(spec: InstallationSpec) -> list[PlantedFinding]:
    """What the evidence engine must report for this installation in the audit period."""
    accepted = {
        (rule, entry["commit_key"]): str(entry["id"])
        for entry in EXCEPTIONS[spec.name]
        for rule in _rules(entry)
    }
    if spec.name == "acme":
        items = [
            PlantedFinding(
                "acme", "change-approval", "Unapproved emergency change in production",
                "deviation (unapproved): production change without any approver (accepted as "
                "EXC-2026-001)",
                commit_key=ACME_EMERGENCY, kind="unapproved",
            ),
            PlantedFinding(
                "acme", "config-assertion", "Audit logging switched off in production for a week",
                "deviation (assertion_failed): logging.enabled is false in production from the "
                "first to the second commit (7 days)",
                commit_key=ACME_LOGGING_OFF, window=("2026-03-11", "2026-03-18"),
                window_end_key=ACME_LOGGING_ON, kind="assertion_failed",
            ),
            PlantedFinding(
                "acme", "change-approval", "Self-approved production change",
                "deviation (self_approved): the only approver is the change's author "
                "(segregation of duties)",
                commit_key=ACME_SELF_APPROVED, kind="self_approved",
            ),
            PlantedFinding(
                "acme", "signed-changes", "Unsigned production change",
                "deviation (unsigned): the promotion merge carries no signature",
                commit_key=ACME_UNSIGNED, kind="unsigned",
            ),
            PlantedFinding(
                "acme", "change-approval", "Production change approved by someone not allowed",
                "deviation (approver_not_allowed): a meshcloud colleague, not Acme's change "
                "board, approved the production change",
                commit_key=ACME_NOT_ALLOWED, kind="approver_not_allowed",
            ),
            PlantedFinding(
                "acme", "signed-changes", "Production merge signed with another person's key",
                "deviation (signer_mismatch): a good signature by a colleague's key, not the "
                "committer's",
                commit_key=ACME_FOREIGN_KEY, kind="signer_mismatch",
            ),
            # The emergency change is also a direct push, and it reached production before
            # staging (the staging follow-up came two days later): the same register entry
            # accepts these deviations too.
            PlantedFinding(
                "acme", "direct-push", "Emergency change pushed directly to main",
                "deviation (direct_push): not a merge and without an approval (production; "
                "accepted as EXC-2026-001)",
                commit_key=ACME_EMERGENCY, kind="direct_push",
            ),
            PlantedFinding(
                "acme", "config-promotion", "Emergency setting never in staging first",
                "deviation (skipped_staging): broker.session.token_cache_minutes = 30 reached "
                "production two days before staging (accepted as EXC-2026-001)",
                commit_key=ACME_EMERGENCY, kind="skipped_staging",
            ),
            PlantedFinding(
                "acme", "config-promotion", "Logging switched off in production only",
                "deviation (skipped_staging): logging.enabled = false never ran in staging",
                commit_key=ACME_LOGGING_OFF, kind="skipped_staging",
            ),
            PlantedFinding(
                "acme", "direct-push", "Landing zone change pushed directly to main",
                "deviation (direct_push): the shared landing zones (staging and production) "
                "changed without a merge or an approval",
                commit_key=ACME_DIRECT_PUSH, kind="direct_push",
            ),
            PlantedFinding(
                "acme", "change-approval", "Unapproved landing zone change",
                "deviation (unapproved): a shared-scope change is a change to staging and "
                "production, and this one has no approver",
                commit_key=ACME_DIRECT_PUSH, kind="unapproved",
            ),
            PlantedFinding(
                "acme", "access-four-eyes", "Privileged role approved by its own requester",
                "deviation (self_approved_access): Marcus Webb requested Workspace Manager in "
                "acme-data-platform for Emma Schulz and approved the request himself",
                events=_uuids("acme", "planted:self-approved", "requested", "approved", "granted"),
                kind="self_approved_access",
            ),
            PlantedFinding(
                "acme", "changes-outside-git", "Landing zone changed in the panel",
                "deviation (changed_outside_git): Tobias Krüger changed the aws-production "
                "landing zone in meshStack; no commit touched landing-zones/ within 24 hours",
                events=_uuids("acme", "planted:panel-landing-zone"), kind="changed_outside_git",
            ),
            PlantedFinding(
                "acme", "manual", "Missed quarterly access review",
                "deviation (not_performed): no access review is dated in 2026-Q2 "
                "(2026-04-01..2026-06-30); the Q1 review of 2026-03-11 is in git",
                path=ACME_MISSED_DOC, kind="not_performed",
            ),
        ]  # fmt: skip
    else:
        items = [
            PlantedFinding(
                "globex", "staging-before-production", "Release that skipped staging",
                f"deviation (skipped_staging): {GLOBEX_SKIPPED_VERSION} reached production but "
                "never staging (accepted as EXC-2026-002)",
                commit_key=GLOBEX_SKIPPED, kind="skipped_staging",
            ),
            PlantedFinding(
                "globex", "manual", "Stale penetration test report",
                "deviation (stale_document): the newest penetration test is dated 2024-09-17, "
                "more than one year before the period end",
                path=GLOBEX_STALE_DOC, kind="stale_document",
            ),
            PlantedFinding(
                "globex", "config-promotion", "Production setting that skipped staging",
                "deviation (skipped_staging): broker.session.timeout_minutes = 720 approved for "
                "production, never in staging",
                commit_key=GLOBEX_SKIPPED_CONFIG, kind="skipped_staging",
            ),
            PlantedFinding(
                "globex", "access-four-eyes", "Privileged role granted without a request",
                "deviation (grant_without_request): Henrik Olsen made Felix Hartmann Workspace "
                "Owner of globex-research directly, with no access request",
                events=_uuids("globex", "planted:no-request", "granted"),
                kind="grant_without_request",
            ),
            PlantedFinding(
                "globex", "access-removal", "Disabled user kept a role for six weeks",
                "deviation (access_not_removed): Anna Kowalski was disabled on 2026-04-03; her "
                "Workspace Member role in globex-finance was removed 42 days later",
                events=_uuids("globex", "leaver", "disabled", "granted", "removed"),
                kind="access_not_removed",
            ),
            PlantedFinding(
                "globex", "manual", "Failed business-continuity test",
                "deviation (failed_result): the test of 2026-03-18 records the result 'fail' "
                "(RTO missed by 30 hours)",
                path=GLOBEX_FAILED_DOC, kind="failed_result",
            ),
        ]  # fmt: skip
    return [
        dataclasses.replace(item, exception_id=accepted.get((item.rule, item.commit_key or "")))
        for item in items
    ]
