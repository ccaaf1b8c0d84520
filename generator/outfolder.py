"""The output folder of a build: one build at a time, and packs and the site replaced whole.

A build holds ``OUT/.meshcomply.lock`` (``flock``) from before it reads anything in OUT until it
has finished, writes below a staging folder ``OUT/.meshcomply-build-*``, and then puts each
finished pack folder and ``site/`` in place with one atomic step: an exchange of the staged folder
with the current one (Linux ``renameat2(RENAME_EXCHANGE)``), or a plain rename when there is no
current one. At every instant the path holds the complete old folder or the complete new one; a
killed build leaves only its staging folder, which the next build removes under the lock.

Only meshcomply's own folders are replaced: a ``site/`` holding ``.meshcomply-site`` (written in
every site; a site of an older meshcomply is known by its ``assets/portal/portal.css``) or
nothing, a pack folder holding ``manifest.json`` or nothing. Any other folder at such a path (a
``--out`` pointing at a project's own ``site/``) stops the build naming it, before anything is
replaced.

Where the file system cannot exchange (other kernels, some network file systems), the current
folder is first renamed into the staging folder, then the new one renamed in; a kill between the
two leaves the old folder complete inside the staging folder, and the next build puts it back.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from generator.errors import BuildError
from generator.interrupts import stop_if_interrupted

LOCK_NAME = ".meshcomply.lock"
STAGING_PREFIX = ".meshcomply-build-"
RETIRED = ".retired"  # inside a staging folder: current folders moved aside (no exchange)
POLL_SECONDS = 0.2
SITE_MARK = ".meshcomply-site"  # in every site/ a build writes: what tells it from another's
_SITE_MARK_TEXT = "Written by meshcomply; a build into the folder above replaces this site whole.\n"
_LEGACY_SITE = "assets/portal/portal.css"  # what a site of an older meshcomply always holds
_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


@contextlib.contextmanager
def locked(out: Path, wait: float = 0) -> Iterator[None]:
    """Hold OUT's build lock, waiting up to `wait` seconds for another build to finish; remove
    what killed builds left in OUT."""
    handle = _open_lock(out)
    try:
        _acquire(handle, out, wait)
        _note_holder(handle, f"{os.getpid()}\n")  # named by a build that finds OUT locked
        try:
            remove_leftovers(out)
            yield
        finally:
            _note_holder(handle, "")  # an empty lock file after every build: no stale process
    finally:
        handle.close()  # closing releases the lock


def _note_holder(handle, text: str) -> None:
    with contextlib.suppress(OSError):  # only informative: a full disk must not stop the build
        handle.seek(0)
        handle.truncate()
        handle.write(text)
        handle.flush()


def _open_lock(out: Path):
    try:
        out.mkdir(parents=True, exist_ok=True)
        return open(out / LOCK_NAME, "a+", encoding="ascii")  # held, and closed, by locked()
    except OSError as exc:
        raise BuildError(f"cannot write to the output folder {out}: {_reason(exc)}") from None


def _acquire(handle, out: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                break
            time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0.01)))
        except OSError as exc:
            raise BuildError(f"cannot lock the output folder {out}: {_reason(exc)}") from None
    handle.seek(0)
    holder = handle.read().strip()
    who = f"another build (process {holder})" if holder.isdigit() else "another build"
    waited = f" after waiting {wait:g} s" if wait else ""
    raise BuildError(
        f"{who} is writing to {out}{waited}; let it finish, or use --wait SECONDS to wait for it"
    )


def remove_leftovers(out: Path) -> None:
    """Remove the staging folders of killed builds, first putting back any current folder one of
    them had moved aside (only the fallback without exchange does that). Call with the lock held:
    then no running build uses a staging folder."""
    for staging in sorted(out.glob(f"{STAGING_PREFIX}*")):
        retired = staging / RETIRED
        for moved in _published_below(retired):
            target = out / moved.relative_to(retired)
            if not os.path.lexists(target):
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    moved.rename(target)
                except OSError as exc:  # keep the staging folder: it holds the only copy
                    raise BuildError(
                        f"cannot put {moved} back to {target}: {_reason(exc)}"
                    ) from None
        shutil.rmtree(staging, ignore_errors=True)


def _published_below(root: Path) -> list[Path]:
    """The folders a build puts in place, as found below `root`: site/ and packs/*/*."""
    found = [root / "site"] if (root / "site").is_dir() else []
    return found + sorted(p for p in root.glob("packs/*/*") if p.is_dir())


