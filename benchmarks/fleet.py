"""Benchmark of a fleet: many installations in one ``meshcomply build``, serial and parallel.

    python benchmarks/fleet.py                          # 100 installations, a year of history each
    python benchmarks/fleet.py --installations 6        # a quick run
    python benchmarks/fleet.py --format json,pdf,html   # every installation's PDF and the portal

Makes, in a temporary folder, ``--installations`` synthetic configuration repositories (the
build benchmark's history: one commit an hour for ``--commits`` hours, a staging version bump and
a ``production/<version>`` tag every 50 commits; each repository with its own random seed, so
their commits differ) and one ``meshcomply.yml`` naming them all, with the year as the period.
Then times ``meshcomply build`` end to end, each time as a new process with a cold history cache:
with ``--jobs 1`` and with ``--jobs`` left at its default (the number of CPUs), and prints both
wall times, the speed-up, the cost per installation and the largest resident set of any one
process (a worker's, with --jobs above 1; N workers hold up to N such sets at once). While each
build runs, its process tree is polled (/proc, five times a second) for the number of worker
processes alive at once (``--jobs`` default must show as many as CPUs) and the largest sum of
their resident sets, what the machine must hold. The load average is printed before and after:
the machine may be shared, and the speed-up measured in the same run is what to read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
sys.path.insert(0, str(HERE))

import release_notes as synthetic  # noqa: E402  (the synthetic history generator)
from build import Run, measured_command, measured_run  # noqa: E402  (wall, CPU and peak)

HOURS_A_YEAR = 365 * 24
INSTALLATION = """\
  {name}:
    repo: ./repos/{name}
    ref: main
    environments:
      staging:
        paths: ["environments/staging/**"]
        release: {{file: environments/staging/meshstack.yaml, key: meshstack.version}}
      production:
        paths: ["environments/production/**"]
        release: {{tag_pattern: '^production/(?P<version>[0-9]+\\.[0-9]+\\.[0-9]+)$'}}
        approval: required
"""


def make_repo(args: tuple[Path, int, int]) -> None:
    """One installation's repository: `commits` hourly commits from seed `seed`."""
    repo, commits, seed = args
    versions = synthetic.note_versions(commits // synthetic.EVERY + 2)
    stream = synthetic.commit_stream(
        range(1, commits + 1), lambda release: versions[release], random.Random(seed)
    )
    env = synthetic.git_env()
    subprocess.run(["git", "init", "-q", "--initial-branch=main", str(repo)], check=True, env=env)
    synthetic.fast_import(repo, stream)


@dataclass
class Tree:
    """What polling a build's process tree saw: workers at once and resident memory."""

    workers: int = 0  # the most `meshcomply:NAME` worker processes alive at the same time
    rss_mb: float = 0.0  # the largest sum of the resident sets of all the build's processes


def descendants(root: int) -> list[tuple[int, int]]:
    """The processes below `root` with their parents, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # ended meanwhile
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        parent = todo.pop()
        below = children.get(parent, [])
        found.extend((pid, parent) for pid in below)
        todo.extend(below)
    return found


def poll(pid: int, seen: Tree) -> None:
    page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
    tree = descendants(pid)
    build = [child for child, parent in tree if parent == pid]  # the wrapper's only child
    workers, rss = 0, 0.0
    for child, parent in tree:
        try:
            comm = Path(f"/proc/{child}/comm").read_text().strip()
            rss += int(Path(f"/proc/{child}/statm").read_text().split()[1]) * page_mb
        except OSError:
            continue
        # A worker's child between fork and exec (its git) still bears the worker's name.
        workers += comm.startswith("meshcomply:") and parent in build
    seen.workers = max(seen.workers, workers)
    seen.rss_mb = max(seen.rss_mb, rss)


def measure_tree(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[Run, Tree]:
    """`command` as a new process, its figures, and its process tree polled 5 times a second."""
    seen = Tree()
    with subprocess.Popen(
        measured_command(command), cwd=cwd, env=env, stdout=subprocess.PIPE, text=True
    ) as wrapper:
        while wrapper.poll() is None:
            poll(wrapper.pid, seen)
            time.sleep(0.2)
        output = wrapper.stdout.read() if wrapper.stdout else ""
    return measured_run(command, output), seen


def load_text() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def make_fleet(root: Path, count: int, commits: int) -> Path:
    names = [f"inst{number:03d}" for number in range(count)]
    with ProcessPoolExecutor() as pool:  # the repositories are independent: all CPUs
        list(pool.map(make_repo, [(root / "repos" / n, commits, i) for i, n in enumerate(names)]))
    start = synthetic.START.date()
    end = (synthetic.START + dt.timedelta(hours=commits)).date()
    config = root / "meshcomply.yml"
    text = f"period: {start}..{end}\ninstallations:\n"
    config.write_text(text + "".join(INSTALLATION.format(name=name) for name in names))
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--installations", type=int, default=100)
    parser.add_argument("--commits", type=int, default=HOURS_A_YEAR, help="per installation")
    parser.add_argument("--format", default="json", help="the build's --format (default: json)")
    parser.add_argument("--keep", type=Path, help="work in this (new) folder and keep it")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="meshcomply-fleet-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        config = make_fleet(root, args.installations, args.commits)
        print(
            f"setup: {args.installations} installations of {args.commits} commits each in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        env = {
            **synthetic.git_env(),
            "MESHCOMPLY_CACHE": str(root / ".cache"),
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(CHECKOUT), os.environ.get("PYTHONPATH")) if p
            ),
        }
        command = [sys.executable, "-c", "from generator.cli import main; main()", "build"]
        command += ["--config", str(config), "--format", args.format, "--quiet"]
        default_jobs = len(os.sched_getaffinity(0))
        print(f"load average at the start (1, 5, 15 min): {load_text()} on {default_jobs} CPUs")
        runs: dict[str, tuple[Run, Tree]] = {}
        for label, jobs in (
            ("--jobs 1", ["--jobs", "1"]),
            (f"--jobs default ({default_jobs})", []),
        ):
            shutil.rmtree(root / ".cache", ignore_errors=True)  # cold: each build reads it all
            out = root / f"out-{len(runs)}"
            runs[label] = measure_tree([*command, *jobs, "--out", str(out)], root, env)
            run, tree = runs[label]
            print(
                f"build --format {args.format} {label:<20} {run}   "
                f"{run.wall / args.installations:6.2f} s wall and "
                f"{run.cpu / args.installations:6.2f} s CPU per installation "
                f"({run.cpu / run.wall:.2f} CPUs busy on average); "
                f"{tree.workers} workers at once, {tree.rss_mb:.0f} MB resident in all; "
                f"load average after it {load_text()}",
                flush=True,
            )
        (single, _), (parallel, tree) = runs.values()
        print(
            f"--jobs default: {tree.workers} workers at once on {default_jobs} CPUs: "
            + ("as expected" if tree.workers == min(default_jobs, args.installations) else "WRONG")
        )
        same = subprocess.run(
            [
                "diff",
                "-r",
                "-q",
                "-x",
                ".meshcomply.lock",
                str(root / "out-0"),
                str(root / "out-1"),
            ],
            capture_output=True,
            text=True,
        )
        print(f"speed-up with {default_jobs} jobs: {single.wall / parallel.wall:.2f}x wall")
        print(f"load average at the end (1, 5, 15 min): {load_text()} on {default_jobs} CPUs")
        print(
            "outputs of both builds: "
            + ("byte-identical" if same.returncode == 0 else f"DIFFER\n{same.stdout}")
        )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
