"""Fleets: `build --jobs N` and `meshcomply site` give the bytes of a single-process build.

A project of three installations (three repositories with different histories, release notes, a
portal setting) is built once with --jobs 1 and once with --jobs 3, and once split the way a CI
matrix splits it: one build per installation into its own folder, then `meshcomply site` on the
three pack folders. Every file must be the same, byte for byte.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GitRepo
from releasenotes_files import one_ticket_note
from test_build import CAROL, PIPELINE, PROD, STAGE, settings

from generator.cli import cli

NAMES = ("acme", "globex", "initech")
FORMATS = "json,html,oscal"  # oscal: a pack renderer and a root hook
INSTALLATION = """\
  {name}:
    repo: ./{name}
    ref: main
    environments:
      staging:
        paths: ["environments/staging/**"]
        release: {{file: environments/staging/meshstack.yaml, key: meshstack.version}}
      production:
        paths: ["environments/production/**"]
        release: {{file: environments/production/meshstack.yaml, key: meshstack.version}}
        approval: required
    approvals: {{trailers: [Approved-by], merge_committer: false}}
"""


def make_fleet(root: Path) -> Path:
    """Three installations; each promotes a different number of releases on different days,
    and initech's last promotion has no approval."""
    root.mkdir(parents=True, exist_ok=True)
    for number, name in enumerate(NAMES):
        repo = GitRepo.create(root / name)
        operator = f"Op {name.title()} <op@{name}.example>"
        repo.commit("Initial", files={STAGE: settings("2025.50.0"), PROD: settings("2025.50.0")},
                    author=operator, date="2025-12-01T10:00:00+00:00")  # fmt: skip
        versions = [f"2026.{i}.0" for i in range(1, 3 + number)]
        for week, version in enumerate(versions):
            day = 3 + number + 6 * week
            repo.commit(f"Stage {version}", files={STAGE: settings(version)}, author=PIPELINE,
                        date=f"2026-01-{day:02d}T08:00:00+00:00")  # fmt: skip
            repo.branch(f"promote-{version}")
            repo.commit(f"Promote {version}", files={PROD: settings(version)}, author=operator,
                        date=f"2026-01-{day + 2:02d}T09:00:00+00:00")  # fmt: skip
            repo.checkout("main")
            unapproved = name == "initech" and version == versions[-1]
            repo.merge(f"promote-{version}", committer=operator,
                       trailers=[] if unapproved else [("Approved-by", CAROL)],
                       date=f"2026-01-{day + 2:02d}T10:00:00+00:00")  # fmt: skip
    notes = root / "notes"
    notes.mkdir()
    for index in range(1, 6):
        version = f"2026.{index}.0"
        text = one_ticket_note(version, f"Change number {index} for <b>everyone</b>.")
        (notes / f"2026-01-{index:02d}-release-{version}.md").write_text(text, "utf-8")
    config = "period: 2026-01-01..2026-03-31\nrelease_notes: ./notes\n"
    config += "portal: {site_name: Fleet evidence}\ninstallations:\n"
    config += "".join(INSTALLATION.format(name=name) for name in NAMES)
    (root / "meshcomply.yml").write_text(config)
    return root


