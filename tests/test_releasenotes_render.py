"""Release-note outputs (Markdown, HTML page and fragment) with hostile notes and history."""

from __future__ import annotations

import html
import random
import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import markdown
import pytest
from releasenotes_files import load_quietly
from releasenotes_models import ModelBuilder

from generator.releasenotes import ReleaseNote, parse_release_note, richtext
from generator.releasenotes.join import release_view
from generator.releasenotes.render import render_html, render_html_fragment, render_markdown
from generator.testing import HOSTILE_TEXTS

SECRET = "TOP-SECRET-CONTENT"

HOSTILE_NOTE = """\
---
title: Release 2025.60.0
---

Release period: 2025-12-17 to 2025-12-24
<!--truncate-->

## Ticket Details
### <script>alert('title')</script> Title *with* `code` {{ config }} | pipe
**Audience:** User<br>

#### Description
<script>alert('xss')</script>
<img src=x onerror="alert(1)">
[click me](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=)
[vb]( JaVaScRiPt:alert(2))
![pixel](http://attacker.example/p.png)

--8<-- "secret.txt"

!!! danger "admonition injection"

{: onclick="alert(1)" }

<style>body{background:url(http://attacker.example/bg)}</style>
<iframe src="http://attacker.example"></iframe>
<a href="https://docs.meshcloud.io/" onclick="steal()">real link</a>
\u202egnp.exe\u202c and \x01 control

{% include 'secret.txt' %} and `{{ config }}` and {{ config }}

```
--8<-- "secret.txt"
{{ config }}
```

#### How to use
<svg onload=alert(1)><script>x</script></svg> Click <b>here</b>.
<div markdown="1">*inside*</div>
"""

# What the outputs may contain once a browser (or a Markdown renderer) has read them.
ALLOWED_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "main",
    "section",
    "article",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "p",
    "dl",
    "dt",
    "dd",
    "span",
    "code",
    "pre",
    "div",
    "ul",
    "ol",
    "li",
    "a",
    "strong",
    "em",
    "br",
    "hr",
    "blockquote",
    "time",
}
ALLOWED_ATTRIBUTES = {
    "class",
    "id",
    "href",
    "rel",
    "datetime",
    "lang",
    "charset",
    "name",
    "content",
    "http-equiv",
    "start",
}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def assert_inert_html(page: str, *, styles: int = 0) -> str:
    """Only allowlisted elements and attributes, only http(s)/mailto links; returns the text."""
    parser = _Tags()
    parser.feed(page)
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, tag
        assert set(attrs) <= ALLOWED_ATTRIBUTES, (tag, attrs)
        if "href" in attrs:
            assert attrs["href"].startswith(("http://", "https://", "mailto:")), attrs
        if tag == "div":
            assert "admonition" not in (attrs.get("class") or "")
    assert sum(tag == "style" for tag, _ in parser.tags) == styles
    assert SECRET not in page
    return "".join(parser.text)


@pytest.fixture(scope="module")
def notes() -> list[ReleaseNote]:
    return load_quietly()


def hostile_view():
    note = parse_release_note(Path("2025-12-24-Release-0.md"), HOSTILE_NOTE)
    model = ModelBuilder(period=("2025-12-01", "2025-12-31"))
    model.rollout(
        "2025.60.0",
        "2025-12-24T09:00:00+01:00",
        "2025-12-26T09:00:00+01:00",
        approvers=HOSTILE_TEXTS[:3],
    )
    for index, text in enumerate(HOSTILE_TEXTS):
        model.change(
            text,
            f"2025-12-27T{10 + index}:00:00+01:00",
            author=text[:60] or "x",
            approvers=(text[:40],),
        )
    model.change("bell\x07 and \x1b[31m escape", "2025-12-30T10:00:00+01:00")
    return release_view(model.build(), [note], "production")


