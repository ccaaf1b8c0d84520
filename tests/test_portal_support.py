"""Shared helpers for the portal tests (this module holds no tests itself).

Packs are written the way the build writes them (evidence.json and tables in a pack folder), from
synthetic evidence models, and the portal is built from them through its public render function.
"""

from __future__ import annotations

import hashlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from generator.evidence.codec import write_model
from generator.evidence.model import EvidenceModel
from generator.render.portal import render
from generator.render.registry import PackInput, RenderOptions
from generator.testing import synthetic_evidence

PERIOD = "2026-01-01_2026-06-30"


def write_pack(root: Path, model: EvidenceModel, label: str = PERIOD) -> PackInput:
    rel = f"packs/{model.installation}/{label}"
    pack_dir = root / rel
    pack_dir.mkdir(parents=True, exist_ok=True)
    write_model(model, pack_dir / "evidence.json")
    (pack_dir / "changes.csv").write_text(
        "sha,subject\n" + "".join(f"{c.sha},x\n" for c in model.changes), encoding="utf-8"
    )
    (pack_dir / "sample.csv").write_text("environment,sha\n", encoding="utf-8")
    (pack_dir / "deviations.csv").write_text("id,kind\n", encoding="utf-8")
    (pack_dir / "evidence-pack.pdf").write_bytes(b"%PDF-1.7\n% stand-in for the PDF renderer\n")
    return PackInput(model, pack_dir, rel)


def fleet(root: Path, *, hostile: bool, changes: int = 1100) -> list[PackInput]:
    """Two installations; the first with two periods and several change pages."""
    return [
        write_pack(root, synthetic_evidence("acme", changes=changes, hostile=hostile)),
        write_pack(
            root,
            synthetic_evidence(
                "acme", changes=40, controls=8, hostile=hostile, period=("2025-07-01", "2025-12-31")
            ),
            "2025-07-01_2025-12-31",
        ),
        write_pack(
            root, synthetic_evidence("globex", changes=30, controls=8, hostile=hostile, seed=1)
        ),
    ]


def build(root: Path, packs: list[PackInput], **portal: Any) -> Path:
    site = root / "site"
    render(packs, site, RenderOptions(portal=portal, source_date_epoch=1782838800))
    return site


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class Page(HTMLParser):
    """Every element with its attributes, script sources/texts, ids and visible text of a page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[str | None, str]] = []  # (src, inline text)
        self.ids: set[str] = set()
        self.text: list[str] = []
        self._in_script: dict[str, str | None] | None = None
        self._script_text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))
        if tag == "script":
            self._in_script, self._script_text = attributes, []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_script is not None:
            self.scripts.append((self._in_script.get("src"), "".join(self._script_text).strip()))
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            self._script_text.append(data)
        else:
            self.text.append(data)


def pages(site: Path) -> dict[Path, Page]:
    return {path: Page(path.read_text("utf-8")) for path in sorted(site.rglob("*.html"))}
