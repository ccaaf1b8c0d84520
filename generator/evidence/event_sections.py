"""The pack's view of meshStack's event log: the export read, event populations and samples.

Each event rule returns the uuids of the events its population is made of
(``RuleResult.events``). Here they become the pack's event populations, one per rule and
parameters (the controls mapping the same rule with the same parameters share one), each with a
seeded sample drawn like the change samples: every member is ranked by
``sha256("<seed>:<rule>:<uuid>")`` and the first N of the same size table are taken, so an
auditor re-draws it with ``sha256sum``. The events listed are those of the populations plus
every event a deviation cites, by (created_at, uuid).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from generator.evidence.model import EventLogSection, EventPopulation, MeshEventRecord
from generator.evidence.sample import SizeBand, sample_size

METHOD = (
    "Each event of a rule's population is ranked by the SHA-256 of '<seed>:<rule>:<event uuid>' "
    "(hex, ascending); the first N ranked events form the sample, N taken from the size table "
    "by population size (never more than the population)."
)


def rank(seed: str, rule: str, uuid: str) -> str:
    return hashlib.sha256(f"{seed}:{rule}:{uuid}".encode()).hexdigest()


def event_section(
    log: Any, evaluations: Sequence[Any], seed: str, table: Sequence[SizeBand]
) -> EventLogSection | None:
    """The section for an installation's event log (``None`` without one).

    ``evaluations`` are the controls' evaluations (``ControlEvaluation``: ``id`` and ``results``,
    each with ``spec`` and ``result``).
    """
    if log is None:
        return None
    by_uuid = log.by_uuid
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    cited: set[str] = set()
    for evaluation in evaluations:
        for evidence in evaluation.results:
            result = evidence.result
            members = tuple(u for u in result.events if u in by_uuid)
            for failure in result.failures:
                cited.update(u for u in getattr(failure, "items", ()) if u in by_uuid)
            if not members and not result.events:
                continue
            params = dict(evidence.spec.params)
            key = (evidence.spec.kind, json.dumps(params, sort_keys=True))
            group = groups.setdefault(
                key, {"rule": key[0], "params": params, "controls": [], "uuids": members}
            )
            group["controls"].append(evaluation.id)
    populations = []
    listed: set[str] = set(cited)
    for (rule, _params), group in sorted(groups.items()):
        ordered = _ordered(group["uuids"], by_uuid)
        size = sample_size(len(ordered), table)
        sample = tuple(sorted(ordered, key=lambda u: rank(seed, rule, u))[:size])
        listed.update(ordered)
        populations.append(
            EventPopulation(
                rule=rule,
                params=group["params"],
                controls=tuple(dict.fromkeys(group["controls"])),
                population=len(ordered),
                size=size,
                uuids=ordered,
                sample=sample,
            )
        )
    info = log.export
    return EventLogSection(
        export=info.path.name,
        sha256=info.sha256,
        url=info.url,
        collected_at=_z(info.collected_at),
        count=info.count,
        complete=log.complete,
        gaps=tuple(f"{_z(g.start)} until {_z(g.end)}: {g.reason}" for g in log.gaps),
        reproduce=f"GET {info.request_url()}",
        method=METHOD,
        populations=tuple(populations),
        events=tuple(_record(by_uuid[u]) for u in _ordered(tuple(listed), by_uuid)),
    )


def _ordered(uuids: Sequence[str], by_uuid: Any) -> tuple[str, ...]:
    unique = dict.fromkeys(uuids)
    return tuple(sorted(unique, key=lambda u: (by_uuid[u].created_at, u)))


def _record(event: Any) -> MeshEventRecord:
    return MeshEventRecord(
        uuid=event.uuid,
        created_at=_z(event.created_at),
        title=event.title,
        event_type=event.event_type,
        author_type=event.author_type,
        author=event.author,
        workspace=event.workspace,
        description=event.description,
    )


def _z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
