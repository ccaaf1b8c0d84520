"""One installation and period: history -> evaluations -> the evidence model (typed records).

This is the only place the evidence pipeline's parts meet; everything after it (CSV tables, PDF,
portal, release notes) reads the model it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from generator import __version__
from generator.config import Config, InstallationConfig, Period
from generator.coverage import soa_rows as library_soa_rows
from generator.errors import InputError
from generator.evidence.changes_since import compare, load_previous
from generator.evidence.context import RuleContext
from generator.evidence.cutoff import (
    BuildClock,
    build_clock,
    cut_off_record,
    evaluated_period,
    newest_commit_date,
)
from generator.evidence.deviations import deviation_records
from generator.evidence.evaluate import document_records, evaluate_library, exception_records
from generator.evidence.event_sections import event_section
from generator.evidence.exceptions import ExceptionsRegister, load_exceptions
from generator.evidence.findings import as_of, corrective_action_records, load_findings
from generator.evidence.inputs import recorded_inputs
from generator.evidence.model import EvidenceModel, PeriodRange, assemble
from generator.evidence.sample import (
    attributes_by_environment,
    draw_samples,
    seed_choice,
    table_from_config,
    untested_attributes,
)
from generator.evidence.sections import history_sections, reconciliation_record
from generator.evidence.soa import soa_rows
from generator.evidence.streamread import read_stored_model
from generator.library import ControlLibrary, default_controls_dir
from generator.memory import gc_paused
from generator.sources import ReadRequest, close_sources, read_sources, source_inputs


@dataclass(frozen=True)
class AuditorSeed:
    """A sample seed an auditor supplied (``--sample-seed``), and who they are."""

    seed: str
    supplied_by: str


# Rules and records make hundreds of thousands of objects on a long history, none of them in
# reference cycles: the collector's rescans of everything live cost about 1.5 s CPU of a warm
# 100,000-commit build (measured with gc.callbacks), so it is paused while the model is made.
@gc_paused()
def make_model(
    config: Config,
    installation: InstallationConfig,
    period: Period,
    library: ControlLibrary,
    *,
    previous: Path | None = None,
    previous_head: str | None = None,
    progress: Callable[[int], None] = lambda steps: None,
    clock: BuildClock | None = None,
    auditor_seed: AuditorSeed | None = None,
    library_dir: Path | None = None,
) -> EvidenceModel:
    """The pack's model; everything is evaluated over the period up to its cut-off (cutoff.py)."""
    clock = clock or build_clock()
    evaluated = evaluated_period(period, clock)
    # Read and checked before the repository: a bad register stops the build at once.
    findings = load_findings(installation.findings) if installation.findings else None
    sources = read_sources(ReadRequest(installation, evaluated, previous_head=previous_head))
    history = sources["git"]
    try:
        progress(1)
        register = (
            load_exceptions(installation.exceptions, history, control_ids=library.controls)
            if installation.exceptions
            else ExceptionsRegister()
        )
        evaluations = evaluate_library(
            library.controls.values(), RuleContext(history, sources), register
        )
        progress(1)
        populations = {
            env.name: [c.commit.sha for c in history.changes if env.name in c.environments]
            for env in installation.environments
        }
        configured_table = config.sample.get("table")
        roles = {env.name: str(env.role) for env in installation.environments}
        sample = draw_samples(
            seed_choice(
                installation.name,
                period.text,
                configured=config.sample.get("seed"),
                auditor_seed=auditor_seed.seed if auditor_seed else None,
                auditor=auditor_seed.supplied_by if auditor_seed else None,
            ),
            populations,
            table_from_config(configured_table),
            configured_table=bool(configured_table),
            attributes=attributes_by_environment(library.controls.values(), roles),
            untested=untested_attributes(evaluations, roles),
        )
        cut_off = cut_off_record(
            period,
            clock,
            ref=installation.ref,
            head=history.head,
            newest_commit=newest_commit_date(c.committed_at for c in history.commits),
        )
        controls = tuple(evaluation.record() for evaluation in evaluations)
        event_log = event_section(
            sources.get("events"), evaluations, sample.seed, table_from_config(configured_table)
        )
        model = assemble(
            history_sections(history),
            reconciliation=reconciliation_record(history),
            period=PeriodRange(period.start.isoformat(), period.end.isoformat()),
            cut_off=cut_off,
            tool_version=__version__,
            controls=controls,
            deviations=deviation_records(controls),
            exceptions=exception_records(register, evaluations),
            soa=soa_rows(library_soa_rows(library), evaluations),
            sample=sample,
            inputs=recorded_inputs(
                config,
                installation,
                library_dir or default_controls_dir(),
                extra=[
                    *([("findings", installation.findings)] if installation.findings else []),
                    *source_inputs(sources),  # e.g. the events source's export file
                ],
            ),
            event_log=event_log,
            documents=document_records(evaluations),
        )
    finally:
        close_sources(sources)
    if findings is not None:
        cut = model.cut_off
        actions = corrective_action_records(
            findings, {d.id for d in model.deviations}, as_of(cut.built_at, cut.evaluated_to)
        )
        model = replace(model, corrective_actions=actions)
    previous_model = find_previous(previous, installation.name, period) if previous else None
    if previous_model is not None:
        model = replace(model, changes_since=compare(previous_model, model))
    return model


def find_previous(folder: Path, installation: str, period: Period) -> EvidenceModel | None:
    """The previous period's model: ``folder`` is a pack, or a build folder holding packs/.

    In a build folder, the newest pack of this installation that ended before ``period`` began.
    """
    if (folder / "evidence.json").is_file():
        model = load_previous(folder)
        return model if model.installation == installation else None
    candidates = []
    for path in sorted((folder / "packs" / installation).glob("*/evidence.json")):
        try:
            earlier = read_stored_model(path).period.end < period.start.isoformat()
        except InputError:
            continue  # not a pack this meshcomply can compare with
        if earlier:
            candidates.append(path.parent)
    return load_previous(candidates[-1]) if candidates else None
