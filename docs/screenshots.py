"""Regenerate the screenshots in docs/img from the current demo (docs/pdf.md, docs/portal.md).

    python3 docs/screenshots.py                   # builds the demo in a temporary folder
    python3 docs/screenshots.py --demo DIR        # or reads one `meshcomply demo --out DIR` built

Each image keeps the framing the pages link to: PDF pages side by side on a grey background
(1206 x 851, two A4 pages at 70 dpi), portal pages as a 1400-pixel-wide browser window shows
them, and four pages at phone width (390 x 844 each) side by side. Needs `pdftoppm` and
`pdftotext` (poppler-utils), Chromium and Pillow. Images are stored as 256-colour PNGs: a fifth
of the size of full colour, and text stays sharp.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
INSTALLATION = "globex"  # the demo installation the images show
GREY, WHITE = (208, 213, 221), (255, 255, 255)
PAGE, MARGIN = (579, 819), 16  # an A4 page at 70 dpi, and the grey around it
PHONE, PHONE_GAP = (390, 844), 10

# image name -> the two PDF pages, each found by the first page whose text starts with it
PDF_IMAGES = {
    "pdf-cover.png": ("", "Document control"),
    "pdf-contents.png": ("Contents", "Executive summary"),
    "pdf-control.png": ("MS-CHG-03 · ", "+1"),  # the control's first page and the next one
    "pdf-changes.png": ("Statement of Applicability", "Change population"),
    "pdf-timeline.png": ("Release promotion timeline", "Methodology"),
}
# image name -> (page below the installation's pack folder; "" is the fleet overview, window)
PORTAL_IMAGES = {
    "portal-home.png": ("", (1400, 800)),
    "portal-summary.png": ("index.html", (1400, 1000)),
    "portal-soa.png": ("soa.html", (1400, 1000)),
    "portal-control.png": ("controls/ms-chg-03.html", (1400, 1000)),
    "portal-changes.png": ("changes/index.html", (1400, 900)),
    "portal-releases.png": ("releases.html", (1400, 1000)),
}
PHONE_PAGES = ("", "soa.html", "controls/ms-chg-03.html", "changes/index.html")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, help="a folder `meshcomply demo --out` wrote")
    parser.add_argument("--out", type=Path, default=HERE / "img", help="default: docs/img")
    args = parser.parse_args(argv)
    missing = [t for t in ("pdftoppm", "pdftotext") if shutil.which(t) is None]
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if missing or browser is None:
        print(f"needs {', '.join(missing + ([] if browser else ['chromium']))}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="meshcomply-shots-") as scratch:
        demo = args.demo or _build_demo(Path(scratch) / "demo")
        work = Path(scratch)
        pdf = _one(demo / "packs" / INSTALLATION, "*/evidence-pack.pdf")
        pack_site = _one(demo / "site" / INSTALLATION, "*/index.html").parent
        for name, (first, second) in PDF_IMAGES.items():
            pages = _pdf_pages(pdf, first, second)
            _save(
                _side_by_side([_pdf_page(pdf, n, work) for n in pages], GREY, MARGIN),
                args.out / name,
            )
        for name, (page, window) in PORTAL_IMAGES.items():
            url = (pack_site / page) if page else demo / "site" / "index.html"
            _save(_browser_shot(browser, url, window, work), args.out / name)
        phones = [
            _browser_shot(
                browser, (pack_site / p) if p else demo / "site" / "index.html", PHONE, work
            )
            for p in PHONE_PAGES
        ]
        _save(_side_by_side(phones, WHITE, 0, gap=PHONE_GAP), args.out / "portal-phone.png")
    return 0


def _build_demo(folder: Path) -> Path:
    subprocess.run(
        ["meshcomply", "demo", "--out", str(folder)], check=True, stdout=subprocess.DEVNULL
    )
    return folder


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        raise SystemExit(f"expected one {pattern} in {folder}, found {len(found)}")
    return found[0]


def _pdf_pages(pdf: Path, first: str, second: str) -> list[int]:
    """The numbers of the two pages: each the first page whose text starts with its words
    ("" is the cover, "+1" the page after the first)."""
    texts = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout.split("\f")  # fmt: skip

    def find(words: str, after: int = 0) -> int:
        if words == "":
            return 1
        if words == "+1":
            return after + 1
        for number, text in enumerate(texts, start=1):
            # The running header is the first line; the page's heading comes next.
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if any(line.startswith(words) for line in lines[1:3]):
                return number
        raise SystemExit(f"{pdf}: no page starts with {words!r}")

    start = find(first)
    return [start, find(second, start)]


def _pdf_page(pdf: Path, number: int, work: Path) -> Image.Image:
    stem = work / f"page-{number}"
    width, height = PAGE
    subprocess.run(["pdftoppm", "-png", "-singlefile", "-f", str(number), "-l", str(number),
                    "-scale-to-x", str(width), "-scale-to-y", str(height), str(pdf), str(stem)],
                   check=True)  # fmt: skip
    return Image.open(stem.with_suffix(".png")).convert("RGB")


def _browser_shot(browser: str, page: Path, window: tuple[int, int], work: Path) -> Image.Image:
    shot = work / "shot.png"
    shot.unlink(missing_ok=True)
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--force-device-scale-factor=1", "--virtual-time-budget=3000",
                    f"--window-size={window[0]},{window[1]}", f"--screenshot={shot}",
                    page.resolve().as_uri()],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    return Image.open(shot).convert("RGB")


def _side_by_side(
    images: list[Image.Image], background: tuple[int, int, int], margin: int, gap: int | None = None
) -> Image.Image:
    """The images in a row, `margin` around them and `gap` (default: `margin`) between."""
    gap = margin if gap is None else gap
    width = sum(i.width for i in images) + gap * (len(images) - 1) + 2 * margin
    height = max(i.height for i in images) + 2 * margin
    canvas = Image.new("RGB", (width, height), background)
    x = margin
    for image in images:
        canvas.paste(image, (x, margin))
        x += image.width + gap
    return canvas


def _save(image: Image.Image, path: Path) -> None:
    """As a 256-colour PNG without dithering (screenshots have few colours; dithering would only
    speckle the text)."""
    paletted = image.quantize(
        colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    paletted.save(path, optimize=True)
    print(f"{path}: {image.width} x {image.height}, {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    sys.exit(main())
