"""Benchmark of the whole ``meshcomply build`` against git's own floor, measured in the same run.

    python benchmarks/build.py                       # synthetic repository, 100,000 commits
    python benchmarks/build.py --commits 20000 --runs 2
    python benchmarks/build.py --repo PATH --config meshcomply.yml   # your own installation
    python benchmarks/build.py --all-formats          # also every default format (PDF, portal)

What a user runs, end to end, each time as a new process (``meshcomply build`` with this
checkout's code): ``build --format json`` with a cold history cache (the first build
on a machine), again with the cache warm (nothing new), after one new commit (what a
per-merge run costs) and after a month of new commits (720 more, one an hour: what a monthly run
costs; all of them inside the period). The floor is ``git log --first-parent --name-status`` of the
same repository, best of three, timed in the same run: the ratio is what is judged, because the
machines are shared and their speed drifts.

The synthetic repository is the release-notes benchmark's (``benchmarks/release_notes.py``): one
commit an hour, a staging version bump in ``environments/staging/meshstack.yaml`` and a
``production/<version>`` tag every 50 commits; the period covers the whole history.

Peak memory is the largest resident set of any one process of the build (the build or one of
its git children), read by a small wrapper process from ``RUSAGE_CHILDREN``.
Beside the builds it prints what a cold build must spend at the least, at C speed and with the
build's own git commands: its ``git log --raw``, one population walk per environment, one
``git cat-file --batch`` of the versions it parsed, PyYAML's C loader on them and the C JSON
encoder on the pack's content (docs/evidence.md, "Performance").

Targets (issue: scale): ``build --format json`` within 3x of the floor, peak under 500 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
sys.path.insert(0, str(HERE))

import release_notes as synthetic  # noqa: E402  (the release-notes benchmark's repository)

RATIO_TARGET = 3.0
HOURS_A_MONTH = 30 * 24  # the commits a monthly run finds new: one an hour, as the history
PEAK_TARGET_MB = 500

# The release-notes benchmark's configuration, without its notes: a JSON build reads none.
CONFIG = synthetic.CONFIG.replace("release_notes: ./notes\n", "")

# Runs a command and prints, as JSON, its wall and CPU seconds and the peak RSS of its largest
# process. A separate small process, so that the peak is not this benchmark's own memory.
_MEASURE = """\
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": done.returncode, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                  "peak_mb": usage.ru_maxrss / 1024,
                  "stderr": done.stderr[-2000:].decode(errors="replace")}))
"""


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mb: float

    def __str__(self) -> str:
        return f"{self.wall:7.2f} s wall {self.cpu:7.2f} s CPU {self.peak_mb:7.0f} MB peak"


def measured_command(command: list[str]) -> list[str]:
    """`command` run by the measuring wrapper; its output is read by `measured_run`."""
    return [sys.executable, "-c", _MEASURE, *command]


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> Run:
    result = subprocess.run(
        measured_command(command), cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return measured_run(command, result.stdout)


def measured_run(command: list[str], output: str) -> Run:
    """The figures the measuring wrapper printed for `command`; a failed build stops here."""
    figures = json.loads(output)
    if figures["code"] not in (0, 3):  # 3: --fail-on findings, still a finished build
        raise SystemExit(
            f"{' '.join(command)} failed with exit code {figures['code']}:\n{figures['stderr']}"
        )
    return Run(figures["wall"], figures["cpu"], figures["peak_mb"])


def best(runs: list[Run]) -> Run:
    return Run(min(r.wall for r in runs), min(r.cpu for r in runs), max(r.peak_mb for r in runs))


def ratio_line(name: str, run: Run, floor: Run) -> str:
    return (
        f"{name:<40} {run}   {run.wall / floor.wall:5.1f}x git log wall "
        f"({run.cpu / floor.cpu:4.1f}x CPU)"
    )


# What writing the pack's content costs at the least: Python's C JSON encoder, compactly, with no
# check and no layout, best of three (CPU seconds), of the evidence.json a build wrote.
_SERIALISE = """\
import json, sys, time
data = json.load(open(sys.argv[1], encoding="utf-8"))
times = []
for _ in range(3):
    started = time.process_time()
    json.dumps(data, ensure_ascii=False)
    times.append(time.process_time() - started)
