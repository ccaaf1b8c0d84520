"""The rule registry: built-in kinds, and docs/rules-plugins.md's example installed as a plugin.

The plugin test takes the package files verbatim from the documentation, installs them the way
pip would (a module folder plus a dist-info with entry_points.txt from the pyproject table) on
sys.path, and checks that the registry finds the rule and the rule judges a history.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from evidence_builders import History, change, sha
from jsonschema import Draft202012Validator

from generator.cli import cli
from generator.evidence import registry
from generator.evidence.context import RuleContext
from generator.evidence.registry import Failure, RegistryError

DOC = Path(__file__).parents[1] / "docs" / "rules-plugins.md"
BUILT_IN = (
    "access-activity",
    "access-expiry",
    "access-four-eyes",
    "access-removal",
    "approval-gate",
    "change-approval",
    "changes-outside-git",
    "config-assertion",
    "config-promotion",
    "direct-push",
    "manual",
    "patch-latency",
    "signed-changes",
    "staging-before-production",
)


def titled_blocks(text: str) -> dict[str, str]:
    """Fenced code blocks with a ``title="..."`` attribute, by title."""
    pattern = re.compile(r'^```\w+ title="([^"]+)"\n(.*?)^```$', re.MULTILINE | re.DOTALL)
    return {title: body for title, body in pattern.findall(text)}


def install(site: Path, pyproject: str, modules: dict[str, str]) -> None:
    """A wheel's worth of files: the modules, and dist-info metadata with the entry points."""
    project = tomllib.loads(pyproject)["project"]
    for name, text in modules.items():
        target = site / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    dist = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n",
        encoding="utf-8",
    )
    lines = []
    for group, points in project["entry-points"].items():
        lines.append(f"[{group}]")
        lines.extend(f"{name} = {value}" for name, value in points.items())
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def fresh_registry(monkeypatch):
    """all_rules() recomputed for the test and again afterwards; plugin modules forgotten."""
    registry.all_rules.cache_clear()
    before = set(sys.modules)
    yield
    registry.all_rules.cache_clear()
    for name in set(sys.modules) - before:
        if name.startswith("acme_rules"):
            del sys.modules[name]


def test_every_built_in_kind_is_registered_with_a_strict_schema():
    rules = registry.all_rules()
    assert tuple(rules) == BUILT_IN
    for kind, rule in rules.items():
        assert rule.kind == kind and rule.summary
        Draft202012Validator.check_schema(rule.params_schema)
        assert rule.params_schema["additionalProperties"] is False, kind
        errors = Draft202012Validator(rule.params_schema).iter_errors({"nope": 1})
        assert "additionalProperties" in {e.validator for e in errors}, kind


def test_the_documented_plugin_registers_and_judges(tmp_path, monkeypatch, fresh_registry):
    blocks = titled_blocks(DOC.read_text(encoding="utf-8"))
    module = blocks["src/acme_rules/ticket_reference.py"]
    install(
        tmp_path,
        blocks["pyproject.toml"],
        {"acme_rules/__init__.py": "", "acme_rules/ticket_reference.py": module},
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    rules = registry.all_rules()
    assert set(rules) == {*BUILT_IN, "ticket-reference"}
    rule = rules["ticket-reference"]
    params = {"roles": ["production"], "pattern": "SEC-[0-9]+"}
    assert list(Draft202012Validator(rule.params_schema).iter_errors(params)) == []

    history = History(
        changes=[
            change("Raise quota (SEC-12)", "2026-01-10T10:00:00Z"),
            change("Tweak timeouts", "2026-01-11T10:00:00Z"),
        ]
    )
    result = rule.evaluate(RuleContext(history), params)
    assert result.status == "deviations"
    assert result.reason == "1 of 2 production changes was missing a ticket reference."
    assert result.failures == (
        Failure("no ticket reference", sha("Tweak timeouts"), kind="no_ticket"),
    )
    assert result.cited == (sha("Raise quota (SEC-12)"), sha("Tweak timeouts"))

    broken = rule.evaluate(RuleContext(history), {**params, "pattern": "SEC-[0-9"})
    assert broken.status == "not_tested"


def test_a_plugin_reusing_a_kind_is_refused(tmp_path, monkeypatch, fresh_registry):
    pyproject = (
        '[project]\nname = "acme-dup"\nversion = "1.0.0"\n'
        '[project.entry-points."meshcomply.rules"]\nmanual = "acme_rules.manual"\n'
    )
    module = (
        "from generator.evidence.registry import Rule\n"
        "RULE = Rule('manual', 'Mine.', {'type': 'object'}, lambda context, params: None)\n"
    )
    install(tmp_path, pyproject, {"acme_rules/__init__.py": "", "acme_rules/manual.py": module})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RegistryError, match=r"rule kind 'manual' is registered twice"):
        registry.all_rules()


def test_a_broken_registry_stops_check_with_one_line_not_a_traceback(
    tmp_path, monkeypatch, fresh_registry
):
    pyproject = (
        '[project]\nname = "acme-dup"\nversion = "1.0.0"\n'
        '[project.entry-points."meshcomply.rules"]\nmanual = "acme_rules.manual"\n'
    )
    module = "RULE = None\n"
    install(tmp_path, pyproject, {"acme_rules/__init__.py": "", "acme_rules/manual.py": module})
    monkeypatch.syspath_prepend(str(tmp_path))
    result = CliRunner().invoke(cli, ["check"], prog_name="meshcomply")
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.stderr == (
        "meshcomply: error: evidence rules: acme_rules.manual does not define RULE = Rule(...)\n"
    )
