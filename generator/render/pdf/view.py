"""What the PDF shows, derived from the evidence model alone: plain dicts for the templates.

Nothing here formats HTML; every string from the model reaches the templates unchanged and is
escaped there by Jinja2's autoescape.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from generator.evidence.cutoff import built_at_words
from generator.evidence.findings import actions_view, entry_source, register_path
from generator.evidence.inputs import BUILT_IN
from generator.evidence.model import EvidenceModel, SoaRow, fields_of
from generator.render.documents import document_rows
from generator.render.event_view import event_log_view
from generator.render.pdf.attachments import attachment_names
from generator.render.pdf.settings import PdfSettings
from generator.render.reconciliation import (
    equation,
    groups_view,
    population_scopes,
    shared_changes,
)
from generator.render.tested import control_tested
from generator.render.words import (
    command_lines,
    details_view,
    params_text,
    promotion_approvals,
    utc_text,
)
from generator.status import Status

# The words of each status, as every renderer shows them (generator/status.py).
STATUS_LABELS = {status: status.label for status in Status}
# The statuses a control can have (not_applicable is a Statement of Applicability decision).
CONTROL_STATUSES = tuple(s for s in Status if s != Status.NOT_APPLICABLE)
FOLLOW_UP = (Status.DEVIATIONS, Status.NOT_TESTED)
_STANDARD_TITLES = {
    "iso27001:2022": "ISO/IEC 27001:2022 Annex A",
    "iso27017:2015": "ISO/IEC 27017:2015 cloud services (CLD)",
}
_ANCHOR_UNSAFE = re.compile(r"[^a-z0-9]+")
# Characters of a command line in the PDF: a full-width cell (175 mm) holds 120 of the 6.8 pt
# monospaced font (pre.command in style.css); fewer leave room for the continuation's indent.
COMMAND_WIDTH = 110

# The history's warnings the executive summary lists; the rest are counted there and every one is
# in evidence.json, so a history with thousands of unreadable versions keeps the PDF short.
HISTORY_WARNINGS_SHOWN = 20


def anchor(prefix: str, text: str, taken: set[str]) -> str:
    """A unique, inert HTML id (ids reach CSS target-counter() and the PDF outline)."""
    base = f"{prefix}-{_ANCHOR_UNSAFE.sub('-', text.lower()).strip('-') or 'x'}"
    candidate, counter = base, 2
    while candidate in taken:
        candidate, counter = f"{base}-{counter}", counter + 1
    taken.add(candidate)
    return candidate


def _soa_groups(rows: tuple[SoaRow, ...]) -> list[dict[str, Any]]:
    groups: dict[str, list[SoaRow]] = {}
    for row in rows:
        standard = row.ref.split("/", 1)[0]
        groups.setdefault(standard, []).append(row)
    return [
        {"title": _STANDARD_TITLES.get(standard, standard), "rows": members}
        for standard, members in groups.items()
    ]


def _controls(model: EvidenceModel, settings: PdfSettings, taken: set[str]) -> list[dict]:
    exceptions = {e.id: e for e in model.exceptions}
    actions = {a.deviation: a for a in model.corrective_actions}
    # Where each cited register entry is written (file:line), so it can be traced to its source.
    exceptions_at = {
        e.id: entry_source(register_path(model, "exceptions"), e.line) for e in model.exceptions
    }
    actions_at = {
        a.deviation: entry_source(register_path(model, "findings"), a.line)
        for a in model.corrective_actions
    }
    controls = []
    for control in model.controls:
        results = []
        for result in control.results:
            failures = [
                {
                    **fields_of(failure),
                    "accepted": exceptions.get(failure.exception or ""),
                    "accepted_at": exceptions_at.get(failure.exception or "", ""),
                    "action": None if failure.exception else actions.get(failure.id),
                    "action_at": "" if failure.exception else actions_at.get(failure.id, ""),
                }
                for failure in result.failures[: settings.max_failure_rows]
            ]
            cited = result.cited
            documents = document_rows(model, control.id, result.documents)
            # The documents are shown from the model's records (source, statements, authorship),
            # not as the rule's bare details.documents rows.
            shown_elsewhere = ("documents",) if documents else ()
            results.append(
                {
                    **fields_of(result),
                    "failures": failures,
                    "failures_total": len(result.failures),
                    "failures_more": len(result.failures) - len(failures),
                    "cited_shown": cited[: settings.max_cited],
                    "cited_more": max(0, len(cited) - settings.max_cited),
                    "detail_view": details_view(
                        result.details, settings.max_detail_rows, shown_elsewhere
                    ),
                    "document_rows": documents,
                    "params_text": params_text(result.params),
                }
            )
        controls.append(
            {
                **fields_of(control),
                "anchor": anchor("control", control.id, taken),
                "results": results,
                "tested": control_tested(control),
            }
        )
    return controls


def _sample(model: EvidenceModel) -> dict[str, Any]:
    wanted = {sha for population in model.sample.populations for sha in population.shas}
    by_sha = {c.sha: c for c in model.changes if c.sha in wanted}  # not every change: the sample's
    sample = fields_of(model.sample)
    sample["populations"] = [
        {
            **fields_of(population),
            "rows": [by_sha.get(sha, {"sha": sha}) for sha in population.shas],
        }
        for population in model.sample.populations
    ]
    return sample


def _summary(model: EvidenceModel, controls: list[dict[str, Any]]) -> dict[str, Any]:
    statuses = Counter(c["status"] for c in controls)
    soa = model.soa
    decisions = Counter(row.decision for row in soa)
    states = Counter(d.state for d in model.deviations)
    return {
        "statuses": [(s, statuses.get(s, 0)) for s in CONTROL_STATUSES],
        "deviations": {"open": states.get("open", 0), "accepted": states.get("accepted", 0)},
        "controls": len(controls),
        "soa_rows": len(soa),
        "applicable": sum(1 for row in soa if row.applicable),
        "decisions": sorted(decisions.items()),
        "findings": [c for c in controls if c["status"] in FOLLOW_UP],
        "active_exceptions": sum(1 for e in model.exceptions if e.status == "active"),
        "sample_size": sum(p.size for p in model.sample.populations),
        "promotions": len(model.promotions),
    }


def _actions(model: EvidenceModel, settings: PdfSettings) -> dict[str, Any]:
    """The corrective actions section: every open deviation the findings register speaks of, and
    of those without an action as many as ``max_deviation_rows`` (the rest are counted)."""
    view = actions_view(model)
    rows = view.listed(settings.max_deviation_rows)
    return {"view": view, "open": rows, "open_more": len(view.open) - len(rows)}


def _reproduce(model: EvidenceModel) -> list[dict[str, Any]]:
    return [
        {
            "figure": r.figure,
            "expected": r.expected,
            "lines": command_lines(r.command, COMMAND_WIDTH),
        }
        for r in model.source.reproduce or ()
    ]


def _reconciliation_groups(model: EvidenceModel, max_shas: int) -> list[dict[str, Any]]:
    groups = groups_view(model.reconciliation, max_shas)
    for group in groups:
        group["command_lines"] = command_lines(group["group"].command, COMMAND_WIDTH)
    return groups


def pdf_dates_words(model: EvidenceModel, generated_at: str) -> str:
    """What the PDF's metadata dates (created, modified, the attachments') are: never the
    clock, so a reader of the metadata is told which date it sees."""
    when = utc_text(generated_at)
    if model.cut_off.built_at is not None:
        return f"{when}, the build time (SOURCE_DATE_EPOCH)"
    return (
        f"{when}: the head commit's date, not when this PDF was made (no build time is "
        "recorded, so the same evidence.json gives the same PDF)"
    )


def _listed(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def document_view(
    model: EvidenceModel,
    settings: PdfSettings,
    generated_at: str,
    evidence_sha256: str,
) -> dict[str, Any]:
    taken: set[str] = set()
    controls = _controls(model, settings, taken)
    changes = model.changes
    shown = changes[: settings.max_change_rows]
    deviations = model.deviations[: settings.max_deviation_rows]
    promotions = model.promotions[: settings.max_promotion_rows]
    period = model.period
    return {
        "installation": model.installation,
        "period": period,
        "period_text": f"{period.start} to {period.end}",
        "settings": settings,
        "generated_at": generated_at,
        "evidence_sha256": evidence_sha256,
        "tool": model.tool,
        "source": model.source,
        "history_warnings_shown": HISTORY_WARNINGS_SHOWN,
        "cut_off": model.cut_off,
        "actions": _actions(model, settings),
        "inputs": {
            "library_text": (
                f"the library shipped with {model.tool.name} {model.tool.version}"
                if model.inputs.library == BUILT_IN
                else f"folder {model.inputs.library}"
            ),
            "files": model.inputs.files,
        },
        "built_at_text": built_at_words(model.cut_off),
        "pdf_dates_text": pdf_dates_words(model, generated_at),
        "attachments": attachment_names(model.event_log is not None),
        "attachments_text": _listed(attachment_names(model.event_log is not None)),
        "environments": model.environments,
        "population_scopes": {
            env.name: population_scopes(env.name, model.reconciliation)
            for env in model.environments
        },
        "shared_changes": shared_changes(model.changes),
        "reconciliation": model.reconciliation,
        "reconciliation_groups": _reconciliation_groups(model, settings.max_cited),
        "reconciliation_command": command_lines(model.reconciliation.command, COMMAND_WIDTH),
        "reproduce": _reproduce(model),
        "reconciliation_sum": equation(model.reconciliation),
        "summary": _summary(model, controls),
        "soa_groups": _soa_groups(model.soa),
        "tested_by_control": {c.id: control_tested(c, judged_only=True) for c in model.controls},
        "controls": controls,
        "changes_total": len(changes),
        "changes_shown": shown,
        "changes_more": len(changes) - len(shown),
        "promotions": promotions,
        "promotion_approvals": promotion_approvals(promotions, changes),
        "promotions_total": len(model.promotions),
        "promotions_more": len(model.promotions) - len(promotions),
        "releases": model.releases,
        "sample": _sample(model),
        "events": event_log_view(model),
        "exceptions": model.exceptions,
        "exceptions_register": register_path(model, "exceptions"),
        "deviations": deviations,
        "deviations_total": len(model.deviations),
        "deviations_more": len(model.deviations) - len(deviations),
        "clause_titles": {row.ref: row.title for row in model.soa},
        "statuses": [(s, s.label, s.meaning) for s in Status],
        "changes_since": model.changes_since,
    }