print(min(times))
"""


def serialising_floor(out: Path) -> float | None:
    """CPU seconds the C encoder alone takes for the content of the pack a build wrote in `out`."""
    packs = sorted(out.glob("packs/*/*/evidence.json"))
    if len(packs) != 1:
        return None
    done = subprocess.run(
        [sys.executable, "-c", _SERIALISE, str(packs[0])], capture_output=True, text=True
    )
    return float(done.stdout) if done.returncode == 0 else None


# What a cold build must do at the least, whatever its code: read the first-parent history with
# the blob ids of its changes (the build's own `git log` command), ask git for each environment's
# population (the build's own pathspec walks: membership is git's decision, see
# generator/history/answers.py), read every configuration file version the build parsed (their
# blob ids from its parsed-files cache) with one `git cat-file --batch`, and parse each with
# PyYAML's C loader. CPU seconds of each, as JSON; the C encoder's share (writing the pack) is
# serialising_floor's.
_COLD_FLOOR = """\
import json, resource, subprocess, sys, time
from pathlib import Path
import yaml
from generator.history.parsedcache import ParsedCache
from generator.build import config_sections
from generator.config import load_config
from generator.history.population import pathspecs, population_command
from generator.history.rawlog import LOG_OPTIONS

repo, cache, ref = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
config = load_config(Path(sys.argv[4]), config_sections(), clone=False)
blobs = sorted(ParsedCache(repo, cache).blob_ids())
head = subprocess.run(
    ["git", "rev-parse", "--verify", ref + "^{commit}"], cwd=repo, capture_output=True,
    text=True, check=True,
).stdout.strip()
walks = [
    population_command(
        pathspecs(installation.population_paths(env)), installation.period or config.period,
        head, None,
    )
    for installation in config.installations
    for env in installation.environments
]

def git_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

started = git_cpu()
subprocess.run(["git", "log", *LOG_OPTIONS, ref], cwd=repo, stdout=subprocess.DEVNULL, check=True)
log = git_cpu() - started
for walk in walks:
    subprocess.run(["git", *walk], cwd=repo, stdout=subprocess.DEVNULL, check=True)
populations = git_cpu() - started - log
started += populations
names = "".join(blob + "\\n" for blob in blobs).encode()
batch = subprocess.run(
    ["git", "cat-file", "--batch"], cwd=repo, input=names, capture_output=True, check=True
).stdout
read = git_cpu() - started - log
texts, position = [], 0
while position < len(batch):
    end = batch.index(b"\\n", position)
    size = int(batch[position:end].rsplit(b" ", 1)[1])
    texts.append(batch[end + 1 : end + 1 + size])
    position = end + 2 + size
loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
started = time.process_time()
for text in texts:
    yaml.load(text, Loader=loader)
parse = time.process_time() - started
print(json.dumps({"log": log, "populations": populations, "walks": len(walks), "read": read,
                  "parse": parse, "versions": len(texts), "loader": loader.__name__}))
