"""The output folder of ``meshcomply build``: packs and the site replaced whole at every instant,
one build at a time, SIGTERM like Ctrl-C, and environment faults as one-line errors."""

from __future__ import annotations

import errno
import fcntl
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GitRepo
from test_build import PACK, PIPELINE, STAGE, make_project, pack_bytes, settings

from generator import build as build_module
from generator import outfolder
from generator.build import build_packs, config_sections
from generator.cli import cli
from generator.config import load_config
from generator.manifest import verify_pack

ROOT = Path(__file__).resolve().parents[1]
FORMATS = "json,html"
SITE_EVIDENCE = Path("site/acme/2026-01-01_2026-03-31/downloads/evidence.json")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def new_commit(project: Path, version: str) -> None:
    """One more staged release inside the period: the next build's pack differs."""
    GitRepo(project / "acme").commit(
        f"Stage {version}", files={STAGE: settings(version)}, author=PIPELINE,
        date="2026-02-20T08:00:00+00:00",
    )  # fmt: skip


def build_in_process(project: Path, monkeypatch, out: str = "out") -> None:
    monkeypatch.chdir(project)
    config = load_config(Path("meshcomply.yml"), config_sections())
    build_packs(config, Path(out), formats={"json", "html"})


def cli_build(project: Path, monkeypatch, *args: str):
    monkeypatch.chdir(project)
    return CliRunner().invoke(cli, ["build", "--quiet", "--format", "json", "--out", "out", *args])


