"""Property-based tests: for any input, the input readers give a result or located errors.

The YAML loader, meshcomply.yml, the exceptions register and the release-note parser each get
generated text and structured-but-wrong documents; whatever they are given, they must return a
result or raise their own error type with every problem located in the file they read, never
another exception, and never take long (each example runs under a time limit). Derandomized,
with modest example counts, so CI is deterministic and the whole module takes seconds.
"""

from __future__ import annotations

import contextlib
import signal
import string
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from evidence_builders import History, commit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build import config_sections
from generator.config import Config, load_config
from generator.errors import InputError
from generator.evidence.exceptions import ExceptionsRegister, load_exceptions
from generator.history import clone
from generator.releasenotes import ReleaseNoteError, read_release_notes
from generator.releasenotes.parser import parse_note
from generator.yamlio import Document, load_yaml_text

# A slow example is a failure (the deadline), a hang is one too (the alarm below).
PROPERTIES = settings(
    max_examples=150,
    deadline=3000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TIME_LIMIT = 10  # seconds for one example: anything near it is a hang on inputs this small


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float = TIME_LIMIT) -> Iterator[None]:
    def interrupt(signum: int, frame: object) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def assert_located(problems: list, path: str) -> None:
    assert problems, "an error without problems says nothing"
    for problem in problems:
        assert problem.path == path, problem
        assert problem.line >= 1 and problem.col >= 1, problem
        assert problem.message.strip(), problem
        assert "Traceback" not in problem.message


# -- generated text -----------------------------------------------------------------------------

# Pieces with a meaning in YAML (and a few YAML 1.1 reads otherwise than written), glued at random:
# far more likely than arbitrary characters to reach the loader's deeper paths.
YAML_PIECES = [
    "a", "b", "key", ":", ": ", "- ", "\n", "  ", "    ", "{", "}", "[", "]", ",", "#", "&x ",
    "*x", "<<: ", "!!int ", "!!float ", "!!binary ", "!!timestamp ", "!!str ", "!!python/name:x ",
    "!!set ", "? ", "|", ">", "'", '"', "yes", "no", "on", "~", "null", "1e999", "0x1F",
    "2026-02-30", "2026-01-01", "12:30:00", "..", "---\n", "...\n", "%YAML 1.1\n", "\t", "\\",
    "é", "\x00", "\ufeff",
]  # fmt: skip
yaml_text = st.one_of(
    st.lists(st.sampled_from(YAML_PIECES), max_size=40).map("".join),
    st.text(max_size=200),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "yes", "2026-02-30", "2026-01-01..2025-01-01", "(a+)+$", "-",
                     "a{9999999999}", "(?P<version>x", "../x", ":(glob)x",
                     "https://example.invalid/x.git"]),
    st.text(max_size=20),
)  # fmt: skip


def documents(keys: list[str]) -> st.SearchStrategy:
    """Nested mappings and lists with keys from the file's own vocabulary: the right words in the
    wrong places, the wrong shapes under the right names."""
    names = st.one_of(st.sampled_from(keys), st.text(string.ascii_lowercase + "-_", max_size=8))
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(names, inner, max_size=5)
        ),
        max_leaves=25,
    )


