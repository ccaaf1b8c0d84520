"""Local mirrors of installation repositories given as git URLs.

A URL is cloned once (a full mirror: a shallow clone could not prove a population complete) into
``<cache>/repos/<hash of the URL>`` and fetched on every later run, so a build always reads the
remote's current state. A fetch that fails is an error, not a silent fall-back to stale history.
git runs with the transport's environment (gitenv.transport_environment): the user's credentials
and proxies, none of the caller's variables that would point git at another repository.

The mirror's own files are writable by whoever can write the cache folder, and git believes a
repository's ``config`` (``core.hooksPath``, ``core.sshCommand``, ``remote.origin.url``,
``include.path``, ... run programs or fetch another repository) and its ``hooks/``. So a fetch
depends on neither: it runs no hook (``core.hooksPath`` on the command line beats the file), it
fetches the configured URL with the mirror refspec given on the command line, and before it runs
the mirror's ``config`` must hold only what ``git clone --mirror`` wrote (MIRROR_SETTINGS); any
other setting, or a ``commondir`` file (which makes git read another folder's config), refuses
the mirror with a message naming its folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from generator.cachefiles import default_cache_dir
from generator.configmodel import without_credentials
from generator.history.gitenv import transport_environment
from generator.textcheck import escape_controls

# What git runs a fetch or clone with, whatever any configuration says: no hook (hooks run
# programs; /dev/null is no folder, so git finds none), the remote named origin.
_PINNED = ("-c", f"core.hooksPath={os.devnull}", "-c", "clone.defaultRemoteName=origin")
MIRROR_REFSPEC = "+refs/*:refs/*"
_BOOLEAN = frozenset({"true", "false"})
# Each setting `git clone --mirror` writes (on any platform and git version meshcomply supports)
# and the values it may hold; remote.origin.url must be the configured URL.
MIRROR_SETTINGS: dict[str, frozenset[str] | None] = {
    "core.repositoryformatversion": frozenset({"0", "1"}),
    "core.filemode": _BOOLEAN,
    "core.bare": frozenset({"true"}),
    "core.ignorecase": _BOOLEAN,
    "core.precomposeunicode": _BOOLEAN,
    "core.symlinks": _BOOLEAN,
    "extensions.objectformat": frozenset({"sha1", "sha256"}),
    "extensions.refstorage": frozenset({"files", "reftable"}),
    "remote.origin.url": None,  # the URL of meshcomply.yml
    "remote.origin.fetch": frozenset({MIRROR_REFSPEC}),
    "remote.origin.mirror": frozenset({"true"}),
}


class CloneError(Exception):
    """A repository URL that could not be cloned or fetched; the message says why."""


def mirror_path(url: str, cache_dir: Path | None = None) -> Path:
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:20]
    return (cache_dir or default_cache_dir()) / "repos" / digest


def ensure_clone(url: str, cache_dir: Path | None = None) -> Path:
    """A current local mirror of `url`: cloned the first time, fetched afterwards."""
    target = mirror_path(url, cache_dir)
    if (target / "HEAD").is_file():
        _check_mirror(target, url)
        # The URL and refspec given, so the mirror's remote settings are not what is fetched.
        fetch = ["fetch", "--prune", "--tags", "--force", "--", url, MIRROR_REFSPEC]
        _run(fetch, target, url, "fetch")
        return target
    partial = target.with_name(target.name + ".partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(partial, ignore_errors=True)
        # "--" keeps a URL starting with "-" from being read as an option; an empty --template
        # copies no template (the user's init.templateDir could bring hooks or a config).
        clone = ["clone", "--mirror", "--quiet", "--template=", "--", url, str(partial)]
        _run(clone, None, url, "clone")
        partial.rename(target)
    except OSError as exc:
        raise CloneError(
            f"cannot clone {without_credentials(url)}: the cache folder {target.parent} is not "
            "writable "
            f"({exc.strerror}); set MESHCOMPLY_CACHE to a writable folder"
        ) from None
    return target


def mirror_problems(mirror: Path, url: str) -> list[str]:
    """What in the mirror's configuration `git clone --mirror` of `url` did not write, one line
    a setting (values of URLs without their credentials); [] for a mirror as cloned."""
    if (mirror / "commondir").exists():
        return ["a commondir file (git would read another folder's configuration)"]
    try:
        listed = subprocess.run(
            ["git", "config", "--file", str(mirror / "config"), "--null", "--list"],
            cwd=Path(os.devnull).parent,  # outside any repository: only the file is read
            env=transport_environment(),
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise CloneError("cannot read a mirror: git is not installed or not on PATH") from None
    if listed.returncode != 0:
        reason = escape_controls(_reason(listed.stderr, listed.returncode), one_line=True)
        return [f"its config file cannot be read ({reason})"]
    problems = []
    for entry in listed.stdout.decode("utf-8", "replace").split("\0"):
        if not entry:
            continue
        key, _, value = entry.partition("\n")
        allowed = MIRROR_SETTINGS.get(key, frozenset())
        fits = value == url if allowed is None else value in allowed
        if not fits:
            shown = without_credentials(value) if key.endswith(".url") else value
            problems.append(escape_controls(f"{key} = {shown}"[:200], one_line=True))
    return problems


def _check_mirror(mirror: Path, url: str) -> None:
    problems = mirror_problems(mirror, url)
    if problems:
        shown = escape_controls(without_credentials(url), one_line=True)
        raise CloneError(
            f"the mirror {mirror} of {shown} holds settings meshcomply's "
            f"clone did not write: {'; '.join(problems)}. Whoever can write the cache folder "
            "changed it: meshcomply does not fetch into it; delete the folder to clone the "
            "repository afresh"
        )


def _run(args: list[str], cwd: Path | None, url: str, action: str) -> None:
    command = ["git", *_PINNED, *args]
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
        # control characters escaped (\x1b) as in every message line, once the URL is replaced
        raise CloneError(escape_controls(f"cannot {action} {shown}: {reason}", one_line=True))


def _reason(stderr: bytes, status: int) -> str:
    """git's own reason: its first fatal/error line (later lines are generic advice)."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line.split(":", 1)[1].strip()
    return lines[-1] if lines else f"git exited with {status}"
