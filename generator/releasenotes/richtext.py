"""Release-note Markdown made safe: parsed, reduced to an allowlist, written as HTML or Markdown.

Release notes are third-party text. Their Markdown goes through Python-Markdown, and the HTML it
produces (raw HTML in the note included) is parsed again and rebuilt from a small allowlist of
elements: paragraphs, lists, quotes, code, emphasis, line breaks and links to http(s) and mailto.
Everything else is dropped (scripts, styles, frames: with their content) or unwrapped to its text.
Images become links, so nothing is ever fetched. Both writers below build their output from that
tree and escape every text, so no input can become markup, whatever Python-Markdown let through.

The Markdown writer also neutralises what docs-site preprocessors act on before Markdown
(MkDocs snippets ``--8<--``, attribute lists ``{: }``, admonitions ``!!!``, Jinja/Liquid
``{{ }}`` and ``{% %}``), because the output is meant to be pasted into any docs site.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import quote

import markdown

# A node is text (str) or an Element; this is the whole vocabulary the writers know.
BLOCK_TAGS = frozenset({"p", "ul", "ol", "li", "blockquote", "pre", "hr", "heading"})
INLINE_TAGS = frozenset({"em", "strong", "code", "a", "br", "img"})
_RENAME = {"b": "strong", "i": "em", **{f"h{n}": "heading" for n in range(1, 7)}}
# Dropped with everything inside them: their text is code, styling or a document of its own.
_DROP = frozenset(
    {"script", "style", "template", "iframe", "object", "embed", "svg", "math", "noscript",
     "head", "title", "frameset", "frame", "applet", "canvas", "audio", "video", "xmp"}
)  # fmt: skip
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "area", "base", "col"})
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_KEPT_CONTROLS = {"\t", "\n"}
_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def visible(text: str) -> str:
    """`text` without control and format characters (bidi overrides, NUL, ...), keeping \\n \\t.

    They can disguise text (Trojan-source style), and most are not even allowed in XML.
    """
    if text.isascii():
        return _ASCII_CONTROLS.sub("", text)
    return "".join(ch for ch in text if ch in _KEPT_CONTROLS or unicodedata.category(ch)[0] != "C")


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) or mailto link, else None (javascript:, data:, ...)."""
    if not url:
        return None
    cleaned = "".join(ch for ch in visible(url) if not ch.isspace())
    return cleaned if cleaned.casefold().startswith(_SAFE_SCHEMES) else None


