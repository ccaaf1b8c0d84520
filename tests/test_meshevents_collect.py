"""The collector against a local meshStack API (real HTTP on 127.0.0.1, tests/meshstack_server.py):
pagination, an expired token, rate limiting, server errors, broken pages, redirects and bounds;
nothing is written unless every page was read; the pages served fit the published schema."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from meshevents_files import OPENAPI, raw_event
from meshstack_server import CLIENT_ID, CLIENT_SECRET, FakeMeshStack, Fault, serving

from generator.cli import cli
from generator.config import Period
from generator.meshevents.collect import CollectError, Collector, Credentials, Limits
from generator.meshevents.export import read_export, write_export

PERIOD = Period(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
NOW = dt.datetime(2026, 7, 2, 6, 0, tzinfo=dt.UTC)
FAST = Limits(page_size=3, backoff=0.5, timeout=5.0)


def invoke(*args: str, cwd: Path, env: dict[str, str] | None = None):
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner(env=env).invoke(cli, list(args), prog_name="meshcomply")
    finally:
        os.chdir(previous)


def events(count: int = 7) -> list[dict]:
    made = [
        raw_event(
            f"2026-0{1 + i % 6}-{10 + i:02d}T08:00:00Z", uid=f"00000000-0000-0000-0000-{i:012d}"
        )
        for i in range(count)
    ]
    # Outside the period: never asked for, never served.
    made.append(raw_event("2025-12-31T23:59:59Z", uid="before"))
    made.append(raw_event("2026-07-01T00:00:00Z", uid="after"))
    return made


def collector(api: FakeMeshStack, limits: Limits = FAST, **options) -> tuple[Collector, list]:
    waits: list[float] = []
    lines: list[str] = []
    made = Collector(
        api.base,
        Credentials(CLIENT_ID, CLIENT_SECRET),
        limits=limits,
        progress=lines.append,
        sleep=waits.append,
        now=lambda: NOW,
        **options,
    )
    made.lines = lines  # type: ignore[attr-defined]
    return made, waits


def published_validator(name: str) -> Draft202012Validator:
    """A validator of a component of the published OpenAPI description (nullable as null)."""
    document = json.loads(OPENAPI.read_text(encoding="utf-8"))

    def plain(value):
        if isinstance(value, dict):
            value = {k: plain(v) for k, v in value.items()}
            if value.pop("nullable", False):
                value["type"] = [value["type"], "null"]
            return value
        return [plain(v) for v in value] if isinstance(value, list) else value

    components = plain(document["components"])
    schema = {**components["schemas"][name], "components": components}
    return Draft202012Validator(schema)


def test_every_page_is_followed_and_the_export_holds_the_events_unchanged(tmp_path: Path):
    api = FakeMeshStack(events=events())
    with serving(api):
        made, waits = collector(api)
        collected = made.collect("acme", PERIOD)
    assert [p.query["page"] for p in api.pages()] == ["0", "1", "2"]
    assert collected.header["count"] == 7 and len(collected.header["pages"]) == 3
    assert [p["events"] for p in collected.header["pages"]] == [3, 3, 1]
    assert collected.header["request"]["filters"] == {
        "from": "2026-01-01T00:00:00Z",
        "until": "2026-07-01T00:00:00Z",
    }
    assert collected.header["request"]["url"] == f"{api.base}/api/meshobjects/mesheventlogs"
    assert collected.header["collected_at"] == "2026-07-02T06:00:00Z"
    served = [
        e for page in api.pages() for e in json.loads(page.answer)["_embedded"]["meshEventLogs"]
    ]
    assert collected.events == served  # unchanged, in the order served
    assert waits == [] and api.login_count() == 1
    # The token went with every page request, the secret only to the login.
    assert all(p.headers["Authorization"] == "Bearer token-1" for p in api.pages())
    assert all(CLIENT_SECRET.encode() not in s.body for s in api.served if s.path != "/api/login")
    assert all(p.headers["Accept"].startswith("application/vnd.meshcloud.api.mesheventlog")
               for p in api.pages())  # fmt: skip
    assert made.lines[0] == f"logged in to {api.base}"  # type: ignore[attr-defined]
    assert "page 2 of 3: 3 events (6 so far)" in made.lines  # type: ignore[attr-defined]

    path = tmp_path / "acme_2026-01-01_2026-06-30.events.json"
    write_export(path, collected.header, collected.events)
    export = read_export(path)
    assert [e.uuid for e in export.events] == [e["metadata"]["uuid"] for e in served]
    assert export.info.pages == 3 and export.info.count == 7


@pytest.mark.skipif(not OPENAPI.is_file(), reason="needs ../shared/data/meshstack-api")
def test_the_pages_served_fit_the_published_schema():
    api = FakeMeshStack(events=events())
    with serving(api):
        collector(api)[0].collect("acme", PERIOD)
    pages = published_validator("meshEventLogList")
    logins = published_validator("apiKeyLoginResponse")
    for served in api.pages():
        assert list(pages.iter_errors(json.loads(served.answer))) == []
    (login,) = [s for s in api.served if s.path == "/api/login"]
    assert list(logins.iter_errors(json.loads(login.answer))) == []
    assert (
        list(published_validator("api-login-582311654").iter_errors(json.loads(login.body))) == []
    )


def test_an_expired_token_means_one_new_login(tmp_path: Path):
    api = FakeMeshStack(events=events(), pages_per_token=2)
    with serving(api):
        made, _ = collector(api)
        collected = made.collect("acme", PERIOD)
    assert collected.header["count"] == 7
    assert api.login_count() == 2
    assert [p.headers["Authorization"] for p in api.pages()] == [
        "Bearer token-1", "Bearer token-1", "Bearer token-2"]  # fmt: skip
    assert any("logging in again" in line for line in made.lines)  # type: ignore[attr-defined]


def test_a_fresh_token_refused_too_stops_without_a_second_retry():
    api = FakeMeshStack(events=events(), pages_per_token=0)
    with serving(api), pytest.raises(CollectError, match="refused a fresh token too"):
        collector(api)[0].collect("acme", PERIOD)
    assert api.login_count() == 2
    assert len([s for s in api.served if s.path.endswith("mesheventlogs")]) == 2


def test_a_refused_api_key_never_shows_the_secret():
    api = FakeMeshStack(events=events())
    with serving(api):
        made = Collector(
            api.base, Credentials(CLIENT_ID, "wrong-secret-value"), limits=FAST, now=lambda: NOW
        )
        with pytest.raises(CollectError) as caught:
            made.collect("acme", PERIOD)
    assert "refused the API key at login" in str(caught.value)
    assert "wrong-secret-value" not in str(caught.value) + repr(made) + repr(made.credentials)


def test_rate_limiting_waits_as_long_as_the_server_asks():
    date = email.utils.format_datetime(NOW + dt.timedelta(seconds=7), usegmt=True)
    api = FakeMeshStack(
        events=events(),
        faults={
            "page 1": [Fault(429, {"Retry-After": "3"}), Fault(429, {"Retry-After": date})],
            "login": [Fault(429, {"Retry-After": "1"})],
        },
    )
    with serving(api):
        made, waits = collector(api)
        collected = made.collect("acme", PERIOD)
    assert waits == [1.0, 3.0, 7.0]
    assert collected.header["count"] == 7
    assert "page 2: HTTP 429; retrying in 3 s (attempt 2 of 6)" in made.lines  # type: ignore[attr-defined]


def test_a_retry_after_longer_than_a_collection_waits_is_an_error():
    api = FakeMeshStack(events=events(), faults={"page 0": [Fault(429, {"Retry-After": "3600"})]})
    with serving(api):
        made, waits = collector(api)
        with pytest.raises(CollectError, match="asked to wait 3600 s before retrying"):
            made.collect("acme", PERIOD)
    assert waits == []


def test_server_errors_are_retried_with_a_bounded_backoff():
    api = FakeMeshStack(events=events(), faults={"page 2": [Fault(503), Fault(502), Fault(500)]})
    with serving(api):
        made, waits = collector(api)
        assert made.collect("acme", PERIOD).header["count"] == 7
    assert waits == [0.5, 1.0, 2.0]


def test_a_server_that_keeps_failing_is_given_up_on_and_nothing_is_written(tmp_path: Path):
    api = FakeMeshStack(events=events(), faults={"page 1": [Fault(500)] * 10})
    with serving(api):
        made, waits = collector(api, Limits(page_size=3, backoff=0.5, attempts=4))
        with pytest.raises(CollectError, match=r"page 2 \(.*\): HTTP 500 4 times; giving up"):
            made.collect("acme", PERIOD)
    assert waits == [0.5, 1.0, 2.0]
    # All waits together are bounded too.
    api = FakeMeshStack(events=events(), faults={"page 0": [Fault(503)] * 10})
    with serving(api):
        made, waits = collector(api, Limits(page_size=3, backoff=4, max_total_wait=10))
        with pytest.raises(CollectError, match="exceed the 10 s a collection waits in all"):
            made.collect("acme", PERIOD)
    assert waits == [4.0]


def test_a_page_that_is_not_json_stops_the_collection():
    api = FakeMeshStack(events=events(), faults={"page 1": [Fault(200, body=b'{"_embedded": [')]})
    with (
        serving(api),
        pytest.raises(CollectError, match=r"page 2 \(.*page=1.*\) is not JSON at line 1"),
    ):
        collector(api)[0].collect("acme", PERIOD)


def test_a_page_nested_too_deep_stops_the_collection_naming_where():
    deep = b'{"_embedded": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    api = FakeMeshStack(events=events(), faults={"page 1": [Fault(200, body=deep)]})
    with serving(api), pytest.raises(CollectError) as caught:
        collector(api)[0].collect("acme", PERIOD)
    assert str(caught.value).endswith(
        "is not JSON at line 1, column 514 (arrays and objects nested more than 500 deep): "
        "nothing written"
    )


def test_a_schema_invalid_event_stops_the_collection_naming_it():
    def tamper(number: int, body: dict) -> dict:
        if number == 1:
            del body["_embedded"]["meshEventLogs"][1]["spec"]["eventType"]
            body["_embedded"]["meshEventLogs"][2]["metadata"]["createdAt"] = "last tuesday"
        return body

    api = FakeMeshStack(events=events(), tamper=tamper)
    with serving(api), pytest.raises(CollectError) as caught:
        collector(api)[0].collect("acme", PERIOD)
    message = str(caught.value)
    assert "page 2" in message and "does not fit meshStack's published schema" in message
    assert "/_embedded/meshEventLogs/1/spec: missing required field 'eventType'" in message
    assert "/_embedded/meshEventLogs/2/metadata/createdAt: 'last tuesday' is not an ISO" in message


def test_an_empty_period_is_an_export_without_events(tmp_path: Path):
    def hal_without_empty_embedded(number: int, body: dict) -> dict:
        assert body["_embedded"]["meshEventLogs"] == []
        del body["_embedded"]  # what HAL servers do with an empty collection
        return body

    api = FakeMeshStack(events=events(0)[-2:], tamper=hal_without_empty_embedded)
    with serving(api):
        collected = collector(api)[0].collect("acme", PERIOD)
    assert collected.events == [] and collected.header["count"] == 0
    assert collected.header["pages"][0]["events"] == 0
    path = tmp_path / "x.events.json"
    write_export(path, collected.header, collected.events)
    assert read_export(path).events == ()


def test_a_page_without_events_that_says_it_has_some_is_refused():
    def tamper(number: int, body: dict) -> dict:
        del body["_embedded"]
        return body

    api = FakeMeshStack(events=events(), tamper=tamper)
    with serving(api), pytest.raises(CollectError, match="missing required field '_embedded'"):
        collector(api)[0].collect("acme", PERIOD)


def test_a_page_without_its_paging_facts_is_refused():
    def tamper(number: int, body: dict) -> dict:
        del body["page"]
        return body

    api = FakeMeshStack(events=events(), tamper=tamper)
    with serving(api), pytest.raises(CollectError, match="missing required field 'page'"):
        collector(api)[0].collect("acme", PERIOD)


def test_an_event_served_twice_or_a_changing_total_means_the_log_changed():
    def repeat(number: int, body: dict) -> dict:
        if number == 1:
            body["_embedded"]["meshEventLogs"][0] = events()[0]
        return body

    api = FakeMeshStack(events=events(), tamper=repeat)
    with serving(api), pytest.raises(CollectError, match="served on page 1 and again on page 2"):
        collector(api)[0].collect("acme", PERIOD)

    def shrink(number: int, body: dict) -> dict:
        if number == 0:
            body["page"]["totalElements"] = 8
        return body

    api = FakeMeshStack(events=events(), tamper=shrink)
    with (
        serving(api),
        pytest.raises(CollectError, match="said the period has 8 events and served 7"),
    ):
        collector(api)[0].collect("acme", PERIOD)


def test_links_and_redirects_to_elsewhere_are_not_followed():
    api = FakeMeshStack(events=events(), next_base="http://127.0.0.2:9")
    with serving(api), pytest.raises(CollectError, match="leads elsewhere than"):
        collector(api)[0].collect("acme", PERIOD)
    api = FakeMeshStack(
        events=events(), faults={"page 0": [Fault(302, {"Location": "http://127.0.0.2:9/x"})]}
    )
    with serving(api), pytest.raises(CollectError, match="HTTP 302, a redirect; not followed"):
        collector(api)[0].collect("acme", PERIOD)


def test_answers_are_bounded_in_size_and_time():
    api = FakeMeshStack(events=events())
    with serving(api), pytest.raises(CollectError, match="larger than 2,000 bytes"):
        collector(api, Limits(page_size=3, max_page_bytes=2000))[0].collect("acme", PERIOD)
    api = FakeMeshStack(events=events(), faults={"page 0": [Fault(503, delay=1.0)] * 2})
    with serving(api):
        made, waits = collector(api, Limits(page_size=3, timeout=0.2, attempts=2, backoff=0.1))
        with pytest.raises(CollectError, match=r"no answer \(.*timed out.*\) 2 times"):
            made.collect("acme", PERIOD)
    assert waits == [0.1]
    # A server that sends a byte at a time is cut off at the request's deadline.
    body = json.dumps({"_embedded": {"meshEventLogs": []}, "padding": " " * 400}).encode()
    api = FakeMeshStack(events=events(), faults={"page 0": [Fault(200, body=body, dribble=0.02)]})
    with serving(api):
        made, _ = collector(api, Limits(page_size=3, request_seconds=0.3, attempts=1))
        with pytest.raises(CollectError, match=r"no answer \(not complete after 0.3 s\) 1 times"):
            made.collect("acme", PERIOD)
    (page,) = [s for s in api.served if s.path.endswith("mesheventlogs")]
    assert page.sent < len(body) / 2  # the client stopped reading at its deadline


def test_a_running_period_is_collected_up_to_now_and_one_not_begun_not_at_all():
    july = Period(dt.date(2026, 7, 1), dt.date(2026, 7, 31))
    api = FakeMeshStack(events=[raw_event("2026-07-01T09:00:00Z", uid="in"),
                                raw_event("2026-07-02T06:00:00Z", uid="now")])  # fmt: skip
    with serving(api):
        collected = collector(api)[0].collect("acme", july)
        assert collected.header["request"]["filters"] == {
            "from": "2026-07-01T00:00:00Z",
            "until": "2026-07-02T06:00:00Z",  # NOW, exclusive
        }
        assert [e["metadata"]["uuid"] for e in collected.events] == ["in"]
        with pytest.raises(CollectError, match="has not begun"):
            collector(api)[0].collect("acme", Period(dt.date(2026, 8, 1), dt.date(2026, 8, 31)))


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
      url: {url}
      client_id_env: ACME_ID
      client_secret_env: ACME_SECRET
"""


