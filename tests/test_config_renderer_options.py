"""Renderer options (`pdf:`, `portal:`) are declared by their renderers and checked while
meshcomply.yml loads: located problems, all at once, before any repository is read."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.build import config_sections
from generator.cli import cli
from generator.config import OptionsSection, load_config
from generator.errors import BuildError, InputError
from generator.history import clone, reader
from generator.render.registry import all_renderers, renderer_options

BASE = """\
installations:
  acme:
    repo: https://git.example.invalid/acme-config.git
    ref: main
    environments:
      production:
        paths: ['environments/production/**']
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "meshcomply.yml"
    path.write_text(BASE + text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def no_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any clone or history read fails the test: options must be refused before either."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("git was read before the options were checked")

    monkeypatch.setattr(clone, "ensure_clone", refuse)
    monkeypatch.setattr(reader, "read_history", refuse)


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_config(path, config_sections())
    return [str(p) for p in caught.value.problems]


def test_each_built_in_renderer_declares_its_section() -> None:
    sections = {r.format: r.options for r in all_renderers().values()}
    assert sections["pdf"] is not None and sections["pdf"].key == "pdf"
    assert sections["html"] is not None and sections["html"].key == "portal"
    assert [s.key for s in renderer_options()] == ["pdf", "portal"]


def test_bad_portal_options_are_located_problems_all_at_once(tmp_path: Path) -> None:
    (tmp_path / "logo.gif").write_bytes(b"GIF89a")
    path = write(
        tmp_path,
        "portal:\n"
        "  logo: logo.gif\n"
        "  templates: overrides\n"
        "  palette: {primary: ultraviolet, accent: '#12345g'}\n",
    )
    names = "amber, black, blue, blue-grey"
    assert problems(path) == [
        f"{path}:9:9: portal.logo: 'logo.gif' must be one of .svg, .png, .jpg, .jpeg, .webp",
        f"{path}:10:14: portal.templates: 'overrides' does not exist (relative to {tmp_path})",
        f"{path}:11:22: portal.palette.primary: 'ultraviolet' is neither a colour ({names}, "
        "brown, cyan, deep-orange, deep-purple, green, grey, indigo, light-blue, light-green, "
        "lime, orange, pink, purple, red, teal, white, yellow) nor #rrggbb",
        f"{path}:11:43: portal.palette.accent: '#12345g' is neither a colour ({names}, "
        "brown, cyan, deep-orange, deep-purple, green, grey, indigo, light-blue, light-green, "
        "lime, orange, pink, purple, red, teal, white, yellow) nor #rrggbb",
    ]


def test_an_unknown_option_names_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "pdf:\n  colour: red\nportal:\n  colour: red\n")
    assert problems(path) == [
        f"{path}:9:3: unknown field 'colour' in pdf (allowed: author, classification, "
        "document_version, max_change_rows, max_cited, max_detail_rows, max_deviation_rows, "
        "max_failure_rows, max_promotion_rows, owner, split, workers)",
        f"{path}:11:3: unknown field 'colour' in portal (allowed: engine, logo, max_cited, "
        "max_deviation_rows, max_failure_rows, palette, site_name, templates)",
    ]


def test_a_blank_pdf_marking_is_refused_at_load(tmp_path: Path) -> None:
    path = write(tmp_path, "pdf:\n  classification: '  '\n")
    assert problems(path) == [f"{path}:9:19: pdf.classification: '  ' is not valid (not blank)"]


def test_build_stops_on_a_bad_option_before_reading_git(tmp_path: Path) -> None:
    path = write(tmp_path, "pdf:\n  split: sometimes\nportal:\n  palette: {primary: mauve}\n")
    result = CliRunner().invoke(cli, ["build", "--config", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[0] == (
        f"{path}:9:10: pdf.split: 'sometimes' is not one of: auto, always, never"
    )
    assert result.stderr.splitlines()[1].startswith(
        f"{path}:11:22: portal.palette.primary: 'mauve' is neither a colour ("
    )
    assert not (tmp_path / "o").exists()


def test_good_options_resolve_paths_against_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "brand").mkdir()
    (tmp_path / "brand" / "logo.svg").write_text("<svg/>", encoding="utf-8")
    path = write(
        tmp_path,
        "pdf: {split: never}\nportal: {logo: brand/logo.svg, palette: {primary: Deep Orange}}\n",
    )
    with pytest.raises(AssertionError, match="git was read"):  # only the clone is left to do
        load_config(path, config_sections())


def test_two_sections_claiming_one_key_stop_the_load(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    twice = (*config_sections(), OptionsSection("period", {"type": "object"}))
    with pytest.raises(BuildError, match="the key 'period' is claimed twice"):
        load_config(path, twice)


def test_row_limits_are_checked_at_load_all_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pdf:\n  max_failure_rows: 0\n  max_deviation_rows: many\n  max_detail_rows: 1.5\n"
        "  max_promotion_rows: 0\nportal:\n  max_failure_rows: 0\n  max_cited: -1\n",
    )
    assert problems(path) == [
        f"{path}:9:21: pdf.max_failure_rows: 0 is less than the minimum of 1",
        f"{path}:10:23: pdf.max_deviation_rows must be of type integer, not text",
        f"{path}:11:20: pdf.max_detail_rows must be of type integer, not a number ('1.5')",
        f"{path}:12:23: pdf.max_promotion_rows: 0 is less than the minimum of 1",
        f"{path}:14:21: portal.max_failure_rows: 0 is less than the minimum of 1",
        f"{path}:15:14: portal.max_cited: -1 is less than the minimum of 1",
    ]
