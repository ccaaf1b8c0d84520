"""JSON Schema validation of loaded YAML documents, reported at the offending line and column."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from generator.errors import Problem
from generator.yamlio import Document

_TYPE_NAMES = {
    dict: "a mapping",
    list: "a list",
    str: "text",
    bool: "true/false",
    int: "a whole number",
    float: "a number",
    type(None): "empty",
}


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A schema shipped in generator/schemas/, by file stem (e.g. ``control``)."""
    text = resources.files("generator.schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


def schema_problems(document: Document, schema: dict[str, Any]) -> list[Problem]:
    """Every schema violation in the document, each located and worded for a person, after
    the problems the loader read past (Document.problems); a violation where the loader
    already said what is wrong (a value it could not construct, read as empty) is left out."""
    validator = Draft202012Validator(schema)
    problems = list(document.problems)
    said = {(problem.line, problem.col) for problem in document.problems}
    for error in validator.iter_errors(document.data):
        problems.extend(p for p in _describe(document, error) if (p.line, p.col) not in said)
    return problems


def _field(path: tuple[Any, ...]) -> str:
    parts = []
    for part in path:
        parts.append(f"[{part}]" if isinstance(part, int) else f".{part}")
    return "".join(parts).lstrip(".") or "document"


def _describe(document: Document, error: ValidationError) -> list[Problem]:
    path = tuple(error.absolute_path)
    name = _field(path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extras = sorted(set(error.instance) - set(allowed))
        hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return [
            document.problem((*path, extra), f"unknown field '{extra}' in {name}{hint}", key=True)
            for extra in extras
        ]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return [document.problem(path, f"{name}: missing required field '{missing}'")]
    # Values are quoted as written: `approval: yes` is 'yes', not the True YAML made of it.
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        actual = _TYPE_NAMES.get(type(error.instance), type(error.instance).__name__)
        message = f"{name} must be of type {expected}, not {actual}"
        if isinstance(error.instance, bool | int | float):
            written = document.written(path, error.instance)
            message += f" ({written})"
            if "string" in expected and written[1:2] not in ("'", '"'):
                message += "; put it in quotes to keep it as text"
        return [document.problem(path, message)]
    if error.validator == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        written = document.written(path, error.instance)
        return [document.problem(path, f"{name}: {written} is not one of: {options}")]
    if error.validator == "pattern":
        hint = error.schema.get("description") or f"must match {error.validator_value}"
        written = document.written(path, error.instance)
        return [document.problem(path, f"{name}: {written} is not valid ({hint})")]
    if error.validator == "uniqueItems" and isinstance(error.instance, list):
        groups = repeated_items(error.instance)
        if groups:  # at each repeat, as a person finds it
            return [
                document.problem(
                    (*path, n),
                    f"{name}: {document.written((*path, n), error.instance[n])} is listed "
                    f"{listed_times(len(group))} (first on line "
                    f"{document.where((*path, group[0]))[0]})",
                )
                for group in groups
                for n in group[1:]
            ]
    if error.validator in ("oneOf", "anyOf") and error.context:
        # Report the branch that got furthest: it is usually the one the user meant.
        best = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.message)))
        return _describe(document, best)
    return [document.problem(path, f"{name}: {error.message}")]


def repeated_items(items: list[Any]) -> list[list[int]]:
    """The indexes of each item listed more than once, one list per item in the order of its
    first occurrence; equal as JSON Schema's uniqueItems has them: 1 and 1.0 are one number,
    true is no number, a date is not its text."""
    found: dict[Any, list[int]] = {}
    for n, item in enumerate(items):
        found.setdefault(_equal_key(item), []).append(n)
    return [indexes for indexes in found.values() if len(indexes) > 1]


def _equal_key(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return (type(value).__name__, value)
    if isinstance(value, int | float):
        return ("number", value)  # 1 == 1.0 and hash(1) == hash(1.0)
    if isinstance(value, str):
        return ("text", value)
    if isinstance(value, list | tuple):
        return ("list", tuple(_equal_key(item) for item in value))
    if isinstance(value, dict):
        return ("mapping", frozenset((key, _equal_key(item)) for key, item in value.items()))
    return (type(value).__name__, repr(value))  # a date, as YAML may construct one


def listed_times(count: int) -> str:
    return "twice" if count == 2 else f"{count} times"
