"""A pack as an OSCAL assessment-results document (OSCAL 1.1.2, JSON).

One result for the audit period: a finding per meshStack control (its verdict as the objective's
state, meshcomply's own status kept as a property so it reads back exactly), an observation per
failure and per control's evidence with the cited commits as subjects (back-matter resources), the
auditor's sample as an observation, and the pack's reproduce commands as activities of one task.
UUIDs are uuid5 of stable names and every time comes from the model, so the bytes repeat.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from generator.render.oscal.view import ControlView, PackView
from generator.status import Status

OSCAL_VERSION = "1.1.2"
# Properties outside the OSCAL namespace carry this one (OSCAL requires a namespace URI for them).
NS = "urn:meshcomply"
_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, "urn:meshcomply:oscal")

# meshcomply status -> (objective state, reason token). OSCAL's objective status has only
# satisfied and not-satisfied: "satisfied" is said only where the rules tested the period's
# population and found no deviation; a control resting on a document alone, or not tested, is
# not shown to be satisfied, and the status's own meaning goes into the remarks beside it.
STATES = {
    Status.NO_DEVIATIONS: ("satisfied", "pass"),
    Status.DEVIATIONS: ("not-satisfied", "fail"),
    Status.DESIGN_ONLY: ("not-satisfied", "other"),
    Status.NOT_TESTED: ("not-satisfied", "other"),
    Status.NOT_APPLICABLE: ("not-satisfied", "other"),
}


def derived_uuid(*parts: str) -> str:
    """A UUID for a thing named by stable inputs (installation, period, control id, sha...)."""
    return str(uuid.uuid5(_ROOT, "\x1f".join(parts)))


def prop(name: str, value: str) -> dict[str, str]:
    return {"name": name, "ns": NS, "value": value}


def period_bounds(view: PackView) -> tuple[str, str]:
    return f"{view.period_from}T00:00:00+00:00", f"{view.period_to}T23:59:59+00:00"


def assessment_results(view: PackView) -> dict[str, Any]:
    scope = (view.installation, view.period_from, view.period_to)
    start, end = period_bounds(view)
    commits: dict[str, None] = {}
    observations: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []

    def subject(sha: str) -> dict[str, Any]:
        commits[sha] = None
        return {"subject-uuid": derived_uuid(*scope, "commit", sha), "type": "resource"}

    for control in view.controls:
        related = []
        if control.cited:
            obs = _evidence_observation(scope, control, view.head_date, subject)
            observations.append(obs)
            related.append({"observation-uuid": obs["uuid"]})
        for failure in control.failures:
            where = f" at {failure.sha[:12]}" if failure.sha else ""
            obs = {
                "uuid": derived_uuid(*scope, control.id, "deviation", failure.id),
                "title": f"{control.id}: {failure.kind} deviation {failure.id}{where}",
                "description": failure.message,
                "props": [
                    prop("control", control.id),
                    prop("deviation", failure.id),
                    prop("deviation-kind", failure.kind),
                    prop("deviation-state", failure.state),
                ]
                + ([prop("accepted-by-exception", failure.exception)] if failure.exception else []),
                "methods": ["TEST"],
                "types": ["finding"],
                "collected": view.head_date,
            }
            shas = [sha for sha in (failure.sha, *failure.shas) if sha]
            if shas:
                obs["subjects"] = [subject(sha) for sha in shas]
            observations.append(obs)
            related.append({"observation-uuid": obs["uuid"]})
        findings.append(_finding(scope, control, related))

    sample_obs = _sample_observation(scope, view, subject)
    if sample_obs is not None:
        observations.append(sample_obs)
    activities = [
        {
            "uuid": derived_uuid(*scope, "reproduce", item.figure),
            "title": f"Re-perform: {item.figure}",
            "description": f"Run `{item.command}`; the pack's figure is {item.expected}.",
            "props": [prop("expected", item.expected)],
            "steps": [
                {
                    "uuid": derived_uuid(*scope, "reproduce-step", item.figure),
                    "title": "Run the command",
                    "description": item.command,
                }
            ],
        }
        for item in view.reproduce
    ]
    result: dict[str, Any] = {
        "uuid": derived_uuid(*scope, "result"),
        "title": f"{view.installation}: {view.period_from}..{view.period_to}",
        "description": (
            f"meshcomply's verdicts for installation {view.installation} over "
            f"{view.period_from}..{view.period_to}, read from {view.repo} at {view.ref} "
            f"(head {view.head})."
        ),
        "start": start,
        "end": end,
        "props": [prop("installation", view.installation), prop("head", view.head)],
        "reviewed-controls": {
            "control-selections": [
                {"include-controls": [{"control-id": c.id} for c in view.controls]}
            ]
        },
        "observations": observations,
        "findings": findings,
    }
    if activities:
        result["local-definitions"] = {
            "tasks": [
                {
                    "uuid": derived_uuid(*scope, "task", "reproduce"),
                    "type": "action",
                    "title": "Re-perform the pack's population counts with plain git",
                    "associated-activities": [
                        {
                            "activity-uuid": a["uuid"],
                            "subjects": [{"type": "component", "include-all": {}}],
                        }
                        for a in activities
                    ],
                }
            ]
        }
    document: dict[str, Any] = {
        "uuid": derived_uuid(*scope, "assessment-results"),
        "metadata": {
            "title": f"meshcomply assessment results: {view.installation}, "
            f"{view.period_from}..{view.period_to}",
            "last-modified": view.head_date,
            "version": view.tool_version,
            "oscal-version": OSCAL_VERSION,
        },
        "import-ap": {"href": f"#{derived_uuid(*scope, 'assessment-plan')}"},
        "results": [result],
        "back-matter": {"resources": _resources(scope, view, list(commits))},
    }
    if activities:
        document["local-definitions"] = {"activities": activities}
    return {"assessment-results": document}


Scope = tuple[str, ...]  # installation, period start, period end
Subject = Callable[
    [str], dict[str, Any]
]  # a commit as a subject reference, recorded for back-matter


def _finding(scope: Scope, control: ControlView, related: list[dict[str, str]]) -> dict[str, Any]:
    status = Status(control.status)
    state, reason = STATES[status]
    finding: dict[str, Any] = {
        "uuid": derived_uuid(*scope, control.id, "finding"),
        "title": f"{control.id}: {control.title}",
        "description": control.reason or control.title,
        "props": [
            prop("status", status),
            prop("deviations-open", str(control.open_deviations)),
            prop("deviations-accepted", str(control.accepted_deviations)),
        ]
        + [prop("iso-reference", ref.ref) for ref in control.implements],
        "target": {
            "type": "objective-id",
            "target-id": control.id,
            "status": {
                "state": state,
                "reason": reason,
                "remarks": f"{status.label}: {status.meaning}",
            },
        },
    }
    if related:
        finding["related-observations"] = related
    return finding


def _evidence_observation(
    scope: Scope, control: ControlView, collected: str, subject: Subject
) -> dict[str, Any]:
    return {
        "uuid": derived_uuid(*scope, control.id, "evidence"),
        "title": f"{control.id}: commits the verdict rests on",
        # What the rules cite: the changes they tested, or the commits of the file versions and
        # documents they read; not necessarily a whole population.
        "description": (
            f"The verdict cites {len(control.cited)} "
            f"commit{'' if len(control.cited) == 1 else 's'}: changes tested, or the commits of "
            "the file versions and documents read."
        ),
        "props": [prop("control", control.id)],
        "methods": ["TEST"],
        "subjects": [subject(sha) for sha in control.cited],
        "collected": collected,
    }


def _sample_observation(scope: Scope, view: PackView, subject: Subject) -> dict[str, Any] | None:
    if view.sample is None or not view.sample.shas:
        return None
    return {
        "uuid": derived_uuid(*scope, "sample"),
        "title": "The auditor's sample",
        "description": f"{view.sample.method} Seed: {view.sample.seed}",
        "props": [prop("sample-seed", view.sample.seed)],
        "methods": ["EXAMINE"],
        "subjects": [
            {**subject(sha), "props": [prop("environment", env)]} for env, sha in view.sample.shas
        ],
        "collected": view.head_date,
    }


def _resources(scope: Scope, view: PackView, shas: list[str]) -> list[dict[str, Any]]:
    plan = {
        "uuid": derived_uuid(*scope, "assessment-plan"),
        "title": "meshcomply evidence pack",
        "description": (
            "The assessment follows the rules of the meshStack control library over the "
            "configuration repository's first-parent history; the pack's evidence.json holds "
            "every figure."
        ),
        "rlinks": [{"href": "evidence.json", "media-type": "application/json"}],
    }
    commits = [
        {
            "uuid": derived_uuid(*scope, "commit", sha),
            "title": f"commit {sha}",
            "props": [prop("commit", sha)],
            "remarks": f"git -C {view.repo} show {sha}",
        }
        for sha in shas
    ]
    return [plan, *commits]
