"""Templates for portal pages, and the blocks that keep untrusted text out of Markdown.

A page template renders Markdown that holds only static prose, inert labels and placeholders.
Everything built from the evidence model is written inside ``{% filter block %}...{% endfilter %}``
as autoescaped HTML; the filter keeps that HTML aside and leaves a placeholder in the Markdown.
After MkDocs has converted a page, ``BlockInjector`` puts the blocks back in place. So no
Markdown extension or preprocessor (snippets, admonitions, attribute lists, raw HTML) ever sees a
byte of repository text, and Jinja's autoescape makes it text in the HTML.

``{% filter block(indexed=False) %}`` marks a block the search index should not hold (the change
tables: thousands of rows). It is put in place only after the search plugin has read the page,
which also spares the search plugin from parsing it. Such a block may sit inside an indexed
block, not inside another unindexed one.

The blocks wait in files of the portal's work folder (``BlockStore``), one per page, read back
only while that page is converted: a long history's change tables are most of the site's HTML
(92 MB on the 100k-commit benchmark, twice that as Python text), and MkDocs keeps every page's
content until its build ends, so a page's unindexed blocks leave it once the page is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from mkdocs.plugins import BasePlugin, event_priority

from generator.errors import BuildError
from generator.evidence.findings import NO_ACTION, STATE_LABELS, entry_source, register_path
from generator.numberwords import count_text
from generator.render import timeline, words
from generator.render.documents import DOCUMENT_COLUMNS, document_rows
from generator.render.event_view import tested_from_text
from generator.render.portal import badges
from generator.render.portal.labels import label, relative_url, slug
from generator.render.portal.timeline_look import PORTAL as PORTAL_LOOK
from generator.render.portal.views import age_days
from generator.render.reconciliation import (
    equation,
    groups_view,
    population_scopes,
    shared_changes,
)
from generator.render.tested import control_tested
from generator.textcheck import code_points_shown

_PLACEHOLDER = '<div data-mc-block="{index}"{late}></div>'
_EARLY_RE = re.compile(r'<div data-mc-block="(\d+)"></div>')
_LATE_RE = re.compile(r'<div data-mc-block="(\d+)" data-mc-late></div>')


class PageBlocks:
    """The HTML blocks of one page, in placeholder order."""

    def __init__(self) -> None:
        self.blocks: list[str] = []

    def add(self, html: str, indexed: bool) -> Markup:
        # Replaced in the finished HTML, so no filter or macro can let one through.
        # Control and format characters as <U+001B> (textcheck.code_points_shown).
        self.blocks.append(code_points_shown(html))
        late = "" if indexed else " data-mc-late"
        placeholder = _PLACEHOLDER.format(index=len(self.blocks) - 1, late=late)
        return Markup(f"\n\n{placeholder}\n\n")


@jinja2.pass_context
def _block_filter(context: jinja2.runtime.Context, html: str, indexed: bool = True) -> Markup:
    return context["_blocks"].add(str(html), indexed)


@jinja2.pass_context
def _link(context: jinja2.runtime.Context, target: str) -> str:
    """A relative URL from the current page to ``target`` (a site path or Markdown source)."""
    return relative_url(context["page_src"], target)


def _multiline(text: object) -> Markup:
    # Newlines as character references: the block's HTML then has no line breaks from the model.
    escaped = Markup.escape("" if text is None else str(text))
    return Markup(str(escaped).replace("\r\n", "\n").replace("\n", "&#10;"))


def _anchor(text: object, prefix: str) -> str:
    return f"{prefix}-{slug(text)}"


def make_environment(template_dirs: list[Path]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in template_dirs]),
        autoescape=True,  # every template, Markdown ones too: values can never add markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        block=_block_filter,
        count=count_text,
        label=label,
        multiline=_multiline,
        badge=badges.badge,
        short=badges.short_sha,
        when=badges.when,
        person=badges.person,
        person_lines=badges.person_lines,
        yaml_label=_yaml_label,
        anchor=_anchor,
        window=words.window_text,
        params=words.params_text,
        kind_words=words.kind_text,
        field_label=words.label_text,
        words=words.value_text,
        tested=tested_from_text,
        action_state=STATE_LABELS.__getitem__,
        evidence=words.evidence_words,
        detail_cell_class=badges.detail_cell_class,
    )
    env.tests["commit"] = words.is_commit_id  # shown by macros.commit
    env.globals.update(
        no_action=NO_ACTION,
        link=_link,
        age_days=age_days,
        statuses=badges.statuses(),
        details_view=words.details_view,
        rules_tested=control_tested,
        tested_by_control=lambda m: {c.id: control_tested(c, judged_only=True) for c in m.controls},
        clause_title=_clause_title,
        timeline_charts=lambda m: timeline.charts(m.promotions, m.period, PORTAL_LOOK),
        promotion_approvals=lambda m: words.promotion_approvals(m.promotions, m.changes),
        approval_line_note=words.APPROVAL_LINE_NOTE,
        register_path=register_path,
        entry_source=entry_source,
        reconciliation_groups=lambda m: groups_view(m.reconciliation, len(m.changes) + 1),
        reconciliation_sum=lambda m: equation(m.reconciliation),
        population_scopes=lambda m, env: population_scopes(env, m.reconciliation),
        document_rows=document_rows,
        document_columns=DOCUMENT_COLUMNS,
        shared_changes=lambda m: shared_changes(m.changes),
    )
    return env


def _clause_title(model: Any, ref: str) -> str | None:
    """The standard's short title of a clause reference, from the pack's Statement of
    Applicability (None for a reference it does not list)."""
    return next((row.title for row in model.soa if row.ref == ref), None)


def _yaml_label(text: object) -> Markup:
    """An inert label as a quoted YAML scalar (JSON strings are YAML), for front matter."""
    return Markup(json.dumps(label(text), ensure_ascii=False))


def render_page(
    env: jinja2.Environment, template: str, page_src: str, context: dict[str, Any]
) -> tuple[str, list[str]]:
    """The Markdown of one page and its HTML blocks."""
    blocks = PageBlocks()
    markdown = env.get_template(template).render(
        {**context, "page_src": page_src, "_blocks": blocks}
    )
    return markdown, blocks.blocks


def fill_placeholders(html: str, blocks: list[str], src: str) -> str:
    """A built page with every placeholder replaced by its block (for engines without plugins)."""
    # One pass per kind: block HTML is inserted, never rescanned for placeholders.
    html = _EARLY_RE.sub(lambda m: blocks[int(m.group(1))], html)
    html = _LATE_RE.sub(lambda m: blocks[int(m.group(1))], html)
    if "<div data-mc-block=" in html:
        raise BuildError(f"portal: {src}: a block placeholder was left unfilled")
    return html


class BlockStore:
    """Each page's blocks in a file of its own below ``folder``, read back for that page."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._files: dict[str, Path] = {}  # page source -> its blocks' file

    def put(self, src: str, blocks: list[str]) -> None:
        if not self._files:
            self._folder.mkdir(parents=True, exist_ok=True)
        path = self._folder / f"{len(self._files):06d}.json"
        path.write_text(json.dumps(blocks, ensure_ascii=False), encoding="utf-8")
        self._files[src] = path

    def get(self, src: str) -> list[str]:
        path = self._files.get(src)
        return json.loads(path.read_text(encoding="utf-8")) if path is not None else []

    def items(self) -> Iterator[tuple[str, list[str]]]:
        """Every page's blocks, by page source."""
        for src in sorted(self._files):
            yield src, self.get(src)


