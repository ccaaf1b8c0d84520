"""The registry of output renderers.

A renderer reads only evidence models (the parsed ``evidence.json`` of each pack) and writes files.
``scope="pack"`` renderers write into one pack folder (e.g. the PDF); ``scope="site"`` renderers
see every pack of the build at once (e.g. the HTML portal). Built-in renderers are the modules and
packages of ``generator.render`` that define ``RENDERER``; others come through the
``meshcomply.renderers`` entry-point group, registered by the same function.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.signing import SignerIdentity


@dataclass(frozen=True)
class PackInput:
    """One built pack as a site renderer sees it."""

    model: dict[str, Any]  # the parsed evidence.json
    pack_dir: Path  # where the pack's files are in this build
    rel: str  # its path below the output folder, e.g. "packs/acme/2026-01-01_2026-06-30"


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


class RendererRegistryError(Exception):
    pass


def _register(module: ModuleType, renderers: dict[str, Renderer]) -> None:
    renderer = getattr(module, "RENDERER", None)
    if renderer is None:
        return  # a helper module of the package, not a renderer
    if not isinstance(renderer, Renderer) or renderer.scope not in ("pack", "site"):
        raise RendererRegistryError(
            f"{module.__name__}: RENDERER must be a Renderer(scope=pack|site)"
        )
    if renderer.format in renderers:
        raise RendererRegistryError(f"renderer format '{renderer.format}' registered twice")
    renderers[renderer.format] = renderer


@cache
def all_renderers() -> dict[str, Renderer]:
    """Every registered renderer, by format name."""
    from generator import render as builtin

    found: dict[str, Renderer] = {}
    for info in sorted(pkgutil.iter_modules(builtin.__path__), key=lambda m: m.name):
        if info.name == "registry":
            continue
        _register(importlib.import_module(f"{builtin.__name__}.{info.name}"), found)
    for point in sorted(entry_points(group="meshcomply.renderers"), key=lambda p: p.name):
        _register(point.load(), found)
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))
