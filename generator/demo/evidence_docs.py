"""Manual evidence documents: tests and reviews performed outside git.

Each carries YAML front matter with the ``date`` the test or review was performed and its
``owner``; the evidence engine's ``manual`` rule judges freshness from that date. Installation
documents live in the config repository (``docs/``); meshcloud-wide ones, the same for every
installation, in a shared evidence folder next to the repositories.
"""

from __future__ import annotations

import datetime as dt

from generator.demo.clock import pick

_SECURITY, _SRE, _OPS = "meshcloud Security", "meshcloud SRE", "meshcloud Platform Operations"

# key -> (path, title, owner); the paths are the ones the control library's `manual` evidence
# names (tests/test_demo_library.py keeps them in step).
REPOSITORY_DOCS: dict[str, tuple[str, str, str]] = {
    "backup-restore-test": ("docs/security/backup-restore-test.md", "Backup restore test", _SRE),
    "penetration-test": ("docs/security/penetration-test.md", "Penetration test", _SECURITY),
    "incident-response-plan": (
        "docs/security/incident-response-plan.md",
        "Incident response plan review",
        _SRE,
    ),
    "access-review": ("docs/security/access-review.md", "Access review", _SECURITY),
    "business-continuity-test": (
        "docs/security/business-continuity-test.md",
        "Business continuity test",
        _SRE,
    ),
    "event-log-review": ("docs/security/event-log-review.md", "Event log review", _SECURITY),
    "responsibility-matrix": (
        "docs/security/responsibility-matrix.md",
        "Shared responsibility matrix",
        "meshcloud Customer Success",
    ),
    "tenant-deletion-review": (
        "docs/security/tenant-deletion-review.md",
        "Tenant deletion review",
        _OPS,
    ),
    "landing-zones": ("docs/operations/landing-zones.md", "Landing zone documentation", _OPS),
}

# path -> (title, owner, date): meshcloud-wide documents in the shared evidence folder.
SHARED_DOCS: dict[str, tuple[str, str, dt.date]] = {
    "docs/delivery/infrastructure-as-code.md": (
        "Infrastructure as code standard",
        "meshcloud Platform Engineering",
        dt.date(2026, 1, 20),
    ),
    "docs/delivery/artefact-store.md": (
        "Artefact store and release signing",
        "meshcloud Platform Engineering",
        dt.date(2025, 11, 18),
    ),
    "docs/security/isolation-architecture.md": (
        "Tenant isolation architecture",
        "meshcloud Platform Engineering",
        dt.date(2026, 3, 10),
    ),
    "docs/security/supplier-review.md": (
        "Supplier review",
        "meshcloud Compliance",
        dt.date(2026, 2, 24),
    ),
    "docs/operations/runbooks.md": ("Operations runbooks", "meshcloud SRE", dt.date(2026, 4, 28)),
}

_BODIES = {
    "backup-restore-test": (
        "The meshStack database backup of the previous night was restored into an isolated\n"
        "environment and checked against the live inventory of workspaces and tenants.\n\n"
        "- Restore time: {minutes} minutes (objective: 4 hours)\n- Result: passed\n"
    ),
    "penetration-test": (
        "External grey-box penetration test of the meshStack panel, API and identity broker\n"
        "by an independent testing firm.\n\n"
        "- Findings: {small} low, 0 medium, 0 high, 0 critical\n"
        "- Low findings are tracked in the security backlog with owners and due dates.\n"
    ),
    "incident-response-plan": (
        "Annual review of the joint incident response plan of meshcloud and {customer}.\n\n"
        "- Contacts, escalation paths and severity definitions checked.\n"
        "- Tabletop exercise: compromised platform credentials.\n"
    ),
    "access-review": (
        "Quarterly review of administrative access to meshStack and the cloud platforms.\n\n"
        "- Accounts reviewed: {count}\n- Access revoked: {small}\n"
    ),
    "business-continuity-test": (
        "Failover of meshStack to the secondary region and back.\n\n"
        "- Recovery time: {minutes} minutes (objective: 8 hours)\n- Result: passed\n"
    ),
    "event-log-review": (
        "Half-yearly review of the audit event log: completeness of forwarding, alert rules\n"
        "and a sample of {count} privileged actions traced to tickets.\n\n- Result: no gaps\n"
    ),
    "responsibility-matrix": (
        "Who does what between meshcloud (operator) and {customer} (customer) for each\n"
        "security control of the managed service. Reviewed and signed by both parties.\n"
    ),
    "tenant-deletion-review": (
        "Review of the {count} tenants deleted in the last twelve months: every deletion was\n"
        "requested by a workspace owner and confirmed in the cloud platform.\n"
    ),
    "landing-zones": (
        "The landing zones of {customer}, their policies and who owns them.\n"
        "Source of truth: `landing-zones/` in this repository.\n"
    ),
}


def front_matter(title: str, day: dt.date, owner: str) -> str:
    return f'---\ntitle: {title}\ndate: {day.isoformat()}\nowner: "{owner}"\n---\n\n'


def render_doc(doc: str, customer: str, installation: str, day: dt.date) -> str:
    _, title, owner = REPOSITORY_DOCS[doc]
    key = f"{installation}:{doc}:{day.isoformat()}"
    body = _BODIES[doc].format(
        customer=customer,
        minutes=35 + pick(key, 60),
        small=1 + pick(key + ":small", 4),
        count=20 + pick(key + ":count", 40),
    )
    return front_matter(title, day, owner) + f"# {title} — {customer}\n\n{body}"


def render_shared_doc(path: str) -> str:
    title, owner, day = SHARED_DOCS[path]
    return (
        front_matter(title, day, owner)
        + f"# {title}\n\nmeshcloud-wide document, the same for every managed installation.\n"
        "Synthetic example evidence generated by `meshcomply demo`.\n"
    )
