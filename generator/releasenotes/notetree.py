"""Untrusted note Markdown as a small allowlisted tree (see richtext.py for the whole design).

Python-Markdown converts the text; its HTML (raw HTML from the note included) is parsed again and
rebuilt from the allowlist below. Simple text takes a shortcut that builds the same tree without
Python-Markdown (fastpath.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from generator.textcheck import DISGUISING, code_point

if TYPE_CHECKING:
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
_ASCII_CONTROLS = bytes([*range(0x09), *range(0x0B, 0x20), 0x7F])  # all but \t and \n


# A character a page shows as its code point (textcheck.DISGUISING: ESC, BEL, a bidi override)
# is carried through Markdown and HTML parsing as a stand-in, a private-use character of plane 15
# that both parsers take as a letter: the code point's own text, <U+001B>, would be read as a tag
# and lost, and Python-Markdown uses STX and ETX itself. The writers show each stand-in as the
# code point it stands for (`shown`), escaped as every other text.
_STAND_IN = 0xF0000
_STAND_INS = re.compile("[\U000f0000-\U000ffeff]")


def _stand_in(match: re.Match[str]) -> str:
    return chr(_STAND_IN + ord(match.group()))


def _is_stand_in(char: str) -> bool:
    code = ord(char) - _STAND_IN
    return 0 <= code <= 0xFFFF and DISGUISING.match(chr(code)) is not None


def visible(text: str) -> str:
    """`text` as the parsers and writers take it, keeping \n and \t: each control or format
    character a page shows as its code point (ESC, BEL, NUL, bidirectional overrides,
    zero-width characters: textcheck.DISGUISING) replaced by its stand-in, the other control,
    format, private-use and unassigned characters (CR, a soft hyphen, U+FFFE) left out.

    They can disguise text (Trojan-source style), and most are not even allowed in XML.
    Stand-ins already made are kept: visible(visible(x)) == visible(x).
    """
    if text.isprintable():  # no control or format character (nor newline): the common case
        return text
    if text.isascii():
        # bytes.translate is several times faster than a regex scan; most texts lose nothing.
        raw = text.encode("ascii")
        if len(raw.translate(None, _ASCII_CONTROLS)) == len(raw):
            return text
        return DISGUISING.sub(_stand_in, text.replace("\r", ""))  # CR: all but \t \n shown
    # isprintable() is False for every control and format character (and for separators other
    # than the space, which are kept): most non-ASCII text has none, and this runs at C speed.
    if text.replace("\n", "").replace("\t", "").isprintable():
        return text
    kept = []
    for char in text:
        if char in _KEPT_CONTROLS or unicodedata.category(char)[0] != "C" or _is_stand_in(char):
            kept.append(char)
        elif DISGUISING.match(char):
            kept.append(chr(_STAND_IN + ord(char)))
    return "".join(kept)


def has_stand_ins(text: str) -> bool:
    """Whether visible text holds a character shown as its code point."""
    return not text.isascii() and _STAND_INS.search(text) is not None


def shown(text: str) -> str:
    """`visible(text)` with each stand-in written as the code point it stands for, <U+001B>:
    plain text, for a writer that escapes it (as the portal and the PDF show the character)."""
    text = visible(text)
    if not has_stand_ins(text):
        return text
    return _STAND_INS.sub(lambda m: code_point(chr(ord(m.group()) - _STAND_IN)), text)


def _without_stand_ins(text: str) -> str:
    return _STAND_INS.sub("", visible(text)) if not text.isprintable() else text


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) or mailto link, else None (javascript:, data:, ...)."""
    if not url:
        return None
    # An address holding a control character is none anyone could type: it is left out.
    cleaned = "".join(ch for ch in _without_stand_ins(url) if not ch.isspace())
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


@cache
def _markdown() -> markdown.Markdown:
    # Imported and set up on first use (about a tenth of a second): most texts take the fast path,
    # and a run with warm caches renders none (textforms.py).
    import markdown

    return markdown.Markdown(extensions=["fenced_code", "sane_lists"], output_format="html")


def markdown_tree(text: str) -> Element:
    """The tree through Python-Markdown and the allowlist: right for any input."""
    converter = _markdown()
    converter.reset()
    builder = _TreeBuilder()
    builder.feed(converter.convert(text))
    builder.close()
    return builder.root


def image_link(image: Element) -> Element | str:
    label = f"image: {image.attrs.get('alt') or 'untitled'}"
    src = image.attrs.get("src")
    return Element("a", {"href": src}, [label]) if src else f"[{label}]"
