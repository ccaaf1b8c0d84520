"""The deliberate deviations inside the audit period, and nothing else.

Everything outside this module is clean in the period: production changes approved by the
customer and signed, every release staged before production, logging on, documents fresh.
What the evidence engine must report for each finding is expected.py's; docs/demo.md lists it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from generator.demo.customers import ACME, GLOBEX
from generator.demo.installations import AYLIN, LENA, TOBIAS, InstallationSpec
from generator.demo.model import Person
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


def _colleague(spec: InstallationSpec, person: Person) -> Person:
    return next(p for p in spec.operators if p != person)
