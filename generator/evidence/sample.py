"""The auditor's sample: a re-performable, seeded selection from each change population.

Each member of a population is ranked by ``sha256("<seed>:<commit sha>")`` and the lowest-ranked
ones are taken. An auditor can re-draw the identical sample with nothing but ``sha256sum`` (see
docs/evidence.md), and no random-number generator version can change it. The rank does not
depend on the environment's name, so renaming an environment leaves its sample as it was.

The pack records who chose the seed (an auditor's ``--sample-seed``, or the audited party: the
configured or default seed, which it can know in advance), the basis of the size table, and
per population the test attributes: what the auditor verifies on each sampled change, from the
rules that test that population change by change.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from generator.evidence.context import count_text
from generator.evidence.model import Sample, SampleAttribute, SampleBand, SamplePopulation
from generator.evidence.registry import SampleCheck, all_rules
from generator.library import Control, EvidenceSpec
from generator.status import Status


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
    "The rules that test changes one by one judge every change of their populations: their "
    "verdicts rest on the whole population, never on a sample. The sample is the auditor's, to "
    "re-perform those per-change tests by hand. Each change is ranked by the SHA-256 of "
    "'<seed>:<commit sha>' (hex, ascending); the first N ranked changes of a population form its "
    "sample, N taken from the size table by population size. A population no larger than its "
    "sample size is re-performed whole (the sample is the population); a population no control "
    "tests change by change has nothing to re-perform by hand, and no sample."
)
_TESTED = frozenset((Status.NO_DEVIATIONS, Status.DEVIATIONS))

DEFAULT_TABLE_BASIS = (
    "meshcomply's default table: populations of up to 10 changes are taken whole, larger ones "
    "get 10, 25, 40 or 60 changes as they grow, sizes in line with common audit practice for "
    "testing a control that operates on every change; it is not a statistical sample size for a "
    "stated confidence. An auditor who needs other sizes sets sample.table in meshcomply.yml."
)
CONFIGURED_TABLE_BASIS = (
    "The table set in meshcomply.yml (sample.table) by whoever maintains that file; it replaces "
    "meshcomply's default table."
)


@dataclass(frozen=True)
class SeedChoice:
    """The seed of a pack's sample and who chose it."""

    seed: str
    supplied_by: str | None  # the auditor named on the command line; None: the audited party
    basis: str  # one sentence a person reads


