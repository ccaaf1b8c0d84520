"""The note tree (notetree.py) written back as Markdown that any docs site reads as that tree.

Every text is escaped for Markdown and HTML; what docs-site preprocessors act on before Markdown
(MkDocs snippets ``--8<--``, attribute lists ``{: }``, admonitions ``!!!``, Jinja/Liquid ``{{ }}``
and ``{% %}``) is neutralised too, because the output is meant to be pasted into any docs site.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from urllib.parse import quote

from generator.releasenotes.notetree import BLOCK_TAGS, Element, image_link, shown

# -- Markdown -----------------------------------------------------------------------------------

# Characters that are Markdown (or HTML, or a docs-site preprocessor) anywhere in a line. Entities
# where a backslash escape is not understood everywhere (Python-Markdown has no "\<" or "\|"),
# and for braces: "\{%" would still hold "{%" for Jinja or Liquid.
# Applied with replace() in this order, which gives what a per-character mapping would
# (str.translate, several times slower): backslash and "&" come first, and "#" before the braces'
# "&#123;", so no replacement adds a character that is still to be replaced.
_MD_ESCAPES = (
    ("\\", "\\\\"), ("&", "&amp;"), ("#", "\\#"),
    ("`", "\\`"), ("*", "\\*"), ("_", "\\_"), ("[", "\\["), ("]", "\\]"),
    ("{", "&#123;"), ("}", "&#125;"), ("<", "&lt;"), (">", "&gt;"), ("|", "&#124;"),
)  # fmt: skip
_MD_SPECIAL = re.compile(r"[\\`*_\[\]#{}<>&|]")  # what md_escape replaces


def md_escape(text: str) -> str:
    if _MD_SPECIAL.search(text) is None:  # most texts hold none: one scan instead of 13
        return text
    for char, replacement in _MD_ESCAPES:
        if char in text:
            text = text.replace(char, replacement)
    return text


# Block syntax at the start of a line: headings, lists, quotes, admonitions, setext, fences, ...
_LINE_START = re.compile(r"^([-+=!~:]|[0-9]{1,9}[.)])", re.MULTILINE)
_LINE_START_ESCAPES = {"=": "&#61;", "~": "&#126;", ":": "&#58;"}
_LINE_START_CHARS = frozenset("-+=!~:0123456789")
_MARKER_AFTER_NEWLINE = re.compile(r"\n[-+=!~:0-9]")
_SNIPPET = re.compile(r"^\s*-+8<-+", re.MULTILINE)
_BACKTICKS = re.compile(r"`+")
_BLANK_LINES = re.compile(r"\n{2,}")
_SOFT_BREAK = re.compile(r"[ \t]*\n[ \t]*")


def escape_markdown(text: str) -> str:
    """Untrusted plain text as Markdown that shows exactly that text, on one or more lines."""
    escaped = md_escape(shown(text))
    escaped = "\n".join(line.strip() for line in escaped.split("\n"))
    return escape_line_starts(escaped)


def escape_text(text: str) -> str:
    """Untrusted text as Markdown on one line, placed after other syntax (a heading's ``##``)."""
    # Printable text has no whitespace but the space (the others are control or separator
    # characters): unless spaces are doubled or at an end, it is already one clean line.
    if not text.isprintable() or "  " in text or text[:1] == " " or text[-1:] == " ":
        text = " ".join(shown(text).split())
    return md_escape(text)


# Names, labels and dates repeat on every rollout of a page.
escape_inline = lru_cache(maxsize=16384)(escape_text)


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
    return [escape_line_starts(text)] if text else []


def escape_line_starts(text: str) -> str:
    # The substitution only runs when some line starts with a marker character: most never do.
    if text[:1] in _LINE_START_CHARS or _MARKER_AFTER_NEWLINE.search(text):
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
    code = shown(_text_of(node)).rstrip("\n")
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
        text = md_escape(shown(node))
        return _SOFT_BREAK.sub("\n", text) if "\n" in text else text
    tag = node.tag
    if tag == "br":
        return "<br>\n"
    if tag == "code":
        return code_span(_text_of(node))
    if tag == "img":
        return _inline_node(image_link(node))
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
    code = shown(code)
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
