"""richtext's fast path (fastpath.py) against the full path (Python-Markdown + allowlist).

The fast path must build exactly the tree the full path builds, or decline; the plain-paragraph
writers must give exactly the full path's output. Checked on every published note, on hand-picked
tricky texts and on random texts built to sit on the fast path's borders.
"""

from __future__ import annotations

import random
import time
import unicodedata
from collections.abc import Callable

import pytest
from releasenotes_files import load_quietly

from generator.releasenotes import richtext
from generator.releasenotes.fastpath import plain_parts, simple_tree
from generator.releasenotes.mdwriter import md_escape
from generator.testing import HOSTILE_TEXTS
from generator.textcheck import DISGUISING

# Each is on the fast path, or just off it: HTML in notes, backticks, emphasis, links, lists,
# escapes, entities, underscores, non-ASCII, and line starts that open blocks.
TRICKY = [
    "plain text, nothing else",
    "two\nlines\n\nand a second paragraph\n\n\n\nafter three blank lines",
    "`code` at the start, `in the middle` and at the `end`",
    "`a`` b` and ``double`` and ` ` and `` ` and ```fence```",
    "**bold** and *em* and **two words**, *em*. **end**",
    "**bold**x *em*y x**bold** (**bold**) **bold** **open *em **",
    "***both*** and ** spaced ** and *a **b** c*",
    "[a link](https://docs.example.com/x_y?q=1;r=2#f) and [two words](http://x.y/p).",
    "[label](https://x.y) [b](javascript:alert(1)) [c](HTTPS://X.Y) ![img](https://x.y/i.png)",
    '[a](https://x.y/(p)) [a](https://x.y "title") [a] (https://x.y) [a][ref] [a]',
    "- one\n- **two**\n- [three](https://x.y)\n- `four`",
    "intro\n\n- item\n- item\n\noutro",
    "- a\n\n- b",
    "- a\nlazy continuation",
    "- - nested\n- > quote\n- # heading\n- 1. ordered",
    "* star list\n+ plus list\n1. ordered\n2025. a year\n\u0661. arabic-indic",
    "# heading\n## heading ##\n> quote\n=====\n-----\n~~~\n```\nfenced\n```",
    "snake_case and __init__ and _em_ and a_b_ and _x and x_",
    "R&D & weeks &amp; &copy; &#38; &#x26; &#X26; &copy &unknown;",
    "a > b, c ! d, # e, 50%, C#, e.g. (see it)",
    "<b>html</b> <script>x</script> <!-- c --> a < b",
    "back\\slash \\* \\_ and a\ttab",
    "trailing space \nand a hard break  \nend",
    "  indented\n    code block",
    "na\u00efve caf\u00e9 \u201cquoted\u201d \u2013 dash, \u00a0nbsp, line\u2028separator",
    "\u202eright-to-left\u202c override and \x00 NUL and \x07 bell",
    "{{ jinja }} {% tag %} {# comment #} --8<-- snippet !!! admonition {: .attr }",
    "",
    "\n\n",
    *HOSTILE_TEXTS,
]


def assert_same_as_full_path(text: str) -> str:
    """Which path `text` takes ("plain", "tree" or "full"), after checking it agrees."""
    text = richtext.visible(text)
    full = richtext.markdown_tree(text)
    tree = simple_tree(text)
    parts = plain_parts(text)
    assert richtext.markdown_of(text) == richtext.to_markdown(full), repr(text)
    assert richtext.html_of(text) == richtext.to_html(full), repr(text)
    if parts is not None:
        assert tree is not None, repr(text)  # plain paragraphs are a subset of simple text
    if tree is None:
        return "full"
    assert tree == full, repr(text)
    return "plain" if parts is not None else "tree"


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_texts(text):
    assert_same_as_full_path(text)