def start_build(project: Path, *args: str, formats: str = "json") -> subprocess.Popen[str]:
    command = [sys.executable, "-c", "from generator.cli import main; main()"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [*command, "build", "--quiet", "--format", formats, "--out", "out", *args],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def snapshot(out: Path) -> dict[str, object]:
    return {"pack": pack_bytes(out / PACK), "site": pack_bytes(out / "site")}


def head_of(evidence: Path) -> str:
    return json.loads(evidence.read_text())["source"]["head"]


def staging_folders(out: Path) -> list[Path]:
    return sorted(out.glob(".meshcomply-build-*"))


def assert_complete(out: Path, *versions: dict[str, object]) -> None:
    """The pack and the site are each complete and each one of the given builds' versions."""
    assert verify_pack(out / PACK) == []
    assert pack_bytes(out / PACK) in [v["pack"] for v in versions]
    assert pack_bytes(out / "site") in [v["site"] for v in versions]


# --- a kill at each step of putting the new output in place ------------------------------------


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, not even the staging folder's removal."""


def kill_at_step(monkeypatch, step: int, exchange: bool) -> None:
    """Die before the step-th rename/exchange of put_in_place (or after all of them)."""
    state = {"armed": False, "count": 0, "dead": False}
    real_rename, real_exchange = os.rename, outfolder.exchange
    real_put, real_rmtree = outfolder.put_in_place, outfolder.shutil.rmtree

    def tick() -> None:
        if state["armed"]:
            if state["count"] == step:
                state["dead"] = True
                raise Killed
            state["count"] += 1

    def rename(*args, **kwargs):
        tick()
        return real_rename(*args, **kwargs)

    def swap(first: Path, second: Path) -> bool:
        if not exchange:
            return False  # a file system without exchange: the fallback's two renames
        tick()
        return real_exchange(first, second)

    def put(*args) -> None:
        state["armed"] = True
        real_put(*args)
        tick()  # the step after the last rename: the clean-up

    def rmtree(path, *args, **kwargs):
        if not state["dead"]:
            real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(os, "rename", rename)
    monkeypatch.setattr(outfolder, "exchange", swap)
    monkeypatch.setattr(build_module, "put_in_place", put)
    monkeypatch.setattr(outfolder.shutil, "rmtree", rmtree)


# What the pack and the site are after a kill before each step, as (pack, site) from the old or
# the new build. With exchange the steps are the pack's and the site's exchange, then the clean-up;
# without, each is two renames: the current folder into the staging folder, the new one in.
EXCHANGE_STEPS = [("old", "old"), ("new", "old"), ("new", "new")]
FALLBACK_STEPS = [("old", "old"), (None, "old"), ("new", "old"), ("new", None), ("new", "new")]


@pytest.mark.parametrize(
    ("exchange", "expected"), [(True, EXCHANGE_STEPS), (False, FALLBACK_STEPS)]
)
def test_a_kill_at_any_step_of_the_move_leaves_complete_output(
    project: Path, monkeypatch, exchange: bool, expected: list[tuple[str | None, str | None]]
):
    out = project / "out"
    build_in_process(project, monkeypatch)
    old = snapshot(out)
    for step, (pack, site) in enumerate(expected):
        new_commit(project, f"2026.3.{step + 1}")
        with monkeypatch.context() as patched:
            kill_at_step(patched, step, exchange)
            with pytest.raises(Killed):
                build_in_process(project, patched)
        (staging,) = staging_folders(out)  # what the killed build left
        if pack is None or site is None:
            # Between the fallback's two renames the current folder is in the staging folder,
            # complete; the next build puts it back before anything else.
            rel = PACK if pack is None else Path("site")
            assert not (out / rel).exists()
            assert pack_bytes(staging / ".retired" / rel) == old["pack" if pack is None else "site"]
            outfolder.remove_leftovers(out)
            pack, site = pack or "old", site or "old"
        assert verify_pack(out / PACK) == []
        after_kill = snapshot(out)
        build_in_process(project, monkeypatch)  # the next build
        assert staging_folders(out) == []
        new = snapshot(out)
        assert new["pack"] != old["pack"] and new["site"] != old["site"]
        builds = {"old": old, "new": new}
        assert after_kill == {"pack": builds[pack]["pack"], "site": builds[site]["site"]}
        old = new


def test_real_kill_9_at_random_moments_never_leaves_a_missing_or_partial_pack(project: Path):
    out = project / "out"
    started = time.monotonic()
    assert start_build(project, formats=FORMATS).wait() == 0
    duration = time.monotonic() - started
    heads = {head_of(out / PACK / "evidence.json")}
    chance = random.Random(15)
    for round_ in range(3):
        new_commit(project, f"2026.3.{round_ + 1}")
        heads.add(GitRepo(project / "acme").head())
        process = start_build(project, formats=FORMATS)
        time.sleep(chance.uniform(0.2, 1.1) * duration)
        process.kill()
        process.wait()
        assert verify_pack(out / PACK) == []
        assert head_of(out / PACK / "evidence.json") in heads
        assert head_of(out / SITE_EVIDENCE) in heads
    assert start_build(project, formats=FORMATS).wait() == 0
    assert staging_folders(out) == []
    assert head_of(out / PACK / "evidence.json") == GitRepo(project / "acme").head()


# --- one build per output folder -----------------------------------------------------------------


def hold_lock(out: Path, pid: int = 4242):
    out.mkdir(parents=True, exist_ok=True)
    handle = open(out / ".meshcomply.lock", "a+")  # noqa: SIM115
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    handle.write(f"{pid}\n")
    handle.flush()
    return handle


def test_a_second_build_refuses_in_one_line_and_leaves_the_first_ones_folders(
    project: Path, monkeypatch
):
    out = project / "out"
    lock = hold_lock(out)
    in_use = out / ".meshcomply-build-running"  # the staging folder of the build holding the lock
    in_use.mkdir()
    result = cli_build(project, monkeypatch)
    assert result.exit_code == 1
    assert result.output == (
        "meshcomply: error: another build (process 4242) is writing to out; let it finish, or "
        "use --wait SECONDS to wait for it\n"
    )
    assert in_use.is_dir() and not (out / "packs").exists()
    lock.close()
    assert cli_build(project, monkeypatch).exit_code == 0
    assert staging_folders(out) == []  # the next build removes what a killed one left
    assert (out / ".meshcomply.lock").read_text() == ""  # no stale process named


def test_wait_lets_the_second_build_run_after_the_first(project: Path):
    lock = hold_lock(project / "out")
    process = start_build(project, "--wait", "60")
    time.sleep(1.0)
    assert process.poll() is None  # waiting, not failed
    lock.close()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert verify_pack(project / "out" / PACK) == []


def test_two_concurrent_builds_into_one_folder(project: Path):
    out = project / "out"
    for args in ((), ("--wait", "120")):
        first, second = start_build(project, *args), start_build(project, *args)
        results = [(p.wait(timeout=180), p.stderr.read()) for p in (first, second)]
        for code, stderr in results:
            assert "Traceback" not in stderr
            if code != 0:  # only the build that found the folder locked may fail, in one line
                assert not args and code == 1
                # The holder notes its process id just after taking the lock: a build looking
                # in between is told "another build" without the number.
                assert stderr.count("\n") == 1 and "another build" in stderr
                assert "is writing to" in stderr
        assert 0 in [code for code, _ in results]
        assert verify_pack(out / PACK) == []
        assert staging_folders(out) == []


# --- signals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_stops_a_build_like_ctrl_c(project: Path, signum: int):
    out = project / "out"
    assert start_build(project).wait() == 0
    before = pack_bytes(out / PACK)
    new_commit(project, "2026.3.1")
    process = start_build(project, formats=FORMATS)
    deadline = time.monotonic() + 60
    # The staged evidence.json: the pack is half done, the site not yet begun.
    while not list(out.glob(f".meshcomply-build-*/{PACK}/evidence.json")):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.01)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    name = signal.Signals(signum).name
    assert process.returncode == 130, stderr
    assert stderr == f"meshcomply: interrupted by {name}; temporary files removed\n"
    assert stdout == ""
    assert staging_folders(out) == []
    assert pack_bytes(out / PACK) == before


