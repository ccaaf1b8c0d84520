"""`meshcomply config check`, `meshcomply schema` and shell completion (editor and CI support)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from generator.build import config_sections
from generator.cli import cli
from generator.commands.schema import SCHEMAS
from generator.config import config_schema

CONFIG = """\
# yaml-language-server: $schema=./config.schema.json
period: 2026-01-01..2026-06-30
installations:
  acme:
    repo: ./acme-config
    ref: main
    environments:
      staging:
        paths: ["environments/staging/**"]
        release: {file: environments/staging/meshstack.yaml, key: meshstack.version}
      production:
        paths: ["environments/production/**"]
        release: {tag_pattern: '^production/(?P<version>\\d+\\.\\d+\\.\\d+)$'}
        approval: required
  remote:
    repo: https://git.invalid/remote-config.git
    ref: main
    environments:
      production: {paths: [config]}
"""


def invoke(*args: str, cwd: Path | None = None):
    previous = os.getcwd()
    if cwd:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, list(args), prog_name="meshcomply")
    finally:
        os.chdir(previous)


def console_script() -> str:
    script = shutil.which("meshcomply", path=str(Path(sys.executable).parent))
    found = script or shutil.which("meshcomply")
    assert found, "meshcomply is not installed (pip install -e .)"
    return found


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "acme-config").mkdir()
    (tmp_path / "meshcomply.yml").write_text(CONFIG)
    return tmp_path


def test_valid_config_is_summarised_without_cloning(folder: Path, monkeypatch):
    monkeypatch.setenv("MESHCOMPLY_CACHE", str(folder / "cache"))
    result = invoke("config", "check", cwd=folder)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "meshcomply.yml: 2 installations, 3 environments; no problems\n",
        "",
    )
    assert not (folder / "cache").exists()  # the git URL was not cloned


def test_every_problem_is_reported_located_at_once(folder: Path):
    bad = (
        CONFIG.replace("2026-01-01..2026-06-30", "2026-06-30..2026-01-01")
        .replace("./acme-config", "./missing-config")
        .replace("approval: required", "approval: sometimes")
        .replace("(?P<version>", "(?P<v>")
    )
    (folder / "bad.yml").write_text(bad)
    result = invoke("config", "check", "--config", "bad.yml", cwd=folder)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "bad.yml:2:9: period: period '2026-06-30..2026-01-01' ends before it starts",
        "bad.yml:5:11: installations.acme.repo: './missing-config' does not exist "
        "(relative to the current folder)",
        "bad.yml:13:32: installations.acme.environments.production.release.tag_pattern: "
        "needs a named group (?P<version>...)",
        "bad.yml:14:19: installations.acme.environments.production.approval: "
        "'sometimes' is not one of: required, optional",
        "meshcomply: 4 problems found",
    ]


def test_a_repeated_key_hides_no_other_problem(folder: Path):
    # Before: the loader stopped at the repeated key; the others showed only once it was fixed.
    bad = CONFIG.replace("approval: required", "approval: sometimes").replace(
        "    ref: main\n", "    ref: main\n    ref: other\n", 1
    )
    (folder / "bad.yml").write_text(bad)
    result = invoke("config", "check", "--config", "bad.yml", cwd=folder)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "bad.yml:7:5: duplicate key 'ref' (first defined on line 6)",
        "bad.yml:15:19: installations.acme.environments.production.approval: "
        "'sometimes' is not one of: required, optional",
        "meshcomply: 2 problems found",
    ]


def test_missing_config_is_a_usage_error(tmp_path: Path):
    result = invoke("config", "check", cwd=tmp_path)
    assert result.exit_code == 2
    assert "meshcomply.yml: no such file" in result.stderr


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_command_prints_the_shipped_schema(name: str):
    result = invoke("schema", name)
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    Draft202012Validator.check_schema(schema)
    shipped = Path(__file__).parents[1] / "generator" / "schemas" / f"{SCHEMAS[name]}.schema.json"
    expected = json.loads(shipped.read_text(encoding="utf-8"))
    if name == "config":  # with the sections the renderers own
        expected = config_schema(config_sections())
        assert {"pdf", "portal"} <= schema["properties"].keys()
    assert schema == expected


def test_config_schema_accepts_the_documented_config_and_rejects_a_typo():
    schema = json.loads(invoke("schema", "config").stdout)
    validator = Draft202012Validator(schema)
    assert list(validator.iter_errors(yaml.safe_load(CONFIG))) == []
    typo = yaml.safe_load(CONFIG.replace("environments:", "enviroments:", 1))
    assert list(validator.iter_errors(typo))
    engine = yaml.safe_load(CONFIG + "portal: {engine: hugo}\n")
    assert [e.message for e in validator.iter_errors(engine)] == [
        "'hugo' is not one of ['mkdocs', 'zensical']"
    ]


def test_bash_completion_script_is_produced_and_completes_commands():
    script = console_script()
    env = {**os.environ, "_MESHCOMPLY_COMPLETE": "bash_source"}
    source = subprocess.run([script], env=env, capture_output=True, text=True, timeout=60)
    assert source.returncode == 0
    assert "_meshcomply_completion()" in source.stdout
    assert "complete -o nosort -F _meshcomply_completion meshcomply" in source.stdout
    env = {
        **os.environ,
        "_MESHCOMPLY_COMPLETE": "bash_complete",
        "COMP_WORDS": "meshcomply schema ma",
        "COMP_CWORD": "2",
    }
    answer = subprocess.run([script], env=env, capture_output=True, text=True, timeout=60)
    assert answer.stdout.split() == ["plain,mapping"]
