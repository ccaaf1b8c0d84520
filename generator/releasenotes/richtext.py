"""Release-note Markdown made safe: parsed, reduced to an allowlist, written as HTML or Markdown.

Release notes are third-party text. Their Markdown goes through Python-Markdown, and the HTML it
produces (raw HTML in the note included) is parsed again and rebuilt from a small allowlist of
elements: paragraphs, lists, quotes, code, emphasis, line breaks and links to http(s) and mailto.
Everything else is dropped (scripts, styles, frames: with their content) or unwrapped to its text.
Images become links, so nothing is ever fetched (notetree.py). Both writers, HTML (here) and
Markdown (mdwriter.py), build their output from that tree and escape every text, so no input can
become markup, whatever Python-Markdown let through.

This module is the entry point: ``markdown_of`` and ``html_of`` for a note's text. The Markdown
writer also neutralises what docs-site preprocessors act on before Markdown
(MkDocs snippets ``--8<--``, attribute lists ``{: }``, admonitions ``!!!``, Jinja/Liquid
``{{ }}`` and ``{% %}``), because the output is meant to be pasted into any docs site.
"""

from __future__ import annotations

import html

from generator.releasenotes.fastpath import plain_parts, simple_tree
from generator.releasenotes.mdwriter import (
    code_span,
    escape_inline,
    escape_line_starts,
    escape_markdown,
    escape_text,
    md_escape,
    to_markdown,
)
from generator.releasenotes.notetree import (
    BLOCK_TAGS,
    Element,
    has_stand_ins,
    image_link,
    markdown_tree,
    safe_url,
    shown,
    visible,
)

__all__ = [
    "Element",
    "code_span",
    "escape_inline",
    "escape_markdown",
    "escape_text",
    "html_of",
    "markdown_and_html_of",
    "markdown_of",
    "markdown_tree",
    "parse",
    "plain_parts",
    "safe_url",
    "shown",
    "simple_tree",
    "to_html",
    "to_markdown",
    "visible",
]


def parse(text: str) -> Element:
    """Untrusted Markdown as an allowlisted tree (the root's children are the blocks)."""
    text = visible(text)
    tree = simple_tree(text)
    return markdown_tree(text) if tree is None else tree


def markdown_of(text: str) -> str:
    """Untrusted note Markdown as safe Markdown: ``to_markdown(parse(text))``, faster."""
    text = visible(text)
    parts = _plain_parts(text)
    return to_markdown(parse(text)) if parts is None else _plain_markdown(text, parts)


def html_of(text: str) -> str:
    """Untrusted note Markdown as safe HTML: ``to_html(parse(text))``, faster."""
    text = visible(text)
    parts = _plain_parts(text)
    return to_html(parse(text)) if parts is None else _plain_html(text, parts)


def markdown_and_html_of(text: str) -> tuple[str, str]:
    """``(markdown_of(text), html_of(text))``, reading the text once."""
    text = visible(text)
    parts = _plain_parts(text)
    if parts is None:
        root = parse(text)
        return to_markdown(root), to_html(root)
    return _plain_markdown(text, parts.copy()), _plain_html(text, parts)


def _plain_parts(text: str) -> list[str] | None:
    # A character shown as its code point (a stand-in) takes the tree: its writers show it.
    return None if has_stand_ins(text) else plain_parts(text)


def _plain_markdown(text: str, parts: list[str]) -> str:
    # A few tests of the whole text spare escaping each part when nothing needs it (the rule):
    # plain text has none of md_escape's other characters (* [ ] < \, backticks outside code).
    if (
        "_" in text
        or "#" in text
        or "{" in text
        or "}" in text
        or ">" in text
        or "&" in text
        or "|" in text
    ):
        parts[0::2] = [md_escape(part) for part in parts[0::2]]
    parts[1::2] = [code_span(code) for code in parts[1::2]]
    # Line starts can be escaped once for all paragraphs: a code span never starts with a marker.
    return escape_line_starts("".join(parts))


def _plain_html(text: str, parts: list[str]) -> str:
    if not parts:
        return ""
    if "&" in text or ">" in text:  # no "<": plain text has none
        parts = [html.escape(part, quote=False) for part in parts]
    parts[1::2] = [f"<code>{code}</code>" for code in parts[1::2]]
    # Paragraphs are separated by exactly one blank line, which neither escaping nor code has.
    return "<p>" + "".join(parts).replace("\n\n", "</p>\n<p>") + "</p>"


# -- HTML ---------------------------------------------------------------------------------------


def to_html(root: Element) -> str:
    """The tree as HTML: every text escaped, links marked as external and without referrer."""
    parts: list[str] = []
    pending: list[Element | str] = []

    def flush() -> None:
        # Text outside any block (raw HTML's <div>s were unwrapped) becomes a paragraph.
        inline = "".join(_html(child) for child in pending).strip()
        if inline:
            parts.append(f"<p>{inline}</p>")
        pending.clear()

    for node in root.children:
        if isinstance(node, Element) and node.tag in BLOCK_TAGS:
            flush()
            parts.append(_html(node))
        else:
            pending.append(node)
    flush()
    return "\n".join(parts)


def _html(node: Element | str) -> str:
    if isinstance(node, str):
        return html.escape(shown(node), quote=False)
    inner = "".join(_html(child) for child in node.children)
    tag = node.tag
    if tag == "heading":
        return f"<p><strong>{inner}</strong></p>"
    if tag in ("br", "hr"):
        return f"<{tag}>"
    if tag == "a":
        href = html.escape(node.attrs["href"])
        return f'<a href="{href}" rel="nofollow noopener noreferrer">{inner}</a>'
    if tag == "img":
        return _html(image_link(node))
    if tag == "ol" and "start" in node.attrs:
        return f'<ol start="{node.attrs["start"]}">{inner}</ol>'
    return f"<{tag}>{inner}</{tag}>"