@dataclass
class Element:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    """Python-Markdown's HTML (and any raw HTML in it) to an allowlisted Element tree."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("root")
        self.stack: list[Element] = [self.root]
        self.dropping = 0  # depth inside a dropped element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping:
            if tag in _DROP:
                self.dropping += 1
            return
        if tag in _DROP:
            self.dropping = 1
            return
        tag = _RENAME.get(tag, tag)
        if tag not in BLOCK_TAGS and tag not in INLINE_TAGS:
            return  # unwrapped: its text still arrives through handle_data
        element = Element(tag, _attributes(tag, dict(attrs)))
        if tag == "a" and "href" not in element.attrs:
            return  # a link we will not keep is just its text
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if _RENAME.get(tag, tag) not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag in _DROP:
                self.dropping -= 1
            return
        tag = _RENAME.get(tag, tag)
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        if not self.dropping and data:
            self.stack[-1].children.append(visible(data))


def _attributes(tag: str, attrs: dict[str, str | None]) -> dict[str, str]:
    if tag == "a":
        url = safe_url(attrs.get("href"))
        return {"href": url} if url else {}
    if tag == "img":
        kept = {"alt": visible(attrs.get("alt") or "")}
        url = safe_url(attrs.get("src"))
        return {**kept, "src": url} if url else kept
    if tag == "ol" and (attrs.get("start") or "").isdigit():
        return {"start": str(int(attrs["start"] or "1"))}
    if tag == "code" and (attrs.get("class") or "").startswith("language-"):
        language = (attrs["class"] or "")[len("language-") :]
        return {"language": language} if re.fullmatch(r"[A-Za-z0-9_+-]{1,30}", language) else {}
    return {}


_MARKDOWN = markdown.Markdown(extensions=["fenced_code", "sane_lists"], output_format="html")


def parse(text: str) -> Element:
    """Untrusted Markdown as an allowlisted tree (the root's children are the blocks)."""
    text = visible(text)
    paragraphs = plain_paragraphs(text)
    if paragraphs is None:
        return markdown_tree(text)
    root = Element("root")
    for parts in paragraphs:
        children: list[Element | str] = [
            Element("code", children=[part]) if index % 2 else part
            for index, part in enumerate(parts)
            if part
        ]
        root.children.append(Element("p", children=children))
    return root


def markdown_of(text: str) -> str:
    """Untrusted note Markdown as safe Markdown: ``to_markdown(parse(text))``, faster."""
    text = visible(text)
    paragraphs = plain_paragraphs(text)
    if paragraphs is None:
        return to_markdown(markdown_tree(text))
    blocks = []
    for parts in paragraphs:
        inline = "".join(
            code_span(part) if index % 2 else _md_escape(part) for index, part in enumerate(parts)
        )
        blocks.append(_escape_line_starts(inline))
    return "\n\n".join(blocks)


def html_of(text: str) -> str:
    """Untrusted note Markdown as safe HTML: ``to_html(parse(text))``, faster."""
    text = visible(text)
    paragraphs = plain_paragraphs(text)
    if paragraphs is None:
        return to_html(markdown_tree(text))
    return "\n".join(
        "<p>"
        + "".join(
            f"<code>{html.escape(part, quote=False)}</code>"
            if index % 2
            else html.escape(part, quote=False)
            for index, part in enumerate(parts)
        )
        + "</p>"
        for parts in paragraphs
    )


def markdown_tree(text: str) -> Element:
    """The tree through Python-Markdown and the allowlist: right for any input."""
    _MARKDOWN.reset()
    builder = _TreeBuilder()
    builder.feed(_MARKDOWN.convert(text))
    builder.close()
    return builder.root


# Python-Markdown costs about a millisecond per ticket, and most published tickets are nothing
# but paragraphs of plain text, sometimes with `code`. For those, this shortcut builds the same
# tree directly: no character with an inline meaning, no line that could open a block, no
# whitespace Python-Markdown would normalise. Anything else takes the full path; the tests
# check that both give the same output for every published note and for random text.
_INLINE_SYNTAX = re.compile(r"[*_\[\]<>&\\!#\t]")
_ORDERED_ITEM = re.compile(r"[0-9]+\.")
# A code span not touching another backtick (Python-Markdown would read "`a`` b`" as one span).
_CODE = re.compile(r"(?<!`)`([^`\n]*[^`\s][^`\n]*)`(?!`)")


def plain_paragraphs(text: str) -> list[list[str]] | None:
    """Plain paragraphs as [text, code, text, ...] parts (code stripped), or None if not plain."""
    if _INLINE_SYNTAX.search(text):
        return None
    for line in text.split("\n"):
        # Indentation, trailing spaces (line breaks), list, heading and setext markers.
        if line and (
            line[0].isspace()
            or line[-1].isspace()
            or line[0] in "-+=~"
            or (line[0].isdigit() and _ORDERED_ITEM.match(line))
        ):
            return None
    paragraphs = []
    for block in text.split("\n\n"):
        block = block.strip("\n")
        if not block:
            continue
        if "`" not in block:
            paragraphs.append([block])
            continue
        parts = _CODE.split(block)
        if any("`" in part for part in parts[0::2]):
            return None  # a backtick that is not a simple code span
        parts[1::2] = [part.strip() for part in parts[1::2]]
        paragraphs.append(parts)
    return paragraphs


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
        return html.escape(node, quote=False)
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
        return _html(_image_link(node))
    if tag == "ol" and "start" in node.attrs:
        return f'<ol start="{node.attrs["start"]}">{inner}</ol>'
    return f"<{tag}>{inner}</{tag}>"


def _image_link(image: Element) -> Element | str:
    label = f"image: {image.attrs.get('alt') or 'untitled'}"
    src = image.attrs.get("src")
    return Element("a", {"href": src}, [label]) if src else f"[{label}]"


# -- Markdown -----------------------------------------------------------------------------------

# Characters that are Markdown (or HTML, or a docs-site preprocessor) anywhere in a line. Entities
# where a backslash escape is not understood everywhere (Python-Markdown has no "\<" or "\|"),
# and for braces: "\{%" would still hold "{%" for Jinja or Liquid.
_MD_ESCAPES = str.maketrans(
    {
        "\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]",
        "#": "\\#", "{": "&#123;", "}": "&#125;",
        "<": "&lt;", ">": "&gt;", "&": "&amp;", "|": "&#124;",
    }
)  # fmt: skip
_MD_SPECIAL = re.compile(r"[\\`*_\[\]#{}<>&|]")


def _md_escape(text: str) -> str:
    # str.translate with string replacements is slow; most texts have nothing to replace.
    return text.translate(_MD_ESCAPES) if _MD_SPECIAL.search(text) else text


# Block syntax at the start of a line: headings, lists, quotes, admonitions, setext, fences, ...
_LINE_START = re.compile(r"^([-+=!~:]|[0-9]{1,9}[.)])", re.MULTILINE)
_LINE_START_ESCAPES = {"=": "&#61;", "~": "&#126;", ":": "&#58;"}
_LINE_START_CHARS = frozenset("-+=!~:0123456789")
_SNIPPET = re.compile(r"^\s*-+8<-+", re.MULTILINE)
_BACKTICKS = re.compile(r"`+")
_BLANK_LINES = re.compile(r"\n{2,}")
_SOFT_BREAK = re.compile(r"[ \t]*\n[ \t]*")


def escape_markdown(text: str) -> str:
    """Untrusted plain text as Markdown that shows exactly that text, on one or more lines."""
    escaped = _md_escape(visible(text))
    escaped = "\n".join(line.strip() for line in escaped.split("\n"))
    return _escape_line_starts(escaped)


@lru_cache(maxsize=16384)  # names, labels and dates repeat on every rollout of a page
def escape_inline(text: str) -> str:
    """Untrusted text as Markdown on one line, placed after other syntax (a heading's ``##``)."""
    return _md_escape(" ".join(visible(text).split()))


def _escape_line_start(match: re.Match[str]) -> str:
    marker = match.group(1)
    if marker in _LINE_START_ESCAPES:
        return _LINE_START_ESCAPES[marker]
    if marker[-1] in ".)":
        return marker[:-1] + "\\" + marker[-1]
    return "\\" + marker


def to_markdown(root: Element) -> str:
    """The tree as Markdown blocks separated by blank lines, without a trailing newline."""
    return "\n\n".join(_blocks(root.children))


def _blocks(nodes: list[Element | str]) -> list[str]:
    blocks: list[str] = []
    pending: list[Element | str] = []
    for node in nodes:
        if isinstance(node, Element) and node.tag in BLOCK_TAGS:
            blocks.extend(_paragraph(pending))
            pending = []
            blocks.append(_block(node))
        else:
            pending.append(node)
    blocks.extend(_paragraph(pending))
    return [b for b in blocks if b]


def _paragraph(nodes: list[Element | str]) -> list[str]:
    text = _inline(nodes)
    if "\n\n" in text:  # a blank line would end the paragraph (a <br> keeps its own newline)
        text = _BLANK_LINES.sub("\n", text)
    text = text.strip()
    return [_escape_line_starts(text)] if text else []


def _escape_line_starts(text: str) -> str:
    # The regex only runs when some line starts with a marker character: most never do.
    if any(line[:1] in _LINE_START_CHARS for line in text.split("\n")):
        return _LINE_START.sub(_escape_line_start, text)
    return text


def _block(node: Element) -> str:
    if node.tag == "p":
        return "\n\n".join(_paragraph(node.children))
    if node.tag == "heading":
        return "\n\n".join(_paragraph([Element("strong", children=node.children)]))
    if node.tag == "hr":
        return "* * *"
    if node.tag == "pre":
        return _code_block(node)
    if node.tag == "blockquote":
        inner = "\n\n".join(_blocks(node.children))
        return "\n".join(f"> {line}".rstrip() for line in inner.split("\n"))
    if node.tag in ("ul", "ol"):
        return _list(node)
    return "\n\n".join(_blocks(node.children))  # a stray <li>


def _list(node: Element) -> str:
    items = [child for child in node.children if isinstance(child, Element) and child.tag == "li"]
    loose = any(isinstance(c, Element) and c.tag == "p" for item in items for c in item.children)
    number = int(node.attrs.get("start", "1"))
    lines = []
    for index, item in enumerate(items):
        marker = f"{number + index}. " if node.tag == "ol" else "- "
        body = ("\n\n" if loose else "\n").join(_blocks(item.children)) or " "
        indent = " " * len(marker)
        body_lines = body.split("\n")
        lines.append(marker + body_lines[0])
        lines.extend(indent + line if line else "" for line in body_lines[1:])
        if loose and index + 1 < len(items):
            lines.append("")
    return "\n".join(lines)


def _text_of(node: Element | str) -> str:
    if isinstance(node, str):
        return node
    return "".join(_text_of(child) for child in node.children)


def _code_block(node: Element) -> str:
    code = _text_of(node).rstrip("\n")
    language = next(
        (c.attrs.get("language", "") for c in node.children if isinstance(c, Element)), ""
    )
    if "{" in code or "}" in code or _SNIPPET.search(code):
        # Jinja, Liquid and MkDocs snippets read fenced code too; in HTML, entities stop them.
        return f"<pre><code>{_html_entities(code)}</code></pre>"
    longest = max((len(run) for run in _BACKTICKS.findall(code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code}\n{fence}"


def _html_entities(text: str) -> str:
    return html.escape(text, quote=False).replace("{", "&#123;").replace("}", "&#125;")


def _inline(nodes: list[Element | str]) -> str:
    return "".join(_inline_node(node) for node in nodes)


def _inline_node(node: Element | str) -> str:
    if isinstance(node, str):
        # Line starts are escaped once the whole paragraph is known (see _paragraph).
        text = _md_escape(visible(node))
        return _SOFT_BREAK.sub("\n", text) if "\n" in text else text
    tag = node.tag
    if tag == "br":
        return "<br>\n"
    if tag == "code":
        return code_span(_text_of(node))
    if tag == "img":
        return _inline_node(_image_link(node))
    inner = _inline(node.children)
    if tag in ("em", "strong"):
        mark = "*" if tag == "em" else "**"
        core = inner.strip()
        if not core:
            return inner
        lead, trail = inner[: len(inner) - len(inner.lstrip())], inner[len(inner.rstrip()) :]
        return f"{lead}{mark}{core}{mark}{trail}"
    if tag == "a":
        return f"[{inner.strip() or escape_markdown(node.attrs['href'])}]({_md_url(node)})"
    return inner


def code_span(code: str) -> str:
    """Untrusted text as inline code (HTML <code> with entities when it holds braces)."""
    if code.isalnum():  # shas, versions without dots: the common case
        return f"`{code}`"
    code = " ".join(code.split("\n"))
    if "{" in code or "}" in code:
        return f"<code>{_html_entities(code)}</code>"
    longest = max((len(run) for run in _BACKTICKS.findall(code)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if code.startswith(("`", " ")) or code.endswith(("`", " ")) else ""
    return f"{ticks}{pad}{code}{pad}{ticks}"


def _md_url(link: Element) -> str:
    # Percent-encode what could end the destination or open markup: spaces, brackets, quotes.
    return quote(link.attrs["href"], safe="/:?#=&%@!$'*+,;~.-_")