def test_collect_events_writes_the_export_a_build_reads(tmp_path: Path):
    from generator.sources.events import EventsConfig, read_log

    (tmp_path / "acme").mkdir()
    api = FakeMeshStack(events=events(), faults={"page 1": [Fault(429, {"Retry-After": "0"})]})
    env = {"ACME_ID": CLIENT_ID, "ACME_SECRET": CLIENT_SECRET}
    with serving(api):
        (tmp_path / "meshcomply.yml").write_text(CONFIG.format(url=api.base), encoding="utf-8")
        result = invoke("collect", "events", "--installation", "acme", "--page-size", "3",
                        cwd=tmp_path, env=env)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "exports" / "acme_2026-01-01_2026-06-30.events.json"
    lines = result.stderr.splitlines()
    assert lines[0] == f"acme: logged in to {api.base}"
    assert "acme: page 2: HTTP 429; retrying in 0 s (attempt 2 of 6)" in lines
    assert lines[-1].startswith(f"acme: wrote {Path('exports', path.name)}: 7 events, sha256 ")
    assert CLIENT_SECRET not in result.stdout + result.stderr
    assert not [p for p in path.parent.iterdir() if p != path]  # no temporary file left
    log = read_log("acme", PERIOD, EventsConfig(tmp_path / "exports", api.base))
    assert log.export.count == 7 and log.complete
    assert lines[-1].endswith(log.export.sha256)


