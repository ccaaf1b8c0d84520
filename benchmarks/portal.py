"""Portal build speed against a plain MkDocs build of as many, equally sized pages.

Scenarios: 1, 10 and 100 installations (synthetic evidence models, 60 changes and 32 controls
each) and one installation with 100,000 changes. For each, the portal is rendered from packs on
disk (evidence models to Markdown, MkDocs Material build, downloads copied), then a baseline is
built in the same run: the same number of Markdown pages in the same folders, each as large as
the portal page's content, plain prose, with the same theme, features and plugins and MkDocs'
automatic navigation. Prints seconds per page for both and their ratio (target: at most 1.5).

The 1- and 10-installation builds are short, so each side takes the best of three runs.
Times are the process's CPU seconds (both builds are single-threaded), so other work on a shared
machine barely moves the ratio; wall-clock seconds are printed alongside.

    python benchmarks/portal.py            # the full set (several minutes on 2 cores)
    python benchmarks/portal.py --quick    # 1, 10, 30 installations and 20,000 changes
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from mkdocs.commands.build import build
from mkdocs.config import load_config

from generator.render.portal import render
from generator.render.registry import PackInput, RenderOptions
from generator.testing import synthetic_evidence

ARTICLE = re.compile(r'<article class="md-content__inner md-typeset">(.*?)</article>', re.S)
PROSE = (
    "The change was reviewed and approved before it reached production, as the control requires. "
)


def _clock() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def _elapsed(started: tuple[float, float]) -> tuple[float, float]:
    cpu, wall = _clock()
    return cpu - started[0], wall - started[1]


def write_packs(root: Path, installations: int, changes: int) -> list[PackInput]:
    packs = []
    for index in range(installations):
        name = "acme" if installations == 1 else f"inst-{index:03d}"
        model = synthetic_evidence(name, changes=changes, seed=index)
        pack_dir = root / "packs" / name / "2026-01-01_2026-06-30"
        pack_dir.mkdir(parents=True)
        (pack_dir / "evidence.json").write_text(json.dumps(model), encoding="utf-8")
        packs.append(PackInput(model, pack_dir, f"packs/{name}/2026-01-01_2026-06-30"))
    return packs


def content_sizes(site: Path) -> dict[str, int]:
    """Each built page's Markdown source path and the size of its article content."""
    sizes = {}
    for page in sorted(site.rglob("*.html")):
        match = ARTICLE.search(page.read_text("utf-8"))
        source = page.relative_to(site).with_suffix(".md").as_posix()
        sizes[source] = len(match.group(1)) if match else 0
    return sizes


def baseline_seconds(root: Path, sizes: dict[str, int]) -> tuple[float, float]:
    docs = root / "docs"
    for source, size in sizes.items():
        path = docs / source
        path.parent.mkdir(parents=True, exist_ok=True)
        paragraphs = max(1, size // 800)
        body = "\n\n".join(PROSE * 8 for _ in range(paragraphs))
        path.write_text(f"# Page {source}\n\n## Section\n\n{body}\n", encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        "site_name: baseline\nuse_directory_urls: false\n"
        "theme:\n  name: material\n  font: false\n"
        "  features: [navigation.prune, navigation.top, navigation.footer]\n"
        "plugins: [search, offline]\n",
        encoding="utf-8",
    )
    started = _clock()
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site"))
    build(config)
    return _elapsed(started)


def scenario(label: str, installations: int, changes: int, runs: int) -> dict[str, float]:
    """Best of ``runs`` builds each (small builds are short enough to be noisy)."""
    portal = portal_wall = base = base_wall = float("inf")
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        root = Path(tmp)
        packs = write_packs(root, installations, changes)
        for run in range(runs):
            started = _clock()
            render(packs, root / "site", RenderOptions(source_date_epoch=0))
            cpu, wall = _elapsed(started)
            portal, portal_wall = min(portal, cpu), min(portal_wall, wall)
            sizes = content_sizes(root / "site")
            cpu, wall = baseline_seconds(root / f"baseline-{run}", sizes)
            base, base_wall = min(base, cpu), min(base_wall, wall)
            shutil.rmtree(root / f"baseline-{run}")
    pages = len(sizes)
    row = {
        "pages": pages,
        "portal_s": portal,
        "baseline_s": base,
        "portal_ms_per_page": 1000 * portal / pages,
        "baseline_ms_per_page": 1000 * base / pages,
        "ratio": portal / base,
    }
    print(
        f"{label:<32} {pages:>5} pages  CPU: portal {portal:7.2f} s"
        f" ({row['portal_ms_per_page']:5.1f} ms/page), plain mkdocs {base:7.2f} s"
        f" ({row['baseline_ms_per_page']:5.1f} ms/page)"
        f"  ratio {row['ratio']:.2f}  (wall {portal_wall:.1f} s vs {base_wall:.1f} s)",
        flush=True,
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a fast check")
    args = parser.parse_args()
    fleets = (1, 10, 30) if args.quick else (1, 10, 100)
    big = 20_000 if args.quick else 100_000
    # Warm-up, untimed: imports and first-use costs must not count against the first scenario.
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        render(write_packs(Path(tmp), 1, 10), Path(tmp) / "site", RenderOptions())
        baseline_seconds(Path(tmp) / "baseline", {"index.md": 100})
    rows = [scenario(f"{n} installation(s)", n, 60, runs=3 if n < 30 else 1) for n in fleets]
    rows.append(scenario(f"1 installation, {big:,} changes", 1, big, runs=1))
    worst = max(row["ratio"] for row in rows)
    print(f"worst ratio {worst:.2f} (target <= 1.5): {'met' if worst <= 1.5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