# Python drops an exception raised in a callback it runs for C code (a __del__, a weakref or an
# at-fork callback: "Exception ignored in ..."), such as logging's at-fork lock release while
# subprocess starts git. This wrapper has the signal handled in a __del__ just before `target`
# runs: the first git process, or putting the packs in place.
DROPPED_SIGNAL = """\
import os, signal, sys
import generator.build, generator.history.gitproc
from generator.cli import main

class Dropping:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(100000):  # the handler runs here; its exception is dropped
            pass

def dropped_first(owner, name):
    original = getattr(owner, name)
    def wrapper(*args, **kwargs):
        if not getattr(wrapper, "fired", False):
            wrapper.fired = True
            Dropping()  # collected at once: __del__ runs now
        return original(*args, **kwargs)
    setattr(owner, name, wrapper)

owner, name = {"git": (generator.history.gitproc.GitProcess, "__init__"),
               "put_in_place": (generator.build, "put_in_place")}[sys.argv.pop(1)]
dropped_first(owner, name)
main()
"""


@pytest.mark.parametrize("target", ["git", "put_in_place"])
def test_a_signal_whose_exception_python_dropped_still_stops_the_build(project: Path, target):
    out = project / "out"
    assert start_build(project).wait() == 0
    before = pack_bytes(out / PACK)
    new_commit(project, "2026.3.1")
    done = subprocess.run(
        [sys.executable, "-c", DROPPED_SIGNAL, target, "build", "--quiet", "--format", FORMATS,
         "--out", "out"],
        cwd=project, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 130, done.stderr
    assert done.stderr == "meshcomply: interrupted by SIGTERM; temporary files removed\n"
    assert staging_folders(out) == []
    assert pack_bytes(out / PACK) == before


# --- environment faults -------------------------------------------------------------------------


class FullDiskFile:
    """A file whose write stores a little and then fails as a full disk does."""

    def __init__(self, real):
        self._real = real

    def write(self, data):
        self._real.write(data[:100])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def writelines(self, pieces):
        for piece in pieces:
            self.write(piece)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._real.close()

    def __getattr__(self, name):
        return getattr(self._real, name)


def test_a_full_disk_while_writing_evidence_is_one_line_and_keeps_the_old_output(
    project: Path, monkeypatch
):
    assert cli_build(project, monkeypatch).exit_code == 0
    before = pack_bytes(project / "out" / PACK)
    new_commit(project, "2026.3.1")
    real_open = io.open

    def full_disk_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if "w" in mode and isinstance(file, Path) and file.name == "evidence.json":
            return FullDiskFile(handle)
        return handle

    monkeypatch.setattr(io, "open", full_disk_open)
    result = cli_build(project, monkeypatch)
    assert result.exit_code == 1, result.exception
    assert result.output == (
        "meshcomply: error: cannot write to the output folder out: No space left on device; "
        "the previous output in out is unchanged\n"
    )
    assert pack_bytes(project / "out" / PACK) == before
    assert staging_folders(project / "out") == []


def test_an_output_folder_below_a_file_is_one_line_before_any_work(project: Path):
    (project / "plain-file").write_text("not a folder\n")
    process = start_build(project, "--out", "plain-file/out")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert stderr == (
        "meshcomply: error: cannot write to the output folder plain-file/out: Not a directory\n"
    )


def test_a_foreign_site_or_pack_folder_in_out_is_refused_not_deleted(project: Path, monkeypatch):
    # Before: a project's own site/ in --out was exchanged with the portal and deleted silently.
    own = project / "out" / "site" / "index.html"
    own.parent.mkdir(parents=True)
    own.write_text("<h1>our team's site</h1>")
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["build", "--quiet", "--format", "json,html", "--out", "out"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"meshcomply: error: {Path('out') / 'site'}: not written by meshcomply (a site holds "
        ".meshcomply-site, a pack manifest.json), and a build replaces it whole: move it away "
        "or choose another --out"
    )
    assert (
        own.read_text() == "<h1>our team's site</h1>" and not (project / "out" / "packs").exists()
    )
    # A site meshcomply wrote is marked, and replaced by the next build; so is an empty folder.
    own.unlink()
    assert cli_build(project, monkeypatch, "--format", "json,html").exit_code == 0
    assert (project / "out" / "site" / outfolder.SITE_MARK).is_file()
    assert cli_build(project, monkeypatch, "--format", "json,html").exit_code == 0
    # A pack folder holding no manifest.json is not a pack: refused before anything is replaced.
    site_before = pack_bytes(project / "out" / "site")
    foreign_pack = project / "out" / PACK
    shutil.rmtree(foreign_pack)
    foreign_pack.mkdir()
    (foreign_pack / "notes.txt").write_text("mine")
    result = cli_build(project, monkeypatch, "--format", "json,html")
    assert result.exit_code == 1 and "not written by meshcomply" in result.output
    assert (foreign_pack / "notes.txt").read_text() == "mine"
    assert pack_bytes(project / "out" / "site") == site_before


def test_a_site_of_an_older_meshcomply_is_still_replaced(tmp_path: Path):
    site = tmp_path / "site"
    (site / "assets" / "portal").mkdir(parents=True)
    (site / "assets" / "portal" / "portal.css").write_text("")
    outfolder.refuse_foreign(tmp_path, ["site"])  # no error
    (site / "assets" / "portal" / "portal.css").unlink()
    with pytest.raises(outfolder.BuildError, match="not written by meshcomply"):
        outfolder.refuse_foreign(tmp_path, ["site"])


def test_a_read_only_output_folder_is_one_line(project: Path, monkeypatch):
    out = project / "out"
    out.mkdir()
    if os.geteuid() != 0:
        out.chmod(0o555)
    else:  # root writes into read-only folders anyway: the refusal a user would get, injected

        def refused(file, *args, **kwargs):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))

        monkeypatch.setattr(outfolder, "open", refused, raising=False)
    try:
        result = cli_build(project, monkeypatch)
    finally:
        out.chmod(0o755)
    assert result.exit_code == 1
    assert result.output == (
        "meshcomply: error: cannot write to the output folder out: Permission denied\n"
    )
    assert list(out.iterdir()) == []