def meshcomply(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a new process, as users and CI run it (worker processes need a real one)."""
    return subprocess.run(
        [sys.executable, "-c", "from generator.cli import main; main()", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1767225600"},
        timeout=900,
    )


def same_tree(first: Path, second: Path) -> list[str]:
    """Paths that differ or exist on one side only (the lock file aside)."""
    differ: list[str] = []

    def walk(cmp: filecmp.dircmp, rel: str) -> None:
        for name in cmp.left_only + cmp.right_only + cmp.funny_files:
            if name != ".meshcomply.lock":
                differ.append(f"{rel}{name} (one side only)")
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        differ.extend(f"{rel}{name}" for name in mismatch + errors)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{rel}{name}/")

    walk(filecmp.dircmp(first, second), "")
    return differ


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project, built with --jobs 1 into out-1 and with --jobs 3 into out-3."""
    project = make_fleet(tmp_path_factory.mktemp("fleet"))
    for jobs in ("1", "3"):
        done = meshcomply(project, "build", "--format", FORMATS, "--out", f"out-{jobs}",
                          "--jobs", jobs, "--quiet")  # fmt: skip
        assert done.returncode == 0, done.stderr
    return project


def test_every_jobs_value_gives_the_same_bytes(fleet: Path):
    assert sorted(p.name for p in (fleet / "out-3" / "packs").iterdir()) == list(NAMES)
    for name in NAMES:
        pack = fleet / "out-3" / "packs" / name / "2026-01-01_2026-03-31"
        assert (pack / "oscal-assessment-results.json").is_file()
        assert (
            fleet / "out-3" / "site" / name / "2026-01-01_2026-03-31" / "release-notes"
        ).is_dir()
    assert (fleet / "out-3" / "oscal" / "component-definition.json").is_file()
    assert same_tree(fleet / "out-1", fleet / "out-3") == []


def test_split_build_then_site_gives_the_single_build(fleet: Path):
    # As a CI matrix does: one job per installation, each with its own output folder.
    for name in NAMES:
        done = meshcomply(fleet, "build", "--installation", name, "--format", "json,oscal",
                          "--out", f"matrix-{name}", "--quiet")  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert not (fleet / f"matrix-{name}" / "site").exists()
    packs = [
        str(fleet / f"matrix-{name}" / "packs" / name / "2026-01-01_2026-03-31")
        for name in reversed(NAMES)
    ]  # fmt: skip  (the order given does not matter)
    done = meshcomply(fleet, "site", *packs, "--format", "html,oscal", "--out", "assembled")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "3 packs verified"
    for folder in ("site", "oscal"):
        assert same_tree(fleet / "out-1" / folder, fleet / "assembled" / folder) == []
    for name in NAMES:  # and the packs of the matrix jobs are those of the single build
        pack = Path("packs") / name / "2026-01-01_2026-03-31"
        assert same_tree(fleet / "out-1" / pack, fleet / f"matrix-{name}" / pack) == []


def test_site_refuses_a_pack_that_fails_verification(fleet: Path, tmp_path: Path):
    good = fleet / "out-1" / "packs" / "acme" / "2026-01-01_2026-03-31"
    bad = tmp_path / "globex"
    subprocess.run(["cp", "-r", str(fleet / "out-1" / "packs" / "globex" / "2026-01-01_2026-03-31"),
                    str(bad)], check=True)  # fmt: skip
    with (bad / "changes.csv").open("a") as csv:
        csv.write("forged,row\n")
    out = tmp_path / "out"
    done = meshcomply(fleet, "site", str(good), str(bad), "--out", str(out))
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0] == "meshcomply: error: 1 pack failed verification:"
    assert lines[1].startswith(f"{bad}: changed: changes.csv (sha256 ")
    assert sorted(p.name for p in out.iterdir()) == [".meshcomply.lock"]  # nothing written


