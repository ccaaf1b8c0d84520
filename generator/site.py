"""The site step: the portal (and the once-per-build files) from finished pack folders.

One path for ``meshcomply build`` and ``meshcomply site``: both hand this module pack folders
(the build its freshly staged packs, ``site`` the folders it is given, e.g. a CI matrix's
artifacts), and it verifies each pack's manifest, reads its ``evidence.json`` back, joins the
release notes with it and runs the site renderers (the portal) and the renderers' ``root`` hooks
(the OSCAL component definition). So a portal assembled from packs built in separate jobs is
byte-identical to the one a single build makes.

What the site needs beyond the packs is not in them: the portal's look (``portal:`` of
meshcomply.yml) and the release notes (``release_notes:``) come from the config (``SiteConfig``),
the date of a reproducible build from ``SOURCE_DATE_EPOCH``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.config import SiteConfig
from generator.errors import BuildError, InputError
from generator.evidence.streamread import read_stored_model
from generator.manifest import (
    check_files,
    pack_file_problems,
    recorded_credentials,
    recorded_sha256,
)
from generator.notes_stage import release_views
from generator.outfolder import mark_site
from generator.releasenotes.loader import NotesRead
from generator.render.registry import PackInput, Renderer, RenderOptions
from generator.signing import check_signature

SITE_FOLDER = "site"


@dataclass(frozen=True)
class SiteRequest:
    """What the site step renders and with which settings."""

    renderers: tuple[Renderer, ...]  # site renderers and renderers with a root hook
    config: SiteConfig  # the renderers' sections (portal:) and release_notes:
    notes: NotesRead | None  # read and checked before anything else, when a renderer shows them
    source_date_epoch: int | None = None
    allowed_signers: Path | None = None  # also require a good manifest signature

    @property
    def produces_anything(self) -> bool:
        return bool(self.renderers)

    def options(self) -> RenderOptions:
        """The settings the site renderers see: the same whether built or assembled (the
        signer of a pack is the pack renderers' business)."""
        return RenderOptions(
            pdf=self.config.options.get("pdf", {}),
            portal=self.config.options.get("portal", {}),
            release_notes=self.config.release_notes,
            source_date_epoch=self.source_date_epoch,
        )


def site_renderers(renderers: list[Renderer]) -> tuple[Renderer, ...]:
    """Of the chosen renderers, those the site step runs (a scope "site" or a root hook)."""
    return tuple(r for r in renderers if r.scope == "site" or r.root is not None)


def site_request(
    config: SiteConfig,
    renderers: list[Renderer],
    notes: NotesRead | None,
    source_date_epoch: int | None,
    allowed_signers: Path | None = None,
) -> SiteRequest:
    return SiteRequest(
        site_renderers(renderers),
        config,
        notes,
        source_date_epoch,
        allowed_signers,
    )


def read_packs(pack_dirs: list[Path], request: SiteRequest) -> list[PackInput]:
    """Each pack verified against its manifest and its model read back; a BuildError naming
    every pack that fails, with its problems."""
    failed: dict[Path, list[str]] = {}
    inputs: list[PackInput] = []
    for pack_dir in pack_dirs:
        problems = check_files(pack_dir)
        if request.allowed_signers is not None and not problems:
            problems += check_signature(pack_dir, request.allowed_signers)[0]
        if not problems:
            try:
                # the bytes read must be the ones just verified: the file may change meanwhile
                verified = recorded_sha256(pack_dir, "evidence.json")
                model = read_stored_model(pack_dir / "evidence.json", verified)
            except InputError as exc:
                problems = pack_file_problems(exc, "evidence.json")
        if problems:
            failed[pack_dir] = problems
            continue
        rel = f"packs/{model.installation}/{model.period.start}_{model.period.end}"
        views = release_views(model, request.notes.notes) if request.notes is not None else ()
        inputs.append(PackInput(model, pack_dir, rel, views))
    if failed:
        lines = [f"{folder}: {problem}" for folder, found in failed.items() for problem in found]
        plural = "s" if len(failed) != 1 else ""
        raise BuildError(f"{len(failed)} pack{plural} failed verification:\n" + "\n".join(lines))
    _no_credentials(inputs)
    _no_two_alike(inputs)
    # In one order whatever the order of the folders given: the site's bytes never depend on it.
    return sorted(inputs, key=lambda pack: pack.rel)


def _no_credentials(inputs: list[PackInput]) -> None:
    """Refuse a pack whose evidence.json records its repository URL with credentials (an older
    meshcomply kept them): its pages, its PDF and its evidence.json, which the site offers for
    download and which cannot change without breaking manifest.json, would publish them."""
    lines = [
        f"{pack.pack_dir}: {found}: the portal would publish them on its pages and in the "
        "pack's files it offers for download (evidence.json, the PDF), which cannot be changed "
        "without breaking manifest.json. Rebuild the pack with this meshcomply, which records "
        "the URL without them, and revoke the token"
        for pack in inputs
        if (found := recorded_credentials(pack.pack_dir, pack.model)) is not None
    ]
    if lines:
        plural = "s" if len(lines) != 1 else ""
        raise BuildError(f"{len(lines)} pack{plural} refused:\n" + "\n".join(lines))


def _no_two_alike(inputs: list[PackInput]) -> None:
    seen: dict[str, Path] = {}
    for pack in inputs:
        if pack.rel in seen:
            period = f"{pack.model.period.start}..{pack.model.period.end}"
            raise BuildError(
                f"{seen[pack.rel]} and {pack.pack_dir} are both the pack of installation "
                f"'{pack.model.installation}' for {period}"
            )
        seen[pack.rel] = pack.pack_dir


def check_installations(inputs: list[PackInput], expected: tuple[str, ...], source: str) -> None:
    """One pack for each expected installation and none of another: a portal assembled from CI
    jobs where one failed must not quietly lack its installation."""
    found = {pack.model.installation for pack in inputs}
    missing = [name for name in expected if name not in found]
    foreign = sorted(found - set(expected))
    lines = [f"no pack of installation '{name}' ({source} names it)" for name in missing]
    lines += [f"a pack of installation '{name}', which {source} does not name" for name in foreign]
    if lines:
        raise BuildError("\n".join(lines))


def render_site(inputs: list[PackInput], staging: Path, request: SiteRequest) -> list[str]:
    """Render the site below ``staging`` from the packs read; the top-level names it wrote."""
    options = request.options()
    written: list[str] = []
    for renderer in request.renderers:
        if renderer.scope == "site":
            renderer.render(inputs, staging / SITE_FOLDER, options)
            if SITE_FOLDER not in written:
                written.append(SITE_FOLDER)
    if SITE_FOLDER in written:
        mark_site(staging / SITE_FOLDER)
    for renderer in request.renderers:
        if renderer.root is not None:
            written.extend(renderer.root(inputs, staging, options))
    return written
