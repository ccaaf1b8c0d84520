"""What the portal shows of one pack: the evidence model plus where each thing lives in the site.

Plain data derived from the model only (no clock, no environment), so page templates stay simple
and two builds of the same packs give the same pages.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from generator.evidence.cutoff import built_at_words
from generator.evidence.findings import ActionsView, actions_view
from generator.evidence.model import (
    ChangeRecord,
    ControlRecord,
    CorrectiveActionRecord,
    DeviationRecord,
    EvidenceModel,
    ExceptionRecord,
)
from generator.releasenotes.view import ReleaseView
from generator.render.event_view import event_log_view
from generator.render.portal.labels import slug
from generator.status import Status

CHANGES_PER_PAGE = 500
# Files of a pack offered for download, in display order, with what they are.
DOWNLOADS = (
    ("evidence-pack.pdf", "PDF evidence pack"),
    ("evidence.json", "Evidence model (JSON)"),
    ("changes.csv", "Change population (CSV)"),
    ("sample.csv", "Sample (CSV)"),
    ("deviations.csv", "Deviations (CSV)"),
    ("events.csv", "Event populations and samples (CSV)"),
    ("manifest.json", "Manifest with checksums (JSON)"),
    ("manifest.json.sig", "SSH signature of the manifest"),
)


@dataclass
class PackView:
    model: EvidenceModel
    installation: str
    period_label: str  # "2026-01-01 to 2026-06-30" with an en dash
    base: str  # site folder of this pack, e.g. "acme/2026-01-01_2026-06-30"
    pack_dir: Path
    downloads: list[dict[str, str]] = field(default_factory=list)
    change_pages: list[str] = field(default_factory=list)  # Markdown sources, page 1 first
    # sha -> its place in model.changes: a change's page, and the change read when shown (the
    # site step leaves a long history's changes in evidence.json: evidence/streamread.py)
    change_index: dict[str, int] = field(default_factory=dict)
    control_src: dict[str, str] = field(default_factory=dict)  # control id -> Markdown source
    control_counts: dict[str, int] = field(default_factory=dict)
    soa_counts: dict[str, int] = field(default_factory=dict)
    release_views: tuple[ReleaseView, ...] = ()  # joined by the build, one per environment
    built_at: str = ""  # the build time in words (cutoff.built_at_words)
    actions: ActionsView | None = None  # open deviations with their corrective actions
    event_log: dict[str, Any] | None = None  # render/event_view.py; None without an event log
    _listed_ids: dict[int, set[str]] = field(default_factory=dict, repr=False)  # limit -> ids

    def src(self, name: str) -> str:
        return f"{self.base}/{name}"

    def change(self, sha: str) -> ChangeRecord | None:
        index = self.change_index.get(sha)
        return None if index is None else self.model.changes[index]

    @cached_property
    def _deviation_index(self) -> dict[str, int]:
        index: dict[str, int] = {}
        for place, deviation in enumerate(self.model.deviations):
            index[deviation.id] = place
        return index

    def deviation(self, ident: str) -> DeviationRecord | None:
        """A deviation of the pack by its id (an exception's ``matched`` names them so)."""
        index = self._deviation_index.get(ident)
        return None if index is None else self.model.deviations[index]

    def actions_listed(
        self, limit: int
    ) -> list[tuple[DeviationRecord, CorrectiveActionRecord | None]]:
        """The rows of the corrective actions page (``ActionsView.listed``)."""
        return self.actions.listed(limit) if self.actions else []

    def action_anchor(self, ident: str, limit: int) -> bool:
        """Whether the corrective actions page lists this deviation (has its anchor)."""
        if limit not in self._listed_ids:
            self._listed_ids[limit] = {d.id for d, _ in self.actions_listed(limit)}
        return ident in self._listed_ids[limit]

    def exceptions_for(self, control: ControlRecord) -> list[ExceptionRecord]:
        """Exceptions of this control, and rule-wide ones (no control) of its rules."""
        rules = {result.rule for result in control.results}
        return [
            e
            for e in self.model.exceptions
            if e.control == control.id or (e.control is None and not rules.isdisjoint(e.rules))
        ]

    def change_link(self, sha: str) -> str | None:
        index = self.change_index.get(sha)
        if index is None:
            return None
        return f"{self.change_pages[index // CHANGES_PER_PAGE]}#c-{sha}"


def period_slug(model: EvidenceModel) -> str:
    return slug(f"{model.period.start}_{model.period.end}")


def period_label(model: EvidenceModel) -> str:
    return f"{model.period.start} \u2013 {model.period.end}"


def _downloads(pack_dir: Path, base: str) -> list[dict[str, str]]:
    found = []
    for name, what in DOWNLOADS:
        path = pack_dir / name
        if path.is_file():
            found.append({"name": name, "what": what, "path": f"{base}/downloads/{name}"})
    return found


def make_view(
    model: EvidenceModel,
    pack_dir: Path,
    base: str,
    release_views: tuple[ReleaseView, ...] = (),
) -> PackView:
    view = PackView(
        release_views=release_views,
        model=model,
        installation=model.installation,
        period_label=period_label(model),
        base=base,
        pack_dir=pack_dir,
        downloads=_downloads(pack_dir, base),
        built_at=built_at_words(model.cut_off),
        actions=actions_view(model),
        event_log=event_log_view(model),
    )
    changes = model.changes
    pages = max(1, -(-len(changes) // CHANGES_PER_PAGE))
    view.change_pages = [
        view.src("changes/index.md" if n == 1 else f"changes/page-{n:03d}.md")
        for n in range(1, pages + 1)
    ]
    for index, change in enumerate(changes):
        view.change_index[change.sha] = index
    taken: set[str] = set()
    for control in model.controls:
        name = slug(control.id)
        while name in taken or name == "index":
            name += "-"
        taken.add(name)
        view.control_src[control.id] = view.src(f"controls/{name}.md")
    view.control_counts = _counts(c.status for c in model.controls)
    view.soa_counts = _counts(r.status for r in model.soa)
    return view


def _counts(statuses: Any) -> dict[str, int]:
    counter = Counter(s for s in statuses if s)
    return {status: counter.get(status, 0) for status in Status}


def age_days(date_text: str | None, period_end: str | None) -> int | None:
    """Days between evidence and the period's end: freshness without reading the clock."""
    if not date_text or not period_end:
        return None
    try:
        evidence = dt.date.fromisoformat(str(date_text)[:10])
        end = dt.date.fromisoformat(str(period_end)[:10])
    except ValueError:
        return None
    return (end - evidence).days