def test_site_refuses_the_same_pack_twice_and_pack_formats(fleet: Path, tmp_path: Path):
    pack = fleet / "out-1" / "packs" / "acme" / "2026-01-01_2026-03-31"
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(pack), str(copy)], check=True)
    done = meshcomply(fleet, "site", str(pack), str(copy), "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert done.stderr == (
        f"meshcomply: error: {pack} and {copy} are both the pack of installation 'acme' for "
        "2026-01-01..2026-03-31\n"
    )
    done = meshcomply(fleet, "site", str(pack), "--format", "pdf", "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert "not a site format: pdf (site formats: html, oscal)" in done.stderr


def test_site_says_where_its_settings_come_from(fleet: Path, tmp_path: Path):
    pack = str(fleet / "out-1" / "packs" / "acme" / "2026-01-01_2026-03-31")
    missing = meshcomply(tmp_path, "site", pack, "--out", "out")  # no meshcomply.yml here
    assert missing.returncode == 2
    assert "meshcomply.yml: no such file (--no-config assembles without one)" in missing.stderr
    bare = meshcomply(tmp_path, "site", pack, "--no-config", "--out", "out")
    assert bare.returncode == 0, bare.stderr
    index = (tmp_path / "out" / "site" / "index.html").read_text("utf-8")
    assert "Fleet evidence" not in index  # the default look: portal: is in the config only
    assert not (tmp_path / "out/site/acme/2026-01-01_2026-03-31/release-notes").exists()
    configured = (fleet / "out-1" / "site" / "index.html").read_text("utf-8")
    assert "Fleet evidence" in configured


def test_failed_installations_are_named_and_nothing_is_written(fleet: Path, tmp_path: Path):
    project = make_fleet(tmp_path / "broken")
    first = meshcomply(project, "build", "--format", "json", "--jobs", "3", "--quiet")
    assert first.returncode == 0, first.stderr
    before = sorted(p.relative_to(project) for p in (project / "meshcomply-out").rglob("*"))
    for name in ("globex", "initech"):  # their repositories lose every object
        subprocess.run(["rm", "-rf", str(project / name / ".git" / "objects")], check=True)
        (project / name / ".git" / "objects").mkdir()
    done = meshcomply(project, "build", "--format", "json", "--jobs", "3", "--quiet")
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0] == "meshcomply: error: 2 of 3 installations failed:"
    assert [line.split(":")[0] for line in lines[1:]] == ["globex", "initech"]
    assert lines[1].startswith("globex: globex (./globex): ")
    after = sorted(p.relative_to(project) for p in (project / "meshcomply-out").rglob("*"))
    assert after == before  # the previous output, as it was, and no staging folder


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(word) for word in path.read_text().split()] if path.exists() else []


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] in "ZX"  # reaped or dead
    except (OSError, IndexError):
        return True


