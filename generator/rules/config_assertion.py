"""config-assertion: a condition on a YAML/JSON config value held at every commit of the period.

Operating effectiveness, not a snapshot: the version of the file in effect at the period start and
the version after each first-parent commit that changed it are all judged, and every window in
which the condition failed is reported with the commit that broke it, the commit that fixed it
(None when it still failed at the period end), its bounds and its length in hours. A missing file,
a missing key or content that does not parse fails; a file absent for the whole period leaves the
rule not evidenced. A version that could not be read as text (binary, over the size limit, a name
that is not UTF-8) is neither: its time is a window of its own kind, an **unreadable version**,
in which the condition was not tested.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from generator.errors import InputError
from generator.evidence.context import (
    RuleContext,
    hours_between,
    number,
    plural,
    utc_timestamp,
)
from generator.evidence.registry import Failure, Rule, RuleResult
from generator.history.model import ParsedVersion
from generator.history.parsedcache import BlobParser
from generator.status import Status
from generator.textcheck import json_loads
from generator.timewords import utc
from generator.yamlio import load_yaml_text

OPERATORS = ("==", "!=", ">=", "<=", ">", "<", "in")

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["file", "key", "op", "value"],
    "properties": {
        "file": {
            "type": "string",
            "pattern": r"^(?!/)(?!.*(^|/)\.\.(/|$)).+\.(ya?ml|json)$",
            "description": "a .yaml, .yml or .json file, relative to the repository root",
        },
        "key": {
            "type": "string",
            "pattern": r"^[^.]+(\.[^.]+)*$",
            "description": "a dotted path to the value, e.g. backup.retention_days",
        },
        "op": {"enum": list(OPERATORS)},
        "value": {"description": "the value to compare with; a list for 'in'"},
        "environments": {
            "type": "array",
            "items": {"type": "string"},
            "description": "accepted for documentation; the file alone decides what is judged",
        },
    },
    "if": {"properties": {"op": {"const": "in"}}, "required": ["op"]},
    "then": {"properties": {"value": {"type": "array"}}},
}

FAILED, UNREADABLE = "assertion_failed", "unreadable_version"
_MISSING = object()


def describe_value(value: Any, limit: int = 80) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def lookup(data: Any, key: str) -> Any:
    """The value at a dotted path (numeric parts index lists); _MISSING when absent."""
    for part in key.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return _MISSING
    return data


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(left: Any, right: Any) -> bool:
    # YAML's true is not the number 1 in a config file, whatever Python thinks.
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    return left == right


def compare(actual: Any, op: str, expected: Any) -> bool | None:
    """Whether ``actual op expected`` holds; None when the two cannot be ordered."""
    if op == "==":
        return _same(actual, expected)
    if op == "!=":
        return not _same(actual, expected)
    if op == "in":
        return any(_same(actual, option) for option in expected)
    comparable = (_number(actual) and _number(expected)) or (
        isinstance(actual, str) and isinstance(expected, str)
    )
    if not comparable:
        return None
    return {
        ">=": actual >= expected,
        "<=": actual <= expected,
        ">": actual > expected,
        "<": actual < expected,
    }[op]


def parse_text(text: str, is_json: bool) -> tuple[Any, tuple[str, int, str] | None]:
    """(data, None), or (None, (kind, line, message)) when the text does not parse.

    YAML is read as meshcomply.yml is (generator.yamlio: a repeated key, an alias bomb or a
    syntax error is a located problem), not as config-promotion reads settings (libyaml's safe
    loader, where a repeated key's last value wins): the two disagree on such files, so each
    keeps its own parser, and its own entries in the parsed-files cache.
    """
    if is_json:
        try:
            return json_loads(text, exact=True), None
        except json.JSONDecodeError as exc:
            return None, ("JSON", exc.lineno, exc.msg)
    try:
        return load_yaml_text(text, "").data, None
    except InputError as exc:
        first = exc.problems[0]
        return None, ("YAML", first.line, first.message)


# Every assertion on a file judges the same versions: each blob is parsed once per build, and
# kept between builds (the history's parsed-files cache).
_PARSERS = {
    is_json: BlobParser(
        f"config-assertion.{'json' if is_json else 'yaml'}", partial(parse_text, is_json=is_json)
    )
    for is_json in (False, True)
}


def parser_for(path: str) -> BlobParser:
    """How the file's versions are read, by its extension (``.json``: JSON, else YAML)."""
    return _PARSERS[path.endswith(".json")]


def judge(version: ParsedVersion, params: dict[str, Any]) -> str | None:
    """Why the version fails the assertion, None when it holds."""
    if version.problem is not None:  # there, but not readable as text: nothing can be shown
        return f"{version.problem} at {version.sha[:12]}"
    if version.value is None:
        return "file missing"
    data, unparseable = version.value
    if unparseable is not None:
        kind, line, message = unparseable
        return f"not valid {kind} at {version.sha[:12]} (line {line}: {message})"
    key, op, expected = params["key"], params["op"], params["value"]
    actual = lookup(data, key)
    if actual is _MISSING:
        return "key missing"
    holds = compare(actual, op, expected)
    if holds is None:
        return f"{key} is {describe_value(actual)}, which cannot be compared with {op}"
    return None if holds else f"{key} is {describe_value(actual)}"


@dataclass
class _Window:
    start: dt.datetime
    from_sha: str | None
    kind: str
    messages: list[str] = field(default_factory=list)


def _states(context: RuleContext, path: str) -> list[tuple[dt.datetime, ParsedVersion | None]]:
    """(moment, version) in effect from that moment; None: no commit had the file at the start."""
    start, end = context.period.start_utc, context.period.end_utc_exclusive
    # The reader stands in an empty sha for "no commit before the period": that is our None.
    parsed = context.history.parsed_versions(path, parser_for(path))
    versions = [v for v in parsed if v.sha and utc(v.date) < end]
    states: list[tuple[dt.datetime, ParsedVersion | None]] = []
    if not versions or utc(versions[0].date) >= start:
        states.append((start, None))
    states.extend((max(utc(v.date), start), v) for v in versions)
    return states


def evaluate(context: RuleContext, params: dict[str, Any]) -> RuleResult:
    path = params["file"]
    expression = f"{params['key']} {params['op']} {describe_value(params['value'])}"
    states = _states(context, path)
    versions = [v for _, v in states if v is not None]
    if not any(v.value is not None or v.problem is not None for v in versions):
        return RuleResult(
            status=Status.NOT_TESTED,
            reason=f"{path} does not exist at any commit in the period, so {expression} "
            "cannot be shown to hold.",
            cited=tuple(v.sha for v in versions),
        )
    end = context.period.end_utc_exclusive
    failures: list[Failure] = []
    failed_states = 0
    open_window: _Window | None = None

    def close(until: dt.datetime, to_sha: str | None) -> None:
        assert open_window is not None
        window = {
            "from_sha": open_window.from_sha,
            "to_sha": to_sha,
            "from": utc_timestamp(open_window.start),
            "to": utc_timestamp(until),
            "hours": hours_between(open_window.start, until),
        }
        failures.append(
            Failure(
                "; ".join(open_window.messages),
                open_window.from_sha,
                window,
                kind=open_window.kind,
            )
        )

    for moment, version in states:
        problem = judge(version, params) if version else "file missing"
        if problem:
            failed_states += 1
            kind = UNREADABLE if version is not None and version.problem is not None else FAILED
            if open_window is not None and open_window.kind != kind:
                close(moment, version.sha if version else None)
                open_window = None
            if open_window is None:
                open_window = _Window(moment, version.sha if version else None, kind)
            if problem not in open_window.messages:
                open_window.messages.append(problem)
        elif open_window is not None:
            close(moment, version.sha if version else None)
            open_window = None
    if open_window is not None:
        close(end, None)

    total = len(states)
    what = f"{plural(total, 'version')} of {path}"
    if failures:
        parts = []
        for kind, words in ((FAILED, "failed in"), (UNREADABLE, "could not be judged in")):
            windows = [f for f in failures if f.kind == kind]
            if windows:
                hours = sum(f.window["hours"] for f in windows if f.window)
                parts.append(
                    f"{words} {plural(len(windows), 'window')} totalling {number(hours)} h"
                )
        if any(f.kind == UNREADABLE for f in failures):
            parts[-1] += " in which the file could not be read as text"
        last = failures[-1]
        still = ""
        if last.window and last.window["to_sha"] is None:
            ending = "still failed" if last.kind == FAILED else "was still unreadable"
            still = f" and {ending} at the period end"
        status = Status.DEVIATIONS
        reason = f"{expression} {', and '.join(parts)}{still} ({what} in effect during the period)."
    else:
        status = Status.NO_DEVIATIONS
        reason = f"{expression} held throughout the period ({what} in effect, all passing)."
    return RuleResult(
        status=status,
        reason=reason,
        population=total,
        passed=total - failed_states,
        failed=failed_states,
        cited=tuple(v.sha for v in versions),
        failures=tuple(failures),
        details={"file": path, "expression": expression, "versions": len(versions)},
        last_evidence=context.newest_date(v.date for v in versions),
    )


RULE = Rule(
    kind="config-assertion",
    summary="A condition on a YAML/JSON config value holds at every commit in the period.",
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    deviation_kinds={
        FAILED: (
            "The condition did not hold (or the file was missing) for a window of time in the "
            "period; the window runs from the commit that broke it to the one that restored it."
        ),
        UNREADABLE: (
            "The condition was not tested for a window of time in the period: the file was there "
            "but could not be read as text (binary, over the size limit, or a name that is not "
            "UTF-8); the window runs from the commit that made it unreadable to the next."
        ),
    },
)
