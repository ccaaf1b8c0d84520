"""The events source (docs/events.md): export files read, checked against the published schema,
located problems, completeness and retention, typed events for rules."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import GitRepo
from meshevents_files import ENDPOINT, OPENAPI, URL, raw_event, write

from generator.build import config_sections
from generator.config import Period, load_config
from generator.errors import BuildError, InputError
from generator.meshevents.export import read_export, utc_text
from generator.sources import ReadRequest, all_sources, close_sources, read_sources
from generator.sources.events import EventsConfig, months_before, provenance, read_log
from generator.validate import load_schema

PERIOD = Period(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
CONFIG = """\
period: 2026-01-01..2026-06-30
installations:
  acme:
    repo: ./acme
    ref: main
    environments:
      production:
        paths: ['environments/production/**']
    events:
      folder: exports
      url: https://acme.meshstack.example/
"""


def config_for(folder: Path, **options) -> EventsConfig:
    return EventsConfig(folder=folder, url=URL, **options)


def test_an_installation_with_events_reads_its_export_typed_and_sorted(tmp_path: Path):
    repo = GitRepo.create(tmp_path / "acme")
    repo.commit("Initial", files={"environments/production/x.yaml": "a: 1\n"},
                date="2026-01-05T10:00:00+00:00")  # fmt: skip
    (tmp_path / "meshcomply.yml").write_text(CONFIG, encoding="utf-8")
    later = raw_event("2026-03-02T09:00:00Z", "User Disabled", event_type="Changed",
                      uid="b", workspace=None, previous={"enabled": True},
                      content={"enabled": False, "tags": ["x", "y"]})  # fmt: skip
    tie_b = raw_event("2026-02-01T10:00:00.250Z", uid="d")
    tie_a = raw_event("2026-02-01T10:00:00.250+00:00", "Workspace User Role Removed",
                      event_type="Removed", uid="c")  # fmt: skip
    first = raw_event("2026-01-01T00:00:00Z", "API Key Created", event_type="Created", uid="a")
    write(tmp_path / "exports", PERIOD, [later, tie_b, tie_a, first])

    config = load_config(tmp_path / "meshcomply.yml", config_sections(), clone=False)
    (installation,) = config.installations
    assert "events" in all_sources()
    sources = read_sources(ReadRequest(installation, PERIOD))
    close_sources(sources)
    log = sources["events"]

    assert [e.uuid for e in log.events] == ["a", "c", "d", "b"]  # (created_at, uuid)
    disabled = log.by_uuid["b"]
    assert disabled.created_at == dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    assert (disabled.title, disabled.event_type, disabled.workspace) == (
        "User Disabled", "Changed", None)  # fmt: skip
    assert (disabled.author_type, disabled.author) == ("User", "u-alice")
    assert disabled.content["tags"] == ("x", "y")
    assert disabled.previous_content == {"enabled": True}
    assert log.by_uuid["a"].previous_content is None
    assert disabled.pointer == "/events/0"  # its place in the file, as served
    with pytest.raises(TypeError):
        disabled.content["enabled"] = True  # type: ignore[index]
    with pytest.raises(AttributeError):
        disabled.title = "x"  # type: ignore[misc]
    assert [e.uuid for e in log.by_workspace[None]] == ["b"]
    assert [e.uuid for e in log.by_workspace["payments"]] == ["a", "c", "d"]
    assert [e.uuid for e in log.titled("Workspace User Role Added", "User Disabled")] == ["d", "b"]
    assert log.titled("Policy Changed") == ()
    moment = dt.datetime(2026, 2, 1, 10, 0, 0, 250000, tzinfo=dt.UTC)
    assert [e.uuid for e in log.between(moment, moment + dt.timedelta(days=20))] == ["c", "d"]
    assert log.complete and log.gaps == ()
    assert log.export.count == 4 and log.export.pages == 1
    assert log.export.sha256 == __import__("hashlib").sha256(
        log.export.path.read_bytes()).hexdigest()  # fmt: skip
    assert log.export.request_url(title="User Disabled") == (
        f"{ENDPOINT}?from=2026-01-01T00%3A00%3A00Z&until=2026-07-01T00%3A00%3A00Z"
        "&title=User+Disabled"
    )
    assert all_sources()["events"].inputs(log) == (("events", log.export.path),)
    assert all_sources()["git"].inputs(sources["git"]) == ()
    recorded = provenance(log)
    assert recorded["sha256"] == log.export.sha256 and recorded["complete"] is True
    assert recorded["export"] == "acme_2026-01-01_2026-06-30.events.json"
    json.dumps(recorded)  # plain JSON data


def test_config_problems_are_located_and_never_echo_a_secret(tmp_path: Path):
    (tmp_path / "acme").mkdir()
    (tmp_path / "exports").write_text("a file", encoding="utf-8")
    text = CONFIG.replace(
        "url: https://acme.meshstack.example/",
        "url: http://acme.meshstack.example\n      client_secret_env: s3cr3t-Value",
    )
    (tmp_path / "meshcomply.yml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_config(tmp_path / "meshcomply.yml", config_sections(), clone=False)
    lines = [str(p) for p in caught.value.problems]
    text = "\n".join(lines)
    assert "s3cr3t" not in text
    assert any(":10:15: installations.acme.events.folder: 'exports' is not a folder" in line
               for line in lines), lines  # fmt: skip
    assert any(":11:12: installations.acme.events.url: must be https://" in line for line in lines)
    assert any(":12:26: installations.acme.events.client_secret_env: must be the name of an "
               "environment variable" in line for line in lines)  # fmt: skip
    assert len(lines) == 3
    # What the schema refuses is reported first (the check sees only schema-valid values).
    text = CONFIG.replace("url:", "retention_months: 0\n      url:")
    (tmp_path / "meshcomply.yml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r":11:25: installations\.acme\.events\.retention_months"):
        load_config(tmp_path / "meshcomply.yml", config_sections(), clone=False)
    # A user name or password in the URL is refused without being quoted.
    text = CONFIG.replace("https://acme", "https://bob:hunter2@acme")
    (tmp_path / "meshcomply.yml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_config(tmp_path / "meshcomply.yml", config_sections(), clone=False)
    assert "hunter2" not in str(caught.value) and "must not contain a user name" in str(
        caught.value
    )


def test_a_missing_export_names_the_key_and_the_command_that_collects_it(tmp_path: Path):
    with pytest.raises(BuildError) as caught:
        read_log("acme", PERIOD, config_for(tmp_path))
    message = str(caught.value)
    assert "acme_2026-01-01_2026-06-30.events.json does not exist" in message
    assert "installations.acme.events.folder" in message
    assert "meshcomply collect events --installation acme --period 2026-01-01..2026-06-30" in (
        message
    )


def test_every_problem_of_a_broken_export_is_reported_at_once_at_the_event(tmp_path: Path):
    good = raw_event("2026-01-05T10:00:00Z", uid="e1")
    no_title = raw_event("2026-01-06T10:00:00Z", uid="e2")
    del no_title["spec"]["title"]
    bad_author = raw_event("2026-01-07T10:00:00Z", uid="e3")
    bad_author["spec"]["author"]["identifier"] = 42
    bad_time = raw_event("2026-01-08 10:00", uid="e4")
    twice = raw_event("2026-01-09T10:00:00Z", uid="e1")
    outside = raw_event("2026-07-01T00:00:00Z", uid="e5")
    other_kind = raw_event("2026-01-10T10:00:00Z", uid="e6")
    other_kind["kind"] = "meshProject"
    path = write(tmp_path, PERIOD, [good, no_title, bad_author, bad_time, twice, outside,
                                    other_kind])  # fmt: skip
    lines = path.read_text(encoding="utf-8").splitlines()
    event_line = {n: lines.index(next(x for x in lines if f'"uuid":"{n}"' in x)) + 1
                  for n in ("e2", "e3", "e4", "e5", "e6")}  # fmt: skip
    twice_line = [i + 1 for i, x in enumerate(lines) if '"uuid":"e1"' in x][1]

    with pytest.raises(InputError) as caught:
        read_log("acme", PERIOD, config_for(tmp_path))
    found = [str(p) for p in caught.value.problems]
    name = path.name
    assert f"{name}:{event_line['e2']}:1: /events/1/spec: missing required field 'title'" in (
        "\n".join(found)
    ), found
    expected = [
        f":{event_line['e3']}:1: /events/2/spec/author/identifier: must be of type string, not "
        "a number",
        f":{event_line['e4']}:1: /events/3/metadata/createdAt: '2026-01-08 10:00' is not an ISO "
        "8601 timestamp",
        f":{twice_line}:1: /events/4/metadata/uuid: uuid 'e1' appears twice (first at /events/0)",
        f":{event_line['e5']}:1: /events/5/metadata/createdAt: 2026-07-01T00:00:00Z is outside "
        "the window the export asked for",
        f":{event_line['e6']}:1: /events/6/kind: is 'meshProject', not 'meshEventLog'",
    ]
    for part in expected:
        assert any(part in line for line in found), (part, found)
    assert len(found) == 6


def test_header_and_count_problems_are_located_at_their_key(tmp_path: Path):
    path = write(tmp_path, PERIOD, [raw_event("2026-01-05T10:00:00Z")])
    document = json.loads(path.read_text(encoding="utf-8"))
    document["count"] = 3
    document["collected_at"] = "yesterday"
    del document["request"]["accept"]
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()

    def line_of(key: str) -> int:
        return next(i for i, x in enumerate(lines) if x.startswith(f' "{key}"')) + 1

    with pytest.raises(InputError) as caught:
        read_export(path)
    found = [str(p) for p in caught.value.problems]
    assert f"{path}:{line_of('count')}:2: /count: says 3 events, the file holds 1" in found
    assert (f"{path}:{line_of('collected_at')}:2: /collected_at: not an ISO 8601 timestamp "
            "with a time zone") in found  # fmt: skip
    assert f"{path}:{line_of('request')}:2: /request: missing required field 'accept'" in found


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"format": "meshcomply-events-export",\n  "count": 1,,\n}', ":2:14: not JSON: "),
        (b'{"a": 1,\n "a": 2}', ":1:1: the key 'a' appears twice in one object"),
        (b"[1, 2]", ":1:1: an export is a JSON object"),
        (b'{"a": "\xff"}', ":1:8: not UTF-8 text"),
        (  # too deep for the decoder: located, not a RecursionError traceback
            b'{"a":\n ' + b"[" * 5000 + b"]" * 5000 + b"}",
            ":2:501: not JSON: arrays and objects nested more than 500 deep",
        ),
    ],
)
def test_a_file_that_is_not_an_export_is_one_located_problem(
    tmp_path: Path, content: bytes, expected: str
):
    path = tmp_path / "x.events.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_export(path)
    (problem,) = caught.value.problems
    assert str(problem).startswith(f"{path}{expected}")


def test_an_export_larger_than_the_limit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import generator.meshevents.export as export

    path = write(tmp_path, PERIOD, [raw_event("2026-01-05T10:00:00Z")])
    monkeypatch.setattr(export, "MAX_EXPORT_BYTES", path.stat().st_size - 1)
    with pytest.raises(InputError, match="more than the"):
        read_export(path)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"filters": {"from": "2026-01-02T00:00:00Z", "until": "2026-07-01T00:00:00Z"}},
         "asked for events from 2026-01-02T00:00:00Z; the period 2026-01-01..2026-06-30 starts "
         "at 2026-01-01T00:00:00Z"),
        ({"filters": {"from": "2026-01-01T00:00:00Z", "until": "2026-07-01T00:00:00Z",
                      "title": "Policy Changed"}},
         "filtered by title: it holds part of the event log"),
        ({"url": "https://other.example/api/meshobjects/mesheventlogs"},
         "collected from https://other.example/api/meshobjects/mesheventlogs, not from this "
         "installation's installations.acme.events.url"),
    ],
)  # fmt: skip
def test_an_export_that_is_not_the_installations_log_from_the_start_stops_the_build(
    tmp_path: Path, options: dict, expected: str
):
    write(tmp_path, PERIOD, [raw_event("2026-01-05T10:00:00Z")], **options)
    with pytest.raises(BuildError) as caught:
        read_log("acme", PERIOD, config_for(tmp_path))
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("options", "covered"),
    [
        ({"filters": {"from": "2026-01-01T00:00:00Z", "until": "2026-06-30T00:00:00Z"}},
         dt.datetime(2026, 6, 30, tzinfo=dt.UTC)),
        ({"collected_at": dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)},
         dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)),
    ],
)  # fmt: skip
def test_an_export_that_ends_before_the_period_states_the_rest_as_a_gap(
    tmp_path: Path, options: dict, covered: dt.datetime
):
    write(tmp_path, PERIOD, [raw_event("2026-01-05T10:00:00Z")], **options)
    log = read_log("acme", PERIOD, config_for(tmp_path))
    (gap,) = log.gaps
    assert (gap.start, gap.end) == (covered, PERIOD.end_utc_exclusive)
    # A reason a person reads: the moment in words and UTC, never as the export writes it.
    assert gap.reason.startswith(f"the export holds the events until {covered:%Y-%m-%d %H:%M} UTC")
    assert utc_text(covered) not in gap.reason
    assert "later events are not in it" in gap.reason
    assert not log.complete


def test_a_running_period_reads_the_export_of_the_period_that_contains_it(tmp_path: Path):
    year = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    collected = dt.datetime(2026, 12, 3, 6, tzinfo=dt.UTC)
    window = {"from": "2026-01-01T00:00:00Z", "until": "2026-12-03T06:00:00Z"}
    write(tmp_path, year, [raw_event("2026-03-05T10:00:00Z", uid="in")],
          collected_at=collected, filters=window)  # fmt: skip
    # A longer one containing it too: the shortest is read.
    write(tmp_path, Period(dt.date(2025, 1, 1), dt.date(2026, 12, 31)), [], installation="acme",
          collected_at=collected,
          filters={"from": "2025-01-01T00:00:00Z", "until": "2026-12-03T06:00:00Z"})  # fmt: skip
    # The pack of the running year is evaluated up to its cut-off day.
    evaluated = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 3))
    log = read_log("acme", evaluated, config_for(tmp_path))
    assert log.export.path.name == "acme_2026-01-01_2026-12-31.events.json"
    assert [e.uuid for e in log.events] == ["in"]
    (gap,) = log.gaps
    assert (gap.start, gap.end) == (collected, evaluated.end_utc_exclusive)
    # A period no export contains is still missing.
    with pytest.raises(BuildError, match="nor an export of a period containing it"):
        read_log("acme", Period(dt.date(2026, 12, 1), dt.date(2027, 1, 31)), config_for(tmp_path))


def test_an_export_of_another_installation_is_refused(tmp_path: Path):
    path = write(tmp_path, PERIOD, [], installation="other")
    path.rename(tmp_path / "acme_2026-01-01_2026-06-30.events.json")
    with pytest.raises(BuildError, match="installation 'other''s, not 'acme''s"):
        read_log("acme", PERIOD, config_for(tmp_path))


def test_a_period_older_than_the_retention_is_a_stated_gap_not_a_pass(tmp_path: Path):
    collected = dt.datetime(2027, 3, 15, 8, tzinfo=dt.UTC)
    write(tmp_path, PERIOD, [raw_event("2026-05-05T10:00:00Z")], collected_at=collected)
    log = read_log("acme", PERIOD, config_for(tmp_path))
    (gap,) = log.gaps
    assert not log.complete
    assert (gap.start, gap.end) == (PERIOD.start_utc, dt.datetime(2026, 3, 15, 8, tzinfo=dt.UTC))
    assert "meshStack keeps events 12 months" in gap.reason
    assert "before 2026-03-15 08:00 UTC may have been deleted" in gap.reason
    june = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    assert log.gaps_overlapping(june, PERIOD.end_utc_exclusive) == ()
    assert log.gaps_overlapping(PERIOD.start_utc, june) == (gap,)
    assert provenance(log)["gaps"] == [
        {"from": "2026-01-01T00:00:00Z", "until": "2026-03-15T08:00:00Z", "reason": gap.reason}
    ]
    # A longer agreed retention covers it; the whole period past it is one gap.
    assert read_log("acme", PERIOD, config_for(tmp_path, retention_months=18)).complete
    late = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    write(tmp_path, late, [], collected_at=collected)
    (whole,) = read_log("acme", late, config_for(tmp_path)).gaps
    assert (whole.start, whole.end) == (late.start_utc, late.end_utc_exclusive)


def test_months_before_keeps_the_day_within_the_month():
    moment = dt.datetime(2027, 3, 31, 12, tzinfo=dt.UTC)
    assert months_before(moment, 1) == dt.datetime(2027, 2, 28, 12, tzinfo=dt.UTC)
    assert months_before(moment, 12) == dt.datetime(2026, 3, 31, 12, tzinfo=dt.UTC)
    assert months_before(moment, 15) == dt.datetime(2025, 12, 31, 12, tzinfo=dt.UTC)


def _nullable_as_json_schema(value):
    if isinstance(value, dict):
        value = {k: _nullable_as_json_schema(v) for k, v in value.items()}
        if value.pop("nullable", False):
            value["type"] = [value["type"], "null"]
        return value
    if isinstance(value, list):
        return [_nullable_as_json_schema(v) for v in value]
    return value


@pytest.mark.skipif(not OPENAPI.is_file(), reason="needs ../shared/data/meshstack-api")
def test_the_shipped_schema_is_the_published_one():
    published = json.loads(OPENAPI.read_text(encoding="utf-8"))
    listing = _nullable_as_json_schema(published["components"]["schemas"]["meshEventLogList"])
    items = listing["properties"]["_embedded"]["properties"]["meshEventLogs"]
    event = {**items.pop("items"), "title": "meshEventLog"}
    items["items"] = {"$ref": "#/$defs/meshEventLog"}
    shipped = load_schema("meshevents")["$defs"]
    assert shipped == {"meshEventLog": event, "meshEventLogList": listing}
    # The published example page's event is read as a typed event.
    operation = published["paths"]["/api/meshobjects/mesheventlogs"]["get"]
    content = operation["responses"]["200"]["content"]
    (example,) = content[next(iter(content))]["examples"].values()
    page = json.loads(example["value"])
    from generator.meshevents.schema import event_problems, page_problems, typed_event

    assert page_problems(page) == []
    (raw,) = page["_embedded"]["meshEventLogs"]
    assert event_problems(raw) == []
    event = typed_event(raw, 0)
    assert (event.title, event.workspace, event.previous_content) == (
        "Workspace Name Changed", "my-workspace", {"name": "Workspace ABC"})  # fmt: skip


def test_reading_events_in_a_build_never_loads_the_collector():
    code = (
        "import sys, generator.sources.events, generator.build\n"
        "print('generator.meshevents.collect' in sys.modules, 'urllib.request' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)  # fmt: skip
    assert result.stdout.split() == ["False", "False"]


def test_an_export_interrupted_while_written_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = write(tmp_path, PERIOD, [raw_event("2026-01-05T10:00:00Z")])
    before = path.read_bytes()

    def interrupted(descriptor: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("os.fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write(tmp_path, PERIOD, [raw_event("2026-01-06T10:00:00Z")] * 2)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_a_pack_records_the_export_among_its_inputs_and_verify_checks_it(tmp_path: Path):
    from test_history_gitfaults import make_project
    from test_inputs import built, run, sha256

    make_project(tmp_path)
    config = tmp_path / "meshcomply.yml"
    config.write_text(
        config.read_text().replace(
            "    ref: main\n", f"    ref: main\n    events: {{folder: exports, url: '{URL}'}}\n"
        ),
        encoding="utf-8",
    )
    quarter = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    export = write(tmp_path / "exports", quarter, [raw_event("2026-02-01T10:00:00Z")])
    pack = built(tmp_path)
    files = json.loads((pack / "evidence.json").read_text())["inputs"]["files"]
    (entry,) = [f for f in files if f["kind"] == "events"]
    assert entry["path"] == f"exports/{export.name}"
    assert (entry["sha256"], entry["bytes"]) == (sha256(export), export.stat().st_size)

    export.write_bytes(export.read_bytes().replace(b"Workspace Owner", b"Workspace Admin"))
    result = run(tmp_path, "verify", str(pack), "--inputs", ".")
    assert result.exit_code == 1
    assert f"{pack}: input exports/{export.name} (events): changed (sha256 " in result.stderr


def test_an_escaped_lone_surrogate_in_an_export_is_refused_at_its_line(tmp_path: Path):
    # json reads "\ud800" into a string no UTF-8 can hold: writing the pack would fail half-way.
    odd = raw_event("2026-01-06T10:00:00Z", uid="e2")
    path = write(tmp_path, PERIOD, [raw_event("2026-01-05T10:00:00Z", uid="e1"), odd])
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if '"uuid":"e2"' in line)
    lines[at] = lines[at].replace('"title":"', '"title":"\\ud800', 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_log("acme", PERIOD, config_for(tmp_path))
    (problem,) = caught.value.problems
    column = lines[at].index("\\ud800") + 1
    assert str(problem) == (
        f"{path}:{at + 1}:{column}: \\ud800 escapes half of a character (a lone surrogate): "
        "not text"
    )
    # A pair is one character, read as such.
    lines[at] = lines[at].replace("\\ud800", "\\ud83d\\ude00", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (titled,) = [e for e in read_log("acme", PERIOD, config_for(tmp_path)).events if "😀" in str(e)]
    assert titled