def test_collect_events_without_credentials_or_on_failure_writes_nothing(tmp_path: Path):
    (tmp_path / "acme").mkdir()
    api = FakeMeshStack(events=events(), faults={"page 1": [Fault(200, body=b"<html>")]})
    with serving(api):
        (tmp_path / "meshcomply.yml").write_text(CONFIG.format(url=api.base), encoding="utf-8")
        result = invoke("collect", "events", "--installation", "acme", cwd=tmp_path,
                        env={"ACME_ID": CLIENT_ID, "ACME_SECRET": ""})  # fmt: skip
        assert result.exit_code == 1
        assert result.stderr.strip() == (
            "meshcomply: error: the API key is read from the environment, and ACME_SECRET "
            "(installations.acme.events.client_secret_env) is not set"
        )
        # A previous export stays as it was when a collection fails.
        (tmp_path / "exports").mkdir()
        earlier = tmp_path / "exports" / "acme_2026-01-01_2026-06-30.events.json"
        earlier.write_text("earlier", encoding="utf-8")
        env = {"ACME_ID": CLIENT_ID, "ACME_SECRET": CLIENT_SECRET}
        result = invoke("collect", "events", "--installation", "acme", "--page-size", "3",
                        cwd=tmp_path, env=env)  # fmt: skip
    assert result.exit_code == 1
    assert "page 2 (" in result.stderr and "is not JSON" in result.stderr
    assert "Traceback" not in result.stderr and CLIENT_SECRET not in result.stderr
    assert earlier.read_text(encoding="utf-8") == "earlier"
    assert sorted(p.name for p in earlier.parent.iterdir()) == [earlier.name]


