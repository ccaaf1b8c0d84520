"""Raw-HTML fragments that crashed or hung older Python-Markdown releases (see pyproject.toml).

Each runs in a child process with a time limit, so a regression fails the test instead of
hanging the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CASES = {
    "<![": ("&lt;!\\[", "<p>&lt;![</p>"),
    "<![ g'\"7z5r7cojSO;2LAo0(1Vv5G>,-P": (
        "&lt;!\\[ g'\"7z5r7cojSO;2LAo0(1Vv5G&gt;,-P",
        "<p>&lt;![ g'\"7z5r7cojSO;2LAo0(1Vv5G&gt;,-P</p>",
    ),
    "<!-- a -- >\n\ntext": ("&lt;!-- a -- &gt;\n\ntext", "<p>&lt;!-- a -- &gt;</p>\n<p>text</p>"),
    "<!-- one\n\n<!-- two\n\n<!-- three": (
        "&lt;!-- one\n\n&lt;!-- two\n\n&lt;!-- three",
        "<p>&lt;!-- one</p>\n<p>&lt;!-- two</p>\n<p>&lt;!-- three</p>",
    ),
    "<!--> <!---> <!-- -- > <! x": ("&lt;!-- -- &gt; &lt;! x", "<p>&lt;!-- -- &gt; &lt;! x</p>"),
    "text </ more": ("text &lt;/ more", "<p>text &lt;/ more</p>"),
    "<foo": ("&lt;foo", "<p>&lt;foo</p>"),
}

_CHILD = """
import json, sys
from generator.releasenotes import richtext
texts = json.load(sys.stdin)
json.dump([[richtext.markdown_of(t), richtext.html_of(t)] for t in texts], sys.stdout)
"""


@pytest.fixture(scope="module")
def rendered() -> dict[str, tuple[str, str]]:
    texts = list(CASES)
    child = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=60,  # each case takes about a millisecond; the broken releases never finish
        cwd=Path(__file__).resolve().parents[1],
        check=True,
    )
    return {text: tuple(out) for text, out in zip(texts, json.loads(child.stdout), strict=True)}


@pytest.mark.parametrize("text", list(CASES))
def test_malformed_markup_declarations_and_comments_stay_text(rendered, text):
    assert rendered[text] == CASES[text]
