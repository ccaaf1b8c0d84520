"""The registry of output renderers.

A renderer reads only evidence models (the parsed ``evidence.json`` of each pack) and writes files.
``scope="pack"`` renderers write into one pack folder (e.g. the PDF); ``scope="site"`` renderers
see every pack of the build at once (e.g. the HTML portal). A renderer with ``default=False``
runs only when ``--format`` names it, and its optional ``root`` hook writes once per build below
the output folder (the OSCAL component definition). Built-in renderers are the modules and
packages of ``generator.render`` that define ``RENDERER``; others come through the
``meshcomply.renderers`` entry-point group, both registered by ``generator.plugins.Registry``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.config import OptionsSection
from generator.plugins import Registry

if TYPE_CHECKING:
    from generator.evidence.model import EvidenceModel
    from generator.releasenotes.view import ReleaseView
    from generator.signing import SignerIdentity


@dataclass(frozen=True)
class PackInput:
    """One built pack as a site renderer sees it."""

    model: EvidenceModel  # what evidence.json holds
    pack_dir: Path  # where the pack's files are in this build
    rel: str  # its path below the output folder, e.g. "packs/acme/2026-01-01_2026-06-30"
    # The build's release notes joined with this model, one view per environment in the model's
    # order (generator.notes_stage); empty when the build has no notes or no renderer shows them.
    release_views: tuple[ReleaseView, ...] = ()


@dataclass(frozen=True)
class RenderOptions:
    """Settings from meshcomply.yml that shape output but never its facts."""

    pdf: dict[str, Any] = field(default_factory=dict)
    portal: dict[str, Any] = field(default_factory=dict)
    release_notes: Path | None = None
    source_date_epoch: int | None = None
    signer: SignerIdentity | None = None  # --sign: the key that will sign each pack's manifest


@dataclass(frozen=True)
class Renderer:
    format: str  # the name used with --format
    scope: str  # "pack" or "site"
    # pack: render(model, pack_dir, options) -> None; site: render(packs, site_dir, options) -> None
    render: Callable[..., None]
    order: int = 50  # pack renderers run before the manifest; site renderers after it
    # Its top-level section of meshcomply.yml, checked while the config loads.
    options: OptionsSection | None = None
    # Built when --format is not given; False: only when named (e.g. oscal).
    default: bool = True
    # Once per build, after the packs: root(packs, out_dir, options) writes below the output
    # folder and returns the top-level names it wrote (moved into place like packs/ and site/).
    root: Callable[[list[PackInput], Path, RenderOptions], list[str]] | None = None
    # It shows release notes: the build then reads `release_notes:` before anything else and
    # joins them with each pack (PackInput.release_views).
    shows_release_notes: bool = False


RENDERERS: Registry[Renderer] = Registry(
    title="renderers",
    noun="renderer format",
    package="generator.render",
    group="meshcomply.renderers",
    attribute="RENDERER",
    item_type=Renderer,
    name_of=lambda renderer: renderer.format,
    helpers_allowed=True,  # registry.py, timeline.py: shared by the renderers
    check=lambda renderer: (
        None if renderer.scope in ("pack", "site") else "RENDERER must have scope pack or site"
    ),
)


@cache
def all_renderers() -> dict[str, Renderer]:
    """Every registered renderer, by format name, in running order."""
    found = RENDERERS.load()
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


def renderer_options() -> tuple[OptionsSection, ...]:
    """The meshcomply.yml sections the registered renderers own, for ``load_config``."""
    return tuple(r.options for r in all_renderers().values() if r.options is not None)
