"""Control characters in untrusted text (ESC, BEL, NUL from commit subjects, author names, file
names): shown as their code points on every page (<U+001B>, as bidirectional overrides are),
escaped in every message line (\\x1b), never raw on a page or a terminal."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from click.testing import CliRunner
from pypdf import PdfReader
from test_pdf_support import page_texts, render_pack, small_model_json, squeeze
from test_portal_support import build, write_pack

from generator.cli import cli
from generator.errors import InputError
from generator.testing import synthetic_evidence
from generator.testing_json import from_json
from generator.textcheck import code_points_shown, escape_controls
from generator.yamlio import load_yaml_text

SUBJECT = "Colour\x1b[31m red\x1b[0m and a bell\x07, tab\there"


def test_escapes_for_pages_and_for_message_lines():
    assert code_points_shown("a\x1bb\x07\x00\x7f\x85\u202e\tc\r\n") == (
        "a&lt;U+001B&gt;b&lt;U+0007&gt;&lt;U+0000&gt;&lt;U+007F&gt;&lt;U+0085&gt;"
        "&lt;U+202E&gt;\tc\r\n"
    )
    assert escape_controls("a\x1b[2Jb\x07\tc\n") == "a\\x1b[2Jb\\x07\tc\n"
    assert escape_controls("a\x1b[2Jb\x07\tc\r\n", one_line=True) == "a\\x1b[2Jb\\x07\\tc\\r\\n"
    assert escape_controls("plain ünïcode") == "plain ünïcode"


def test_characters_that_reorder_or_hide_text_are_shown_on_pages_and_message_lines():
    hidden = "a\u061cb\u2060c\u180ed\U000e0041\U000e007fe"
    assert code_points_shown(hidden) == (
        "a&lt;U+061C&gt;b&lt;U+2060&gt;c&lt;U+180E&gt;d&lt;U+E0041&gt;&lt;U+E007F&gt;e"
    )
    # On a terminal a right-to-left override reverses what follows: "exe.txt" would read "txt.exe".
    line = escape_controls("cannot read \u202eexe.txt\u202c \U000e0041 \u200b", one_line=True)
    assert line == "cannot read \\u202eexe.txt\\u202c \\U000e0041 \\u200b"
    assert line.isprintable()
    # A page's text keeps them for code_points_shown, which every page passes through.
    assert escape_controls("a\u202eb") == "a\u202eb"


def test_the_portal_shows_control_characters_as_code_points(tmp_path: Path):
    model = synthetic_evidence("acme", changes=5)
    changes = [dataclasses.replace(model.changes[0], subject=SUBJECT), *model.changes[1:]]
    site = build(tmp_path, [write_pack(tmp_path, dataclasses.replace(model, changes=changes))])
    texts = [p for p in site.rglob("*") if p.suffix in (".html", ".json", ".js", ".xml")]
    raw = [p for p in texts if b"\x1b" in p.read_bytes() or b"\x07" in p.read_bytes()]
    assert raw == []  # before: ESC and BEL reached the pages and the search index raw
    html = (site / "acme" / "2026-01-01_2026-06-30" / "changes" / "index.html").read_text()
    assert "Colour&lt;U+001B&gt;[31m red&lt;U+001B&gt;[0m and a bell&lt;U+0007&gt;" in html


def test_the_pdf_shows_control_characters_as_code_points(tmp_path: Path):
    data = small_model_json(changes=3)
    data["changes"][0]["subject"] = SUBJECT
    data["changes"][0]["author"]["name"] = "Mallory\x07"
    reader_text = "".join(page_texts(PdfReader(render_pack(tmp_path, from_json(data)))))
    assert "\x1b" not in reader_text and "\x07" not in reader_text
    assert squeeze("Colour<U+001B>[31m red<U+001B>[0m and a bell<U+0007>") in squeeze(reader_text)


def test_a_nul_in_a_yaml_file_is_located_where_it_is():
    # Before: '1:1: ... position 276' (libyaml's offset, not a line and column).
    text = "period: 2026-01-01..2026-06-30\ninstallations:\n  acme: {ref: ma\x00in}\n"
    try:
        load_yaml_text(text, "meshcomply.yml")
    except InputError as exc:
        assert [str(p) for p in exc.problems] == [
            "meshcomply.yml:3:17: YAML error: character \\x00 (U+0000) is not allowed in YAML"
        ]
    else:
        raise AssertionError("a NUL was read")


def test_a_site_name_with_control_characters_is_refused_not_glued(tmp_path: Path):
    path = tmp_path / "meshcomply.yml"
    path.write_text(
        "period: 2026-01-01..2026-06-30\ninstallations: {}\n"
        'portal:\n  site_name: "Acme\\e[2JCompliance\\tPortal"\n'
    )
    result = CliRunner().invoke(cli, ["config", "check", "--config", str(path)])
    assert result.exit_code == 1
    assert (
        f"{path}:4:14: portal.site_name: 'Acme\\x1b[2JCompliance\\tPortal' holds control "
        "characters (tab, newline, ESC, ...): write the name on one line without them"
    ) in result.output


def test_verify_prints_no_control_character_of_a_manifest_name(tmp_path: Path):
    pack = tmp_path / "pack"
    pack.mkdir()
    name = "evil\x1b[2J\x07\rfake: ok.csv"
    files = [{"path": name, "sha256": "0" * 64, "bytes": 1}]
    (pack / "manifest.json").write_text(json.dumps({"schema_version": 1, "files": files}))
    result = CliRunner().invoke(cli, ["verify", str(pack)])
    assert result.exit_code == 1
    assert "removed: evil\\x1b[2J\\x07\\rfake: ok.csv" in result.output
    assert "\x1b" not in result.output and "\r" not in result.output


def test_gits_own_words_keep_their_control_characters_as_escapes():
    """git quotes what it was given (a ref name, a path, a URL): a message line shows a control
    character as its escape, as every other message does, where it read '?' (or, from a clone,
    acted on the terminal)."""
    from generator.history.gitproc import git_message

    stderr = b"fatal: bad revision 'ma\x1b[2Jin'\nhint: advice\n"
    assert git_message(stderr) == "bad revision 'ma\\x1b[2Jin'"
    assert git_message("error: one\x07 two\x9b\n".encode()) == "one\\x07 two\\x9b"


def test_a_clone_error_escapes_control_characters_after_leaving_out_credentials(tmp_path):
    from generator.history.clone import CloneError, ensure_clone

    url = f"file://bob:s3cret@localhost{tmp_path}/no\x1bwhere"
    try:
        ensure_clone(url, tmp_path / "cache")
    except CloneError as exc:
        message = str(exc)
    else:
        raise AssertionError("cloned a folder that does not exist")
    assert message.startswith(f"cannot clone file://localhost{tmp_path}/no\\x1bwhere: ")
    assert "s3cret" not in message and "\x1b" not in message