def seed_choice(
    installation: str,
    period_text: str,
    configured: str | None = None,
    auditor_seed: str | None = None,
    auditor: str | None = None,
) -> SeedChoice:
    """The auditor's seed as given, else the configured or default one (recorded as such)."""
    if auditor_seed is not None:
        return SeedChoice(
            auditor_seed,
            auditor,
            f"Supplied by {auditor} on the command line (--sample-seed), used as given: the "
            "audited party did not choose it.",
        )
    if configured:
        return SeedChoice(
            f"{configured}:{installation}:{period_text}",
            None,
            "sample.seed of meshcomply.yml with the installation and the period: chosen by the "
            "audited party, who can know the sample in advance. An auditor supplies their own "
            "with --sample-seed.",
        )
    return SeedChoice(
        f"{installation}:{period_text}",
        None,
        "meshcomply's default, the installation and the period: predictable, and chosen by the "
        "audited party, who can know the sample in advance. An auditor supplies their own with "
        "--sample-seed.",
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


def rank(seed: str, sha: str) -> str:
    return hashlib.sha256(f"{seed}:{sha}".encode()).hexdigest()


def draw(seed: str, shas: Sequence[str], size: int) -> list[str]:
    """The sample, in rank order."""
    return sorted(shas, key=lambda sha: rank(seed, sha))[:size]


def attributes_by_environment(
    controls: Iterable[Control], roles: dict[str, str]
) -> dict[str, tuple[SampleAttribute, ...]]:
    """Per environment (name -> role), what an auditor verifies on each sampled change.

    One attribute per rule check, with the controls whose evidence applies it to that
    environment's role, in control order.
    """
    found: dict[str, dict[tuple[str, str], list[str]]] = defaultdict(dict)
    for control in sorted(controls, key=lambda c: c.id):
        for spec in control.evidence:
            for environment, check in _sample_checks(spec, roles):
                ids = found[environment].setdefault((check.attribute, check.check), [])
                if control.id not in ids:
                    ids.append(control.id)
    return {
        environment: tuple(
            SampleAttribute(name, check, tuple(ids)) for (name, check), ids in checks.items()
        )
        for environment, checks in found.items()
    }


def _sample_checks(spec: EvidenceSpec, roles: dict[str, str]) -> Iterator[tuple[str, SampleCheck]]:
    """The environments (of `roles`, name -> role) whose changes the rule of `spec` tests change
    by change, each with that rule's sample check; none for a rule that tests no change."""
    rule = all_rules().get(spec.kind)
    check = rule.sample_check if rule is not None else None
    if check is None:
        return
    tested = set(check.roles(spec.params))
    for environment, role in roles.items():
        if role in tested:
            yield environment, check


def untested_attributes(evaluations: Iterable[Any], roles: dict[str, str]) -> dict[str, set[str]]:
    """Per environment (name -> role), the test attributes no control's rule tested (each
    result applying it is neither no_deviations nor deviations: the rule could not run, or the
    control is excluded), so no change was judged for them. An attribute several controls apply
    is tested when one of their rules ran."""
    applied: dict[str, set[str]] = defaultdict(set)
    tested: dict[str, set[str]] = defaultdict(set)
    for evaluation in evaluations:
        for evidence in evaluation.results:
            ran = evidence.result.status in _TESTED
            for environment, check in _sample_checks(evidence.spec, roles):
                (tested if ran else applied)[environment].add(check.attribute)
    return {env: names - tested[env] for env, names in applied.items() if names - tested[env]}


def tested_words(
    population: int, size: int, attributes: Sequence[SampleAttribute], untested: set[str]
) -> str:
    """What was tested on the whole population and what the sample is for, in words."""
    if population == 0:
        return "The population is empty: nothing to test or sample."
    noun = "change" if population == 1 else "changes"
    if not attributes:
        return (
            f"No control tests these {count_text(population)} {noun} one by one: there is nothing "
            "to re-perform by hand on them, so no sample is drawn."
        )
    names = [a.name for a in attributes if a.name not in untested]
    missing = [a.name for a in attributes if a.name in untested]
    parts = []
    if names:
        every = "the" if population == 1 else f"each of the {count_text(population)}"
        parts.append(
            f"meshcomply tested {every} {noun} for {_listed(names)}: those verdicts rest on "
            "the whole population, not on a sample."
        )
    if missing:
        parts.append(
            f"{_listed(missing).capitalize()} {'was' if len(missing) == 1 else 'were'} not "
            "tested (see the controls' results)."
        )
    if size == population:
        parts.append(
            "The population is no larger than its sample size: the auditor re-performs the "
            "tests on every change (the sample is the population)."
        )
    else:
        parts.append(f"The auditor re-performs the tests by hand on the {size} sampled {noun}.")
    return " ".join(parts)


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def draw_samples(
    seed: SeedChoice,
    populations: dict[str, Sequence[str]],
    table: Sequence[SizeBand],
    *,
    configured_table: bool = False,
    attributes: dict[str, tuple[SampleAttribute, ...]] | None = None,
    untested: dict[str, set[str]] | None = None,
) -> Sample:
    """The ``sample`` section of the evidence model, one entry per environment population: a
    sample only where some control tests the population's changes one by one."""
    attributes = attributes or {}
    untested = untested or {}
    entries = []
    for environment, shas in sorted(populations.items()):
        checks = attributes.get(environment, ())
        size = sample_size(len(shas), table) if checks else 0
        entries.append(
            SamplePopulation(
                environment=environment,
                population=len(shas),
                size=size,
                whole=bool(shas) and size == len(shas),
                attributes=checks,
                shas=tuple(draw(seed.seed, shas, size)) if size else (),
                tested=tested_words(len(shas), size, checks, untested.get(environment, set())),
            )
        )
    return Sample(
        seed=seed.seed,
        seed_by=seed.supplied_by,
        seed_basis=seed.basis,
        method=METHOD,
        table=tuple(SampleBand(band.max, band.size) for band in table),
        table_basis=CONFIGURED_TABLE_BASIS if configured_table else DEFAULT_TABLE_BASIS,
        populations=tuple(entries),
    )
