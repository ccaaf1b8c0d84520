"""Untrusted repository text never becomes markup, links, includes or requests in the portal."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_portal_support import build, fleet, pages, write_pack

from generator.render.portal import builtin_templates, pack_views
from generator.render.portal.blocks import make_environment, render_page
from generator.render.portal.labels import label, slug
from generator.render.portal.pages import page_specs
from generator.testing import HOSTILE_TEXTS, synthetic_evidence

URL_ATTRIBUTES = ("href", "src", "action", "formaction", "poster", "srcset", "xlink:href", "data")
FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet", "style"}
OWN_SCRIPTS = re.compile(
    r"(^|/)(assets/javascripts/bundle\.[0-9a-f]+\.min\.js|assets/portal/portal\.js"
    r"|assets/portal/vendor/iframe-worker-shim\.js)$"
)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    return build(root, fleet(root, hostile=True, changes=600))


@pytest.fixture(scope="module")
def theme_inline_scripts(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The theme's own inline scripts, as a build from a benign model has them."""
    root = tmp_path_factory.mktemp("benign")
    # One pack has pages at every folder depth, so every variant of the theme's scripts.
    site = build(root, [write_pack(root, synthetic_evidence("acme", changes=20))])
    return {text for page in pages(site).values() for src, text in page.scripts if src is None}


def test_hostile_model_really_is_hostile() -> None:
    model = synthetic_evidence("acme", changes=40, hostile=True)
    subjects = {c.subject for c in model.changes}
    assert set(HOSTILE_TEXTS) <= subjects


def test_no_executable_markup_in_any_page(hostile_site: Path, theme_inline_scripts: set) -> None:
    problems = []
    for path, page in pages(hostile_site).items():
        where = path.relative_to(hostile_site)
        for src, text in page.scripts:
            if src is not None and not OWN_SCRIPTS.search(src):
                problems.append(f"{where}: script src {src!r}")
            if src is None and text not in theme_inline_scripts:
                problems.append(f"{where}: unknown inline script {text[:60]!r}")
        for tag, attrs in page.elements:
            if tag in FORBIDDEN_TAGS:
                problems.append(f"{where}: <{tag}>")
            for name, value in attrs.items():
                if name.startswith("on"):
                    problems.append(f"{where}: <{tag} {name}=...>")
                if name == "style" and value and "url(" in value:
                    problems.append(f"{where}: style with url()")
                if name in URL_ATTRIBUTES and value:
                    squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
                    if re.match(r"^[a-z][a-z0-9+.-]*:", squeezed) or squeezed.startswith("//"):
                        problems.append(f"{where}: <{tag} {name}={value!r}>")
            if tag == "link" and attrs.get("rel") not in ("stylesheet", "icon", "prev", "next"):
                problems.append(f"{where}: <link rel={attrs.get('rel')!r}>")
    assert problems == []


def test_hostile_text_is_shown_as_text(hostile_site: Path) -> None:
    acme = hostile_site / "acme" / "2026-01-01_2026-06-30"
    text = "".join(pages(hostile_site)[acme / "changes" / "index.html"].text)
    for hostile in HOSTILE_TEXTS:
        visible = hostile.replace("\u202e", "<U+202E>").replace("\u202c", "<U+202C>")
        assert visible in text, hostile
    html = (acme / "changes" / "index.html").read_text("utf-8")
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html


def test_no_markdown_or_extension_syntax_is_interpreted(hostile_site: Path) -> None:
    for path, page in pages(hostile_site).items():
        classes = " ".join(str(attrs.get("class") or "") for _tag, attrs in page.elements)
        assert "admonition" not in classes, path  # '!!! danger' stayed text
        assert not any(tag == "img" for tag, _attrs in page.elements), path
        html = path.read_text("utf-8")
        assert "root:x:0:" not in html, path  # '--8<-- "/etc/passwd"' included nothing
        assert "\u202e" not in html and "\u202c" not in html, path
        assert 'href="javascript' not in html.lower(), path
        assert "attacker.example" not in re.sub(r">[^<]*<", "><", html), path  # only in text


def test_markdown_sources_hold_no_model_text(tmp_path: Path) -> None:
    packs = [write_pack(tmp_path, synthetic_evidence("acme", changes=60, hostile=True))]
    env = make_environment([builtin_templates()])
    site = {"name": "x", "logo": None, "primary": "indigo", "accent": "indigo"}
    site |= {"max_failure_rows": 500, "max_cited": 500, "max_deviation_rows": 500}  # defaults
    checked, escaped = 0, []
    for spec in page_specs(pack_views(packs), site):
        markdown, blocks = render_page(env, spec.template, spec.src, spec.context)
        for hostile in HOSTILE_TEXTS:
            assert hostile[:20] not in markdown, (spec.src, hostile)
        escaped.append("".join(blocks))
        checked += 1
    assert checked == 1 + 10 + 1 + 32  # home, pack pages, change page, control pages
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in "".join(escaped)


def test_search_index_holds_escaped_text_only(hostile_site: Path) -> None:
    index = json.loads((hostile_site / "search" / "search_index.json").read_text("utf-8"))
    texts = " ".join(doc["title"] + " " + doc["text"] for doc in index["docs"])
    assert "&lt;script&gt;" in texts  # the sample page's subjects are indexed, escaped
    assert "<script" not in texts and "<img" not in texts and "<style" not in texts
    assert (
        (hostile_site / "search" / "search_index.js")
        .read_text("utf-8")
        .startswith("var __index = ")
    )


@pytest.mark.parametrize("text", [*HOSTILE_TEXTS, "a_b *c* [d](e) `f` {g} <h> & | ! # x"])
def test_labels_and_slugs_are_inert(text: str) -> None:
    made = label(text)
    assert re.fullmatch(r"[\w .,:;/()+@#\u2013…-]+", made)
    assert not made.startswith("#") and "_" not in made and len(made) <= 80
    assert re.fullmatch(r"[a-z0-9._-]+", slug(text))