def test_the_fast_path_reads_what_it_should():
    paths = {text: assert_same_as_full_path(text) for text in TRICKY[:12]}
    assert paths[TRICKY[0]] == paths[TRICKY[1]] == paths[TRICKY[2]] == "plain"
    assert paths[TRICKY[4]] == paths[TRICKY[7]] == paths[TRICKY[10]] == paths[TRICKY[11]] == "tree"
    assert assert_same_as_full_path("<b>html</b>") == "full"


def test_every_published_ticket():
    notes = load_quietly()
    texts = [x for n in notes for t in n.tickets for x in (t.description, t.how_to_use or "")]
    paths = [assert_same_as_full_path(text) for text in texts]
    assert len(texts) > 1900
    assert paths.count("full") < len(texts) * 0.02  # the reason for the fast path


# Random texts: mostly words the fast path reads, decorated the ways notes are, with a few
# pieces that push them off it, so both sides of every border are crossed many times.
WORDS = [
    *("tenant", "API", "x", "Zone", "2025", "a_b", "R&D", "&", "weeks", "!", "->", "(see"),
    *("it)", "\u00e9", "na\u00efve", "\u201cquoted\u201d", "C#", "50%", "a>b", "e.g.", "foo:"),
]
PLAIN_WORDS = ["tenant", "API", "x", "Zone", "2025", "landing zone", "v2"]
RARE_WORDS = ["#1", "1.", "__init__", "&copy;", "&amp;", "\u00a0", "_x_", "*", "`", "<b>", "\\*"]
DECORATIONS = ["`{}`", "**{}**", "*{}*", "[{}](https://docs.example.com/{})", "*{}*.", "**{}**,"]
RARE_DECORATIONS = ["_{}_", "__{}__", "***{}***", "`{} `", "[{}]", "![{}](https://i.example/p)"]
RARE_DECORATIONS += ["**{} {}**", "<{}>", "{}\\*", "[{}](http://x.y/a_b?q=1;r=2#f)", "[{}](x)"]
MUTATIONS = [*"*_`[]()!#>&- \n\t<\\=+:~", "\n\n", "1. ", "- ", "\n- ", "    "]


def random_text(rng: random.Random) -> str:
    def word() -> str:
        text = rng.choice(RARE_WORDS if rng.random() < 0.03 else WORDS)
        if rng.random() < 0.15:
            if rng.random() < 0.7:
                text = rng.choice(PLAIN_WORDS)  # decorated words are mostly plain words in notes
            pattern = rng.choice(RARE_DECORATIONS if rng.random() < 0.2 else DECORATIONS)
            text = pattern.format(*[text] * pattern.count("{}"))
        return text

    def line() -> str:
        return " ".join(word() for _ in range(rng.randint(1, 6)))

    blocks = []
    for _ in range(rng.randint(1, 3)):
        marker = "- " if rng.random() < 0.3 else ""
        blocks.append("\n".join(marker + line() for _ in range(rng.randint(1, 3))))
    text = rng.choice(["\n\n", "\n\n", "\n", "\n\n\n"]).join(blocks)
    for _ in range(rng.choice([0, 0, 0, 1, 2])):
        at = rng.randint(0, len(text))
        text = text[:at] + rng.choice(MUTATIONS) + text[at:]
    return text


def test_random_texts_on_the_borders():
    rng = random.Random(20251127)
    paths = [assert_same_as_full_path(random_text(rng)) for _ in range(4000)]
    # Both paths and all three outcomes are exercised, each many times.
    assert min(paths.count("plain"), paths.count("tree"), paths.count("full")) > 200


def test_random_characters():
    rng = random.Random(7)
    pieces = [*"ab c`*_\n -1.#<>&\\![]()=~\t\u00a0{}:|\u202e;", "\n\n", "``", "1. ", "- "]
    pieces += ["word ", "`code`", "**", "**b**", "*e*", "[l](https://a.b/c)", "&amp;", "a_b"]
    for _ in range(3000):
        assert_same_as_full_path("".join(rng.choices(pieces, k=rng.randint(0, 20))))


