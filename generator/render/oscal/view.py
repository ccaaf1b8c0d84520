"""What the OSCAL documents need from the evidence model, read in one place.

Every access to the model (``evidence.json`` as parsed) is here, so that a change of the model's
shape touches only this module; the writers work on these small records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.evidence.model import ControlRecord, EvidenceModel


@dataclass(frozen=True)
class IsoRef:
    ref: str  # e.g. "iso27001:2022/A.8.20"
    coverage: str
    rationale: str


@dataclass(frozen=True)
class Failure:
    id: str
    kind: str
    sha: str | None  # None for a failure that is a window of time
    shas: tuple[str, ...]  # further commits it cites (items that are commit shas)
    message: str
    state: str  # open or accepted
    exception: str | None


@dataclass(frozen=True)
class ControlView:
    id: str
    title: str
    description: str
    owner: str
    responsibility: str
    implements: tuple[IsoRef, ...]
    status: str
    open_deviations: int
    accepted_deviations: int
    reason: str
    cited: tuple[str, ...]  # every commit the verdict rests on, in first-seen order
    failures: tuple[Failure, ...]


@dataclass(frozen=True)
class Reproduce:
    figure: str
    command: str
    expected: str


@dataclass(frozen=True)
class SampleView:
    seed: str
    method: str
    shas: tuple[tuple[str, str], ...]  # (environment, sha) in the pack's order


@dataclass(frozen=True)
class PackView:
    installation: str
    period_from: str  # YYYY-MM-DD
    period_to: str
    tool_version: str
    repo: str
    ref: str
    head: str
    head_date: str  # ISO 8601 with offset
    reproduce: tuple[Reproduce, ...]
    controls: tuple[ControlView, ...]
    sample: SampleView | None


_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _control(control: ControlRecord) -> ControlView:
    cited: list[str] = []
    failures: list[Failure] = []
    for result in control.results:
        cited.extend(result.cited)
        for failure in result.failures:
            if any(f.id == failure.id for f in failures):
                continue  # the same deviation found by two rules of the control: listed once
            failures.append(
                Failure(
                    id=failure.id,
                    kind=failure.kind,
                    sha=failure.sha,
                    shas=tuple(i for i in failure.items if _SHA.fullmatch(i)),
                    message=failure.message,
                    state=failure.state,
                    exception=failure.exception,
                )
            )
    return ControlView(
        id=control.id,
        title=control.title,
        description=control.description,
        owner=control.owner,
        responsibility=control.responsibility,
        implements=tuple(IsoRef(i.ref, i.coverage, i.rationale) for i in control.implements),
        status=str(control.status),
        open_deviations=control.deviations.open,
        accepted_deviations=control.deviations.accepted,
        reason=control.reason,
        cited=_unique(cited),
        failures=tuple(failures),
    )


def pack_view(model: EvidenceModel) -> PackView:
    source = model.source
    period = model.period
    sample = model.sample
    return PackView(
        installation=model.installation,
        period_from=period.start,
        period_to=period.end,
        tool_version=model.tool.version,
        repo=source.repo,
        ref=source.ref,
        head=source.head,
        head_date=source.head_date,
        reproduce=tuple(Reproduce(r.figure, r.command, str(r.expected)) for r in source.reproduce),
        controls=tuple(_control(c) for c in model.controls),
        sample=None
        if not sample
        else SampleView(
            seed=sample.seed,
            method=sample.method,
            shas=tuple((p.environment, sha) for p in sample.populations for sha in p.shas),
        ),
    )
