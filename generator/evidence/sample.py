"""The auditor's sample: a re-performable, seeded selection from each change population.

Each member of a population is ranked by ``sha256("<seed>:<environment>:<commit sha>")`` and the
lowest-ranked ones are taken. An auditor can re-draw the identical sample with nothing but
``sha256sum`` (see docs/evidence.md), and no random-number generator version can change it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from generator.evidence.model import Sample, SampleBand, SamplePopulation


@dataclass(frozen=True)
class SizeBand:
    """Populations up to ``max`` members (None: any size) are sampled with ``size`` items."""

    max: int | None
    size: int


# Common practice for testing a control applied per change (one item per occurrence): small
# populations are tested in full, larger ones with a sample that grows slowly with the population.
DEFAULT_TABLE: tuple[SizeBand, ...] = (
    SizeBand(10, 10),
    SizeBand(50, 10),
    SizeBand(250, 25),
    SizeBand(1000, 40),
    SizeBand(None, 60),
)

METHOD = (
    "Each change is ranked by the SHA-256 of '<seed>:<environment>:<commit sha>' (hex, ascending); "
    "the first N ranked changes form the sample, N taken from the size table by population size "
    "(never more than the population)."
)


def table_from_config(rows: Sequence[dict[str, Any]] | None) -> tuple[SizeBand, ...]:
    """The size table from ``sample.table`` in meshcomply.yml (already schema-validated)."""
    if not rows:
        return DEFAULT_TABLE
    return tuple(SizeBand(row.get("max"), int(row["size"])) for row in rows)


def sample_size(population: int, table: Sequence[SizeBand]) -> int:
    for band in table:
        if band.max is None or population <= band.max:
            return min(band.size, population)
    return min(table[-1].size, population) if table else population


def rank(seed: str, environment: str, sha: str) -> str:
    return hashlib.sha256(f"{seed}:{environment}:{sha}".encode()).hexdigest()


def draw(seed: str, environment: str, shas: Sequence[str], size: int) -> list[str]:
    """The sample, in rank order."""
    return sorted(shas, key=lambda sha: rank(seed, environment, sha))[:size]


def draw_samples(
    seed: str, populations: dict[str, Sequence[str]], table: Sequence[SizeBand]
) -> Sample:
    """The ``sample`` section of the evidence model, one entry per environment population."""
    entries = []
    for environment, shas in sorted(populations.items()):
        size = sample_size(len(shas), table)
        entries.append(
            SamplePopulation(
                environment, len(shas), size, tuple(draw(seed, environment, shas, size))
            )
        )
    return Sample(
        seed=seed,
        method=METHOD,
        table=tuple(SampleBand(band.max, band.size) for band in table),
        populations=tuple(entries),
    )
