"""PDF evidence pack speed and memory against WeasyPrint rendering the same HTML as one document.

For packs of about 50 and 500 pages (synthetic evidence models; the page count comes from the
change population printed in full), each run in a fresh process while this script samples the
resident memory of that process and all its children (the worker processes) every 50 ms:

* baseline: the whole document's final HTML laid out and written by WeasyPrint in one process
  (PDF/A-3b with attachments, like the pack), exactly what the renderer does for small packs;
* pack: ``generator.render.pdf.render`` as the build calls it (parts in worker processes when
  the pack is large, chosen automatically).

Small packs are measured three times each, alternating, and the fastest run of each is kept.
Prints seconds, pages, pages/s, peak memory and CPU seconds (of the process and its workers) for
both, the machine's load average during each, and the time ratio pack/baseline. On a shared
machine the load average says how much the wall-clock times can be trusted.
Targets: 500 pages: ratio < 1.0 and peak < 1 GB; 50 pages: ratio < 1.2.

    python benchmarks/pdf.py               # ~50 and ~500 pages (several minutes on 2 cores)
    python benchmarks/pdf.py --quick       # ~50 and ~150 pages
    python benchmarks/pdf.py --changes 3000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Change rows printed: about 18 make a page of the synthetic model.
SIZES = {"~50 pages": 250, "~500 pages": 8400}
QUICK_SIZES = {"~50 pages": 250, "~150 pages": 2100}


def make_pack(folder: Path, changes: int) -> Path:
    from generator.evidence.tables import write_tables
    from generator.testing import synthetic_evidence

    model = synthetic_evidence("bench", changes=changes)
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False)
    (folder / "evidence.json").write_text(text, encoding="utf-8")
    write_tables(model, folder)
    return folder


def _options(changes: int) -> dict:
    return {"max_change_rows": max(changes, 1)}


def run_child(mode: str, pack: Path, changes: int) -> None:
    """In the measured process: render once, print seconds and pages as JSON."""
    from pypdf import PdfReader

    from generator.render import pdf
    from generator.render.registry import RenderOptions

    model = json.loads((pack / "evidence.json").read_text("utf-8"))
    options = RenderOptions(pdf=_options(changes))
    start = time.perf_counter()
    if mode == "baseline":
        context, _ = pdf.document_context(model, pack, options)
        target = pack / "baseline.pdf"
        target.write_bytes(pdf.render_single(context, pack))
    else:
        pdf.render(model, pack, options)
        target = pack / pdf.PDF_NAME
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "pages": len(PdfReader(target).pages)}))


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry.name)] = int(line.split()[1]) * 1024
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(mode: str, pack: Path, changes: int) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--pack", str(pack)]
    command += ["--changes", str(changes)]
    load_before = os.getloadavg()[0]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    peak, status, usage = 0, None, None
    while status is None:
        pid, code, rusage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            status, usage = code, rusage
            break
        peak = max(peak, _tree_rss(process.pid))
        time.sleep(0.05)
    process.returncode = os.waitstatus_to_exitcode(status)
    output = process.stdout.read() if process.stdout else ""
    if process.returncode != 0:
        raise SystemExit(f"{mode} run failed (exit {process.returncode})")
    result = json.loads(output.strip().splitlines()[-1])
    # CPU of the child and every process it waited for (the workers): the work, whatever the
    # machine's other load did to the wall-clock time.
    cpu = usage.ru_utime + usage.ru_stime
    load = (load_before + os.getloadavg()[0]) / 2
    return {**result, "peak_mb": peak / 2**20, "cpu": cpu, "load": load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--changes", type=int, action="append")
    parser.add_argument("--repeat", type=int, default=3, help="runs of small packs (best kept)")
    parser.add_argument("--child", choices=("baseline", "pack"))
    parser.add_argument("--pack", type=Path)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.pack, args.changes[0])
        return
    sizes = QUICK_SIZES if args.quick else SIZES
    if args.changes:
        sizes = {f"{n} changes": n for n in args.changes}
    print(f"CPUs: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="meshcomply-pdf-bench-") as tmp:
        for label, changes in sizes.items():
            pack = make_pack(Path(tmp) / f"pack-{changes}", changes)
            # Small packs take seconds, so noise from other processes matters: the best of
            # several alternating runs of each. Large ones run once (minutes each).
            repeat = args.repeat if changes <= 1000 else 1
            runs: dict[str, list[dict]] = {"baseline": [], "pack": []}
            for _ in range(repeat):
                for mode in runs:
                    runs[mode].append(measure(mode, pack, changes))
            base = min(runs["baseline"], key=lambda r: r["seconds"])
            ours = min(runs["pack"], key=lambda r: r["seconds"])
            runs_note = f", best of {repeat} runs each" if repeat > 1 else ""
            print(f"\n{label} ({changes} changes printed{runs_note})")
            for name, row in (("baseline (one document)", base), ("pack renderer", ours)):
                print(
                    f"  {name:24} {row['seconds']:7.1f} s  {row['pages']:4d} pages  "
                    f"{row['pages'] / row['seconds']:5.1f} pages/s  peak {row['peak_mb']:6.0f} MB  "
                    f"CPU {row['cpu']:6.1f} s  (load avg {row['load']:.1f})"
                )
            print(f"  ratio pack/baseline: {ours['seconds'] / base['seconds']:.2f}")


if __name__ == "__main__":
    main()
