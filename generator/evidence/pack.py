"""One installation and period: history -> evaluations -> the evidence model (typed records).

This is the only place the evidence pipeline's parts meet; everything after it (CSV tables, PDF,
portal, release notes) reads the model it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from generator import __version__
from generator.config import Config, InstallationConfig, Period
from generator.coverage import soa_rows as library_soa_rows
from generator.errors import InputError
from generator.evidence.changes_since import compare, load_previous
from generator.evidence.codec import read_model
from generator.evidence.context import RuleContext
from generator.evidence.evaluate import evaluate_library, exception_records
from generator.evidence.exceptions import ExceptionsRegister, load_exceptions
from generator.evidence.model import EvidenceModel, assemble
from generator.evidence.sample import draw_samples, table_from_config
from generator.evidence.sections import history_sections
from generator.evidence.soa import soa_rows
from generator.library import ControlLibrary
from generator.sources import ReadRequest, close_sources, read_sources


def sample_seed(config: Config, installation: InstallationConfig, period: Period) -> str:
    """The configured seed, else one derived from what is being audited (recorded in the pack)."""
    base = config.sample.get("seed")
    return (
        f"{base}:{installation.name}:{period.text}"
        if base
        else f"{installation.name}:{period.text}"
    )


def make_model(
    config: Config,
    installation: InstallationConfig,
    period: Period,
    library: ControlLibrary,
    *,
    previous: Path | None = None,
    previous_head: str | None = None,
    progress: Callable[[int], None] = lambda steps: None,
) -> EvidenceModel:
    sources = read_sources(ReadRequest(installation, period, previous_head=previous_head))
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
        sample = draw_samples(
            sample_seed(config, installation, period),
            populations,
            table_from_config(config.sample.get("table")),
        )
        model = assemble(
            history_sections(history),
            tool_version=__version__,
            controls=tuple(evaluation.record() for evaluation in evaluations),
            exceptions=exception_records(register, evaluations),
            soa=soa_rows(library_soa_rows(library), evaluations),
            sample=sample,
        )
    finally:
        close_sources(sources)
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
            earlier = read_model(path).period.end < period.start.isoformat()
        except InputError:
            continue  # not a pack this meshcomply can compare with
        if earlier:
            candidates.append(path.parent)
    return load_previous(candidates[-1]) if candidates else None
