"""Local mirrors of installation repositories given as git URLs.

A URL is cloned once (a full mirror: a shallow clone could not prove a population complete) into
``<cache>/repos/<hash of the URL>`` and fetched on every later run, so a build always reads the
remote's current state. A fetch that fails is an error, not a silent fall-back to stale history.
git runs with the transport's environment (gitenv.transport_environment): the user's credentials
and proxies, none of the caller's variables that would point git at another repository.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from generator.cachefiles import default_cache_dir
from generator.configmodel import without_credentials
from generator.history.gitenv import transport_environment


class CloneError(Exception):
    """A repository URL that could not be cloned or fetched; the message says why."""


def mirror_path(url: str, cache_dir: Path | None = None) -> Path:
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:20]
    return (cache_dir or default_cache_dir()) / "repos" / digest


def ensure_clone(url: str, cache_dir: Path | None = None) -> Path:
    """A current local mirror of `url`: cloned the first time, fetched afterwards."""
    target = mirror_path(url, cache_dir)
    if (target / "HEAD").is_file():
        _run(["fetch", "--prune", "--tags", "--force", "origin"], target, url, "fetch")
        return target
    partial = target.with_name(target.name + ".partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(partial, ignore_errors=True)
        # "--" keeps a URL starting with "-" from being read as an option.
        _run(["clone", "--mirror", "--quiet", "--", url, str(partial)], None, url, "clone")
        partial.rename(target)
    except OSError as exc:
        raise CloneError(
            f"cannot clone {without_credentials(url)}: the cache folder {target.parent} is not "
            "writable "
            f"({exc.strerror}); set MESHCOMPLY_CACHE to a writable folder"
        ) from None
    return target


def _run(args: list[str], cwd: Path | None, url: str, action: str) -> None:
    # The remote is "origin" whatever clone.defaultRemoteName says: fetch names it.
    command = ["git", "-c", "clone.defaultRemoteName=origin", *args]
    try:
        done = subprocess.run(
            command, cwd=cwd, env=transport_environment(), capture_output=True, check=False
        )
    except FileNotFoundError:
        shown = without_credentials(url)
        raise CloneError(f"cannot {action} {shown}: git is not installed or not on PATH") from None
    if done.returncode != 0:
        shown = without_credentials(url)  # git's own words may quote the URL as given
        reason = _reason(done.stderr, done.returncode).replace(url, shown)
        raise CloneError(f"cannot {action} {shown}: {reason}")


def _reason(stderr: bytes, status: int) -> str:
    """git's own reason: its first fatal/error line (later lines are generic advice)."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line.split(":", 1)[1].strip()
    return lines[-1] if lines else f"git exited with {status}"