def _wait_for(check, seconds: float = 300.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("timed out")


# A `git` that first says it runs (a file named after its pid in MARKS) and then waits until
# GATE exists: the workers are held inside their builds for as long as a test needs. The build's
# own `git version` check (before any worker starts) passes.
_GATED_GIT = """#!/bin/sh
[ "$1" = version ] && exec {git} "$@"
touch "$MARKS/$$"
while [ ! -e "$GATE" ]; do sleep 0.05; done
exec {git} "$@"
"""


def _start_gated_build(
    project: Path, jobs: tuple[str, ...] = ("--jobs", "3"), cpus: set[int] | None = None
) -> tuple[subprocess.Popen[str], Path, Path]:
    """The build with `jobs` (on `cpus`, default: this process's), once its workers all wait."""
    shims, marks, gate = project / "shims", project / "marks", project / "gate"
    shims.mkdir()
    marks.mkdir()
    (shims / "git").write_text(_GATED_GIT.format(git=shutil.which("git")))
    (shims / "git").chmod(0o755)
    env = {**os.environ, "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}"}
    env.update(MARKS=str(marks), GATE=str(gate))
    command = ["build", "--format", "json", *jobs, "--quiet", "--out", "out"]
    build = subprocess.Popen(
        [sys.executable, "-c", "from generator.cli import main; main()", *command],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=None if cpus is None else lambda: os.sched_setaffinity(0, cpus),
    )
    # Each of the workers is inside its build, waiting for its first git (with one job at a
    # time, the build process builds the installations itself, without workers).
    running = _workers_expected(jobs, cpus)
    _wait_for(
        lambda: (
            len(_workers(build.pid)) == running and len(list(marks.iterdir())) >= max(running, 1)
        )
    )
    return build, marks, gate


def _workers_expected(jobs: tuple[str, ...], cpus: set[int] | None) -> int:
    """Workers of a build of the three installations at once: one job at a time needs none."""
    at_a_time = int(jobs[1]) if jobs else len(cpus or os.sched_getaffinity(0))
    return 0 if at_a_time == 1 else min(3, at_a_time)


def _workers(pid: int) -> dict[str, int]:
    """The build's workers by their name, `meshcomply:INSTALLATION` cut to 15 bytes (workers.py)."""
    found = {}
    for child in _children(pid):
        try:
            name = Path(f"/proc/{child}/comm").read_text().strip()
        except OSError:
            continue
        if name.startswith("meshcomply:"):
            found[name] = child
    return found


def test_sigterm_stops_the_workers_and_their_git_and_removes_the_staging_folder(tmp_path: Path):
    project = make_fleet(tmp_path / "p")
    build, marks, _ = _start_gated_build(project)
    workers = list(_workers(build.pid).values())
    gits = [int(path.name) for path in marks.iterdir()]
    build.send_signal(signal.SIGTERM)
    _, stderr = build.communicate(timeout=120)
    assert build.returncode == 130
    assert stderr == "meshcomply: interrupted by SIGTERM; temporary files removed\n"
    assert sorted(p.name for p in (project / "out").iterdir()) == [".meshcomply.lock"]
    assert all(_gone(pid) for pid in workers)  # ended before the build exited
    _wait_for(lambda: all(_gone(pid) for pid in gits), 30)  # their git with them, never orphaned


def test_a_worker_killed_is_a_failure_naming_its_installation(tmp_path: Path):
    project = make_fleet(tmp_path / "p")
    build, _, gate = _start_gated_build(project)
    os.kill(_workers(build.pid)["meshcomply:glob"], signal.SIGKILL)
    gate.touch()  # the others go on
    _, stderr = build.communicate(timeout=300)
    assert build.returncode == 1
    assert stderr.splitlines() == [
        "meshcomply: error: 1 of 3 installations failed:",
        "globex: the worker process ended without a result: killed by SIGKILL (out of memory? "
        "see the kernel log, and lower --jobs)",
    ]
    assert sorted(p.name for p in (project / "out").iterdir()) == [".meshcomply.lock"]


@pytest.mark.parametrize("cpus", ["one", "all"])
def test_jobs_default_is_the_number_of_cpus_the_build_may_use(tmp_path: Path, cpus: str):
    allowed = os.sched_getaffinity(0)
    given = {min(allowed)} if cpus == "one" else allowed  # "one": as a container's cpuset
    project = make_fleet(tmp_path / "p")
    build, _, gate = _start_gated_build(project, jobs=(), cpus=given)
    time.sleep(1.0)  # time enough for a worker more to start, were one allowed
    assert len(_workers(build.pid)) == (0 if len(given) == 1 else min(3, len(given)))
    gate.touch()
    _, stderr = build.communicate(timeout=300)
    assert build.returncode == 0, stderr
    assert sorted(p.name for p in (project / "out" / "packs").iterdir()) == list(NAMES)


def test_jobs_must_be_positive(tmp_path: Path):
    result = CliRunner().invoke(cli, ["build", "--jobs", "0"])
    assert result.exit_code == 2
    assert "--jobs" in result.output


def test_site_wants_one_pack_per_installation(fleet: Path, tmp_path: Path):
    packs = {
        name: str(fleet / "out-1" / "packs" / name / "2026-01-01_2026-03-31") for name in NAMES
    }
    # A matrix job failed: its installation's pack is missing, and the portal is not assembled.
    done = meshcomply(fleet, "site", packs["acme"], packs["globex"], "--out", str(tmp_path / "a"))
    assert done.returncode == 1
    assert done.stderr == (
        "meshcomply: error: no pack of installation 'initech' (meshcomply.yml names it)\n"
    )
    assert not (tmp_path / "a" / "site").exists()
    done = meshcomply(fleet, "site", packs["acme"], "--installation", "acme", "--installation",
                      "hooli", "--out", str(tmp_path / "b"))  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == (
        "meshcomply: error: no pack of installation 'hooli' (--installation names it)\n"
    )
    done = meshcomply(fleet, "site", packs["acme"], "--installation", "acme", "--out",
                      str(tmp_path / "c"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "c" / "site" / "acme").is_dir()
    assert not (tmp_path / "c" / "site" / "globex").exists()