def test_collecting_a_period_older_than_the_retention_warns(tmp_path: Path):
    (tmp_path / "acme").mkdir()
    api = FakeMeshStack(events=[raw_event("2024-03-01T08:00:00Z", uid="old")])
    env = {"ACME_ID": CLIENT_ID, "ACME_SECRET": CLIENT_SECRET}
    with serving(api):
        (tmp_path / "meshcomply.yml").write_text(CONFIG.format(url=api.base), encoding="utf-8")
        result = invoke("collect", "events", "--installation", "acme", "--quiet",
                        "--period", "2024-01-01..2024-06-30", cwd=tmp_path, env=env)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("acme: warning: meshStack keeps events 12 months; the export was ")
    assert (tmp_path / "exports" / "acme_2024-01-01_2024-06-30.events.json").is_file()


def test_collecting_a_running_period_warns_and_a_build_states_the_rest_as_a_gap(tmp_path: Path):
    from generator.sources.events import EventsConfig, read_log

    (tmp_path / "acme").mkdir()
    today = dt.datetime.now(dt.UTC).date()
    running = Period(today - dt.timedelta(days=2), today + dt.timedelta(days=27))
    yesterday = f"{today - dt.timedelta(days=1)}T12:00:00Z"
    api = FakeMeshStack(events=[raw_event(yesterday, uid="y")])
    env = {"ACME_ID": CLIENT_ID, "ACME_SECRET": CLIENT_SECRET}
    with serving(api):
        (tmp_path / "meshcomply.yml").write_text(CONFIG.format(url=api.base), encoding="utf-8")
        result = invoke("collect", "events", "--installation", "acme", "--quiet",
                        "--period", running.text, cwd=tmp_path, env=env)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"acme: warning: the period {running.text} has not ended: the events ")
    # A build of the running period evaluates it up to its cut-off day (today).
    evaluated = Period(running.start, today)
    log = read_log("acme", evaluated, EventsConfig(tmp_path / "exports", api.base))
    assert [e.uuid for e in log.events] == ["y"]
    (gap,) = log.gaps
    assert gap.start == log.export.collected_at.replace(microsecond=0)
    assert gap.end == evaluated.end_utc_exclusive


