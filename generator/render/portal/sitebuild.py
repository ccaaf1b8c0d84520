"""Writes the portal's Markdown pages and mkdocs.yml, builds them with MkDocs, moves the site in.

Everything happens in a temporary folder beside the target, which replaces the target only when
the whole build succeeded. MkDocs runs through its Python API in strict mode; its warnings become
one BuildError. Output is made reproducible: SOURCE_DATE_EPOCH is set for the build and the
sitemap (dated, and useless without a site URL) is not built, nor is the 404 page.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, ConfigurationError

from generator.errors import BuildError
from generator.render.portal.blocks import (
    BlockInjector,
    BlockStore,
    make_environment,
    render_page,
)
from generator.render.portal.options import PortalOptions
from generator.render.portal.pages import navigation, page_specs
from generator.render.portal.release_pages import CSS_PATH, ReleasePage
from generator.render.portal.release_pages import stylesheet as release_notes_stylesheet
from generator.render.portal.views import PackView
from generator.render.portal.zensical import build_with_zensical

# Not built: the sitemap is dated and needs a site URL; the 404 page links absolutely to the
# server root. Neither serves a site opened from files or copied to any folder of a static host.
DROPPED = ("sitemap.xml", "sitemap.xml.gz", "404.html")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _mkdocs_quiet() -> Iterator[_Collect]:
    """MkDocs' warnings collected for our error message instead of printed."""
    logger = logging.getLogger("mkdocs")
    handler = _Collect()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


@contextlib.contextmanager
def _source_date_epoch(epoch: int) -> Iterator[None]:
    # MkDocs and its plugins read build dates from the environment, not from arguments.
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def _palette_css(options: PortalOptions) -> str:
    rules = []
    if options.primary_hex:
        rules.append(
            '[data-md-color-primary="custom"]{'
            f"--md-primary-fg-color:{options.primary_hex};"
            f"--md-primary-fg-color--light:{options.primary_hex};"
            f"--md-primary-fg-color--dark:{options.primary_hex}}}"
        )
    if options.accent_hex:
        rules.append(
            '[data-md-color-accent="custom"]{'
            f"--md-accent-fg-color:{options.accent_hex};"
            f"--md-accent-fg-color--transparent:{options.accent_hex}1a}}"
        )
    return "\n".join(rules)


def _copy_assets(template_dirs: list[Path], docs: Path, options: PortalOptions) -> str | None:
    target = docs / "assets" / "portal"
    for folder in reversed(template_dirs):  # built-in first, overrides on top
        if (folder / "assets").is_dir():
            shutil.copytree(folder / "assets", target, dirs_exist_ok=True)
    palette = _palette_css(options)
    if palette:
        (target / "palette.css").write_text(palette + "\n", encoding="utf-8")
    if options.logo is None:
        return None
    logo = f"assets/portal/logo{options.logo.suffix.lower()}"
    shutil.copyfile(options.logo, docs / logo)
    return logo


def _write_release_files(docs: Path, releases: dict[str, list[ReleasePage]]) -> None:
    if not releases:
        return
    (docs / CSS_PATH).write_text(release_notes_stylesheet(), encoding="utf-8")
    for pages in releases.values():
        for page in pages:
            feed = docs / page.feed
            feed.parent.mkdir(parents=True, exist_ok=True)
            feed.write_text(page.atom, encoding="utf-8")


def _write_docs(
    views: list[PackView],
    work: Path,
    site: dict[str, Any],
    template_dirs: list[Path],
    releases: dict[str, list[ReleasePage]],
) -> BlockStore:
    env = make_environment(template_dirs)
    docs = work / "docs"
    _write_release_files(docs, releases)
    blocks = BlockStore(work / "blocks")  # beside docs/: not a page of the site
    for spec in page_specs(views, site, releases):
        markdown, page_blocks = render_page(env, spec.template, spec.src, spec.context)
        path = docs / spec.src
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(markdown, encoding="utf-8")
        blocks.put(spec.src, page_blocks)
    nav = navigation(views, releases)
    config = env.get_template("mkdocs.yml.j2").render(site=site, nav=nav)
    (work / "mkdocs.yml").write_text(config, encoding="utf-8")
    return blocks


def _run_mkdocs(work: Path, out: Path, blocks: BlockStore, epoch: int) -> None:
    with _mkdocs_quiet() as log, _source_date_epoch(epoch):
        try:
            config = load_config(str(work / "mkdocs.yml"), site_dir=str(out), strict=True)
            config.plugins["meshcomply-blocks"] = BlockInjector(blocks)
            config.theme.static_templates.discard("404.html")
            build(config)
        except (Abort, ConfigurationError) as exc:
            details = "; ".join(log.messages) or str(exc)
            raise BuildError(f"portal: MkDocs build failed: {details}") from None


def _swap_into_place(built: Path, site_dir: Path) -> None:
    old = None
    if site_dir.exists():
        old = site_dir.with_name(f".{site_dir.name}.old-{os.getpid()}")
        site_dir.rename(old)
    built.rename(site_dir)
    if old is not None:
        shutil.rmtree(old)


def build_site(
    views: list[PackView],
    site_dir: Path,
    options: PortalOptions,
    epoch: int,
    template_dirs: list[Path],
    releases: dict[str, list[ReleasePage]] | None = None,
) -> None:
    site_dir = site_dir.absolute()  # MkDocs resolves relative paths against mkdocs.yml's folder
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}.build-", dir=site_dir.parent))
    try:
        docs = work / "docs"
        docs.mkdir()
        logo = _copy_assets(template_dirs, docs, options)
        site = {
            "name": options.site_name,
            "logo": logo,
            "primary": options.primary,
            "accent": options.accent,
            "palette_css": bool(options.primary_hex or options.accent_hex),
            "release_notes_css": CSS_PATH if releases else None,
            "max_failure_rows": options.max_failure_rows,
            "max_cited": options.max_cited,
            "max_deviation_rows": options.max_deviation_rows,
        }
        blocks = _write_docs(views, work, site, template_dirs, releases or {})
        out = work / "site"
        if options.engine == "zensical":
            build_with_zensical(work, out, blocks, epoch)
        else:
            _run_mkdocs(work, out, blocks, epoch)
        for name in DROPPED:
            (out / name).unlink(missing_ok=True)
        for view in views:
            for download in view.downloads:
                target = out / download["path"]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(view.pack_dir / download["name"], target)
        _swap_into_place(out, site_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
