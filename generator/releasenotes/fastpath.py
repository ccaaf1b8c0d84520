"""The Markdown most release notes are written in, read without Python-Markdown (richtext.py).

Python-Markdown (and re-parsing its HTML) costs about a millisecond per ticket, and almost every
published ticket is a few paragraphs of plain text, sometimes with `code`, **bold**, *emphasis*,
[a link](https://...) or a "- " list. This module reads exactly those: ``simple_tree`` builds the
tree ``notetree.markdown_tree`` would build, node for node, so every writer gives the same output;
``plain_parts`` gives plain paragraphs to the writers without building a tree at all.

A text is accepted only when every character with a Markdown meaning is in one of those forms,
in a context where Python-Markdown (3.5 and later) cannot read it any other way; for anything
else both return None and the caller takes the full path. The tests compare both paths on every
published note and on random text.
"""

from __future__ import annotations

import re

from generator.releasenotes.notetree import Element

# Only cheap checks below: a substring test or a regex with a literal prefix costs well under a
# microsecond, a character class or lookbehind scanning a whole text several (notes hold ~45,000).
# A line start that opens a block other than a "- " list (simple_tree reads those): indented
# code, heading, quote, "+" list, setext underline, fence, ordered list.
_BLOCK_START = r"[^\S\n]|[+=~#>]|\d+\."
_BAD_FIRST_LINE = re.compile(_BLOCK_START)
_BAD_LINE = re.compile(r"\n(?:" + _BLOCK_START + ")")
_BAD_ITEM_START = re.compile(r"-|" + _BLOCK_START)
# An entity would become its character (a numeric one even without its ";"); an underscore could
# delimit emphasis (in every Python-Markdown version, one between ASCII letters or digits cannot).
_ENTITY = re.compile(r"&(?:#|[A-Za-z0-9]+;)")
_UNDERSCORE = re.compile(r"_(?<![A-Za-z0-9]_)|_(?![A-Za-z0-9])")
_NOT_TEXT = re.compile(r"[`*\[\]]|" + _ENTITY.pattern + "|" + _UNDERSCORE.pattern)
_BLANK_LINES = re.compile(r"\n{3,}")
# A code span not touching another backtick (Python-Markdown would read "`a`` b`" as one span),
# holding something other than spaces. The lookahead and the possessive run keep it linear: the
# form "[^`]*[^`\s][^`]*`" backtracks quadratically on a long line without a closing backtick.
_CODE = r"`(?<!``)(?=[^`\n]*[^`\s])(?P<code>[^`\n]*+)`(?!`)"
_CODE_SPAN = re.compile(_CODE)
# Emphasis and link texts hold nothing that could be markup, and no newline.
_PLAIN_CHAR = r"[^`*_\[\]<>&\\!#()\n\t]"
# Emphasis that can only open (after a space or at the start) and only close (before a space,
# punctuation that ends a phrase, or the end): no flanking rule can read it differently. Every
# alternative starts with its character and looks behind only then, so the regex skips to those
# characters instead of trying each position of a text.
_CONTENT = r"[A-Za-z0-9](?:" + _PLAIN_CHAR + r"*[A-Za-z0-9])?"
_STRONG = r"\*\*(?<![^ \n]\*\*)(?P<strong>" + _CONTENT + r")\*\*(?=[ \n.,;:]|\Z)"
_EM = r"\*(?<![^ \n]\*)(?P<em>" + _CONTENT + r")\*(?=[ \n.,;:]|\Z)"
# An inline link (not an image) to an address that needs no escaping and holds nothing a title
# could start.
_LINK = (
    r"\[(?<!!\[)(?P<label>[^\s`*_\[\]<>&\\!#()](?:" + _PLAIN_CHAR + r"*[^\s`*_\[\]<>&\\!#()])?)\]"
    r"\((?P<href>https?://[A-Za-z0-9._~/?#=%+:@,;-]+)\)"
)
_INLINE = re.compile("|".join((_CODE, _STRONG, _EM, _LINK)))


def plain_parts(text: str) -> list[str] | None:
    """Plain paragraphs as [text, code, text, ...] (code stripped), or None if not that simple.

    Paragraphs are separated by exactly one blank line inside the text parts; no text is [].
    ``text`` must already be ``visible``.
    """
    if (
        "*" in text
        or "[" in text
        or "]" in text
        or text[:1] == "-"
        or "\n-" in text
        or not _simple_lines(text)
        or ("&" in text and _ENTITY.search(text))
        or ("_" in text and _UNDERSCORE.search(text))
    ):
        return None  # emphasis, links and lists, or markup the fast path never reads
    text = text.strip("\n")
    if not text:
        return []
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    if "`" not in text:
        return [text]
    parts = _CODE_SPAN.split(text)
    if text.count("`") != len(parts) - 1:  # each span holds two backticks, its code none
        return None  # a backtick that is not a simple code span
    parts[1::2] = [part.strip() for part in parts[1::2]]
    return parts


def simple_tree(text: str) -> Element | None:
    """The tree ``markdown_tree`` builds, when ``text`` (already ``visible``) is simple enough."""
    if not _simple_lines(text):
        return None
    root = Element("root")
    after_list = False
    for block in text.split("\n\n"):
        block = block.strip("\n")
        if not block:
            continue
        if block.startswith("- "):
            if after_list:
                return None  # Python-Markdown would continue the list above as a loose one
            element = _list(block)
            after_list = True
        elif block[0] == "-" or "\n-" in block:
            return None  # a list item inside a paragraph, or a setext underline
        else:
            children = _inline(block)
            element = None if children is None else Element("p", children=children)
            after_list = False
        if element is None:
            return None
        if root.children:
            root.children.append("\n")  # what Python-Markdown writes between blocks
        root.children.append(element)
    return root


def _simple_lines(text: str) -> bool:
    """No raw HTML, backslash escape or tab (expanded even in code); no line indented, ending in
    whitespace (a hard break) or opening a block other than a "- " list."""
    if "<" in text or "\\" in text or "\t" in text:
        return False
    if _BAD_FIRST_LINE.match(text) or _BAD_LINE.search(text):
        return False
    if text.isascii():  # visible() left no ASCII whitespace but space, tab and newline
        return " \n" not in text and text[-1:] != " "
    return not any(line[-1:].isspace() for line in text.split("\n"))


def _list(block: str) -> Element | None:
    """A tight "- " list, one item per line (no continuation lines, nothing nested)."""
    children: list[Element | str] = ["\n"]
    for line in block.split("\n"):
        if not line.startswith("- ") or _BAD_ITEM_START.match(line, 2):
            return None
        inline = _inline(line[2:])
        if inline is None:
            return None
        children += (Element("li", children=inline), "\n")
    return Element("ul", children=children)


def _inline(text: str) -> list[Element | str] | None:
    """Text, code spans, emphasis and links; None if anything else could be markup."""
    children: list[Element | str] = []
    end = 0
    for match in _INLINE.finditer(text):
        start = match.start()
        if start > end:
            piece = text[end:start]
            if _NOT_TEXT.search(piece):
                return None
            children.append(piece)
        if match["code"] is not None:
            children.append(Element("code", children=[match["code"].strip()]))
        elif match["label"] is not None:
            children.append(Element("a", {"href": match["href"]}, [match["label"]]))
        elif match["strong"] is not None:
            children.append(Element("strong", children=[match["strong"]]))
        else:
            children.append(Element("em", children=[match["em"]]))
        end = match.end()
    if end < len(text):
        piece = text[end:]
        if _NOT_TEXT.search(piece):
            return None
        children.append(piece)
    return children