def test_collect_events_needs_an_installation_with_events(tmp_path: Path):
    (tmp_path / "acme").mkdir()
    text = CONFIG.format(url="https://x.example").split("    events:")[0]
    (tmp_path / "meshcomply.yml").write_text(text, encoding="utf-8")
    result = invoke("collect", "events", "--installation", "acme", cwd=tmp_path)
    assert result.exit_code == 1
    assert "installation 'acme' has no `events:` key" in result.stderr
    result = invoke("collect", "events", "--installation", "nope", cwd=tmp_path)
    assert "no installation 'nope' (known: acme)" in result.stderr
    assert os.environ.get("ACME_SECRET") is None


def test_the_same_meshstack_with_its_default_port_written_out_is_the_same_origin():
    from urllib.parse import urlsplit

    from generator.meshevents.collect import _origin

    assert _origin(urlsplit("https://acme.example")) == _origin(
        urlsplit("https://ACME.example:443/a")
    )
    assert _origin(urlsplit("https://acme.example")) != _origin(urlsplit("http://acme.example"))
    assert _origin(urlsplit("https://acme.example")) != _origin(
        urlsplit("https://acme.example:8443")
    )


def test_a_page_with_an_escaped_lone_surrogate_stops_the_collection():
    body = json.dumps(
        {"_embedded": {"meshEventLogs": [{"spec": {"title": "\ud800"}}]}}
    ).encode()  # json.dumps writes it as the escape \ud800
    api = FakeMeshStack(events=events(), faults={"page 1": [Fault(200, body=body)]})
    with (
        serving(api),
        pytest.raises(CollectError, match=r"page 2 \(.*\) holds \\ud800 at line 1: half of a"),
    ):
        collector(api)[0].collect("acme", PERIOD)
