"""Shared helpers for the demo tests (this module holds no tests itself).

The demo is generated once per test session (it takes a few seconds) and read with plain git
commands, the way an auditor would re-perform the facts, never through meshcomply's own reader.
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

from generator.demo import DemoResult, generate_demo

PERIOD_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
PERIOD_END = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)  # exclusive
_TRAILER = "%(trailers:key={},valueonly,separator=%x1d)"
FIELDS = "%x1e" + "%x1f".join(
    ["%H", "%P", "%an", "%ae", "%cn", "%ce", "%cI", "{signed}", "%B"]
    + [_TRAILER.format(key) for key in ("Approved-by", "Reviewed-by")]
)


@functools.cache
def shared_demo() -> DemoResult:
    root = Path(tempfile.mkdtemp(prefix="meshcomply-test-demo-"))
    atexit.register(shutil.rmtree, root, True)
    return generate_demo(root)


@functools.cache
def shared_build() -> tuple[Path, list[Path]]:
    """The demo built once per session as a person reads it (evidence.json, PDF, portal): the
    output folder and each pack's folder."""
    from generator.build import build_packs, config_sections
    from generator.config import load_config

    out = Path(tempfile.mkdtemp(prefix="meshcomply-test-demo-build-"))
    atexit.register(shutil.rmtree, out, True)
    config = load_config(shared_demo().config, config_sections())
    summary = build_packs(config, out, formats={"json", "pdf", "html"})
    return out, [out / pack.rel for pack in summary.packs]


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_SYSTEM=os.devnull, LC_ALL="C")
    return env


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, env=git_env(), check=True
    )
    return result.stdout.decode("utf-8")


def log(demo: DemoResult, name: str, *args: str, verify: bool = False) -> list[dict[str, Any]]:
    """Commits as dicts from one git call; with -p or --name-only in args, also "patch".

    verify: "signed" is git's %G? checked against the demo's allowed signers (one ssh-keygen per
    commit, so only when asked); otherwise it is empty.
    """
    signers = demo.example / "allowed_signers"
    out = git(
        demo.repositories[name].path,
        "-c",
        f"gpg.ssh.allowedSignersFile={signers}",
        "log",
        "--format=" + FIELDS.format(signed="%G?" if verify else ""),
        *args,
    )
    commits = []
    for record in out.split("\x1e")[1:]:
        sha, parents, an, ae, cn, ce, date, signed, body, approved, reviewed = record.split("\x1f")
        reviewed, _, patch = reviewed.partition("\n")
        commits.append(
            {
                "sha": sha,
                "parents": parents.split(),
                "author": f"{an} <{ae}>",
                "committer": f"{cn} <{ce}>",
                "date": dt.datetime.fromisoformat(date),
                "signed": signed,
                "message": body,
                "approved_by": [v.strip() for v in approved.split("\x1d") if v.strip()],
                "reviewed_by": [v.strip() for v in reviewed.split("\x1d") if v.strip()],
                "patch": patch,
            }
        )
    return commits


def in_period(commit: dict[str, Any]) -> bool:
    return PERIOD_START <= commit["date"] < PERIOD_END


def version_changes(demo: DemoResult, name: str, path: str) -> list[tuple[dict[str, Any], str]]:
    """(commit, new version) for each first-parent commit that set meshstack.version in path."""
    commits = log(demo, name, "--first-parent", "--reverse", "-p", "-U0", "main", "--", path)
    changes = []
    for commit in commits:
        match = re.search(r"^\+  version: (\S+)$", commit["patch"], re.MULTILINE)
        if match:
            changes.append((commit, match[1]))
    return changes


def file_at(repo: Path, sha: str, path: str) -> str:
    return git(repo, "show", f"{sha}:{path}")


def files_at(repo: Path, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """{(commit, path): text} for many files in one `git cat-file --batch`."""
    request = "".join(f"{sha}:{path}\n" for sha, path in wanted).encode()
    out = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch"],
        input=request,
        capture_output=True,
        env=git_env(),
        check=True,
    ).stdout
    texts, offset = {}, 0
    for key in wanted:
        header_end = out.index(b"\n", offset)
        size = int(out[offset:header_end].split()[2])
        texts[key] = out[header_end + 1 : header_end + 1 + size].decode("utf-8")
        offset = header_end + 1 + size + 1
    return texts


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> object:
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def setting(text: str, dotted: str) -> object:
    value: object = _parsed(text)
    for part in dotted.split("."):
        value = value[part]  # type: ignore[index]
    return value


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file below root except git's own bookkeeping (index, logs, config...)."""
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and "/.git/" not in f"/{rel}":
            files[rel] = path.read_bytes()
    return files


def all_objects(repo: Path) -> list[str]:
    """Every ref with its target, and every commit reachable from them."""
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)").splitlines()
    commits = git(repo, "rev-list", "--all").splitlines()
    return refs + commits
