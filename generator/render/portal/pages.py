"""Which pages the portal has, from which template, and how the navigation lists them.

Per pack: a handful of pages in the navigation (summary, SoA, controls, changes, releases, sample,
exceptions, corrective actions, changes since the previous period, methodology); the per-control
pages and further change pages are reached from their index pages, so the navigation stays short
at any size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from generator.render.portal.labels import label
from generator.render.portal.release_pages import ReleasePage
from generator.render.portal.views import PackView

# (Markdown source below the pack folder, template, navigation title)
PACK_PAGES = (
    ("index.md", "pages/summary.md.j2", "Summary"),
    ("soa.md", "pages/soa.md.j2", "Statement of Applicability"),
    ("controls/index.md", "pages/controls.md.j2", "Controls"),
    ("changes/index.md", "pages/changes.md.j2", "Change population"),
    ("releases.md", "pages/releases.md.j2", "Release promotions"),
    ("sample.md", "pages/sample.md.j2", "Auditor's sample"),
    ("events.md", "pages/events.md.j2", "meshStack event log"),
    ("exceptions.md", "pages/exceptions.md.j2", "Exceptions register"),
    ("corrective-actions.md", "pages/corrective_actions.md.j2", "Corrective actions"),
    ("since.md", "pages/since.md.j2", "Since previous period"),
    ("methodology.md", "pages/methodology.md.j2", "Methodology"),
)


@dataclass(frozen=True)
class PageSpec:
    src: str  # Markdown source path inside the docs folder
    template: str
    context: dict[str, Any]


def _changes_context(view: PackView, number: int) -> dict[str, Any]:
    from generator.render.portal.views import CHANGES_PER_PAGE

    changes = view.model.changes
    first = (number - 1) * CHANGES_PER_PAGE
    return {
        "rows": changes[first : first + CHANGES_PER_PAGE],
        "first": first,
        "number": number,
        "total": len(changes),
    }


def page_specs(
    views: list[PackView],
    site: dict[str, Any],
    releases: dict[str, list[ReleasePage]] | None = None,
) -> Iterator[PageSpec]:
    releases = releases or {}
    yield PageSpec("index.md", "pages/home.md.j2", {"views": views, "site": site})
    for view in views:
        base = {"view": view, "model": view.model, "site": site}
        for release in releases.get(view.base, []):
            yield PageSpec(release.src, "pages/release-notes.md.j2", {**base, "release": release})
        for src, template, _title in PACK_PAGES:
            if src == "changes/index.md":
                continue
            yield PageSpec(view.src(src), template, base)
        for number, src in enumerate(view.change_pages, start=1):
            yield PageSpec(src, "pages/changes.md.j2", {**base, **_changes_context(view, number)})
        for control in view.model.controls:
            yield PageSpec(
                view.control_src[control.id], "pages/control.md.j2", {**base, "control": control}
            )


def navigation(
    views: list[PackView], releases: dict[str, list[ReleasePage]] | None = None
) -> list[Any]:
    """The ``nav`` of mkdocs.yml: installations, then (if several) periods, then pack pages."""
    releases = releases or {}
    nav: list[Any] = [{"Fleet overview": "index.md"}]
    by_installation: dict[str, list[PackView]] = {}
    for view in views:
        by_installation.setdefault(view.installation, []).append(view)
    for installation, installation_views in by_installation.items():
        # Sections are plain labels, not index pages (navigation.indexes): with a hundred
        # installations that renders every page's navigation about a fifth faster.
        def pack_nav(view: PackView) -> list[Any]:
            pages = [{title: view.src(src)} for src, _t, title in PACK_PAGES]
            pages += [{r.title: r.src} for r in releases.get(view.base, [])]
            return pages

        if len(installation_views) == 1:
            nav.append({label(installation): pack_nav(installation_views[0])})
        else:
            nav.append(
                {
                    label(installation): [
                        {label(v.period_label): pack_nav(v)} for v in installation_views
                    ]
                }
            )
    return nav
