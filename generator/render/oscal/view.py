"""What the OSCAL documents need from the evidence model, read in one place.

Every access to the model (``evidence.json`` as parsed) is here, so that a change of the model's
shape touches only this module; the writers work on these small records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class IsoRef:
    ref: str  # e.g. "iso27001:2022/A.8.20"
    coverage: str
    rationale: str


@dataclass(frozen=True)
class Failure:
    sha: str
    message: str
    exception: str | None


@dataclass(frozen=True)
class ControlView:
    id: str
    title: str
    description: str
    owner: str
    responsibility: str
    implements: tuple[IsoRef, ...]
    status: str | None
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


def _get(obj: Any, name: str) -> Any:
    # The model is a dict today; the typed model gives attributes. Both read the same here.
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _control(control: Any) -> ControlView:
    results = _get(control, "results") or []
    cited: list[str] = []
    failures: list[Failure] = []
    for result in results:
        cited.extend(_get(result, "cited") or [])
        for failure in _get(result, "failures") or []:
            failures.append(
                Failure(
                    sha=_get(failure, "sha"),
                    message=_get(failure, "message"),
                    exception=_get(failure, "exception"),
                )
            )
    status = _get(control, "status")
    return ControlView(
        id=_get(control, "id"),
        title=_get(control, "title"),
        description=_get(control, "description") or "",
        owner=_get(control, "owner") or "",
        responsibility=_get(control, "responsibility") or "",
        implements=tuple(
            IsoRef(_get(i, "ref"), _get(i, "coverage"), _get(i, "rationale") or "")
            for i in _get(control, "implements") or []
        ),
        status=None if status is None else str(status),
        reason=_get(control, "reason") or "",
        cited=_unique(cited),
        failures=tuple(failures),
    )


def pack_view(model: Any) -> PackView:
    source = _get(model, "source")
    period = _get(model, "period")
    sample = _get(model, "sample")
    return PackView(
        installation=_get(model, "installation"),
        period_from=str(_get(period, "from") if isinstance(period, dict) else period.start),
        period_to=str(_get(period, "to") if isinstance(period, dict) else period.end),
        tool_version=_get(_get(model, "tool"), "version"),
        repo=_get(source, "repo"),
        ref=_get(source, "ref"),
        head=_get(source, "head"),
        head_date=_get(source, "head_date"),
        reproduce=tuple(
            Reproduce(_get(r, "figure"), _get(r, "command"), str(_get(r, "expected")))
            for r in _get(source, "reproduce") or []
        ),
        controls=tuple(_control(c) for c in _get(model, "controls")),
        sample=None
        if not sample
        else SampleView(
            seed=_get(sample, "seed"),
            method=_get(sample, "method"),
            shas=tuple(
                (_get(p, "environment"), sha)
                for p in _get(sample, "populations")
                for sha in _get(p, "shas")
            ),
        ),
    )
