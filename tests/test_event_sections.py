"""The pack's event log section: populations per rule and params, seeded samples, cited events."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.evidence.event_sections import event_section, rank
from generator.evidence.registry import Failure, RuleResult
from generator.evidence.sample import DEFAULT_TABLE, SizeBand
from generator.status import Status

T0 = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Event:
    uuid: str
    created_at: dt.datetime
    title: str = "Workspace User Role Added"
    event_type: str = "Added"
    author_type: str = "User"
    author: str = "u1"
    workspace: str | None = "ws"
    description: str = "granted"


@dataclass(frozen=True)
class Gap:
    start: dt.datetime
    end: dt.datetime
    reason: str


@dataclass
class Export:
    path: Path = Path("/exports/acme_2026-01-01_2026-06-30.events.json")
    sha256: str = "a" * 64
    url: str = "https://meshstack.acme.example/api/meshobjects/mesheventlogs"
    collected_at: dt.datetime = dt.datetime(2026, 7, 1, 6, tzinfo=dt.UTC)
    count: int = 30

    def request_url(self, **filters: str) -> str:
        return f"{self.url}?from=2026-01-01T00%3A00%3A00Z&until=2026-07-01T00%3A00%3A00Z"


@dataclass
class Log:
    events: list[Event]
    gaps: tuple[Gap, ...] = ()
    export: Export = field(default_factory=Export)

    @property
    def by_uuid(self) -> dict[str, Event]:
        return {e.uuid: e for e in self.events}

    @property
    def complete(self) -> bool:
        return not self.gaps


@dataclass(frozen=True)
class Spec:
    kind: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Evidence:
    spec: Spec
    result: RuleResult


@dataclass(frozen=True)
class Evaluation:
    id: str
    results: tuple[Evidence, ...]


EVENTS = [Event(f"e{i:02d}", T0 + dt.timedelta(hours=30 - i)) for i in range(30)]


def result(uuids, failures=()) -> RuleResult:
    status = Status.DEVIATIONS if failures else Status.NO_DEVIATIONS
    return RuleResult(status, "r", population=len(uuids), events=tuple(uuids),
                      failures=tuple(failures))  # fmt: skip


def test_one_population_per_rule_and_params_shared_by_controls():
    four_eyes = Evidence(Spec("access-four-eyes", {"privileged_roles": ["A"]}),
                         result([e.uuid for e in EVENTS[:20]]))  # fmt: skip
    activity = Evidence(Spec("access-activity", {}), result([e.uuid for e in EVENTS]))
    section = event_section(
        Log(EVENTS),
        [Evaluation("MS-ACC-02", (activity,)), Evaluation("MS-ACC-03", (four_eyes,)),
         Evaluation("MS-LOG-03", (activity,))],
        "acme:2026-01-01..2026-06-30",
        DEFAULT_TABLE,
    )  # fmt: skip
    assert section is not None
    assert [(p.rule, p.controls, p.population) for p in section.populations] == [
        ("access-activity", ("MS-ACC-02", "MS-LOG-03"), 30),
        ("access-four-eyes", ("MS-ACC-03",), 20),
    ]
    activity_population = section.populations[0]
    # Members by time, then uuid: the events were made newest first.
    assert activity_population.uuids == tuple(e.uuid for e in reversed(EVENTS))
    # 30 members: the default table samples 10, the lowest ranks, in rank order.
    seed = "acme:2026-01-01..2026-06-30"

    def by_rank(uuid: str) -> str:
        return hashlib.sha256(f"{seed}:access-activity:{uuid}".encode()).hexdigest()

    expected = sorted(activity_population.uuids, key=by_rank)[:10]
    assert activity_population.sample == tuple(expected)
    assert rank("s", "r", "u") == hashlib.sha256(b"s:r:u").hexdigest()
    assert [e.uuid for e in section.events] == list(activity_population.uuids)
    assert section.reproduce.startswith("GET https://meshstack.acme.example/api/meshobjects/")
    assert section.export == "acme_2026-01-01_2026-06-30.events.json" and section.complete


def test_cited_events_are_listed_and_a_missing_log_gives_no_section():
    cited = Failure("late", kind="access_not_removed", items=("e05", "not-an-event"))
    removal = Evidence(Spec("access-removal", {"max_days": 7}), result(["e01"], [cited]))
    section = event_section(Log(EVENTS), [Evaluation("MS-IAM-02", (removal,))], "s",
                            (SizeBand(None, 1),))  # fmt: skip
    assert section is not None
    assert {e.uuid for e in section.events} == {"e01", "e05"}
    assert section.populations[0].sample == ("e01",)
    assert event_section(None, [], "s", DEFAULT_TABLE) is None


def test_gaps_are_stated():
    gap = Gap(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
              "older than the retention")  # fmt: skip
    section = event_section(Log(EVENTS, gaps=(gap,)), [], "s", DEFAULT_TABLE)
    assert section is not None and not section.complete
    assert section.gaps == ("2026-01-01T00:00:00Z until 2026-02-01T00:00:00Z: older than the "
                            "retention",)  # fmt: skip
    assert section.populations == ()
