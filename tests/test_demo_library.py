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


def front(text: str) -> dict[str, Any]:
    return yaml.safe_load(text.split("---")[1])


def document_versions(demo: DemoResult, name: str, document: str) -> list[dict[str, Any]]:
    """The front matter of every version of a document on main (or the evidence folder's)."""
    repo = demo.repositories[name].path
    shas = git(repo, "log", "--first-parent", "--format=%H", "main", "--", document).split()
    if not shas:
        return [front((demo.example / "meshcloud-evidence" / document).read_text("utf-8"))]
    return [front(file_at(repo, sha, document)) for sha in shas]


# Each interval of the demo's period that a recurring document must have a version dated in,
# and the oldest date its newest version may have (one interval before the period end).
DUE = {
    "quarterly": ([("2026-01-01", "2026-03-31"), ("2026-04-01", "2026-06-30")], "2026-03-30"),
    "half-yearly": ([("2026-01-01", "2026-06-30")], "2025-12-30"),
    "yearly": ([], "2025-06-30"),  # the year 2026 is still open at the period end
}


@pytest.mark.parametrize("name", ["acme", "globex"])
def test_manual_documents_exist_and_are_kept(demo: DemoResult, name: str) -> None:
    """Recomputed with plain git: every due occurrence exists, the newest is no older than its
    frequency (or maximum age) at the period end, and no result is a fail; except the planted."""
    not_kept, failed = set(), set()
    for params in evidence("manual"):
        document = params["document"]
        versions = document_versions(demo, name, document)
        dates = sorted(dt.date.fromisoformat(str(v["date"])) for v in versions)
        assert all(d <= PERIOD_END for d in dates), document
        if "max_age_days" in params:
            if (PERIOD_END - dates[-1]).days > params["max_age_days"]:
                not_kept.add(document)
        else:
            due, oldest = DUE[params["frequency"]]
            missed = [
                (first, last)
                for first, last in due
                if not any(first <= d.isoformat() <= last for d in dates)
            ]
            if missed or dates[-1].isoformat() < oldest:
                not_kept.add(document)
        if any(v.get("result") == "fail" and str(v["date"]) >= "2026-01-01" for v in versions):
            failed.add(document)
    kinds: dict[str, set[str]] = {}
    for f in demo.findings:
        if f.installation == name and f.rule == "manual":
            kinds.setdefault(f.kind, set()).add(f.path)
    assert not_kept == kinds.get("not_performed", set()) | kinds.get("stale_document", set())
    assert failed == kinds.get("failed_result", set())
    assert kinds  # every installation has a planted document finding


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
