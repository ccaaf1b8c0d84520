"""The demo data against the shipped control library, checked without the evidence engine:
every document and setting the controls ask about is there and fine, except the planted ones.

This keeps the demo in step when someone adds a control, a document or a condition."""

from __future__ import annotations

import datetime as dt
import functools
import operator
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_demo_support import file_at, files_at, git, in_period, log, setting, shared_demo

from generator.demo import DemoResult

CONTROLS = Path(__file__).resolve().parent.parent / "controls" / "meshstack"
PERIOD_END = dt.date(2026, 6, 30)
OPERATORS = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "in": lambda value, options: value in options,
}


@pytest.fixture(scope="session")
def demo() -> DemoResult:
    return shared_demo()


def evidence(kind: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted(CONTROLS.glob("*.yaml")):
        control = yaml.safe_load(path.read_text("utf-8"))
        found += [e["params"] for e in control.get("evidence", []) if e["kind"] == kind]
    assert found, f"the control library has no {kind} evidence"
    return found


def logging_file() -> str:
    """The file of the library's logging.enabled assertion (the planted window's file)."""
    return next(p["file"] for p in evidence("config-assertion") if p["key"] == "logging.enabled")


def document_date(text: str) -> dt.date:
    front = yaml.safe_load(text.split("---")[1])
    return dt.date.fromisoformat(str(front["date"]))


@pytest.mark.parametrize("name", ["acme", "globex"])
def test_manual_documents_exist_and_are_current(demo: DemoResult, name: str) -> None:
    repo = demo.repositories[name].path
    in_repo = set(git(repo, "ls-tree", "-r", "--name-only", "main").split())
    stale = set()
    for params in evidence("manual"):
        document = params["document"]
        if document in in_repo:
            text = file_at(repo, "main", document)
        else:
            text = (demo.example / "meshcloud-evidence" / document).read_text("utf-8")
        age = (PERIOD_END - document_date(text)).days
        assert age >= 0, document
        if age > params["max_age_days"]:
            stale.add(document)
    planted = {f.path for f in demo.findings if f.installation == name and f.rule == "manual"}
    assert stale == planted


@pytest.mark.parametrize("name", ["acme", "globex"])
def test_config_assertions_hold_at_every_version_except_the_planted(
    demo: DemoResult, name: str
) -> None:
    repo = demo.repositories[name].path
    history = functools.cache(lambda path: log(demo, name, "--first-parent", "main", "--", path))
    checks = []  # (assertion, sha, path)
    for params in evidence("config-assertion"):
        path = params["file"]
        commits = history(path)
        # The version in effect when the period starts, and each one committed in it.
        shas = [c["sha"] for c in commits if in_period(c)]
        shas.append(next(c["sha"] for c in commits if not in_period(c)))
        checks += [(params, sha, path) for sha in shas]
    texts = files_at(repo, sorted({(sha, path) for _, sha, path in checks}))
    failing: set[tuple[str, str]] = set()
    for params, sha, path in checks:
        value = setting(texts[sha, path], params["key"])
        if not OPERATORS[params["op"]](value, params["value"]):
            failing.add((params["key"], sha))
    planted = [f for f in demo.findings if f.installation == name and f.rule == "config-assertion"]
    expected = set()
    for finding in planted:
        off, on = finding.window_shas
        between = ["rev-list", "--first-parent", f"{off}^..{on}^", "--", logging_file()]
        inside = git(repo, *between).split()
        expected |= {("logging.enabled", sha) for sha in inside}
    assert failing == expected
