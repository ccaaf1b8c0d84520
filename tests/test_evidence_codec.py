"""evidence.json <-> the typed model: exact round trips, and the schema enforced both ways."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from generator.errors import BuildError, InputError
from generator.evidence import codec, schemacheck
from generator.evidence.changes_since import compare
from generator.evidence.model import (
    ApprovalRecord,
    ChangeRecord,
    CorrectiveActionRecord,
    EvidenceModel,
    ExceptionRecord,
    FileChange,
    Identity,
)
from generator.status import Status
from generator.testing import synthetic_evidence
from generator.validate import load_schema


def _model_with_everything() -> EvidenceModel:
    """A hostile synthetic model with a changes_since section, renames and releases."""
    previous = synthetic_evidence(changes=8, seed=1, period=("2025-07-01", "2025-12-31"))
    model = synthetic_evidence(changes=20, hostile=True)
    first = model.changes[0]
    renamed = replace(
        first,
        files=(FileChange("R", "environments/production/new.yaml", "old.yaml"),),
        releases={"production": "2026.1.0", "staging": "2026.1.0"},
        verified=True,
        signer="Ann <ann@example.com>",
        signing_key="SHA256:eosj+s8SJc5TSUR/RI7+1342aih2oi9bBMGi+rZxTik",
        approvals=(
            ApprovalRecord(Identity("Bob", "bob@example.com"), "signed", "production/1.2.0"),
            ApprovalRecord(Identity("Carol", ""), "merged", None),
        ),
    )
    model = replace(model, changes=(renamed, *model.changes[1:]))
    return replace(model, changes_since=compare(previous, model))


def test_write_then_read_gives_the_equal_typed_model_and_the_same_bytes(tmp_path: Path):
    model = _model_with_everything()
    path = tmp_path / "evidence.json"
    codec.write_model(model, path)
    text = path.read_text("utf-8")
    back = codec.read_model(path)
    assert back == model
    assert isinstance(back.controls[0].status, Status)
    assert isinstance(back.changes[0], ChangeRecord)
    assert back.changes_since is not None and back.changes_since.previous.period.start == (
        "2025-07-01"
    )
    codec.write_model(back, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()
    # The JSON keys are the records' fields in order (``period`` written as from/to).
    data = json.loads(text)
    assert list(data)[:4] == ["schema_version", "tool", "installation", "period"]
    assert data["schema_version"] == 3 and data["period"] == {
        "from": "2026-01-01",
        "to": "2026-06-30",
    }


def test_the_change_records_fast_paths_equal_the_plain_paths():
    for change in _model_with_everything().changes:
        assert codec.to_plain(change) == codec.record_plain(change)
        assert list(codec.to_plain(change)) == list(codec.record_plain(change))
        plain = codec.to_plain(change)
        assert codec.from_plain(plain, ChangeRecord) == change
        assert codec.generic_record_decoder(ChangeRecord)(plain) == change


def test_a_model_that_breaks_the_schema_is_not_written(tmp_path: Path):
    model = synthetic_evidence(changes=3)
    broken = replace(
        model,
        installation="Not An Id",
        changes=(replace(model.changes[0], sha="not-a-sha"), *model.changes[1:]),
    )
    path = tmp_path / "evidence.json"
    with pytest.raises(BuildError) as refused:
        codec.write_model(broken, path)
    message = str(refused.value)
    assert message.startswith(f"{path}: the evidence model does not fit its schema")
    assert "$.changes[0].sha: 'not-a-sha' does not match" in message
    assert "$.installation: 'Not An Id' does not match" in message
    assert not path.exists()


def test_a_file_that_breaks_the_schema_is_refused_with_every_json_path(tmp_path: Path):
    path = tmp_path / "evidence.json"
    codec.write_model(synthetic_evidence(changes=3), path)
    data = json.loads(path.read_text("utf-8"))
    data["changes"][1]["sha"] = "xyz"
    del data["soa"][0]["justification"]
    data["controls"][0]["status"] = "fine"
    data["controls"][0]["extra"] = 1
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as refused:
        codec.read_model(path)
    lines = str(refused.value).splitlines()
    assert all(line.startswith(f"{path}:1:1: $.") for line in lines)
    text = "\n".join(lines)
    assert "$.changes[1].sha: 'xyz' does not match" in text
    assert "$.soa[0]: 'justification' is a required property" in text
    assert "$.controls[0].status: 'fine' is not one of" in text
    assert "$.controls[0]: Additional properties are not allowed ('extra' was unexpected)" in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"schema_version": 1}', "unsupported schema_version 1 (this meshcomply reads 3)"),
        ("[]", "unsupported schema_version None"),
    ],
)
def test_unreadable_or_foreign_files_are_located_input_errors(tmp_path, text, message):
    path = tmp_path / "evidence.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as refused:
        codec.read_model(path)
    assert str(refused.value).startswith(f"{path}:1:1: ")
    assert message in str(refused.value)


def test_the_fast_check_agrees_with_jsonschema():
    validator = Draft202012Validator(load_schema("evidence"))
    good = codec.to_plain(_model_with_everything())
    assert codec.schema_problems(good) == [] and list(validator.iter_errors(good)) == []
    bad = json.loads(json.dumps(good))
    bad["releases"][0]["in_period"] = "yes"
    assert codec.schema_problems(bad) == [
        ("$.releases[0].in_period", "'yes' is not of type 'boolean'")
    ]


def test_the_fast_check_reads_the_schema_with_its_references_inlined():
    schema = load_schema("evidence")
    flat = schemacheck.inlined(schema)
    assert '"$ref"' not in json.dumps(flat) and "$defs" not in flat
    deviation = flat["properties"]["deviations"]["items"]["properties"]
    assert deviation["id"] == schema["$defs"]["deviation_id"]
    beside = {"$defs": {"d": {"type": "string"}}, "items": {"$ref": "#/$defs/d", "minLength": 2}}
    assert schemacheck.inlined(beside)["items"] == {"allOf": [{"type": "string"}, {"minLength": 2}]}
    noted = {"$defs": {"d": {"type": "string"}}, "items": {"$ref": "#/$defs/d", "title": "t"}}
    assert schemacheck.inlined(noted)["items"] == {"type": "string"}
    looping = {"$defs": {"d": {"items": {"$ref": "#/$defs/d"}}}, "items": {"$ref": "#/$defs/d"}}
    with pytest.raises(ValueError, match="refers to itself"):
        schemacheck.inlined(looping)
    # Still every violation found: a deviation's id, kind and state are such references.
    data = codec.to_plain(_model_with_everything())
    data["deviations"][0]["id"] = "DEV-1"
    data["deviations"][0]["state"] = "closed"
    assert schemacheck.schema_problems(data) == [
        ("$.deviations[0].id", "'DEV-1' does not match '^DEV-[0-9a-f]{12}$'"),
        ("$.deviations[0].state", "'closed' is not one of ['open', 'accepted']"),
    ]


def _mutations(change: dict) -> list[dict]:
    """The change record broken (or edge-cased) in every way its schema speaks of."""
    import copy

    found = []

    def variant(edit) -> None:
        changed = copy.deepcopy(change)
        edit(changed)
        found.append(changed)

    for key in change:
        variant(lambda c, k=key: c.pop(k))
        variant(lambda c, k=key: c.__setitem__(k, 7))
        variant(lambda c, k=key: c.__setitem__(k, None))
    variant(lambda c: c.__setitem__("extra", 1))
    variant(lambda c: c.__setitem__("sha", "A" * 40))
    variant(lambda c: c.__setitem__("sha", "a" * 39))
    variant(lambda c: c.__setitem__("sha", "a" * 64))
    variant(lambda c: c.__setitem__("sha", "a" * 40 + "\n"))
    variant(lambda c: c.__setitem__("parents", ["not-a-sha"]))
    variant(lambda c: c.__setitem__("parents", []))
    variant(lambda c: c.__setitem__("environments", []))
    variant(lambda c: c.__setitem__("environments", ["staging", 3]))
    for person in ("author", "committer"):
        variant(lambda c, p=person: c[p].pop("email"))
        variant(lambda c, p=person: c[p].__setitem__("name", 1))
        variant(lambda c, p=person: c[p].__setitem__("x", "y"))
        variant(lambda c, p=person: c.__setitem__(p, []))
    for people in ("approvers", "authors"):
        variant(lambda c, p=people: c[p].append({"name": "n"}))
        variant(lambda c, p=people: c[p].append("n <e>"))
        variant(lambda c, p=people: c.__setitem__(p, []))
    variant(lambda c: c["files"][0].pop("old_path"))
    variant(lambda c: c["files"][0].__setitem__("old_path", 3))
    variant(lambda c: c["files"][0].__setitem__("old_path", None))
    variant(lambda c: c["files"][0].__setitem__("path", None))
    variant(lambda c: c["files"].append(["M", "x"]))
    variant(lambda c: c.__setitem__("files", []))
    variant(lambda c: c["approvals"].append({"approver": {"name": "n", "email": "e"}}))
    variant(lambda c: c["approvals"].append({"approver": {"name": "n"}, "evidence": "signed"}))
    variant(lambda c: c["approvals"].append({"approver": {"name": "n", "email": "e"},
                                             "evidence": "waved"}))  # fmt: skip
    variant(lambda c: c["approvals"].append({"approver": {"name": "n", "email": "e"},
                                             "evidence": "merged", "x": 1}))  # fmt: skip
    variant(lambda c: c["approvals"].append({"approver": {"name": "n", "email": "e"},
                                             "evidence": "merged"}))  # fmt: skip
    variant(lambda c: c["approvals"].append({"approver": {"name": "n", "email": "e"},
                                             "evidence": "signed", "tag": "v1"}))  # fmt: skip
    variant(lambda c: c["approvals"].append({"approver": {"name": "n", "email": "e"},
                                             "evidence": "signed", "tag": 1}))  # fmt: skip
    variant(lambda c: c.__setitem__("signer", "ann@example.com"))
    variant(lambda c: c.__setitem__("signing_key", ["SHA256:x"]))
    variant(lambda c: c.__setitem__("signature", "pgp"))
    variant(lambda c: c.__setitem__("verified", "yes"))
    variant(lambda c: c.__setitem__("verified", False))
    variant(lambda c: c.__setitem__("self_approved", 1))
    variant(lambda c: c.__setitem__("releases", {"production": 1}))
    variant(lambda c: c.__setitem__("releases", {}))
    variant(lambda c: c.__setitem__("subject", ""))
    return found


def test_the_change_records_check_agrees_with_jsonschema_on_every_violation():
    schema = load_schema("evidence")
    items = {**schema["properties"]["changes"]["items"], "$defs": schema["$defs"]}
    validator = Draft202012Validator(items)
    (change,) = [codec.to_plain(c) for c in _model_with_everything().changes[:1]]
    variants = _mutations(change)
    assert len(variants) > 80
    verdicts = [(validator.is_valid(v), schemacheck.changes_fit([v])) for v in [change, *variants]]
    assert all(schema_says == check_says for schema_says, check_says in verdicts)
    assert verdicts[0] == (True, True)
    assert sum(not valid for valid, _ in verdicts) > 70  # most variants really are violations
    assert schemacheck.changes_fit([]) and not schemacheck.changes_fit([change, "x"])


def test_the_change_records_check_is_compiled_from_the_schema():
    # No copy of the schema in the code: a field the schema adds is required by the check.
    schema = load_schema("evidence")
    changes = schema["properties"]["changes"]
    (change,) = [codec.to_plain(c) for c in _model_with_everything().changes[:1]]
    items = changes["items"]
    ticket = {"type": "string", "minLength": 2}
    grown = {**items, "required": [*items["required"], "ticket"],
             "properties": {**items["properties"], "ticket": ticket}}  # fmt: skip
    check = schemacheck.value_check({**changes, "items": grown}, schema["$defs"])
    assert schemacheck.changes_fit([change]) and not check([change])
    assert not check([{**change, "ticket": "T"}]) and check([{**change, "ticket": "T-1"}])
    assert schemacheck.value_check({"anyOf": [{"type": "null"}, {"$ref": "#/$defs/sha"}]},
                                   schema["$defs"])(None)  # fmt: skip
    for unknown in ({"type": "string", "format": "date"}, {"type": "integer"},
                    {"$ref": "#/$defs/nowhere"}, {"type": "object", "properties": {}}):  # fmt: skip
        with pytest.raises(schemacheck.Unsupported):
            schemacheck.value_check(unknown, schema["$defs"])


def test_the_source_section_alone_is_read_and_checked(tmp_path: Path):
    model = synthetic_evidence(changes=3)
    path = tmp_path / "evidence.json"
    codec.write_model(model, path)
    assert codec.read_source(path) == model.source
    data = json.loads(path.read_text("utf-8"))
    data["source"]["head"] = "HEAD"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match=r"evidence\.json:1:1: \$\.source\.head: 'HEAD' does not"):
        codec.read_source(path)


def test_the_source_section_is_read_from_the_head_of_a_written_file(tmp_path: Path):
    """read_source stops after `source` in the layout write_model writes, and finds what the
    whole file says; text that looks like a top-level key inside a string changes nothing."""
    model = synthetic_evidence(changes=50, hostile=True)
    tricky = '\n  "environments": [\n  "x": 1}'
    model = replace(model, source=replace(model.source, warnings=(tricky, "second")))
    path = tmp_path / "evidence.json"
    codec.write_model(model, path)
    whole = json.loads(path.read_text("utf-8"))
    leading = codec._leading_text(path)
    assert leading is not None and len(leading) < path.stat().st_size / 4
    assert json.loads(leading) == {
        k: whole[k] for k in list(whole)[: list(whole).index("source") + 1]
    }
    assert codec.read_source(path) == model.source
    # The same file laid out otherwise (one line): the whole file is read, with the same answer.
    path.write_text(json.dumps(whole), encoding="utf-8")
    assert codec._leading_text(path) is None
    assert codec.read_source(path) == model.source


def test_a_bad_source_at_the_head_of_a_written_file_is_refused(tmp_path: Path):
    model = synthetic_evidence(changes=3)
    path = tmp_path / "evidence.json"
    codec.write_model(model, path)
    text = path.read_text("utf-8").replace(f'"head": "{model.source.head}"', '"head": "HEAD"', 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"evidence\.json:1:1: \$\.source\.head: 'HEAD' does not"):
        codec.read_source(path)


def test_a_pack_written_before_results_said_informational_reads_as_not_informational() -> None:
    """``informational`` is an optional key added later: a previous period's pack without it
    (read for "since previous period") still reads, each result judged as before."""
    model = synthetic_evidence("acme", changes=5)
    data = json.loads(codec.dumps(model))
    results = [r for c in data["controls"] for r in c["results"]]
    assert results and all(r["informational"] is False for r in results)
    for result in results:
        del result["informational"]
    read = codec.loads(json.dumps(data), "<old pack>")
    assert read == model
    data["controls"][0]["results"][0]["informational"] = "yes"
    with pytest.raises(InputError, match="informational"):
        codec.loads(json.dumps(data), "<bad pack>")


def test_a_pack_written_before_register_entries_kept_their_line_reads_without_it() -> None:
    """``line`` of exceptions and corrective actions is an optional key added later: a previous
    period's pack without it still reads (the entry is cited by its file alone), and a line that
    is not a whole number from 1 is refused."""
    model = synthetic_evidence("acme", changes=5)
    exception = ExceptionRecord(
        "EXC-1", ("direct-push",), None, None, None, None, None, "why", "Ann", "T-1",
        "2026-12-31", "unused", (), 12,
    )  # fmt: skip
    action = CorrectiveActionRecord(
        "DEV-0123456789ab", "cause", "act", "Ann", "2026-09-30", "open", None, False, True, 7
    )
    model = replace(model, exceptions=(exception,), corrective_actions=(action,))
    data = json.loads(codec.dumps(model))
    assert data["exceptions"][0]["line"] == 12 and data["corrective_actions"][0]["line"] == 7
    assert codec.loads(json.dumps(data), "<new pack>") == model
    del data["exceptions"][0]["line"], data["corrective_actions"][0]["line"]
    read = codec.loads(json.dumps(data), "<old pack>")
    assert read.exceptions[0].line is None and read.corrective_actions[0].line is None
    assert read == replace(
        model, exceptions=(replace(exception, line=None),),
        corrective_actions=(replace(action, line=None),),
    )  # fmt: skip
    data["corrective_actions"][0]["line"] = 0
    with pytest.raises(InputError, match="line"):
        codec.loads(json.dumps(data), "<bad pack>")


def test_a_pack_written_before_documents_named_their_writer_reads_them_as_not_on_record() -> None:
    """``changed_in``, ``author`` and ``committer`` of a document are optional keys added later:
    a previous period's pack without them still reads, with None (shown as "not on record")."""
    from test_schematext import rich_model

    model = rich_model()
    data = json.loads(codec.dumps(model))
    documents = data["documents"]
    assert any(d["changed_in"] and d["author"] and d["committer"] for d in documents)
    for document in documents:
        for key in ("changed_in", "author", "committer"):
            del document[key]
    read = codec.loads(json.dumps(data), "<old pack>")
    assert [(d.changed_in, d.author, d.committer) for d in read.documents] == [
        (None, None, None)
    ] * len(documents)
    assert [replace(d, changed_in=None, author=None, committer=None) for d in model.documents] == [
        *read.documents
    ]
    data["documents"][0]["author"] = "Lena"
    with pytest.raises(InputError, match="author"):
        codec.loads(json.dumps(data), "<bad pack>")