def test_hostile_notes_and_history_give_inert_html():
    view = hostile_view()
    page = render_html(view)
    text = assert_inert_html(page, styles=1)
    fragment = render_html_fragment(view)
    assert_inert_html(fragment)
    assert fragment in page

    from_note = page.split("Configuration changes in this release window")[0]
    assert "alert('xss')" not in from_note  # scripts, styles, frames are dropped with content
    assert "attacker.example/bg" not in from_note and "iframe" not in from_note
    assert "<script>alert('title')</script> Title" in text  # a title is shown as typed
    assert '--8<-- "secret.txt"' in text and "{{ config }}" in text
    assert "\u202e" not in page and "\x01" not in page and "\x07" not in page
    assert (
        '<a href="https://docs.meshcloud.io/" rel="nofollow noopener noreferrer">real link' in page
    )
    assert (
        '<a href="http://attacker.example/p.png" rel="nofollow noopener noreferrer">image: pixel'
        in page
    )
    note_part = from_note.split('<section class="mc-rn-note">')[1]  # after the approvers
    assert "click me" in note_part and "javascript" not in note_part.lower()
    assert "data:text" not in page
    for hostile in HOSTILE_TEXTS:  # every commit subject is there, as text
        assert " ".join(richtext.shown(hostile).split()) in text
    # control and bidi characters as the portal shows them: their code points, visibly
    assert "bell<U+0007> and <U+001B>[31m escape" in text
    assert "<U+202E>gnp.exe<U+202C> and <U+0001> control" in text
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def render_markdown_like_a_docs_site(text: str, base: Path) -> str:
    """What MkDocs Material with common extensions, after a Jinja pass (macros), would make."""
    (base / "secret.txt").write_text(SECRET)
    templated = jinja2.Environment(loader=jinja2.FileSystemLoader(str(base))).from_string(text)
    text = templated.render(config=SECRET)
    return markdown.markdown(
        text,
        extensions=[
            "attr_list",
            "admonition",
            "md_in_html",
            "tables",
            "fenced_code",
            "pymdownx.snippets",
            "pymdownx.tilde",
            "def_list",
            "footnotes",
            "abbr",
        ],
        extension_configs={"pymdownx.snippets": {"base_path": [str(base)]}},
    )


def test_hostile_markdown_stays_text_on_a_docs_site(tmp_path):
    view = hostile_view()
    output = render_markdown(view)
    assert "<script" not in output and "<style" not in output and "<img" not in output
    rendered = render_markdown_like_a_docs_site(output, tmp_path)
    # Python-Markdown would pass raw HTML through; there must be none left to pass.
    text = assert_inert_html(rendered)
    note_part = rendered.split("<h3>Release 2025.60.0</h3>")[1].split("Configuration changes")[0]
    assert "alert('xss')" not in note_part and "javascript" not in note_part.lower()
    assert "<script>alert('title')</script> Title *with* `code` {{ config }} | pipe" in text
    assert '--8<-- "secret.txt"' in text
    assert "{% include 'secret.txt' %} and {{ config }} and {{ config }}" in text
    assert "real link" in text and "image: pixel" in text


TRICKY_TEXTS = [
    *HOSTILE_TEXTS,
    "# not a heading",
    "- not a list",
    "+ nor this",
    "1. nor this",
    "2025. a year",
    "> not a quote",
    "=====",
    "~~~ not a fence",
    ": not a definition",
    "*not emphasis* _nor this_ **nor bold**",
    "[not](a link) ![not](an image) [^1]",
    "back\\slash \\* and &amp; entity and &lt; and &#x3c;",
    "<!-- not a comment -->",
    "`not code`",
    "tab\tseparated and  double  spaces",
    "{{ jinja }} {% tag %} {# comment #}",
    "*[HTML]: not an abbreviation",
]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_escaped_text_renders_as_exactly_that_text(text):
    # escape_inline is for text after other syntax on its line, like a heading's "## ".
    for escaped, prefix in (
        (richtext.escape_markdown(text), ""),
        (richtext.escape_inline(text), "x "),
    ):
        rendered = markdown.markdown(
            prefix + escaped, extensions=["attr_list", "admonition", "def_list"]
        )
        shown = html.unescape(re.sub(r"<[^>]+>", "", rendered))
        assert " ".join(shown.split()) == " ".join((prefix + richtext.shown(text)).split())


def test_markdown_of_every_real_note_renders_like_the_note_itself(notes):
    """The Markdown writer loses nothing: re-reading its output gives the same HTML."""
    checked = 0
    for note in notes:
        for ticket in note.tickets:
            for text in (ticket.description, ticket.how_to_use or ""):
                direct = richtext.to_html(richtext.parse(text))
                again = richtext.to_html(richtext.parse(richtext.to_markdown(richtext.parse(text))))
                assert re.sub(r"\s+", " ", again) == re.sub(r"\s+", " ", direct), (
                    note.path,
                    ticket.line,
                )
                checked += 1
    assert checked > 1900


def jump_view(notes, **options):
    model = ModelBuilder(period=("2025-10-01", "2025-12-31"))
    model.rollout("2025.50.0", "2025-12-03T09:00:00+01:00", "2025-12-05T15:30:00+01:00")
    model.rollout(
        "2025.55.0",
        "2025-12-17T09:00:00+01:00",
        "2025-12-19T11:00:00+01:00",
        approvers=("Dana Approver",),
    )
    model.rollout("2025.56.0", "2025-12-22T09:00:00+01:00")
    model.change("Rotate IdP secret", "2025-12-20T10:00:00+01:00", author="Ann Operator")
    return release_view(model.build(), notes, "production", **options)