"""


def cold_floor(repo: Path, ref: str, config: Path, env: dict[str, str]) -> dict[str, float] | None:
    """CPU seconds of what a cold build of `repo` with `config` must do at the least (see
    _COLD_FLOOR), after a build filled the parsed-files cache of `env`; None when that cannot be
    measured."""
    done = subprocess.run(
        [sys.executable, "-c", _COLD_FLOOR, str(repo), env["MESHCOMPLY_CACHE"], ref, str(config)],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        print(f"a cold build at the least: not measured:\n{done.stderr[-2000:]}", flush=True)
        return None
    return json.loads(done.stdout)


def add_commits(repo: Path, first: int, count: int) -> None:
    """`count` more hourly commits on main, the first `first` hours after the history's start,
    each a merged change to production as operators add them between two builds."""
    stream = []
    for number in range(first, first + count):
        stamp = int((synthetic.START + dt.timedelta(hours=number)).timestamp())
        content = f"value: {number}\n"
        message = f"One more change {number}"
        stream.append(
            "commit refs/heads/main\n"
            f"author Ann Operator <ann@example.com> {stamp} +0000\n"
            f"committer Ann Operator <ann@example.com> {stamp} +0000\n"
            f"data {len(message)}\n{message}\n"
            + ("from refs/heads/main^0\n" if number == first else "")
            + f"M 100644 inline environments/production/config-new.yaml\ndata {len(content)}\n"
            f"{content}\n"
        )
    synthetic.fast_import(repo, ("".join(stream) + "done\n").encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--repo", type=Path, help="benchmark this repository (with --config)")
    parser.add_argument("--config", type=Path, help="the meshcomply.yml for --repo")
    parser.add_argument("--ref", default="main", help="the ref git log is timed on (--repo)")
    parser.add_argument("--runs", type=int, default=3, help="warm runs (the best is kept)")
    parser.add_argument("--all-formats", action="store_true", help="also time every format")
    parser.add_argument("--keep", type=Path, help="build in this (new) folder and keep it")
    args = parser.parse_args()
    if (args.repo is None) != (args.config is None):
        parser.error("--repo and --config go together")

    root = args.keep or Path(tempfile.mkdtemp(prefix="meshcomply-build-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        if args.repo is None:
            started = time.perf_counter()
            repo = root / "repo"
            synthetic.make_repo(repo, args.commits, synthetic.note_versions(args.commits // 40))
            # The period reaches past the history's end so that the new commit lies inside it.
            start = synthetic.START.date()
            end = (synthetic.START + dt.timedelta(hours=args.commits + 24 * 400)).date()
            config = root / "meshcomply.yml"
            config.write_text(CONFIG.format(start=start, end=end))  # repo: ./repo, from root
            print(f"setup: {args.commits} commits in {time.perf_counter() - started:.1f} s")
            may_add_commit = True
        else:
            repo, config = args.repo.resolve(), args.config.resolve()
            may_add_commit = False  # never write into somebody's repository

        env = {
            **synthetic.git_env(),
            "MESHCOMPLY_CACHE": str(root / ".cache"),
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(CHECKOUT), os.environ.get("PYTHONPATH")) if p
            ),
        }
        floor_command = ["git", "log", "--first-parent", "--name-status", args.ref]
        floor = best([measure(floor_command, repo, env) for _ in range(3)])
        print(f"{'git log --first-parent --name-status':<40} {floor}", flush=True)

        def build(formats: str | None, out: str) -> list[str]:
            """The build command; formats None: every default format, as a user runs it."""
            command = [sys.executable, "-c", "from generator.cli import main; main()"]
            command += ["build", "--config", str(config)]
            if formats is not None:
                command += ["--format", formats]
            return [*command, "--out", str(root / out), "--quiet"]

        shutil.rmtree(root / ".cache", ignore_errors=True)
        cold = measure(build("json", "out-json"), root, env)
        print(ratio_line("build --format json, cold cache", cold, floor), flush=True)
        warm = best([measure(build("json", "out-json"), root, env) for _ in range(args.runs)])
        print(ratio_line("build --format json, warm cache", warm, floor), flush=True)
        content = serialising_floor(root / "out-json")
        if content is not None:
            print(
                f"{'the pack content, C json.dumps alone':<40} {content:7.2f} s CPU "
                f"{content / floor.cpu:5.1f}x git log CPU (no check, no layout: what writing "
                "the pack costs at the least)",
                flush=True,
            )
        least = cold_floor(repo, args.ref, config, env)
        if least is not None and content is not None:
            total = least["log"] + least["populations"] + least["read"] + least["parse"] + content
            print(
                f"{'a cold build at the least':<40} {total:7.2f} s CPU "
                f"{total / floor.cpu:5.1f}x git log CPU (git log --raw {least['log']:.2f} s, "
                f"{least['walks']} population walks {least['populations']:.2f} s, "
                f"cat-file of {least['versions']:,} versions {least['read']:.2f} s, "
                f"{least['loader']} {least['parse']:.2f} s, C json.dumps {content:.2f} s)",
                flush=True,
            )
        judged = [cold, warm]
        if may_add_commit:
            add_commits(repo, args.commits + 1, 1)
            after = measure(build("json", "out-json"), root, env)
            print(ratio_line("build --format json, one new commit", after, floor), flush=True)
            add_commits(repo, args.commits + 2, HOURS_A_MONTH)
            month = measure(build("json", "out-json"), root, env)
            print(ratio_line("build --format json, a month of commits", month, floor), flush=True)
            judged += [after, month]
        if args.all_formats:
            every = measure(build(None, "out-all"), root, env)
            print(ratio_line("build, every default format, warm cache", every, floor))
            print(
                f"every default format (JSON, CSV, PDF, portal) {every.wall:.1f} s wall, "
                f"{every.peak_mb:.0f} MB peak, beside JSON only {warm.wall:.1f} s wall "
                f"(warm cache): {every.wall / warm.wall:.1f}x",
                flush=True,
            )

        worst = max(run.wall / floor.wall for run in judged)
        worst_cpu = max(run.cpu / floor.cpu for run in judged)
        peak = max(run.peak_mb for run in judged)
        ratio_met = "met" if max(worst, worst_cpu) <= RATIO_TARGET else "NOT met"
        peak_met = "met" if peak < PEAK_TARGET_MB else "NOT met"
        print(
            f"target within {RATIO_TARGET:g}x of git log (JSON, cold/warm/new commits): worst "
            f"{worst:.1f}x wall, {worst_cpu:.1f}x CPU: {ratio_met}"
        )
        print(f"target peak under {PEAK_TARGET_MB} MB: {peak:.0f} MB: {peak_met}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
