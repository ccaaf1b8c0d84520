"""One installation's pack, written into a build's staging folder (in the build's process or a
worker's): the evidence model, evidence.json and the CSV tables, the pack renderers (the PDF) on
the pack as written, then the manifest and its signature.

build.py decides which packs are made, runs them one after the other or in worker processes, and
puts them in place; what is in a pack folder, and in which order it is written, is decided here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from generator.config import Config, InstallationConfig, Period
from generator.errors import InputError
from generator.evidence.codec import read_source, write_model
from generator.evidence.cutoff import BuildClock
from generator.evidence.deviations import summary_counts
from generator.evidence.model import DeviationCounts, EvidenceModel
from generator.evidence.pack import AuditorSeed, make_model
from generator.evidence.streamread import read_stored_model
from generator.evidence.tables import write_tables
from generator.library import ControlLibrary
from generator.manifest import write_manifest
from generator.render.registry import Renderer, RenderOptions
from generator.signing import SigningKey, sign_manifest
from generator.status import Status


class Progress(Protocol):
    def update(self, steps: int) -> None: ...


class NoProgress:
    def update(self, steps: int) -> None:
        return None


@dataclass
class BuiltPack:
    installation: str
    period: Period
    rel: str  # below the output folder
    statuses: dict[str, int] = field(default_factory=dict)
    deviations: DeviationCounts = field(default_factory=lambda: DeviationCounts(0, 0))
    rewritten: bool = False  # the head of the previous build is no longer in the history
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PackJob:
    """One installation's pack, built into the staging folder (in this or a worker process)."""

    config: Config
    installation: InstallationConfig
    period: Period
    library: ControlLibrary
    renderers: tuple[Renderer, ...]  # the pack renderers
    options: RenderOptions
    out: Path
    staging: Path
    previous: Path | None
    signing_key: SigningKey | None
    clock: BuildClock  # the build's one "now", taken before any worker starts
    auditor_seed: AuditorSeed | None
    library_dir: Path

    @property
    def rel(self) -> str:
        return f"packs/{self.installation.name}/{self.period.label}"

    @property
    def steps(self) -> int:
        return 3 + len(self.renderers)

    def build(self, progress: Progress | None = None) -> BuiltPack:
        progress = progress or NoProgress()
        pack_dir = self.staging / self.rel
        pack_dir.mkdir(parents=True)
        model = make_model(
            self.config,
            self.installation,
            self.period,
            self.library,
            previous=self.previous,
            previous_head=previous_head(self.out, self.installation.name),
            progress=progress.update,
            clock=self.clock,
            auditor_seed=self.auditor_seed,
            library_dir=self.library_dir,
        )
        write_model(model, pack_dir / "evidence.json")
        write_tables(model, pack_dir)
        progress.update(1)
        built = BuiltPack(
            self.installation.name,
            self.period,
            self.rel,
            _status_counts(model),
            summary_counts(model.deviations),
            rewritten=model.source.history_rewritten,
            warnings=[*model.cut_off.notes, *model.source.warnings],
        )
        documents = model.documents
        del model  # the pack renderers read the pack as written (_render_pack)
        _render_pack(self.renderers, pack_dir, self.options, progress)
        write_manifest(pack_dir, documents)
        if self.signing_key is not None:
            sign_manifest(pack_dir, self.signing_key)  # last: it vouches for the manifest
        return built


def previous_head(out: Path, installation: str) -> str | None:
    """The head recorded by the newest earlier build of this installation in the output folder."""
    packs = sorted((out / "packs" / installation).glob("*/evidence.json"))
    if not packs:
        return None
    try:
        return read_source(packs[-1]).head
    except InputError:
        return None  # an unreadable earlier pack only means no head to start from


def _render_pack(
    renderers: tuple[Renderer, ...], pack_dir: Path, options: RenderOptions, progress: Progress
) -> None:
    """The pack renderers (the PDF) on evidence.json as written, its long lists read when shown
    (evidence/streamread.py), as the site step reads it: the model built in memory (about 300 MB
    on the 100k-commit history) is let go before the PDF's own memory is taken."""
    if not renderers:
        return
    model = read_stored_model(pack_dir / "evidence.json")
    for renderer in renderers:
        renderer.render(model, pack_dir, options)
        progress.update(1)


def _status_counts(model: EvidenceModel) -> dict[str, int]:
    counts = dict.fromkeys(Status, 0)
    for control in model.controls:
        counts[control.status] += 1
    return counts
