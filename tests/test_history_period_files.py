"""Dates as the history says, release files that cannot be read as text (periods not yet over:
test_cutoff.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_history_gitfaults import PROD, make_project, settings

from generator.build import config_sections
from generator.cli import cli
from generator.config import Period, load_config
from generator.errors import BuildError
from generator.history.reader import read_history


def history_of(folder: Path, period: str):
    config = load_config(folder / "meshcomply.yml", config_sections())
    history = read_history(config.installations[0], Period.parse(period), cache_dir=folder / "c")
    history.close()
    return history


def build(folder: Path, *args: str):
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(
            cli, ["build", "--quiet", "--format", "json", "--out", "out", *args]
        )
    finally:
        os.chdir(cwd)


def test_a_head_whose_clock_ran_behind_does_not_refuse_the_period(tmp_path):
    repo, _shas = make_project(tmp_path)  # six commits in January 2026
    repo.commit("Clock behind", files={"notes.txt": "x\n"}, date="2025-06-01T10:00:00+00:00")
    history = history_of(tmp_path, "2026-01-01..2026-01-31")
    assert history.head_date == "2025-06-01T10:00:00+00:00"
    assert history.population_sizes == {"staging": 3, "production": 3}
    with pytest.raises(BuildError, match=r"starts after the newest commit of 'main' "
                       r"\(2026-01-21T09:00:00\+00:00\)"):  # fmt: skip
        history_of(tmp_path, "2026-02-01..2026-02-28")


def test_a_first_commit_whose_clock_ran_ahead_does_not_refuse_the_period(tmp_path):
    repo = make_project(tmp_path)[0]
    # A second line from a new root whose first commit is dated after the commit above it.
    repo.git("checkout", "--quiet", "--orphan", "skewed")
    repo.commit("Ahead", files={PROD: settings("2025.50.0", "production")},
                date="2027-01-01T00:00:00+00:00")  # fmt: skip
    repo.commit("Real", files={PROD: settings("2026.1.0", "production")},
                date="2026-01-10T00:00:00+00:00")  # fmt: skip
    config = tmp_path / "meshcomply.yml"
    config.write_text(config.read_text().replace("ref: main", "ref: skewed"))
    history = history_of(tmp_path, "2026-01-01..2026-01-31")
    assert history.population_sizes["production"] == 1
    assert [c.subject for c in history.commits] == ["Ahead", "Real"]
    with pytest.raises(BuildError, match=r"ends before the first commit of 'skewed' "
                       r"\(2026-01-10T00:00:00\+00:00\)"):  # fmt: skip
        history_of(tmp_path, "2025-01-01..2025-12-31")


def test_release_files_too_large_or_binary_are_warnings_and_visible_gaps(tmp_path):
    repo, _shas = make_project(tmp_path)
    huge = settings("2026.4.0", "production") + "#" + "x" * (1024 * 1024) + "\n"
    large = repo.commit("Huge", files={PROD: huge}, date="2026-02-10T09:00:00+00:00")
    binary = repo.commit("Binary", files={PROD: b"meshstack:\n  version: 2026.5.0\n\0"},
                         date="2026-02-20T09:00:00+00:00")  # fmt: skip
    repo.commit("Readable", files={PROD: settings("2026.6.0", "production")},
                date="2026-03-01T09:00:00+00:00")  # fmt: skip
    result = build(tmp_path)
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    size = len(huge.encode())
    assert (f"warning: acme: {PROD} at {large[:12]}: file is {size} bytes, over the 1024 KiB "
            "limit; version not read") in lines  # fmt: skip
    assert f"warning: acme: {PROD} at {binary[:12]}: file is binary; version not read" in lines
    model = json.loads(next((tmp_path / "out" / "packs").rglob("evidence.json")).read_text())
    assert (
        f"{PROD} at {binary[:12]}: file is binary; its settings are not read"
        in (model["source"]["warnings"])
    )
    production = {r["version"] for r in model["releases"] if r["environment"] == "production"}
    assert {"2026.6.0", "2026.3.0"} <= production
    assert not production & {"2026.4.0", "2026.5.0"}  # nothing guessed
    messages = [
        failure["message"]
        for control in model["controls"]
        for result in control["results"]
        for failure in result["failures"]
    ]
    assert any(f"file is binary at {binary[:12]}" in message for message in messages)