def test_markdown_page_shows_rollouts_jumps_and_changes(notes):
    output = render_markdown(jump_view(notes))
    blocks = output.split("\n\n")
    headings = [b for b in blocks if b.startswith("## ")]
    assert headings == ["## 2025.56.0 (upcoming)", "## 2025.55.0", "## 2025.50.0"]
    assert (
        "- **Production:** 2025-12-19 (commit `" in output
        and "- **Time in staging:** 2.1 days\n"
        "- **Approvals recorded:** Dana Approver (how evidenced not recorded)\n"
        "- **Jump:** from 2025.50.0, includes 2025.54.0, 2025.53.1, 2025.53.0, 2025.52.0, "
        "2025.51.0, 2025.50.1"
        in output
    )
    assert "- **Status:** upcoming: in staging, not yet in production" in output
    # The page says once what an approval line is: the committer's statement, not the approver's.
    assert (
        "each with how it is evidenced. Named in the message only means an approval line "
        "(Approved-by) that whoever made the commit wrote, not made or signed by the person it "
        "names." in blocks[1]
    )
    assert "Approved by" not in output and "approved by" not in output
    assert "No release note is published for 2025.56.0." in blocks
    assert "### Release 2025.54.0, included in the jump to 2025.55.0" in blocks
    assert "##### Mandatory Building Blocks via API" in blocks
    assert re.search(
        r"^- 2025-12-20 `[0-9a-f]{12}` Rotate IdP secret, by Ann Operator; approvals recorded: "
        r"Bob Reviewer \(named in the message only\)$",
        output,
        re.M,
    )
    assert blocks[-1].startswith("*Release-note texts: meshStack release notes by meshcloud")
    assert render_markdown(jump_view(notes)) == output  # same inputs, same bytes


def test_html_and_atom_say_how_each_recorded_approval_is_evidenced(notes):
    """No page says a version or change 'was approved by': each approval is listed as the
    commit records it, an approval line as the committer's statement (review H2's wording)."""
    from generator.releasenotes.atom import render_atom

    view = jump_view(notes)
    page = render_html(view)
    assert "<dt>Approvals recorded</dt><dd>Dana Approver (how evidenced not recorded)</dd>" in page
    assert "approvals recorded: Bob Reviewer (named in the message only)</li>" in page
    assert "not made or signed by the person it names." in page
    assert "pproved by" not in page
    feed = render_atom(view)
    assert "Approvals recorded: Dana Approver (how evidenced not recorded)" in feed
    assert "not made or signed by the person it names." in feed  # the feed's subtitle
    assert "pproved by" not in feed


def test_audience_filter_in_the_outputs(notes):
    view = jump_view(notes, audiences={"Operator"})
    output = render_markdown(view)
    assert "For operators." in output
    assert "#### Users" not in output and "##### Mandatory Building Blocks" not in output
    assert "Nothing for operators in 2025.55.0, 2025.54.0, 2025.53.1" in output
    page = render_html(view)
    assert "Mandatory Building Blocks" not in page and "Nothing for operators in" in page


def test_an_empty_period_says_so(notes):
    model = ModelBuilder(period=("2024-01-01", "2024-01-31"))
    view = release_view(model.build(), notes, "production")
    assert "No meshStack version reached production in this period." in render_markdown(view)
    assert "No meshStack version reached production in this period." in render_html(view)


def test_html_page_is_standalone_and_stable(notes):
    page = render_html(jump_view(notes))
    assert page.startswith("<!DOCTYPE html>")
    assert "<link" not in page and "<script" not in page and " src=" not in page
    assert "@import" not in page and "url(" not in page
    assert page.count("<article") == 3
    assert page == render_html(jump_view(notes))
    fragment = render_html_fragment(jump_view(notes))
    assert fragment.startswith('<section class="mc-release-notes">')
    assert "<style" not in fragment and "<h1" not in fragment


def test_the_plain_text_shortcut_agrees_with_python_markdown(notes):
    """richtext skips Python-Markdown for plain paragraphs; the output must not change."""
    real = [x for n in notes for t in n.tickets for x in (t.description, t.how_to_use or "")]
    rng = random.Random(7)
    pieces = [*"ab c`*_\n -1.#<>&\\![]()=~\t\u00a0{}:|\u202e", "\n\n", "``", "1. ", "- ", "    "]
    pieces += ["word ", "Word", " 2025.", "\n", "`code`", "` x `", "--8", "{{", "x}}"] * 3
    fuzz = ["".join(rng.choices(pieces, k=rng.randint(0, 25))) for _ in range(2000)]
    shortcut = 0
    for text in [*real, *fuzz, *TRICKY_TEXTS]:
        full = richtext.markdown_tree(richtext.visible(text))
        assert richtext.markdown_of(text) == richtext.to_markdown(full), repr(text)
        assert richtext.html_of(text) == richtext.to_html(full), repr(text)
        assert richtext.to_html(richtext.parse(text)) == richtext.to_html(full), repr(text)
        shortcut += richtext.plain_parts(richtext.visible(text)) is not None
    real_shortcut = sum(richtext.plain_parts(richtext.visible(x)) is not None for x in real)
    assert real_shortcut / len(real) > 0.9  # the reason for the shortcut: most notes are plain
    assert shortcut - real_shortcut > 150  # and the random text did exercise it
