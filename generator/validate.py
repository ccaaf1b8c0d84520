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
    """Every schema violation in the document, each located and worded for a person."""
    validator = Draft202012Validator(schema)
    problems = []
    for error in validator.iter_errors(document.data):
        problems.extend(_describe(document, error))
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
        repeats = _repeats(error.instance)
        if repeats:  # at each repeat, as a person finds it
            return [
                document.problem(
                    (*path, n),
                    f"{name}: {document.written((*path, n), error.instance[n])} is listed twice "
                    f"(first on line {document.where((*path, first))[0]})",
                )
                for n, first in repeats
            ]
    if error.validator in ("oneOf", "anyOf") and error.context:
        # Report the branch that got furthest: it is usually the one the user meant.
        best = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.message)))
        return _describe(document, best)
    return [document.problem(path, f"{name}: {error.message}")]


def _repeats(items: list[Any]) -> list[tuple[int, int]]:
    """(index, index of its first occurrence) of every item equal to an earlier one; a bool is
    no number here, as for the schema's uniqueItems."""
    first: dict[tuple[str, str], int] = {}
    found = []
    for n, item in enumerate(items):
        key = (type(item).__name__, json.dumps(item, sort_keys=True, default=str))
        if key in first:
            found.append((n, first[key]))
        else:
            first[key] = n
    return found
