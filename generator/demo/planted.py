"""The deliberate deviations inside the audit period, and nothing else.

Everything outside this module is clean in the period: production changes approved by the
customer and signed, every release staged before production, logging on, documents fresh.
docs/demo.md lists what the evidence engine must report for each finding.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from generator.demo.customers import ACME, GLOBEX
from generator.demo.events import event_uuid
from generator.demo.installations import AYLIN, LENA, TOBIAS, InstallationSpec
from generator.demo.model import Person, PlantedFinding
from generator.demo.timeline import Step, approver_for, direct_step, merge_step, reviewer_for

ACME_EMERGENCY = "emergency:idp-token-cache"
ACME_LOGGING_OFF = "logging:off"
ACME_LOGGING_ON = "logging:on"
ACME_SELF_APPROVED = "change:backup-retention-35d:production"
ACME_UNSIGNED = "promote:2026.20.0"
ACME_NOT_ALLOWED = "change:replication-15m:production"
ACME_FOREIGN_KEY = "promote:2026.12.0"
GLOBEX_SKIPPED_VERSION = "2026.17.1"
GLOBEX_SKIPPED = f"promote:{GLOBEX_SKIPPED_VERSION}"
GLOBEX_STALE_DOC = "docs/security/penetration-test.md"
# A platform change pushed straight to main: the landing zones reach staging and production.
ACME_DIRECT_PUSH = "other:landing-zone:2026-02-25"
# A production setting approved and merged, but never tried in staging.
GLOBEX_SKIPPED_CONFIG = "change:session-timeout-12h:production"
# The Q2 2026 access review of Acme was never performed: its Q1 review is in git, Q2's is not.
ACME_MISSED_REVIEW = ("access-review", dt.date(2026, 6, 17))
ACME_MISSED_DOC = "docs/security/access-review.md"
# Globex's business-continuity test of 2026-03-18 was performed and failed.
GLOBEX_FAILED_TEST = ("business-continuity-test", dt.date(2026, 3, 18))
GLOBEX_FAILED_DOC = "docs/security/business-continuity-test.md"
# (installation, document, date) -> the failed test's outcome, as the document states it
FAILED_RESULTS: dict[tuple[str, str, dt.date], str] = {
    ("globex", *GLOBEX_FAILED_TEST): (
        "- Recovery time: 38 hours (objective: 8 hours): RTO missed by 30 hours\n"
        "- Cause: the secondary region's database replica was three days behind\n"
        "- Result: failed\n"
    ),
}

EXCEPTIONS: dict[str, list[dict[str, object]]] = {
    "acme": [
        {
            "id": "EXC-2026-001",
            # One decision for the emergency change, so one entry for every deviation it
            # causes: no approval, pushed directly to main, in production before staging. No
            # `control`: the failures show in every control using these rules (MS-CHG-01,
            # MS-CHG-02, MS-CHG-03), and the acceptance covers all of them.
            "rule": ["change-approval", "direct-push", "config-promotion"],
            "commit_key": ACME_EMERGENCY,
            "justification": (
                "Emergency change during incident INC-2417 (customer IdP rate-limiting token "
                "refreshes), pushed directly to main and applied in production before staging "
                "under the emergency procedure; approved retroactively in the change advisory "
                "board of 2026-02-17, staging followed on 2026-02-16."
            ),
            "accepted_by": ACME.exception_approver,
            "ticket": "SEC-1234",
            "expires": "2026-12-31",
        }
    ],
    "globex": [
        {
            "id": "EXC-2026-002",
            "rule": "staging-before-production",
            "commit_key": GLOBEX_SKIPPED,
            "justification": (
                f"Hotfix {GLOBEX_SKIPPED_VERSION} for the production quota replication outage "
                "(INC-0815) while the staging OpenStack project was being migrated; accepted by "
                "the Globex change advisory board on 2026-05-05."
            ),
            "accepted_by": GLOBEX.exception_approver,
            "ticket": "GLX-CAB-2026-031",
            "expires": "2026-09-30",
        }
    ],
}


# The findings register (corrective actions) of acme: some of its open deviations, not all (the
# logging window has none, so the pack shows "no corrective action recorded" for it); one is
# overdue at the period end. Globex keeps no findings register.
CORRECTIVE_ACTIONS: dict[str, list[dict[str, str]]] = {
    "acme": [
        {
            "commit_key": ACME_SELF_APPROVED,
            "kind": "self_approved",
            "root_cause": (
                "The backup retention change was merged by its author, who also wrote the "
                "Approved-by line; the repository did not require a second person."
            ),
            "action": (
                "Branch protection on main requires an approving review by someone other than "
                "the author; the change is reviewed again by the customer's platform lead."
            ),
            "owner": "meshcloud Platform Operations",
            "due": "2026-08-31",
            "state": "in_progress",
            "ticket": "OPS-2291",
        },
        {
            "commit_key": ACME_UNSIGNED,
            "kind": "unsigned",
            "root_cause": (
                "The promotion was merged from a workstation whose git was not set up to sign."
            ),
            "action": "Signing is enforced by a server-side hook that rejects unsigned merges.",
            "owner": "Tobias Krüger",
            "due": "2026-06-15",
            "state": "open",
            "ticket": "OPS-2304",
        },
    ],
    "globex": [],
}


def planted_steps(spec: InstallationSpec) -> list[Step]:
    """Commits that exist only to carry a finding."""
    if spec.name == "globex":
        session = merge_step(
            spec,
            GLOBEX_SKIPPED_CONFIG,
            dt.date(2026, 4, 15),
            AYLIN,
            approver_for(spec, GLOBEX_SKIPPED_CONFIG),
            subject="Extend the identity broker session timeout to 12 hours (production)",
            body=(
                "Globex's night shift is logged out mid-shift. The change goes to production\n"
                "directly: the staging identity broker is the same build."
            ),
            settings={"production": {"broker.session_timeout_minutes": 720}},
            branch="change/session-timeout-12h",
        )
        return [session]
    if spec.name != "acme":
        return []
    emergency = direct_step(
        spec,
        ACME_EMERGENCY,
        dt.date(2026, 2, 14),
        "22:40",
        author=TOBIAS,
        subject="Emergency: raise the identity broker token cache to 30 minutes",
        body=(
            "Acme's IdP rate-limits token refreshes since 21:50 (incident INC-2417) and users\n"
            "are logged out of meshStack. A longer token cache stops the refresh storm.\n"
            "Pushed directly to unblock users; approval to follow."
        ),
        settings={"production": {"broker.token_cache_minutes": 30}},
    )
    follow_up_key = f"{ACME_EMERGENCY}:staging"
    follow_up = merge_step(
        spec,
        follow_up_key,
        dt.date(2026, 2, 16),
        TOBIAS,
        reviewer_for(spec, follow_up_key, TOBIAS),
        slot="staging",
        trailer="Reviewed-by",
        subject="Align the staging token cache with production (INC-2417)",
        settings={"staging": {"broker.token_cache_minutes": 30}},
        branch="staging/idp-token-cache",
    )
    off_day, on_day = dt.date(2026, 3, 11), dt.date(2026, 3, 18)
    logging_off = merge_step(
        spec,
        ACME_LOGGING_OFF,
        off_day,
        LENA,
        approver_for(spec, ACME_LOGGING_OFF),
        subject="Pause audit log shipping for the log pipeline migration (production)",
        body="CloudWatch log groups move to the new account; shipping resumes after the cutover.",
        settings={"production": {"logging.enabled": False}},
        branch="change/log-pipeline-migration",
    )
    logging_on = merge_step(
        spec,
        ACME_LOGGING_ON,
        on_day,
        LENA,
        approver_for(spec, ACME_LOGGING_ON),
        subject="Resume audit log shipping after the log pipeline migration (production)",
        settings={"production": {"logging.enabled": True}},
        branch="change/log-pipeline-migration-done",
    )
    return [emergency, follow_up, logging_off, logging_on]


def adjust(spec: InstallationSpec, steps: list[Step]) -> list[Step]:
    """Turn regular steps into findings: drop, unsign, self-approve them, have someone not
    allowed approve them or sign them with another person's key; drop a document's update."""
    missed_review = f"doc:{ACME_MISSED_REVIEW[0]}:{ACME_MISSED_REVIEW[1].isoformat()}"
    targets = {
        "acme": {
            ACME_SELF_APPROVED,
            ACME_UNSIGNED,
            ACME_NOT_ALLOWED,
            ACME_FOREIGN_KEY,
            ACME_DIRECT_PUSH,
            missed_review,
        },
        "globex": {f"stage:{GLOBEX_SKIPPED_VERSION}", GLOBEX_SKIPPED},
    }[spec.name]
    missing = targets - {step.key for step in steps}
    if missing:
        raise ValueError(f"planted findings target missing demo steps: {sorted(missing)}")
    adjusted: list[Step] = []
    for step in steps:
        if spec.name == "acme" and step.key == ACME_SELF_APPROVED:
            # The operator records themselves as approver and merges their own change.
            step = dataclasses.replace(step, approvers=(step.author,), committer=step.author)
        elif spec.name == "acme" and step.key == ACME_UNSIGNED:
            step = dataclasses.replace(step, signed=False)
        elif spec.name == "acme" and step.key == ACME_NOT_ALLOWED:
            # A meshcloud colleague, not the customer, records the production approval.
            step = dataclasses.replace(step, approvers=(_colleague(spec, step.author),))
        elif spec.name == "acme" and step.key == ACME_FOREIGN_KEY:
            # The operator merges, but the signature is made with a colleague's key.
            merger = step.committer or step.author
            step = dataclasses.replace(step, signing_key_of=_colleague(spec, merger))
        elif spec.name == "acme" and step.key == ACME_DIRECT_PUSH:
            # Pushed to main without a merge request or an approval.
            step = dataclasses.replace(
                step,
                branch=None,
                branch_when=None,
                approvers=(),
                committer=None,
                body="Needed before Acme's security review tomorrow; pushed directly to main.",
            )
        elif spec.name == "acme" and step.key == missed_review:
            continue  # the Q2 access review was never performed: no document, no commit
        elif spec.name == "globex" and step.key == f"stage:{GLOBEX_SKIPPED_VERSION}":
            continue  # the staging pipeline was paused: the hotfix never reached staging
        elif spec.name == "globex" and step.key == GLOBEX_SKIPPED:
            step = dataclasses.replace(
                step,
                subject=f"Hotfix: promote meshStack {GLOBEX_SKIPPED_VERSION} to production",
                body=(
                    f"{GLOBEX_SKIPPED_VERSION} fixes the quota replication outage in production "
                    "(INC-0815).\nThe staging pipeline is paused while the staging OpenStack "
                    "project is migrated,\nso the hotfix goes to production directly."
                ),
            )
        adjusted.append(step)
    return adjusted


def _rules(entry: dict[str, object]) -> list[str]:
    """The rule kinds a register entry accepts (`rule` is one kind or a list of them)."""
    rule = entry["rule"]
    return [str(kind) for kind in rule] if isinstance(rule, list) else [str(rule)]


def _colleague(spec: InstallationSpec, person: Person) -> Person:
    return next(p for p in spec.operators if p != person)


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
