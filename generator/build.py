"""``meshcomply build``: every selected installation's pack, then the renderers, atomically.

Everything is written below a staging folder inside the output folder and put in place only
when the whole build succeeded, each folder in one atomic step (outfolder.py), so a failure or a
kill never leaves a half-written or missing pack or site.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from generator.config import Config, InstallationConfig, OptionsSection, Period
from generator.errors import InputError, Problem
from generator.evidence import registry
from generator.evidence.codec import read_source, write_model
from generator.evidence.cutoff import build_clock, source_date_epoch
from generator.evidence.deviations import summary_counts
from generator.evidence.model import DeviationCounts, EvidenceModel
from generator.evidence.pack import AuditorSeed, make_model
from generator.evidence.tables import write_tables
from generator.gate import PackCounts, gate_failure
from generator.library import ControlLibrary, default_controls_dir, load_library
from generator.manifest import write_manifest
from generator.notes_stage import read_notes, release_views, warning_lines
from generator.outfolder import locked, put_in_place, staging_folder
from generator.releasenotes.loader import NotesRead
from generator.render.registry import (
    PackInput,
    Renderer,
    RenderOptions,
    all_renderers,
    renderer_options,
)
from generator.signing import SigningKey, sign_manifest
from generator.sources import source_options
from generator.status import Status

JSON_FORMAT = "json"


@dataclass
class BuiltPack:
    installation: str
    period: Period
    rel: str  # below the output folder
    statuses: dict[str, int] = field(default_factory=dict)
    deviations: DeviationCounts = field(default_factory=lambda: DeviationCounts(0, 0))
    rewritten: bool = False  # the head of the previous build is no longer in the history
    warnings: list[str] = field(default_factory=list)


@dataclass
class BuildSummary:
    out: Path
    packs: list[BuiltPack]
    site: Path | None
    warnings: list[str] = field(default_factory=list)  # the release notes', as printed

    def counts(self, pack: BuiltPack) -> PackCounts:
        return PackCounts(pack.statuses, pack.deviations)

    def gate_failure(self, fail_on: str) -> str | None:
        """Why ``--fail-on`` fails the job, None when it passes (generator/gate.py)."""
        return gate_failure(fail_on, (self.counts(pack) for pack in self.packs))


class UnknownFormatError(ValueError):
    """A --format naming no registered format (the CLI maps it to a usage error)."""


class Progress(Protocol):
    def update(self, steps: int) -> None: ...


# Starts reporting one pack's progress: (label, total steps) -> a context giving a Progress.
ProgressFactory = Callable[[str, int], AbstractContextManager[Progress]]


class _NoProgress:
    def update(self, steps: int) -> None:
        return None


def no_progress(label: str, steps: int) -> AbstractContextManager[Progress]:
    return nullcontext(_NoProgress())


def config_sections() -> tuple[OptionsSection, ...]:
    """The keys of meshcomply.yml that renderers and evidence sources own, for ``load_config``."""
    return (*renderer_options(), *source_options())


def available_formats() -> tuple[str, ...]:
    return (JSON_FORMAT, *all_renderers())


def default_formats() -> set[str]:
    """The formats a build makes without --format: all but the opt-in ones (oscal)."""
    return {JSON_FORMAT, *(r.format for r in all_renderers().values() if r.default)}


def parse_formats(text: str | None) -> set[str]:
    """The --format option: a comma-separated subset of the available formats."""
    known = available_formats()
    if not text:
        return default_formats()
    chosen = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(chosen - set(known))
    if unknown:
        raise UnknownFormatError(f"unknown format {', '.join(unknown)} (known: {', '.join(known)})")
    return chosen | {JSON_FORMAT}


def select_installations(config: Config, names: tuple[str, ...]) -> list[InstallationConfig]:
    if not names:
        return list(config.installations)
    by_name = {inst.name: inst for inst in config.installations}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        known = ", ".join(by_name)
        raise InputError(
            [
                Problem(str(config.path), 1, 1, f"no installation '{n}' (known: {known})")
                for n in unknown
            ]
        )
    return [by_name[name] for name in names]


def period_for(config: Config, installation: InstallationConfig, override: Period | None) -> Period:
    period = override or installation.period or config.period
    if period is None:
        message = f"installation '{installation.name}' has no period: set `period:` or use --period"
        raise InputError([Problem(str(config.path), 1, 1, message)])
    return period


def previous_head(out: Path, installation: str) -> str | None:
    """The head recorded by the newest earlier build of this installation in the output folder."""
    packs = sorted((out / "packs" / installation).glob("*/evidence.json"))
    if not packs:
        return None
    try:
        return read_source(packs[-1]).head
    except InputError:
        return None  # an unreadable earlier pack only means no head to start from


def build_packs(
    config: Config,
    out: Path,
    *,
    formats: set[str] | None = None,
    installations: tuple[str, ...] = (),
    period: Period | None = None,
    previous: Path | None = None,
    library: ControlLibrary | None = None,
    progress: ProgressFactory = no_progress,
    signing_key: SigningKey | None = None,
    wait: float = 0,
    auditor_seed: AuditorSeed | None = None,
) -> BuildSummary:
    """Build the selected installations' packs and the site into ``out``.

    ``progress`` is told each pack's steps as they complete (the CLI draws a progress bar).

    One build at a time per output folder: a second one waits up to `wait` seconds, then stops
    with a BuildError (see outfolder.py, which also makes each folder's replacement atomic).
    """
    formats = formats or default_formats()
    epoch = source_date_epoch()
    clock = build_clock(epoch)
    library_dir = config.controls or default_controls_dir()
    library = library or load_library(library_dir, registry.all_rules())
    selected = select_installations(config, installations)
    renderers = [r for r in all_renderers().values() if r.format in formats]
    notes = _notes_first(config, renderers)
    options = RenderOptions(
        pdf=config.options.get("pdf", {}),
        portal=config.options.get("portal", {}),
        release_notes=config.release_notes,
        source_date_epoch=epoch,
        signer=signing_key.identity if signing_key else None,
    )
    built: list[BuiltPack] = []
    inputs: list[PackInput] = []
    with locked(out, wait), staging_folder(out) as staging:
        for installation in selected:
            inst_period = period_for(config, installation, period)
            rel = f"packs/{installation.name}/{inst_period.label}"
            pack_dir = staging / rel
            pack_dir.mkdir(parents=True)
            pack_renderers = [r for r in renderers if r.scope == "pack"]
            with progress(installation.name, 3 + len(pack_renderers)) as bar:
                model = make_model(
                    config,
                    installation,
                    inst_period,
                    library,
                    previous=previous,
                    previous_head=previous_head(out, installation.name),
                    progress=bar.update,
                    clock=clock,
                    auditor_seed=auditor_seed,
                    library_dir=library_dir,
                )
                write_model(model, pack_dir / "evidence.json")
                write_tables(model, pack_dir)
                bar.update(1)
                for renderer in pack_renderers:
                    renderer.render(model, pack_dir, options)
                    bar.update(1)
                write_manifest(pack_dir)
                if signing_key is not None:
                    sign_manifest(pack_dir, signing_key)  # last: it vouches for the manifest
            source = model.source
            built.append(
                BuiltPack(
                    installation.name,
                    inst_period,
                    rel,
                    _status_counts(model),
                    summary_counts(model.deviations),
                    rewritten=source.history_rewritten,
                    warnings=[*model.cut_off.notes, *source.warnings],
                )
            )
            joined = release_views(model, notes.notes) if notes is not None else ()
            inputs.append(PackInput(model, pack_dir, rel, joined))
        site_renderers = [r for r in renderers if r.scope == "site"]
        for renderer in site_renderers:
            renderer.render(inputs, staging / "site", options)
        rels = [pack.rel for pack in built] + (["site"] if site_renderers else [])
        for renderer in renderers:
            if renderer.root is not None:
                rels.extend(renderer.root(inputs, staging, options))
        put_in_place(staging, out, rels)
    site = out / "site" if site_renderers else None
    return BuildSummary(out, built, site, warning_lines(notes))


def _notes_first(config: Config, renderers: list[Renderer]) -> NotesRead | None:
    """The release notes, read and checked before any history or rendering, if shown at all."""
    if not any(renderer.shows_release_notes for renderer in renderers):
        return None
    return read_notes(config.release_notes)


def _status_counts(model: EvidenceModel) -> dict[str, int]:
    counts = dict.fromkeys(Status, 0)
    for control in model.controls:
        counts[control.status] += 1
    return counts
