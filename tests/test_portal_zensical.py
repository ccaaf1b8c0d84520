"""``portal.engine: zensical``: the portal built by Zensical, as safe and reproducible as MkDocs'.

The safety checks of the MkDocs portal run unchanged on the Zensical build (they are imported
from test_portal_safety and use this module's fixtures).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from test_portal_safety import (  # noqa: F401 (run here, against the Zensical build)
    test_hostile_text_is_shown_as_text,
    test_no_executable_markup_in_any_page,
    test_no_markdown_or_extension_syntax_is_interpreted,
)
from test_portal_support import build, fleet, pages, tree_digest, write_pack

from generator.errors import BuildError
from generator.render.portal.options import parse_options
from generator.testing import synthetic_evidence


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile-zensical")
    return build(root, fleet(root, hostile=True, changes=600), engine="zensical")


@pytest.fixture(scope="module")
def theme_inline_scripts(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    root = tmp_path_factory.mktemp("benign-zensical")
    site = build(
        root, [write_pack(root, synthetic_evidence("acme", changes=20))], engine="zensical"
    )
    return {text for page in pages(site).values() for src, text in page.scripts if src is None}


def test_zensical_builds_the_same_pages_as_mkdocs_reproducibly(tmp_path: Path):
    packs = [write_pack(tmp_path, synthetic_evidence("acme", changes=700))]
    by_mkdocs = build(tmp_path / "m", packs)
    first = build(tmp_path / "z1", packs, engine="zensical")
    second = build(tmp_path / "z2", packs, engine="zensical")
    assert tree_digest(first) == tree_digest(second)  # same inputs, same bytes
    html = {p.relative_to(by_mkdocs) for p in by_mkdocs.rglob("*.html")}
    assert {p.relative_to(first) for p in first.rglob("*.html")} == html
    assert not (first / "404.html").exists() and not (first / "sitemap.xml").exists()
    for path in first.rglob("*.html"):
        assert "data-mc-block" not in path.read_text("utf-8"), path  # every block in place
    changes = (first / "acme" / "2026-01-01_2026-06-30" / "changes" / "page-002.html").read_text()
    assert changes.count("<tr") > 100  # the second page of 500-row change tables
    downloads = first / "acme" / "2026-01-01_2026-06-30" / "downloads" / "evidence.json"
    assert json.loads(downloads.read_text())["installation"] == "acme"


def test_zensical_search_works_offline_and_holds_prose_not_blocks(hostile_site: Path):
    script = (hostile_site / "search.js").read_text("utf-8")
    assert script.startswith("var __index = ")  # loaded as a script: works from file://
    index = json.loads((hostile_site / "search.json").read_text("utf-8"))
    texts = " ".join(item["title"] + " " + item["text"] for item in index["items"])
    assert "Reading the statuses" in texts  # the pages' own prose and headings
    # Blocks are put in after Zensical indexed the page: no model text in the index at all.
    assert "&lt;script&gt;" not in texts and "<script" not in texts


def test_engine_setting_is_checked():
    assert parse_options({"engine": "zensical"}).engine == "zensical"
    assert parse_options({}).engine == "mkdocs"
    unknown = r"portal\.engine: 'hugo' is not one of \['mkdocs', 'zensical'\]"
    with pytest.raises(BuildError, match=unknown):
        parse_options({"engine": "hugo"})


def test_missing_zensical_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fake = tmp_path / "python"
    fake.write_text('#!/bin/sh\necho "$0: No module named zensical" >&2\nexit 1\n')
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))
    packs = [write_pack(tmp_path, synthetic_evidence("acme", changes=5))]
    with pytest.raises(BuildError, match=r"zensical is not installed \(pip install"):
        build(tmp_path, packs, engine="zensical")
    assert not (tmp_path / "site").exists()
