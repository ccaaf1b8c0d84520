"""evidence.json <-> EvidenceModel, checked against evidence.schema.json both ways.

Writing turns the model into plain JSON values (keys in field order), checks them against the
schema and writes them; reading parses, checks and builds the typed model back. A model that does
not fit the schema is refused either way with every violation named by its JSON path: written,
it is a bug to report; read, it is a bad or foreign file.

Written, the sections are checked while they are laid out (``schematext``); read, and for what
the writer does not check, ``schemacheck`` asks fastjsonschema; only when a check finds a
violation is jsonschema asked for all of them, worded and located.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from generator.errors import BuildError, InputError, Problem
from generator.evidence.jsonstream import Written, iter_json
from generator.evidence.model import (
    SCHEMA_VERSION,
    ApprovalRecord,
    ChangeRecord,
    EvidenceModel,
    FileChange,
    Identity,
    SourceRecord,
)
from generator.evidence.schemacheck import SCHEMA_NAME, json_path, rest_problems, schema_problems
from generator.evidence.schematext import Misfit, Unsupported, list_pieces, record_encoder
from generator.memory import gc_paused
from generator.status import Status
from generator.textcheck import (
    MAX_NESTING,
    half_character,
    line_and_column,
    lone_surrogate_escape,
    too_deep,
)


class SchemaViolation(ValueError):
    """The model's JSON does not fit evidence.schema.json; ``problems`` are ``(path, message)``."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))
        self.problems = problems


# --- model -> JSON values ---------------------------------------------------------------------


@cache
def _keys(cls: type) -> tuple[tuple[str, str], ...]:
    """(JSON key, attribute) of a record's fields, in order."""
    return tuple((f.metadata.get("json", f.name), f.name) for f in dataclasses.fields(cls))


def to_plain(value: Any) -> Any:
    """JSON values of a record, tuple, mapping or scalar; keys of a record in field order."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, tuple | list):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: to_plain(item) for key, item in value.items()}
    if type(value) is ChangeRecord:
        return _change(value)
    if dataclasses.is_dataclass(value):
        return record_plain(value)
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def record_plain(record: Any) -> dict[str, Any]:
    """A record's JSON object, field by field: the plain path every record type can take."""
    return {key: to_plain(getattr(record, name)) for key, name in _keys(type(record))}


def _change(change: ChangeRecord) -> dict[str, Any]:
    # to_plain spelled out for the most numerous record (tens of thousands on long histories):
    # the generic path costs several times as much. tests/test_evidence_codec.py compares both.
    author, committer = change.author, change.committer
    return {
        "sha": change.sha,
        "parents": list(change.parents),
        "environments": list(change.environments),
        "author": {"name": author.name, "email": author.email},
        "authored_at": change.authored_at,
        "committer": {"name": committer.name, "email": committer.email},
        "committed_at": change.committed_at,
        "subject": change.subject,
        "body": change.body,
        "files": [
            {"status": f.status, "path": f.path, "old_path": f.old_path} for f in change.files
        ],
        "approvers": [{"name": p.name, "email": p.email} for p in change.approvers],
        "approvals": [
            {
                "approver": {"name": a.approver.name, "email": a.approver.email},
                "evidence": a.evidence,
                "tag": a.tag,
            }
            for a in change.approvals
        ],
        "authors": [{"name": p.name, "email": p.email} for p in change.authors],
        "self_approved": change.self_approved,
        "signed": change.signed,
        "signature": change.signature,
        "verified": change.verified,
        "signer": change.signer,
        "signing_key": change.signing_key,
        "releases": dict(change.releases),
    }


# --- JSON values -> model ---------------------------------------------------------------------


def _identity(value: Any) -> Any:
    return value


