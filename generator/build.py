"""``meshcomply build``: every selected installation's pack, then the site step, atomically.

Packs are built one after the other in this process, or ``jobs`` at a time in worker processes
(workers.py), each by a PackJob (packwriter.py: what a pack folder holds); the site step (site.py,
also ``meshcomply site``) then reads the finished packs back, so the output is the same bytes
either way.

Everything is written below a staging folder inside the output folder and put in place only
when the whole build succeeded, each folder in one atomic step (outfolder.py), so a failure or a
kill never leaves a half-written or missing pack or site.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from generator.config import (
    Config,
    InstallationConfig,
    OptionsSection,
    Period,
    SiteConfig,
    load_site_config,
)
from generator.errors import InputError, Problem
from generator.evidence import registry
from generator.evidence.cutoff import build_clock, source_date_epoch
from generator.evidence.pack import AuditorSeed
from generator.gate import PackCounts, gate_failure
from generator.library import ControlLibrary, default_controls_dir, load_library
from generator.notes_stage import read_notes, warning_lines
from generator.outfolder import locked, put_in_place, refuse_foreign, staging_folder
from generator.packwriter import BuiltPack, NoProgress, PackJob, Progress
from generator.releasenotes.loader import NotesRead
from generator.render.registry import (
    Renderer,
    RenderOptions,
    all_renderers,
    renderer_options,
)
from generator.signing import SigningKey
from generator.site import (
    SITE_FOLDER,
    check_installations,
    read_packs,
    render_site,
    site_renderers,
    site_request,
)
from generator.sources import source_options
from generator.workers import Job, run_jobs

JSON_FORMAT = "json"


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


# Starts reporting one pack's progress: (label, total steps) -> a context giving a Progress.
ProgressFactory = Callable[[str, int], AbstractContextManager[Progress]]


def no_progress(label: str, steps: int) -> AbstractContextManager[Progress]:
    return nullcontext(NoProgress())


def default_jobs() -> int:
    """How many packs a build makes at a time by default: the CPUs this process may run on."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


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
    jobs: int = 1,
) -> BuildSummary:
    """Build the selected installations' packs and the site into ``out``.

    ``progress`` is told each pack's steps as they complete (the CLI draws a progress bar);
    with ``jobs`` above 1, each pack as it is done.

    ``jobs`` packs are built at a time, each in a worker process of its own (workers.py); the
    site step then reads the finished packs back (site.py), as ``meshcomply site`` does, so the
    output is the same bytes for every ``jobs``.

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
    site_config = SiteConfig(config.path, config.release_notes, config.options)
    site = site_request(site_config, renderers, notes, epoch)
    periods = [period_for(config, installation, period) for installation in selected]
    with locked(out, wait), staging_folder(out) as staging:
        if site.produces_anything:  # before any history is read; put_in_place checks it all
            refuse_foreign(out, [SITE_FOLDER])
        packs = [
            PackJob(
                config,
                installation,
                inst_period,
                library,
                tuple(r for r in renderers if r.scope == "pack"),
                options,
                out,
                staging,
                previous,
                signing_key,
                clock,
                auditor_seed,
                library_dir,
            )
            for installation, inst_period in zip(selected, periods, strict=True)
        ]
        built = _build_all(packs, jobs, progress)
        rels = [pack.rel for pack in built]
        if site.produces_anything:
            packs_read = read_packs([staging / pack.rel for pack in built], site)
            rels += render_site(packs_read, staging, site)
        put_in_place(staging, out, rels)
    site_dir = out / SITE_FOLDER if any(r.scope == "site" for r in site.renderers) else None
    return BuildSummary(out, built, site_dir, warning_lines(notes))


def _build_all(packs: list[PackJob], jobs: int, progress: ProgressFactory) -> list[BuiltPack]:
    """Each pack in this process one after the other, or in ``jobs`` worker processes."""
    if jobs <= 1 or len(packs) <= 1:
        built = []
        for pack in packs:
            with progress(pack.installation.name, pack.steps) as bar:
                built.append(pack.build(bar))
        return built
    count = len(packs)
    with progress(f"{count} installations, {min(jobs, count)} at a time", count) as bar:
        work = [Job(pack.installation.name, pack.build) for pack in packs]
        return run_jobs(work, jobs, lambda name: bar.update(1), noun="installations")


def site_formats() -> tuple[str, ...]:
    """The formats the site step makes: site renderers and renderers with a root hook."""
    return tuple(r.format for r in site_renderers(list(all_renderers().values())))


def parse_site_formats(text: str | None) -> set[str]:
    """``meshcomply site --format``: a subset of the site formats (default: the default ones)."""
    known = site_formats()
    if not text:
        return {name for name in known if name in default_formats()}
    chosen = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(chosen - set(known))
    if unknown:
        raise UnknownFormatError(
            f"not a site format: {', '.join(unknown)} (site formats: {', '.join(sorted(known))})"
        )
    return chosen


def site_config(path: Path) -> SiteConfig:
    """What ``meshcomply site`` reads of meshcomply.yml (no installation, no repository)."""
    return load_site_config(path, config_sections())


@dataclass
class SiteSummary:
    written: list[str]  # below the output folder: site, oscal
    warnings: list[str]  # the release notes', as printed


def assemble_site(
    pack_dirs: list[Path],
    out: Path,
    formats: set[str],
    config: SiteConfig | None,
    *,
    installations: tuple[str, ...] = (),
    allowed_signers: Path | None = None,
    wait: float = 0,
) -> SiteSummary:
    """``meshcomply site``: the build's site step, on pack folders built elsewhere.

    The packs must be one per installation: those named, else every installation of the
    config (with no config, any). Without a config: the default look and no release notes.
    Locked and put in place like a build's output (outfolder.py).
    """
    expected, source = installations, "--installation"
    if config is not None and not installations:
        expected, source = config.installations, config.path.name
    config = config or SiteConfig(Path("meshcomply.yml"), None, {})
    renderers = [r for r in all_renderers().values() if r.format in formats]
    notes = _notes_first(config, renderers)
    site = site_request(config, renderers, notes, source_date_epoch(), allowed_signers)
    with locked(out, wait), staging_folder(out) as staging:
        refuse_foreign(out, [SITE_FOLDER])
        packs_read = read_packs(pack_dirs, site)
        if expected:
            check_installations(packs_read, expected, source)
        written = render_site(packs_read, staging, site)
        put_in_place(staging, out, written)
    return SiteSummary(written, warning_lines(notes))


def _notes_first(config: Config | SiteConfig, renderers: list[Renderer]) -> NotesRead | None:
    """The release notes, read and checked before any history or rendering, if shown at all."""
    if not any(renderer.shows_release_notes for renderer in renderers):
        return None
    return read_notes(config.release_notes)
