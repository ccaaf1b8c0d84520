"""The published meshEventLog schema and the checks of one event or one page against it.

``generator/schemas/meshevents.schema.json`` is a copy of the schemas meshcloud publishes in its
OpenAPI description of the meshStack API (CC BY 4.0; attribution in the file and in
docs/events.md), with OpenAPI's ``nullable`` written as JSON Schema. On top of the schema, an event
must be of kind ``meshEventLog`` and its ``createdAt`` an ISO 8601 timestamp with a time zone: the
build sorts and windows events by it.

Valid data is checked with fastjsonschema (compiled once); only data that fails is checked again
with jsonschema, which words and locates every violation.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from generator.meshevents.model import MeshEvent, frozen
from generator.validate import load_schema

SCHEMA_NAME = "meshevents"
# The endpoint, its media type (the API version asked for in Accept) and the login, as published.
ENDPOINT = "/api/meshobjects/mesheventlogs"
MEDIA_TYPE = "application/vnd.meshcloud.api.mesheventlog.v1-preview.hal+json"
LOGIN = "/api/login"
KIND = "meshEventLog"
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "true/false",
    int: "a number",
    float: "a number",
    type(None): "null",
}

Problems = list[tuple[str, str]]  # (JSON pointer, message)


def parse_timestamp(text: Any) -> dt.datetime | None:
    """An ISO 8601 timestamp with a time zone as an aware UTC datetime; None if it is not one."""
    if not isinstance(text, str) or not _TIMESTAMP.match(text):
        return None
    try:
        return dt.datetime.fromisoformat(text).astimezone(dt.UTC)
    except ValueError:
        return None


def event_problems(raw: Any, at: str = "") -> Problems:
    """Everything wrong with one event (``at``: its pointer), [] when it can be typed."""
    if _fast("meshEventLog")(raw):
        problems: Problems = []
    else:
        problems = _worded(_validator("meshEventLog"), raw, at)
    if isinstance(raw, dict):
        if "kind" in raw and isinstance(raw["kind"], str) and raw["kind"] != KIND:
            problems.append((f"{at}/kind", f"is {_shown(raw['kind'])}, not {KIND!r}"))
        metadata = raw.get("metadata")
        stamp = metadata.get("createdAt") if isinstance(metadata, dict) else None
        if isinstance(stamp, str) and parse_timestamp(stamp) is None:
            problems.append(
                (
                    f"{at}/metadata/createdAt",
                    f"{_shown(stamp)} is not an ISO 8601 timestamp with a time zone "
                    "(e.g. 2026-01-15T10:30:00Z)",
                )
            )
    return problems


def events_problems(events: list[Any], at: str) -> dict[int, Problems]:
    """The problems of each event of a list that has any, by index (one pass when all fit)."""
    if _fast("events")(events) and all(
        e.get("kind") == KIND and parse_timestamp(e["metadata"]["createdAt"]) for e in events
    ):
        return {}
    found = {}
    for index, raw in enumerate(events):
        problems = event_problems(raw, f"{at}/{index}")
        if problems:
            found[index] = problems
    return found


def page_problems(page: Any) -> Problems:
    """What is wrong with a page of the list endpoint besides its events (checked one by one).

    A page without ``_embedded`` is accepted when it says it holds no events: HAL servers leave
    out empty embedded collections.
    """
    if isinstance(page, dict) and "_embedded" not in page:
        total = (
            page.get("page", {}).get("totalElements")
            if isinstance(page.get("page"), dict)
            else None
        )
        if total == 0:
            page = {**page, "_embedded": {"meshEventLogs": []}}
    shell = copy.copy(page)
    if isinstance(page, dict) and isinstance(page.get("_embedded"), dict):
        embedded = page["_embedded"]
        if isinstance(embedded.get("meshEventLogs"), list):
            shell = {**page, "_embedded": {**embedded, "meshEventLogs": []}}
    if _fast("meshEventLogList")(shell):
        return []
    return _worded(_validator("meshEventLogList"), shell, "")


def typed_event(raw: dict[str, Any], index: int) -> MeshEvent:
    """A valid event (``event_problems`` found nothing) as a MeshEvent."""
    spec = raw["spec"]
    workspace = spec.get("workspaceRef")
    name = workspace.get("name") if isinstance(workspace, dict) else None
    previous = spec.get("previousContent")
    created = parse_timestamp(raw["metadata"]["createdAt"])
    assert created is not None  # checked by event_problems
    return MeshEvent(
        uuid=raw["metadata"]["uuid"],
        created_at=created,
        title=spec["title"],
        event_type=spec["eventType"],
        description=spec["description"],
        workspace=name if isinstance(name, str) else None,
        author_type=spec["author"]["authorType"],
        author=spec["author"]["identifier"],
        content=frozen(spec["content"]),
        previous_content=frozen(previous) if isinstance(previous, dict) else None,
        index=index,
    )


def _shown(value: str) -> str:
    """Untrusted text for a message: quoted, control characters escaped, cut to 80."""
    return repr(value if len(value) <= 80 else value[:77] + "...")


def _worded(validator: Draft202012Validator, data: Any, at: str) -> Problems:
    found = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return [_word(error, at) for error in found] or [(at or "/", "does not match the schema")]


def _word(error: ValidationError, at: str) -> tuple[str, str]:
    pointer = at + "".join(f"/{part}" for part in error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return pointer or "/", f"missing required field {missing!r}"
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        actual = _TYPE_NAMES.get(type(error.instance), type(error.instance).__name__)
        return pointer or "/", f"must be of type {expected}, not {actual}"
    # The other keywords of these schemas do not quote the value; nothing untrusted is echoed.
    return pointer or "/", error.message[:200]


@cache
def _schema() -> dict[str, Any]:
    return load_schema(SCHEMA_NAME)


def _definition(name: str) -> dict[str, Any]:
    defs = _schema()["$defs"]
    if name == "events":
        return {"$defs": defs, "type": "array", "items": {"$ref": "#/$defs/meshEventLog"}}
    return {"$defs": defs, "$ref": f"#/$defs/{name}"}


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(_definition(name))


@cache
def _fast(name: str) -> Callable[[Any], bool]:
    import fastjsonschema

    # fastjsonschema rewrites the $refs of what it is given: it gets its own copy.
    check = fastjsonschema.compile(copy.deepcopy(_definition(name)))

    def valid(data: Any) -> bool:
        try:
            check(data)
        except fastjsonschema.JsonSchemaValueException:
            return False
        return True

    return valid
