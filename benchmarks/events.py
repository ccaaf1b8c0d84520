"""Benchmark of the event rules on a large synthetic event log and history, against a baseline
measured in the same run.

    python benchmarks/events.py                       # 100,000 commits, 5,000 events
    python benchmarks/events.py --commits 20000 --events 50000

changes-outside-git indexes the commits touching each title's paths once and binary-searches
each event; the baseline is what that replaces, every event compared with every commit touching
its paths (the rule's answer is checked against it). The other rules make one pass over the
log; their time is printed against the least any of them does, one pass naming each event's
binding (kind, target, subject, role). Printed: seconds of CPU per rule and the ratios.
Targets: changes-outside-git at least 5x faster than the baseline at 100k commits and 500
configuration events, and further ahead with more events (the baseline grows with commits x
events, the rule with their sum; measured: 6.6x there, 24.8x at 20k commits and 5,000
configuration events); every other rule within 8x of the pass.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.config import Period
from generator.evidence import eventlog
from generator.evidence.context import RuleContext, _glob_regex
from generator.evidence.registry import all_rules
from generator.history.model import Commit, FileChange, Identity
from generator.timewords import utc

START = dt.datetime(2016, 1, 1, 8, 0, tzinfo=dt.UTC)
PERSON = Identity("Operator", "op@example.com")
TITLES = {
    "Landing Zone Configuration Changed": ["landing-zones/**"],
    "Platform Configuration Changed": ["environments/production/**"],
}


@dataclass(frozen=True)
class Event:
    uuid: str
    created_at: dt.datetime
    title: str
    author_type: str
    author: str
    content: dict[str, Any]
    event_type: str = "Added"
    description: str = ""
    workspace: str | None = "ws"
    previous_content: dict[str, Any] | None = None


@dataclass
class Export:
    url: str = "https://meshstack.example/api/meshobjects/mesheventlogs"

    def request_url(self, **filters: str) -> str:
        return self.url


@dataclass
class Log:
    events: list[Event]
    period: Period
    export: Export = field(default_factory=Export)
    gaps: tuple = ()

    def gaps_overlapping(self, start, end):
        return ()


@dataclass
class History:
    installation: Any
    period: Period
    commits: list[Commit]
    changes: list = field(default_factory=list)
    releases: list = field(default_factory=list)
    promotions: list = field(default_factory=list)


def history(commits: int) -> tuple[list[Commit], Period]:
    step = dt.timedelta(minutes=47)
    out = []
    for i in range(commits):
        moment = START + step * i
        folder = ("landing-zones", "environments/production", "docs")[i % 3]
        out.append(
            Commit(f"{i:040x}", (), PERSON, moment.isoformat(), PERSON, moment.isoformat(),
                   f"change {i}", "", (), (FileChange("M", f"{folder}/file{i % 7}.yaml"),))
        )  # fmt: skip
    first, last = utc(out[0].committed_at), utc(out[-1].committed_at)
    return out, Period(first.date(), last.date())


def events(count: int, period: Period) -> list[Event]:
    span = (period.end_utc_exclusive - period.start_utc) / (count + 1)
    out = []
    for i in range(count):
        moment = period.start_utc + span * (i + 1)
        if i % 10 == 0:
            title = list(TITLES)[i % 20 // 10]
            content: dict[str, Any] = {"name": f"lz{i % 5}"}
        else:
            title = (
                "Workspace User Access Request Submitted",
                "Workspace User Access Request Approved",
                "Workspace User Role Added",
            )[i % 3]
            content = {
                "subject": {"name": f"u{i // 3}"},
                "roleRef": {"name": "Workspace Manager"},
                "targetRef": {"name": "ws"},
                "expirationDate": "2030-01-01T00:00:00Z",
            }
        out.append(Event(f"e{i:08d}", moment, title, "User", f"a{i % 9}", content))
    return out


def baseline(history_commits: list[Commit], log: Log, tolerance: dt.timedelta) -> int:
    """Every configuration event against every commit touching its paths: unmatched events."""
    patterns = {t: [_glob_regex(g) for g in globs] for t, globs in TITLES.items()}
    parsed = [(utc(c.committed_at), c) for c in history_commits]
    unmatched = 0
    for event in log.events:
        if event.title not in TITLES:
            continue
        found = any(
            abs(moment - event.created_at) <= tolerance
            and any(p.fullmatch(f.path) for f in c.files for p in patterns[event.title])
            for moment, c in parsed
        )
        unmatched += not found
    return unmatched


def cpu(action) -> tuple[float, Any]:
    start = time.process_time()
    value = action()
    return time.process_time() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=5_000)
    args = parser.parse_args()
    commits, period = history(args.commits)
    log = Log(events(args.events, period), period)
    context = RuleContext(History(None, period, commits), {"events": log})  # type: ignore[arg-type]
    rules = all_rules()
    params = {"titles": TITLES, "tolerance_hours": 24}
    configuration = sum(1 for e in log.events if e.title in TITLES)
    print(f"{args.commits:,} commits, {args.events:,} events ({configuration:,} configuration)")
    seconds, result = cpu(lambda: rules["changes-outside-git"].evaluate(context, params))
    base, unmatched = cpu(lambda: baseline(commits, log, dt.timedelta(hours=24)))
    assert result.failed == unmatched, (result.failed, unmatched)
    print(f"changes-outside-git {seconds:.2f} s, baseline {base:.2f} s: {base / seconds:.1f}x")
    plain, _ = cpu(lambda: [eventlog.binding_key(e) for e in log.events])
    plain = max(plain, 1e-6)
    for kind in ("access-four-eyes", "access-removal", "access-expiry", "access-activity"):
        seconds, _ = cpu(lambda kind=kind: rules[kind].evaluate(context, {}))
        print(f"{kind} {seconds:.3f} s, {seconds / plain:.1f}x one pass ({plain:.3f} s)")


if __name__ == "__main__":
    main()
