"""The evidence model: history facts and evaluations as the plain dict written to evidence.json.

Renderers read only this model, so everything a page or PDF shows must be in it. Key order is
fixed by construction and every list is sorted, so the same inputs give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator import __version__
from generator.history.model import Change, Identity, ReleaseEvent
from generator.sources import git as git_source

SCHEMA_VERSION = 1


def identity(person: Identity) -> dict[str, str]:
    return {"name": person.name, "email": person.email}


def change_record(change: Change) -> dict[str, Any]:
    # Inlined identity(): this runs for every change of a long history (100,000 on the
    # benchmarks), and the calls were a third of its time.
    commit = change.commit
    author, committer = commit.author, commit.committer
    releases = change.releases
    return {
        "sha": commit.sha,
        "parents": list(commit.parents),
        "environments": list(change.environments),
        "author": {"name": author.name, "email": author.email},
        "authored_at": commit.authored_at,
        "committer": {"name": committer.name, "email": committer.email},
        "committed_at": commit.committed_at,
        "subject": commit.subject,
        "body": commit.body,
        "files": [
            {"status": f.status, "path": f.path, "old_path": f.old_path} for f in commit.files
        ],
        "approvers": [{"name": p.name, "email": p.email} for p in change.approvers],
        "authors": [{"name": p.name, "email": p.email} for p in change.authors],
        "self_approved": change.self_approved,
        "signed": change.signed,
        "signature": commit.signature,
        "verified": change.verified,
        "releases": dict(sorted(releases.items())) if releases else {},
    }


def _event(event: ReleaseEvent | None) -> dict[str, str] | None:
    return None if event is None else {"sha": event.sha, "date": event.date}


def history_sections(
    history: Any,
    *,
    environment: str | None = None,
    record: Callable[[Change], dict[str, Any]] = change_record,
) -> dict[str, Any]:
    """source, environments, changes, releases and promotions from an InstallationHistory.

    With `environment`, only that environment's changes are listed (the release-note join reads
    no others, and on a long history building every record is most of its time). `record` makes
    each change's record: a caller that reads only some keys may pass a function giving just
    those (with change_record's values), as the release-notes command does.
    """
    installation = history.installation
    period = history.period
    # git's counts: `changes` may hold only some environments (read_history(environments=...)).
    populations = history.population_sizes
    start, end = period.start.isoformat(), period.end.isoformat()
    # The period's release events, plus the version each environment ran when the period began
    # (so a first rollout that jumps several versions can be shown as the jump it is).
    running: dict[str, ReleaseEvent] = {}
    in_period = []
    for event in history.releases:
        day = event.date[:10]
        if day < start:
            running[event.environment] = event
        elif day <= end:
            in_period.append(event)
    chosen = sorted(
        [*running.values(), *in_period], key=lambda e: (e.date, e.environment, e.version)
    )
    releases = [
        {
            "version": event.version,
            "environment": event.environment,
            "sha": event.sha,
            "date": event.date,
            "source": event.source,
            "in_period": event.date[:10] >= start,
        }
        for event in chosen
    ]
    return {
        "source": git_source.provenance(history),
        "environments": [
            {
                "name": env.name,
                "role": str(env.role),
                "paths": list(env.paths),
                "approval": env.approval,
                "population": populations[env.name],
            }
            for env in installation.environments
        ],
        "changes": [
            record(change)
            for change in history.changes
            if environment is None or environment in change.environments
        ],
        "releases": releases,
        "promotions": [
            {
                "version": p.version,
                "staging": _event(p.staging),
                "production": _event(p.production),
                "staging_hours": p.staging_hours,
                "production_approvers": [identity(a) for a in p.production_approvers],
            }
            for p in history.promotions
        ],
    }


def assemble(
    *,
    installation: str,
    period: Any,
    history_part: dict[str, Any],
    controls: list[dict[str, Any]],
    exceptions: list[dict[str, Any]],
    soa: list[dict[str, Any]],
    sample: dict[str, Any],
    changes_since: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "meshcomply", "version": __version__},
        "installation": installation,
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        **history_part,
        "controls": controls,
        "exceptions": exceptions,
        "soa": soa,
        "sample": sample,
        "changes_since": changes_since,
    }


def dumps(model: dict[str, Any]) -> str:
    return json.dumps(model, indent=2, ensure_ascii=False) + "\n"


def write_model(model: dict[str, Any], path: Path) -> None:
    path.write_text(dumps(model), encoding="utf-8")


def read_model(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))