@cache
def _decoder(hint: Any) -> Callable[[Any], Any]:
    """A function building ``hint``'s value from (schema-checked) JSON values."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        decode = _decoder(inner)
        return lambda value: None if value is None else decode(value)
    if origin is tuple:
        item = _decoder(typing.get_args(hint)[0])
        return lambda value: tuple(item(v) for v in value)
    if hint is Status:
        return Status
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _record_decoder(hint)
    return _identity  # str, int, float, bool, free-form mappings


def _change_record(c: dict[str, Any]) -> ChangeRecord:
    # _record_decoder spelled out for the most numerous record, as _change is for writing;
    # tests/test_evidence_codec.py compares both paths.
    author, committer = c["author"], c["committer"]
    return ChangeRecord(
        c["sha"],
        tuple(c["parents"]),
        tuple(c["environments"]),
        Identity(author["name"], author["email"]),
        c["authored_at"],
        Identity(committer["name"], committer["email"]),
        c["committed_at"],
        c["subject"],
        c["body"],
        tuple(FileChange(f["status"], f["path"], f["old_path"]) for f in c["files"]),
        tuple(Identity(p["name"], p["email"]) for p in c["approvers"]),
        tuple(
            ApprovalRecord(
                Identity(a["approver"]["name"], a["approver"]["email"]), a["evidence"], a["tag"]
            )
            for a in c["approvals"]
        ),
        tuple(Identity(p["name"], p["email"]) for p in c["authors"]),
        c["self_approved"],
        c["signed"],
        c["signature"],
        c["verified"],
        c["signer"],
        c["signing_key"],
        c["releases"],
    )


def _record_decoder(cls: type) -> Callable[[Any], Any]:
    return _change_record if cls is ChangeRecord else generic_record_decoder(cls)


def generic_record_decoder(cls: type) -> Callable[[Any], Any]:
    """The plain path every record type can take: field by field from the type hints.

    A field with a default was added to the schema later, as an optional key: a pack written
    before it gets the default.
    """
    hints = typing.get_type_hints(cls)
    fields = [(key, _decoder(hints[name])) for key, name in _keys(cls)]
    defaults = {
        f.metadata.get("json", f.name): f.default
        for f in dataclasses.fields(cls)
        if f.default is not dataclasses.MISSING
    }
    if not defaults:
        return lambda value: cls(*[decode(value[key]) for key, decode in fields])
    return lambda value: cls(
        *[
            decode(value[key]) if key in value or key not in defaults else defaults[key]
            for key, decode in fields
        ]
    )


def from_plain(data: dict[str, Any], record: type[Any] = EvidenceModel) -> Any:
    """The typed ``record`` (the whole model by default) of schema-checked JSON values."""
    return _decoder(record)(data)


# --- files ------------------------------------------------------------------------------------


def checked_plain(model: EvidenceModel) -> Any:
    """The model's JSON values; SchemaViolation if they do not fit the schema."""
    data = to_plain(model)
    problems = schema_problems(data)
    if problems:
        raise SchemaViolation(problems)
    return data


def dumps(model: EvidenceModel) -> str:
    """evidence.json's text (the bytes write_model writes); SchemaViolation if it does not fit."""
    return "".join(model_pieces(model))


def model_pieces(model: EvidenceModel) -> Iterator[str]:
    """evidence.json's text in pieces; SchemaViolation (at the first piece, or at the record
    that does not fit) if the model does not fit its schema.

    The sections the compiled writer understands (``schematext``: every list growing with the
    history) are checked while they are laid out, never held as values or as one string; the
    rest is checked first, as plain JSON values, and laid out by ``jsonstream``.
    """
    writers = _section_writers()
    data: dict[str, Any] = {}
    for key, name in _keys(EvidenceModel):
        value = getattr(model, name)
        data[key] = (
            Written(_section_text(key, writers[key], value, model))
            if key in writers
            else to_plain(value)
        )
    problems = rest_problems(data, frozenset(writers))
    if problems:
        checked_plain(model)  # every violation at once, the written sections' too
        raise SchemaViolation(problems)
    yield from iter_json(data)
    yield "\n"


def _section_text(
    key: str, writer: Callable[[Any], Iterator[str]], value: Any, model: EvidenceModel
) -> Iterator[str]:
    try:
        yield from writer(value)
    except Misfit:
        checked_plain(model)  # words every violation
        raise SchemaViolation([(f"$.{key}", "does not fit the evidence schema")]) from None


@cache
def _section_writers() -> dict[str, Callable[[Any], Iterator[str]]]:
    """The top-level sections written by the compiled writer (the others take the plain path):
    a list in pieces, one per member, anything else as one piece."""
    from generator.validate import load_schema

    schema = load_schema(SCHEMA_NAME)
    defs = schema["$defs"]
    writers: dict[str, Callable[[Any], Iterator[str]]] = {}
    for key, section in schema["properties"].items():
        try:
            writers[key] = list_pieces(section, defs, 1, to_plain)
            continue
        except Unsupported:
            pass
        try:
            encode = record_encoder(section, defs, 1, to_plain)
        except Unsupported:
            continue
        writers[key] = lambda value, encode=encode: iter((encode(value),))
    return writers


