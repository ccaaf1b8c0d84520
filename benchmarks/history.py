"""Benchmark of history ingestion against git's own floor, measured in the same run.

    python benchmarks/history.py                      # synthetic repository, 100,000 commits
    python benchmarks/history.py --commits 20000
    python benchmarks/history.py --repo PATH --ref main --paths 'environments/production/**'

The synthetic repository (built with ``git fast-import`` in a temporary folder) looks like an
installation's config history: a first-parent line with merged side branches carrying approval
trailers, staging release bumps, renames and changes outside the environments. Printed:
commits/s, peak memory (maximum RSS of a fresh process doing one ingestion), the ratio of
ingestion time to plain ``git log --first-parent --name-status`` on the same repository (wall
clock and CPU time), and the time of a rebuild with no new commits (served by the cache).
Targets: ratio <= 2, peak < 500 MB for 100k commits, cached rebuild < 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.config import EnvironmentConfig, InstallationConfig, Period, ReleaseSource
from generator.history import read_history

START = dt.datetime(2016, 1, 1, 8, 0, tzinfo=dt.UTC)
STEP = dt.timedelta(minutes=47)
STAGE_FILE = "environments/staging/meshstack.yaml"
PEOPLE = [f"Operator {i} <op{i}@example.com>" for i in range(12)]


def build_repository(path: Path, commits: int) -> None:
    """A synthetic config history of `commits` first-parent commits, via git fast-import."""
    subprocess.run(["git", "init", "--quiet", "--initial-branch=main", str(path)], check=True)
    importer = subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done"], cwd=path, stdin=subprocess.PIPE
    )
    out = importer.stdin
    mark = 0
    main_mark = None
    moment = START

    def emit(text: str) -> None:
        out.write(text.encode("utf-8"))

    def commit(ref: str, author: str, message: str, files: dict[str, str], parents: list[int],
               renames: tuple[str, str] | None = None) -> int:  # fmt: skip
        nonlocal mark, moment
        mark += 1
        moment += STEP
        stamp = f"{int(moment.timestamp())} +0100"
        body = message.encode("utf-8")
        emit(f"commit {ref}\nmark :{mark}\nauthor {author} {stamp}\ncommitter {author} {stamp}\n")
        emit(f"data {len(body)}\n{message}\n")
        if parents:
            emit(f"from :{parents[0]}\n")
            for other in parents[1:]:
                emit(f"merge :{other}\n")
        if renames:
            emit(f'R "{renames[0]}" "{renames[1]}"\n')
        for name, content in files.items():
            data = content.encode("utf-8")
            emit(f"M 100644 inline {name}\ndata {len(data)}\n{content}\n")
        return mark

    version = 0
    for n in range(commits):
        person = PEOPLE[n % len(PEOPLE)]
        parents = [main_mark] if main_mark else []
        env = "production" if n % 3 else "staging"
        if n == 0:
            files = {f"environments/{e}/service{i}.yaml": f"replicas: {i}\n"
                     for e in ("staging", "production") for i in range(20)}  # fmt: skip
            files[STAGE_FILE] = "meshstack:\n  version: 2016.0.0\n"
            main_mark = commit("refs/heads/main", person, "Initial configuration", files, [])
        elif n % 25 == 0:
            side = commit(
                f"refs/heads/side{n % 7}", PEOPLE[(n + 5) % len(PEOPLE)], f"Tune {env} {n}",
                {f"environments/{env}/service{n % 20}.yaml": f"replicas: {n}\n"}, parents,
            )  # fmt: skip
            approver = PEOPLE[(n + 1) % len(PEOPLE)]
            main_mark = commit("refs/heads/main", person, f"Merge change {n}\n\nApproved-by: "
                               f"{approver}", {}, [main_mark, side])  # fmt: skip
        elif n % 40 == 0:
            version += 1
            content = f"meshstack:\n  version: {2016 + version // 52}.{version % 52}.0\n"
            message = f"Bump staging release {version}"
            main_mark = commit("refs/heads/main", "Pipeline <ci@example.com>", message,
                               {STAGE_FILE: content}, parents)  # fmt: skip
        elif n % 97 == 0:
            old = f"environments/{env}/service{n % 20}.yaml"
            main_mark = commit("refs/heads/main", person, f"Rename {n}", {}, parents,
                               renames=(old, f"archive/{n}.yaml"))  # fmt: skip
            main_mark = commit("refs/heads/main", person, f"Restore {n}",
                               {old: f"replicas: {n}\n"}, [main_mark])  # fmt: skip
        elif n % 11 == 0:
            main_mark = commit("refs/heads/main", person, f"Docs {n}",
                               {"README.md": f"revision {n}\n"}, parents)  # fmt: skip
        else:
            main_mark = commit(
                "refs/heads/main", person, f"Change {env} service {n % 20}\n\nReason {n}.",
                {f"environments/{env}/service{n % 20}.yaml": f"replicas: {n}\n"}, parents,
            )  # fmt: skip
    emit("done\n")
    out.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "reset", "--quiet", "--hard", "main"], cwd=path, check=True)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (git): robust on a busy machine."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(action) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds, result) of one call."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = action()
    return time.perf_counter() - wall, cpu_seconds() - cpu, result


def git_floor(path: Path, ref: str) -> None:
    subprocess.run(["git", "log", "--first-parent", "--name-status", ref], cwd=path, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def peak_memory(installation: InstallationConfig, period: Period) -> float:
    """Maximum RSS in MB of a fresh Python process that ingests the history once (no cache).

    Measured apart because this process holds several histories at once while comparing runs.
    On Linux the child reads VmHWM, the high-water mark of its own memory: its ru_maxrss would
    also count this big parent process, which the child was spawned from (vfork + exec).
    """
    code = (
        "import pickle, re, resource, sys, tempfile\n"
        "from pathlib import Path\n"
        "from generator.history import read_history\n"
        "installation, period = pickle.loads(sys.stdin.buffer.read())\n"
        "with tempfile.TemporaryDirectory() as cache:\n"
        "    read_history(installation, period, cache_dir=Path(cache)).close()\n"
        "try:\n"
        "    status = Path('/proc/self/status').read_text()\n"
        "    print(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1))\n"
        "except (OSError, AttributeError):\n"
        "    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=pickle.dumps((installation, period)),
        capture_output=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return int(result.stdout) / 1024


def last_half_year(path: Path, ref: str) -> Period:
    stamp = subprocess.run(["git", "log", "-1", "--format=%ct", ref], cwd=path, check=True,
                           capture_output=True, text=True).stdout  # fmt: skip
    end = dt.datetime.fromtimestamp(int(stamp), dt.UTC).date()
    return Period(end - dt.timedelta(days=182), end)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--repo", type=Path, help="benchmark this repository instead")
    parser.add_argument("--ref", default="main")
    parser.add_argument("--paths", nargs="+", help="environment pathspecs (default: all files)")
    parser.add_argument("--runs", type=int, default=3, help="report the best of this many runs")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="meshcomply-bench-") as scratch:
        scratch = Path(scratch)
        if args.repo:
            repo = args.repo.resolve()
            environments = (
                EnvironmentConfig("all", tuple(args.paths or ["**"]), None, "optional", "other"),
            )
        else:
            repo = scratch / "repo"
            started = time.perf_counter()
            build_repository(repo, args.commits)
            print(f"built {args.commits} commits with fast-import in "
                  f"{time.perf_counter() - started:.1f} s")  # fmt: skip
            environments = (
                EnvironmentConfig("staging", ("environments/staging/**",),
                                  ReleaseSource(file=STAGE_FILE, key="meshstack.version"),
                                  "optional"),
                EnvironmentConfig("production", ("environments/production/**",), None,
                                  "required"),
            )  # fmt: skip
        installation = InstallationConfig("bench", str(repo), repo, args.ref, environments)
        period = last_half_year(repo, args.ref)
        floors, ingestions, rebuilds = [], [], []
        for run in range(args.runs):  # the best of several runs: the machine may be busy
            floors.append(measure(partial(git_floor, repo, args.ref))[:2])
            cache = scratch / f"cache{run}"
            wall, cpu, history = measure(
                partial(read_history, installation, period, cache_dir=cache)
            )
            ingestions.append((wall, cpu))
            history.close()
            wall, cpu, cached = measure(
                partial(read_history, installation, period, cache_dir=cache)
            )
            rebuilds.append((wall, cpu))
            cached.close()
        # Inside the block: the synthetic repository is deleted when it ends.
        peak = peak_memory(installation, period)

    floor, ingestion, rebuild = min(floors), min(ingestions), min(rebuilds)
    count = len(history.commits)
    print(f"first-parent commits: {count}; period {period.text}: population "
          f"{len(history.changes)}, releases {len(history.releases)}, "
          f"promotions {len(history.promotions)}; best of {args.runs} runs")  # fmt: skip
    print(f"{'':32}{'wall s':>8}{'cpu s':>8}")
    print(f"{'git log --first-parent --name-status':<32}{floor[0]:8.2f}{floor[1]:8.2f}")
    print(f"{'ingestion':<32}{ingestion[0]:8.2f}{ingestion[1]:8.2f}")
    print(f"{'cached rebuild (target < 1 s)':<32}{rebuild[0]:8.2f}{rebuild[1]:8.2f}")
    print(f"ratio to git (target <= 2x):    wall {ingestion[0] / floor[0]:.2f}x, "
          f"cpu {ingestion[1] / floor[1]:.2f}x")  # fmt: skip
    print(f"ingestion speed:                {count / ingestion[0]:,.0f} commits/s")
    print(f"peak memory (target < 500 MB):  {peak:.0f} MB (one ingestion, own process)")


if __name__ == "__main__":
    main()
