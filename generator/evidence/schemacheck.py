"""evidence.json's JSON values against evidence.schema.json: is it valid, and if not, where.

fastjsonschema, compiled once per process from the schema with its ``$ref``s inlined, answers
whether the values fit: the code it generates for a ``$ref`` calls a function whose argument
(the JSON path, for a message) is formatted from ``locals()`` of a function with thousands of
names, once per referenced value, which on the 100k-commit benchmark's 90,230 deviations took 7.6
of the 7.9 s the check cost; inlined, the check takes 0.5 s. The change records, most of a long
history's model, are checked by ``changes_fit``, written out. Only when a check finds a violation
is jsonschema asked for all of them, worded and located.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from generator.evidence.model import ChangeRecord
from generator.evidence.schematext import NOTE_KEYWORDS

SCHEMA_NAME = "evidence"


def inlined(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema with each ``$ref`` to its ``$defs`` replaced by the definition (a copy; the
    definitions refer to no schema that refers back to them)."""
    defs = schema.get("$defs", {})
    prefix = "#/$defs/"

    def walk(node: Any, seen: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [walk(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith(prefix):
            return {key: walk(value, seen) for key, value in node.items() if key != "$defs"}
        name = ref[len(prefix) :]
        if name in seen:
            raise ValueError(f"the schema's {ref} refers to itself")
        target = walk(defs[name], seen | {name})
        beside = {key: walk(value, seen) for key, value in node.items() if key != "$ref"}
        # Keywords beside a $ref apply as well as the definition (2020-12): both, not a merge.
        return {"allOf": [target, beside]} if set(beside) - NOTE_KEYWORDS else target

    return walk(dict(schema), frozenset())


@cache
def _fast_check() -> Callable[[Any], Any]:
    """The schema compiled by fastjsonschema, change records left to ``changes_fit``."""
    from generator.validate import load_schema

    schema = load_schema(SCHEMA_NAME)
    properties = {**schema["properties"], "changes": {"type": "array"}}
    return _compiled({**schema, "properties": properties})


def compiled(schema: Mapping[str, Any]) -> Callable[[Any], Any]:
    """``schema`` (its ``$ref``s to its ``$defs`` inlined) compiled by fastjsonschema."""
    return _compiled(schema)


def _compiled(schema: Mapping[str, Any]) -> Callable[[Any], Any]:
    import fastjsonschema

    # fastjsonschema may rewrite the schema it is given in place: it gets its own copy, so the
    # shared (cached) schema stays as shipped for everything else that reads it.
    return fastjsonschema.compile(copy.deepcopy(inlined(schema)))


def schema_problems(data: Any) -> list[tuple[str, str]]:
    """Every violation of evidence.schema.json as (JSON path, message); none: []."""
    import fastjsonschema

    try:
        _fast_check()(data)
        if changes_fit(data["changes"]):
            return []
    except fastjsonschema.JsonSchemaValueException:
        pass
    from jsonschema import Draft202012Validator

    from generator.validate import load_schema

    validator = Draft202012Validator(load_schema(SCHEMA_NAME))
    found = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    return [(json_path(e.absolute_path), e.message) for e in found] or [
        ("$", "does not match the evidence schema")
    ]


# The change records are most of a long history's model (88,000 on the 100k-commit benchmark):
# checked by fastjsonschema they cost three times json.dumps of the whole model. This check says
# the same for them, written out (tests/test_evidence_codec.py compares its verdicts with
# jsonschema's on every kind of violation); only a yes/no: jsonschema words what is wrong.
_CHANGE_KEYS = frozenset(f.name for f in dataclasses.fields(ChangeRecord))
_PERSON_KEYS = frozenset(("name", "email"))
_FILE_KEYS = frozenset(("status", "path", "old_path"))
_SIGNATURES = frozenset(("none", "gpg", "ssh", "x509"))
_APPROVAL_KEYS = frozenset(("approver", "evidence", "tag"))
_EVIDENCE = frozenset(("signed", "merged", "trailer"))


def changes_fit(changes: Any) -> bool:
    """Whether every change record fits the schema's ``changes`` items."""
    sha, is_person = _sha_pattern().search, _person_fits
    for c in changes:
        if not (
            type(c) is dict
            and c.keys() == _CHANGE_KEYS
            and type(c["sha"]) is str
            and sha(c["sha"])
            and type(c["parents"]) is list
            and all(type(p) is str and sha(p) for p in c["parents"])
            and type(c["environments"]) is list
            and c["environments"]
            and all(type(e) is str for e in c["environments"])
            and is_person(c["author"])
            and is_person(c["committer"])
            and type(c["authored_at"]) is str
            and type(c["committed_at"]) is str
            and type(c["subject"]) is str
            and type(c["body"]) is str
            and type(c["files"]) is list
            and all(_file_fits(f) for f in c["files"])
            and type(c["approvers"]) is list
            and all(is_person(p) for p in c["approvers"])
            and type(c["approvals"]) is list
            and all(_approval_fits(a) for a in c["approvals"])
            and type(c["authors"]) is list
            and all(is_person(p) for p in c["authors"])
            and type(c["self_approved"]) is bool
            and type(c["signed"]) is bool
            and type(c["signature"]) is str
            and c["signature"] in _SIGNATURES
            and (c["verified"] is None or type(c["verified"]) is bool)
            and (c["signer"] is None or type(c["signer"]) is str)
            and (c["signing_key"] is None or type(c["signing_key"]) is str)
            and type(c["releases"]) is dict
            and all(type(v) is str for v in c["releases"].values())
        ):
            return False
    return True


@cache
def _sha_pattern() -> re.Pattern[str]:
    from generator.validate import load_schema

    return re.compile(load_schema(SCHEMA_NAME)["$defs"]["sha"]["pattern"])


def _person_fits(person: Any) -> bool:
    return (
        type(person) is dict
        and person.keys() == _PERSON_KEYS
        and type(person["name"]) is str
        and type(person["email"]) is str
    )


def _approval_fits(entry: Any) -> bool:
    return (
        type(entry) is dict
        and entry.keys() == _APPROVAL_KEYS
        and _person_fits(entry["approver"])
        and type(entry["evidence"]) is str
        and entry["evidence"] in _EVIDENCE
        and (entry["tag"] is None or type(entry["tag"]) is str)
    )


def _file_fits(entry: Any) -> bool:
    return (
        type(entry) is dict
        and entry.keys() == _FILE_KEYS
        and type(entry["status"]) is str
        and type(entry["path"]) is str
        and (entry["old_path"] is None or type(entry["old_path"]) is str)
    )


def json_path(parts: Any) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def rest_problems(data: dict[str, Any], written: frozenset[str]) -> list[tuple[str, str]]:
    """The schema's violations by the sections not ``written`` (their check is the writer's)."""
    import fastjsonschema

    try:
        _rest_check(written)(data)
        return []
    except fastjsonschema.JsonSchemaValueException as exc:
        return [(json_path(exc.path[1:]), exc.message)]


@cache
def _rest_check(written: frozenset[str]) -> Callable[[Any], Any]:
    """The schema compiled by fastjsonschema, the sections ``written`` left to their writer."""
    from generator.validate import load_schema

    schema = load_schema(SCHEMA_NAME)
    properties = {key: {} if key in written else sub for key, sub in schema["properties"].items()}
    return _compiled({**schema, "properties": properties})