def _by_definition(text: str, show: Callable[[str], str]) -> str:
    """Each character kept (text, tab, newline), shown (what the portal shows as a code point,
    textcheck.DISGUISING) or left out (the other control, format, private-use and unassigned
    characters)."""
    out = []
    for ch in text:
        if ch in "\t\n" or unicodedata.category(ch)[0] != "C":
            out.append(ch)
        elif DISGUISING.match(ch):
            out.append(show(ch))
    return "".join(out)


def test_visible_and_shown_match_their_definition():
    """visible() and shown() have fast paths; they must show (shown: as <U+001B>; visible: as a
    stand-in the parsers take as text) exactly the characters the portal shows as code points,
    and drop exactly the other control and format characters."""
    rng = random.Random(3)
    alphabet = [chr(c) for c in range(0x250)] + [*"\u00a0\u200b\u200e\u202e\u2028\u2066\ufeff"]
    alphabet += ["\U0001f600", "\ue000", "\u0378", "\u00ad"]  # private use, unassigned, soft hyphen
    alphabet += ["\U000f0041", "\U000ff000"]  # plane 15 private use, not a stand-in: dropped
    for _ in range(5000):
        text = "".join(rng.choices(alphabet, k=rng.randint(0, 12)))
        if rng.random() < 0.5:
            text = "".join(ch for ch in text if ord(ch) < 0x80)
        visible = richtext.visible(text)
        assert visible == _by_definition(text, lambda ch: chr(0xF0000 + ord(ch))), repr(text)
        assert richtext.visible(visible) == visible
        expected = _by_definition(text, lambda ch: f"<U+{ord(ch):04X}>")
        assert richtext.shown(text) == expected == richtext.shown(visible), repr(text)
    assert (
        richtext.shown("a\x1b[31mb\x07\u202egnp.exe\r\n")
        == "a<U+001B>[31mb<U+0007><U+202E>gnp.exe\n"
    )


def test_md_escape_is_a_per_character_mapping():
    """md_escape replaces in sequence; that must equal replacing each character on its own."""
    table = str.maketrans(
        {
            "\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]",
            "#": "\\#", "{": "&#123;", "}": "&#125;",
            "<": "&lt;", ">": "&gt;", "&": "&amp;", "|": "&#124;",
        }
    )  # fmt: skip
    rng = random.Random(5)
    for _ in range(5000):
        text = "".join(rng.choices("\\`*_[]#{}<>&|a 1;\u00e9", k=rng.randint(0, 14)))
        assert md_escape(text) == text.translate(table), repr(text)


def test_escape_text_matches_its_definition():
    """escape_text skips the whitespace clean-up for clean printable text; same result."""
    rng = random.Random(11)
    alphabet = [*"ab \t\n\r\x0b\x0c\x1c\x85\u00a0\u1680\u2000\u2028\u2029\u202e\u3000*_#|{"]
    alphabet += ["\u00e9", "\U0001f600", "  ", "\x00"]
    for text in [
        *HOSTILE_TEXTS,
        *TRICKY,
        *("".join(rng.choices(alphabet, k=rng.randint(0, 10))) for _ in range(5000)),
    ]:
        expected = md_escape(" ".join(richtext.shown(text).split()))
        assert richtext.escape_text(text) == expected == richtext.escape_inline(text), repr(text)


def test_markdown_and_html_of_is_both_at_once():
    rng = random.Random(13)
    for text in [*TRICKY, *(random_text(rng) for _ in range(2000))]:
        both = richtext.markdown_and_html_of(text)
        assert both == (richtext.markdown_of(text), richtext.html_of(text)), repr(text)


def test_an_unclosed_backtick_on_a_long_line_is_read_in_linear_time():
    # "`[^`]*[^`\s][^`]*`" backtracks quadratically here: minutes for this line, notes may have
    # 2 MB lines. The fast path's form of it must not.
    text = "`" + "word " * 100_000 + "end"
    started = time.perf_counter()
    assert plain_parts(text) is None and simple_tree(text) is None
    assert time.perf_counter() - started < 5