class BlockInjector(BasePlugin):
    """Puts each page's HTML blocks in place of their placeholders after Markdown conversion."""

    def __init__(self, blocks: BlockStore) -> None:
        super().__init__()
        self._blocks = blocks
        self._unfilled: tuple[Any, str] | None = None  # the page being written, before late

    def _fill(self, pattern: re.Pattern[str], html: str, page: Any) -> str:
        blocks = self._blocks.get(page.file.src_uri)
        # One pass: block HTML is inserted, never rescanned for placeholders.
        return pattern.sub(lambda m: blocks[int(m.group(1))], html)

    def on_page_content(self, html: str, /, *, page: Any, config: Any, files: Any) -> str:
        return self._fill(_EARLY_RE, html, page)

    @event_priority(-100)  # after the search plugin has indexed the page
    def on_page_context(self, context: Any, /, *, page: Any, config: Any, nav: Any) -> Any:
        unfilled = page.content
        if _LATE_RE.search(unfilled):
            self._unfilled = (page, unfilled)
            page.content = self._fill(_LATE_RE, unfilled, page)
        if "<div data-mc-block=" in page.content:  # an unindexed block nested in another
            raise BuildError(f"portal: {page.file.src_uri}: a block placeholder was left unfilled")
        return context

    def on_post_page(self, output: str, /, *, page: Any, config: Any) -> str:
        # The page's HTML is in `output`, written next: MkDocs need not keep its late blocks.
        if self._unfilled is not None and self._unfilled[0] is page:
            page.content = self._unfilled[1]
        self._unfilled = None
        return output