def test_an_unwritable_cache_with_a_repository_url_is_a_located_error(project: Path, monkeypatch):
    config = project / "meshcomply.yml"
    url = (project / "acme").as_uri()
    config.write_text(config.read_text().replace("repo: ./acme", f"repo: {url}"))
    (project / "plain-file").write_text("not a folder\n")
    monkeypatch.setenv("MESHCOMPLY_CACHE", str(project / "plain-file" / "cache"))
    result = cli_build(project, monkeypatch)
    assert result.exit_code == 1
    repos = project / "plain-file" / "cache" / "repos"
    assert result.output == (
        f"meshcomply.yml:4:11: cannot clone {url}: the cache folder {repos} is not writable "
        "(Not a directory); set MESHCOMPLY_CACHE to a writable folder\n"
        "meshcomply: 1 problem found\n"
    )


def test_release_notes_into_an_unwritable_place_is_one_line(tmp_path: Path, monkeypatch):
    from generator.commands.release_notes import _write
    from generator.errors import BuildError

    folder = tmp_path / "published"
    folder.mkdir()
    (folder / "notes.md").write_text("old notes\n")
    if os.geteuid() != 0:
        folder.chmod(0o555)
    else:  # root writes into read-only folders anyway: the refusal a user would get, injected

        def refused(*args, **kwargs):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

        monkeypatch.setattr("tempfile.mkstemp", refused)
    try:
        with pytest.raises(BuildError, match=r"^cannot write .*notes\.md: Permission denied$"):
            _write("new notes\n", folder / "notes.md")
    finally:
        folder.chmod(0o755)
    assert (folder / "notes.md").read_text() == "old notes\n"
    monkeypatch.undo()
    (folder / "a-folder").mkdir()
    with pytest.raises(BuildError, match=r"a-folder: Is a directory; it was left as it was$"):
        _write("new notes\n", folder / "a-folder")
    assert sorted(p.name for p in folder.iterdir()) == ["a-folder", "notes.md"]
