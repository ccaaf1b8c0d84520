"""A repository URL with credentials in it (https://user:token@host/...) is cloned as given, and
recorded and shown without them: in evidence.json, the commands an auditor pastes, the portal,
the PDF and every message."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_build import CONFIG, PACK, make_project

from generator.build import config_sections
from generator.cli import cli
from generator.config import load_config
from generator.configmodel import without_credentials
from generator.errors import InputError

TOKEN = "ghp_s3cr3tT0ken"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (
            f"https://x-access-token:{TOKEN}@github.com/acme/config.git",
            "https://github.com/acme/config.git",
        ),
        (
            f"https://{TOKEN}@gitlab.example.com/acme/config",
            "https://gitlab.example.com/acme/config",
        ),
        ("https://us%40er:p@ss@host/a/b", "https://host/a/b"),
        (f"ssh://git:{TOKEN}@host:2222/a.git", "ssh://host:2222/a.git"),
        ("file://user:tok@/srv/repo", "file:///srv/repo"),
        ("git@github.com:acme/config.git", "git@github.com:acme/config.git"),  # no password
        ("https://github.com/acme/a@b", "https://github.com/acme/a@b"),  # '@' in the path
        ("./acme-config", "./acme-config"),
    ],
)
def test_credentials_are_left_out_of_a_shown_url(given: str, shown: str):
    assert without_credentials(given) == shown


def test_a_build_from_a_url_with_credentials_records_none(tmp_path: Path):
    project = make_project(tmp_path)
    url = f"file://user:{TOKEN}@{project / 'acme'}"
    (project / "meshcomply.yml").write_text(CONFIG.replace("repo: ./acme", f"repo: {url}"))
    cwd = os.getcwd()
    os.chdir(project)
    try:
        env = {"MESHCOMPLY_CACHE": str(tmp_path / "cache")}
        result = CliRunner(env=env).invoke(
            cli, ["build", "--quiet", "--format", "json,html,pdf", "--out", "out"]
        )
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    evidence = json.loads((project / "out" / PACK / "evidence.json").read_text())
    assert evidence["source"]["repo"] == f"file://{project / 'acme'}"
    found = [
        path
        for path in (project / "out").rglob("*")
        if path.is_file() and TOKEN.encode() in path.read_bytes()
    ]
    assert found == []  # evidence.json, CSV, the portal's pages, the PDF (text is compressed)
    assert f"git clone file://{project / 'acme'} acme" in json.dumps(evidence)
    assert TOKEN not in result.output


def test_a_url_that_cannot_be_cloned_is_named_without_its_credentials(tmp_path: Path):
    url = f"https://user:{TOKEN}@127.0.0.1:9/acme/config.git"
    path = tmp_path / "meshcomply.yml"
    path.write_text(CONFIG.replace("repo: ./acme", f"repo: {url}"))
    with pytest.raises(InputError) as caught:
        load_config(path, config_sections(), cache_dir=tmp_path / "cache")
    [problem] = caught.value.problems
    assert problem.message.startswith("cannot clone https://127.0.0.1:9/acme/config.git: ")
    assert TOKEN not in problem.message