def as_yaml(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# -- the YAML loader ----------------------------------------------------------------------------


@PROPERTIES
@given(yaml_text)
def test_the_yaml_loader_gives_a_document_or_located_problems(text: str) -> None:
    with time_limit():
        try:
            document = load_yaml_text(text, "x.yml")
        except InputError as exc:
            assert_located(exc.problems, "x.yml")
            return
    assert isinstance(document, Document)
    for keypath, (line, col) in document.positions.items():
        assert line >= 1 and col >= 1, keypath
        document.written(keypath, None)  # quoting any value as written never fails


# -- meshcomply.yml -----------------------------------------------------------------------------

CONFIG_KEYS = [
    "period", "installations", "release_notes", "controls", "sample", "pdf", "portal", "acme",
    "repo", "ref", "environments", "staging", "production", "paths", "release", "file", "key",
    "tag_pattern", "approval", "approvals", "trailers", "merge_committer", "signing",
    "allowed_signers", "gpg_keyring", "exceptions", "evidence_dir", "logo", "templates",
]  # fmt: skip
VALID_CONFIG = {
    "period": "2026-01-01..2026-06-30",
    "installations": {
        "acme": {
            "repo": ".",
            "ref": "main",
            "environments": {
                "production": {
                    "paths": ["environments/production/**"],
                    "release": {"tag_pattern": "^production/(?P<version>.+)$"},
                    "approval": "required",
                }
            },
        }
    },
}


def replaced(data: object, path: list[int], value: object) -> object:
    """`data` with the node that `path` picks (indices into each level, modulo) replaced."""
    if not path or not isinstance(data, dict | list) or not data:
        return value
    items = list(data.items()) if isinstance(data, dict) else list(enumerate(data))
    key, child = items[path[0] % len(items)]
    new = replaced(child, path[1:], value)
    if isinstance(data, dict):
        return {**data, key: new}
    return [new if index == key else item for index, item in enumerate(data)]


config_texts = st.one_of(
    yaml_text,
    documents(CONFIG_KEYS).map(as_yaml),
    st.builds(
        replaced,
        st.just(VALID_CONFIG),
        st.lists(st.integers(min_value=0, max_value=9), max_size=6),
        documents(CONFIG_KEYS),
    ).map(as_yaml),
)


@pytest.fixture(autouse=True)
def no_cloning(monkeypatch):
    # A generated `repo:` may look like a URL: the property is about reading the file, not git.
    def refuse(url: str, cache_dir: object = None) -> Path:
        raise clone.CloneError(f"not cloned in this test: {url}")

    monkeypatch.setattr(clone, "ensure_clone", refuse)


@PROPERTIES
@given(config_texts)
def test_the_config_gives_a_config_or_located_problems(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "meshcomply.yml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        with time_limit():
            try:
                config = load_config(path, config_sections())
            except InputError as exc:
                assert_located(exc.problems, str(path))
                return
    assert isinstance(config, Config)


# -- the exceptions register --------------------------------------------------------------------

REGISTER_KEYS = [
    "exceptions", "id", "rule", "control", "sha", "window", "from", "to", "justification",
    "accepted_by", "ticket", "expires",
]  # fmt: skip
C1 = commit("c1", "2026-03-02T10:00:00Z")
HISTORY = History(commits=[C1])
VALID_ENTRY = {
    "id": "EXC-1",
    "rule": "change-approval",
    "sha": C1.sha[:10],
    "justification": "j",
    "accepted_by": "a",
    "ticket": "T-1",
    "expires": "2026-12-31",
}
register_texts = st.one_of(
    yaml_text,
    documents(REGISTER_KEYS).map(as_yaml),
    st.builds(
        replaced,
        st.just({"exceptions": [VALID_ENTRY, {**VALID_ENTRY, "id": "EXC-2"}]}),
        st.lists(st.integers(min_value=0, max_value=9), max_size=4),
        documents(REGISTER_KEYS),
    ).map(as_yaml),
)


@PROPERTIES
@given(register_texts)
def test_the_register_gives_entries_or_located_problems(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "exceptions.yml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        with time_limit():
            try:
                register = load_exceptions(path, HISTORY, "exceptions.yml", ["MS-CHG-01"])
            except InputError as exc:
                assert_located(exc.problems, "exceptions.yml")
                return
    assert isinstance(register, ExceptionsRegister)


# -- release notes ------------------------------------------------------------------------------

NOTE_PIECES = [
    "---\n", "title: Release 2025.1.0\n", "title: Release v7.1\n", "date: 2025-02-30\n",
    "author: x\n", "tags: [a]\n", "Release period: 2025-01-01 to 2025-01-07\n",
    "Release period: 2025-13-01 to 2025-01-07\n", "<!--truncate-->\n", "## Ticket Details\n",
    "### ", "#### Description\n", "#### How to use\n", "# ", "A title\n", "**Audience:** ",
    "*Audience:* ", "Audience: ", "User", "Customers", "Admin", "Partner, Operator", ", ",
    "<br>", "<BR/>", "**Component:** panel", "*Target:* chore", "**Note:** x", "\\", "```\n",
    "~~~\n", "\n", "\r\n", "\r", "  ", "text ", "`code` ", "[a](https://x) ", "<script>", "\x00",
    "\ufeff", "é",
]  # fmt: skip
note_texts = st.one_of(
    st.lists(st.sampled_from(NOTE_PIECES), max_size=60).map("".join),
    st.text(max_size=300),
)


@PROPERTIES
@given(note_texts)
def test_the_note_parser_gives_a_note_with_warnings_or_located_problems(text: str) -> None:
    path = Path("2025-01-08-Release-0.md")
    lines = text.count("\n") + text.count("\r") + 1
    with time_limit():
        try:
            note, title_line = parse_note(path, text)
        except ReleaseNoteError as exc:
            assert exc.problems
            for where, line, message in exc.problems:
                assert where == str(path) and 0 <= line <= lines and message.strip()
            return
    assert 1 <= title_line <= lines
    for line, message, action in note.warnings:
        assert 0 <= line <= lines and message.strip() and action.strip()
    for ticket in note.tickets:
        assert ticket.audiences and ticket.title and 1 <= ticket.line <= lines


@settings(PROPERTIES, max_examples=40)
@given(st.lists(note_texts, min_size=1, max_size=4))
def test_a_folder_of_notes_gives_usable_notes_with_warnings_or_located_problems(
    texts: list[str],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for index, text in enumerate(texts):
            name = f"2025-01-{index + 1:02d}-Release-0.md"
            Path(folder, name).write_text(text, encoding="utf-8", errors="surrogatepass")
        with time_limit():
            try:
                read = read_release_notes(Path(folder))
            except ReleaseNoteError as exc:
                assert any("no usable release note" in message for _, _, message in exc.problems)
                return
        assert read.notes
        for warning in read.warnings:
            assert warning.path.startswith(folder) and warning.line >= 0