# Writing makes millions of short-lived tuples and texts beside a model of millions of objects:
# the collector's rescans of the model cost about 0.5 s of a 100,000-commit build (measured).
@gc_paused()
def write_model(model: EvidenceModel, path: Path) -> None:
    """Write evidence.json piece by piece, never held as one string (the same bytes as dumps).

    A model that does not fit its schema is a BuildError, and no file is left behind.
    """
    try:
        with path.open("w", encoding="utf-8", newline="\n") as out:
            out.writelines(model_pieces(model))
    except SchemaViolation as exc:
        path.unlink(missing_ok=True)
        listed = "; ".join(f"{where}: {message}" for where, message in exc.problems[:20])
        raise BuildError(f"{path}: the evidence model does not fit its schema: {listed}") from None


def _parsed(text: str, where: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError([Problem(where, 1, 1, f"not valid JSON: {exc}")]) from None
    except RecursionError:
        at = too_deep(text, 0)
        message = f"arrays and objects nested more than {MAX_NESTING} deep"
        raise InputError([Problem(where, *line_and_column(text, at), message)]) from None
    lone = lone_surrogate_escape(text)
    if lone is not None:
        message = half_character(text[lone : lone + 6])
        raise InputError([Problem(where, *line_and_column(text, lone), message)])
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        found = data.get("schema_version") if isinstance(data, dict) else None
        message = f"unsupported schema_version {found!r} (this meshcomply reads {SCHEMA_VERSION})"
        raise InputError([Problem(where, 1, 1, message)])
    return data


def _refuse(where: str, problems: list[tuple[str, str]]) -> None:
    if problems:
        raise InputError(Problem(where, 1, 1, f"{path}: {message}") for path, message in problems)


def loads(text: str, where: str) -> EvidenceModel:
    """The model of evidence.json's text; InputError naming ``where`` and each JSON path."""
    data = _parsed(text, where)
    _refuse(where, schema_problems(data))
    return from_plain(data)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(str(path), 1, 1, f"cannot read: {exc.strerror}")]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        message = f"cannot read: not UTF-8 text ({exc.reason})"
        raise InputError([Problem(str(path), line, column, message)]) from None


def read_model(path: Path) -> EvidenceModel:
    """evidence.json as the typed model; InputError for an unreadable or invalid file."""
    return loads(_read_text(path), str(path))


# How far into a file the source section is looked for before the whole file is read instead.
_LEADING_LIMIT = 8 * 1024 * 1024


def _leading_text(path: Path) -> str | None:
    """The JSON object of evidence.json's members up to and including ``source``, if laid out as
    written (indented by two spaces, ``source`` before the records), else None.

    On the 100k-commit benchmark the whole file is 130 MB whose parse took a build's first
    second and a half to learn one sha. In the indented layout a line starting with exactly two
    spaces and a quote is a top-level key (deeper lines are indented further and strings hold no
    raw newlines), so the text before the key after ``source`` is a complete object once closed.
    ``tests/test_evidence_codec.py`` compares the result with the whole file's.
    """
    marker, key = '\n  "source": ', '\n  "'
    try:
        with path.open(encoding="utf-8", newline="") as text:
            head = ""
            while len(head) < _LEADING_LIMIT:
                chunk = text.read(65536)
                head += chunk
                start = head.find(marker)
                end = head.find(key, start + len(marker)) if start >= 0 else -1
                if end >= 0:
                    return head[:end].rstrip().removesuffix(",") + "\n}"
                if not chunk:
                    return None
    except (OSError, UnicodeDecodeError):
        return None  # _read_text says why, with the path
    return None


def read_source(path: Path) -> SourceRecord:
    """Only the ``source`` section of evidence.json, schema-checked (the rest is not read).

    For a build asking which head an earlier pack recorded: on a long history the whole model's
    check and records cost seconds that answer nothing here.
    """
    where = str(path)
    data = _parsed(_leading_text(path) or _read_text(path), where)
    from jsonschema import Draft202012Validator

    from generator.validate import load_schema

    # The whole schema (its $refs resolve within it) asked about the one section present.
    schema = {**load_schema(SCHEMA_NAME), "required": ["source"]}
    found = Draft202012Validator(schema).iter_errors({"source": data.get("source")})
    _refuse(where, [(json_path(e.absolute_path), e.message) for e in found])
    return from_plain(data["source"], SourceRecord)