@contextlib.contextmanager
def staging_folder(out: Path) -> Iterator[Path]:
    """A fresh staging folder in OUT, removed afterwards; a failed write (a full disk, a folder
    that became read-only) ends the build as a BuildError naming the file as it would be in OUT."""
    try:
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    except OSError as exc:
        raise BuildError(f"cannot write to the output folder {out}: {_reason(exc)}") from None
    try:
        yield staging
    except OSError as exc:
        raise BuildError(_write_failure(exc, staging, out)) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def mark_site(site: Path) -> None:
    """Mark a site folder as meshcomply's, so a later build may replace it."""
    (site / SITE_MARK).write_text(_SITE_MARK_TEXT, encoding="utf-8")


def refuse_foreign(out: Path, rels: list[str]) -> None:
    """BuildError naming each OUT/rel that is there and not meshcomply's (see the module)."""
    foreign = [out / rel for rel in rels if not _ours(out / rel, rel)]
    if foreign:
        named = ", ".join(str(path) for path in foreign)
        raise BuildError(
            f"{named}: not written by meshcomply (a site holds {SITE_MARK}, a pack "
            "manifest.json), and a build replaces it whole: move it away or choose another --out"
        )


def _ours(target: Path, rel: str) -> bool:
    if not os.path.lexists(target):
        return True
    if target.is_symlink() or not target.is_dir():
        return False
    if not any(target.iterdir()):
        return True  # nothing would be lost
    if rel == "site":
        return (target / SITE_MARK).is_file() or (target / _LEGACY_SITE).is_file()
    if rel.startswith("packs/"):
        return (target / "manifest.json").is_file()
    return True


def put_in_place(staging: Path, out: Path, rels: list[str]) -> None:
    """Replace each OUT/rel by staging/rel, one atomic step each; the replaced folders end up in
    the staging folder (removed with it). Signals wait until all are in place, so an interrupted
    build never leaves packs from two builds beside a site from one of them. A folder that is
    not meshcomply's stops it before any is replaced (refuse_foreign)."""
    stop_if_interrupted()  # nothing is put in place after a signal, however it was handled
    refuse_foreign(out, rels)
    with _signals_deferred():
        for rel in rels:
            _replace(staging / rel, out / rel, staging / RETIRED / rel)


def _replace(new: Path, target: Path, retired: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if not os.path.lexists(target):
        os.rename(new, target)
    elif not exchange(new, target):
        retired.parent.mkdir(parents=True, exist_ok=True)
        os.rename(target, retired)
        os.rename(new, target)


def exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically; False when this system or file system cannot."""
    rename2 = _renameat2()
    if rename2 is None:
        return False
    if rename2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE):
        code = ctypes.get_errno()
        if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):
            return False
        raise OSError(code, os.strerror(code), str(second))
    return True


_libc_renameat2: list[Callable[..., int] | None] = []


def _renameat2() -> Callable[..., int] | None:
    if not _libc_renameat2:
        function = None
        with contextlib.suppress(OSError, AttributeError):
            function = ctypes.CDLL(None, use_errno=True).renameat2
            function.argtypes = [ctypes.c_int, ctypes.c_char_p] * 2 + [ctypes.c_uint]
            function.restype = ctypes.c_int
        _libc_renameat2.append(function)
    return _libc_renameat2[0]


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block has finished, then deliver them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {
        signum: signal.signal(signum, lambda number, frame: received.append(number))
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(received):
            signal.raise_signal(signum)


def _write_failure(exc: OSError, staging: Path, out: Path) -> str:
    """The message for an OSError during the build, naming a staged file as it would be in OUT."""
    unchanged = f"the previous output in {out} is unchanged"
    if not isinstance(exc.filename, (str, os.PathLike)):  # write(2) errors name no file
        return f"cannot write to the output folder {out}: {_reason(exc)}; {unchanged}"
    path = Path(exc.filename)
    if path.is_relative_to(staging):
        return f"cannot write {out / path.relative_to(staging)}: {_reason(exc)}; {unchanged}"
    return f"{path}: {_reason(exc)}; {unchanged}"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
