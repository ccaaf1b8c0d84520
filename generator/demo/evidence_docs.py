"""Manual evidence documents: tests and reviews performed outside git.

Each carries structured YAML front matter (docs/evidence.md, "Evidence documents"): the ``date``
the test or review was performed, the ``period`` a review covers, its ``result`` (tests and
reviews; designs and plans have none), who performed and approved it, and its ``scope``. The
evidence engine's ``manual`` rule judges them from that front matter. Installation documents live
in the config repository (``docs/``), one version per occurrence; meshcloud-wide ones, the same
for every installation, in a shared evidence folder next to the repositories.
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


# key -> what the front matter records besides the date: the interval a review covers (months
# back from the date, 0: a point in time), whether it records a result, and its scope.
_RECORDS: dict[str, tuple[int, bool, str]] = {
    "backup-restore-test": (0, True, "Restore of the meshStack database backup"),
    "penetration-test": (0, True, "meshStack panel, API and identity broker"),
    "incident-response-plan": (12, True, "Joint incident response plan, contacts and escalation"),
    "access-review": (3, True, "VPN accounts, cluster roles, meshStack administrators, API keys"),
    "business-continuity-test": (0, True, "Failover of meshStack to the secondary region"),
    "event-log-review": (6, True, "Audit event forwarding, alert rules, privileged actions"),
    "responsibility-matrix": (0, False, "Security responsibilities of the managed service"),
    "tenant-deletion-review": (12, True, "Tenants deleted in the last twelve months"),
    "landing-zones": (0, False, "Landing zones, their policies and owners"),
}
_SHARED_RECORDS: dict[str, bool] = {"docs/security/supplier-review.md": True}  # has a result


def _covered(day: dt.date, months: int) -> str | None:
    """``FIRST..LAST``: the ``months`` up to ``day`` (what a review looks back on), None for a
    test at a point in time."""
    if months == 0:
        return None
    index = day.year * 12 + day.month - 1 - months
    start = dt.date(index // 12, index % 12 + 1, 1)
    following = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    last_day = (following - dt.timedelta(days=1)).day
    first = start.replace(day=min(day.day, last_day)) + dt.timedelta(days=1)
    return f"{first.isoformat()}..{day.isoformat()}"


def front_matter(
    title: str,
    day: dt.date,
    owner: str,
    *,
    period: str | None = None,
    result: str | None = None,
    performed_by: str | None = None,
    approved_by: str | None = None,
    scope: str | None = None,
) -> str:
    lines = ["---", f"title: {title}", f"date: {day.isoformat()}", f'owner: "{owner}"']
    if period:
        lines.append(f"period: {period}")
    if result:
        lines.append(f"result: {result}")
    if performed_by:
        lines.append(f'performed_by: "{performed_by}"')
    if approved_by:
        lines.append(f'approved_by: "{approved_by}"')
    if scope:
        lines.append(f'scope: "{scope}"')
    return "\n".join([*lines, "---", "", ""])


def render_doc(
    doc: str,
    customer: str,
    installation: str,
    day: dt.date,
    people: tuple[str, str],
    failure: str | None = None,
) -> str:
    """The document of one occurrence; ``people`` (performer, approver); ``failure``: the test
    failed, and this says how (a planted finding)."""
    _, title, owner = REPOSITORY_DOCS[doc]
    months, has_result, scope = _RECORDS[doc]
    key = f"{installation}:{doc}:{day.isoformat()}"
    small = 1 + pick(key + ":small", 4)
    body = _BODIES[doc].format(
        customer=customer,
        minutes=35 + pick(key, 60),
        small=small,
        count=20 + pick(key + ":count", 40),
    )
    result = None
    if has_result:
        # Findings that were tracked (low findings, access revoked) are a pass with findings.
        result = "pass_with_findings" if doc in ("penetration-test", "access-review") else "pass"
    if failure is not None:
        result = "fail"
        body = body.split("\n\n")[0] + "\n\n" + failure
    header = front_matter(
        title,
        day,
        owner,
        period=_covered(day, months),
        result=result,
        performed_by=people[0] if has_result else None,
        approved_by=people[1] if has_result else None,
        scope=scope,
    )
    return header + f"# {title} — {customer}\n\n{body}"


def render_shared_doc(path: str) -> str:
    title, owner, day = SHARED_DOCS[path]
    reviewed = _SHARED_RECORDS.get(path, False)
    header = front_matter(
        title,
        day,
        owner,
        period=_covered(day, 12) if reviewed else None,
        result="pass" if reviewed else None,
        performed_by=owner if reviewed else None,
        approved_by="meshcloud Management" if reviewed else None,
        scope="meshcloud-wide",
    )
    return (
        header + f"# {title}\n\nmeshcloud-wide document, the same for every managed installation.\n"
        "Synthetic example evidence generated by `meshcomply demo`.\n"
    )
