"""Builds the portal with Zensical, the successor Material for MkDocs names, from the same files.

Zensical reads the ``mkdocs.yml`` and Markdown pages the portal writes for MkDocs, but runs no
MkDocs plugins. The blocks that keep untrusted text out of Markdown (see blocks.py) are therefore
put in place here, in the built HTML, and every placeholder must be filled: a page with one left
over fails the build. Zensical's search index is built before that, so it holds the pages'
prose and headings but not the blocks (docs/portal.md#engines says what else differs).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from generator.errors import BuildError
from generator.render.portal.blocks import BlockStore, fill_placeholders

_TIMEOUT = 1800  # seconds; the largest portals take minutes with MkDocs too
INSTALL_HINT = "pip install 'meshcomply[zensical]'"


def build_with_zensical(work: Path, out: Path, blocks: BlockStore, epoch: int) -> None:
    """``zensical build`` of ``work/mkdocs.yml`` into ``out`` (its site_dir), blocks put in."""
    command = [sys.executable, "-m", "zensical", "build", "--strict", "--config-file"]
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    try:
        done = subprocess.run(
            [*command, str(work / "mkdocs.yml")],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise BuildError(f"portal: Zensical build took over {_TIMEOUT} s") from None
    except OSError as exc:
        raise BuildError(f"portal: cannot run Zensical: {exc}") from None
    if done.returncode != 0:
        if "No module named zensical" in done.stderr:
            raise BuildError(f"portal.engine: zensical is not installed ({INSTALL_HINT})")
        details = " ".join(done.stderr.split())[-500:] or f"exit {done.returncode}"
        raise BuildError(f"portal: Zensical build failed: {details}")
    if out.resolve() != (work / "site").resolve() or not (out / "index.html").is_file():
        raise BuildError("portal: Zensical wrote no site (expected site/index.html)")
    for src, page_blocks in blocks.items():
        page = out / f"{src.removesuffix('.md')}.html"
        try:
            html = page.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise BuildError(f"portal: Zensical built no page for {src}") from None
        page.write_text(fill_placeholders(html, page_blocks, src), encoding="utf-8")
