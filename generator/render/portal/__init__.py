"""The HTML evidence portal: every pack of a build as one offline MkDocs Material site.

Reads only the packs' evidence models (and copies their files for download). Pages are Markdown
generated from ``templates/portal/`` (overridable with ``portal.templates``), built with MkDocs
in strict mode; untrusted repository text only ever reaches the site as autoescaped HTML (see
blocks.py).

MkDocs and the release-note pages are imported by ``render``: the registry imports this package
to read ``RENDERER`` and its options (``options.py``) whenever meshcomply.yml is loaded, also by
commands that build no site.
"""

from __future__ import annotations

from pathlib import Path

from generator.evidence.model import EvidenceModel
from generator.render.portal.labels import unique_slugs
from generator.render.portal.options import OPTIONS, parse_options
from generator.render.portal.views import PackView, make_view, period_slug
from generator.render.registry import PackInput, Renderer, RenderOptions
from generator.resources import data_dir
from generator.timewords import utc


def builtin_templates() -> Path:
    return data_dir("templates") / "portal"


def newest_head_epoch(models: list[EvidenceModel]) -> int:
    """The newest repository head date of the packs: the site's date when none is given."""
    newest = 0
    for model in models:
        text = model.source.head_date
        try:
            moment = utc(str(text))
        except ValueError:
            continue
        newest = max(newest, int(moment.timestamp()))
    return newest


def pack_views(packs: list[PackInput]) -> list[PackView]:
    """One view per pack, installations by name and each one's periods newest first."""
    ordered = sorted(packs, key=lambda p: (p.model.installation, p.rel))
    by_name: dict[str, list[PackInput]] = {}
    for pack in ordered:
        by_name.setdefault(pack.model.installation, []).append(pack)
    folders = unique_slugs(list(by_name))
    views = []
    for name, group in by_name.items():
        group.sort(key=lambda p: p.model.period.end, reverse=True)
        taken: set[str] = set()
        for pack in group:
            folder = base = period_slug(pack.model)
            counter = 2
            while folder in taken:  # two packs of one period: keep both, apart
                folder, counter = f"{base}-{counter}", counter + 1
            taken.add(folder)
            base = f"{folders[name]}/{folder}"
            views.append(make_view(pack.model, pack.pack_dir, base, pack.release_views))
    return views


def render(packs: list[PackInput], site_dir: Path, options: RenderOptions) -> None:
    from generator.render.portal.release_pages import release_pages
    from generator.render.portal.sitebuild import build_site

    portal = parse_options(options.portal)
    template_dirs = [builtin_templates()]
    if portal.templates is not None:
        template_dirs.insert(0, portal.templates)
    epoch = options.source_date_epoch
    if epoch is None:
        epoch = newest_head_epoch([pack.model for pack in packs])
    views = pack_views(packs)
    build_site(views, site_dir, portal, epoch, template_dirs, release_pages(views))


RENDERER = Renderer(
    format="html",
    scope="site",
    render=render,
    order=90,
    options=OPTIONS,
    shows_release_notes=True,
)
