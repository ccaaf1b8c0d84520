"""How every git process meshcomply starts is run: the repository's real object graph, read the
same way whatever the machine, the user or the calling shell has set up.

- The environment is the caller's without any ``GIT_*`` variable: ``GIT_DIR``,
  ``GIT_OBJECT_DIRECTORY``, ``GIT_ALTERNATE_OBJECT_DIRECTORIES``, ``GIT_CONFIG_PARAMETERS`` and the
  like would read another repository, other objects or other settings than the one named in
  meshcomply.yml. Only the variables set here on purpose are passed.
- Replace refs (``refs/replace/``, ``git replace``) and grafts (``info/grafts``) are not honoured:
  ``GIT_NO_REPLACE_OBJECTS`` and a graft file that is empty. Both would show another history
  than the commits hold (a graft can cut the line short), and neither travels with a plain clone,
  so an auditor re-performing would count another population. Whether a repository has either is
  told by ``graph_overrides`` (the reader warns and the re-perform commands switch them off too).
- The system and global git configuration are not read (``GIT_CONFIG_NOSYSTEM``,
  ``GIT_CONFIG_GLOBAL=/dev/null``); the settings that change the bytes parsed or the signatures'
  verdicts are pinned with ``-c`` (beating the repository's own ``.git/config`` too). The one
  user setting kept is ``safe.directory``: it is the user's decision to trust a repository owned
  by another user (a CI checkout), so the values of the user's global and system configuration
  are passed on with ``-c``.

Fetching a URL into the cache (clone.py) needs the user's credentials, proxies and ``insteadOf``
rules, so it keeps the global and system configuration and the transport's ``GIT_SSH*``,
``GIT_SSL_*``, ``GIT_HTTP_*`` and ``GIT_PROXY_*`` variables, and drops every other ``GIT_*``.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# What the reader's parsers and the signature verdicts rest on, whatever any configuration says.
PINNED_CONFIG = (
    "-c", "log.showSignature=false",
    "-c", "log.mailmap=false",
    "-c", "log.decorate=false",
    "-c", "core.quotePath=false",
    "-c", "i18n.logOutputEncoding=UTF-8",
    "-c", "diff.renames=true",
    "-c", "diff.renameLimit=1000",
    "-c", "diff.relative=false",
    "-c", "diff.ignoreSubmodules=none",
    "-c", "color.ui=false",
    "-c", "core.useReplaceRefs=false",
    "-c", "advice.graftFileDeprecated=false",
    "-c", "gpg.program=gpg",
    "-c", "gpg.ssh.program=ssh-keygen",
    "-c", "gpg.x509.program=gpgsm",
    "-c", "gpg.minTrustLevel=undefined",
)  # fmt: skip
# The graft file git reads instead of info/grafts: empty, so no graft applies.
NO_GRAFTS = os.devnull
# The caller's GIT_* variables a fetch keeps: how to reach the remote, nothing about repositories.
_TRANSPORT = ("GIT_SSH", "GIT_SSL_", "GIT_HTTP_", "GIT_PROXY_", "GIT_CURL_")
REPLACE_REFS = "refs/replace/"


def _without_git_variables(keep: tuple[str, ...] = ()) -> dict[str, str]:
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GIT_") or (keep and key.startswith(keep))
    }


def git_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a git process reading a repository."""
    return {
        **_without_git_variables(),
        "LANGUAGE": "C",
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_GRAFT_FILE": NO_GRAFTS,
        "GIT_TERMINAL_PROMPT": "0",
        **(extra or {}),
    }


def transport_environment() -> dict[str, str]:
    """The whole environment of a git clone or fetch (see the module's docstring)."""
    return {
        **_without_git_variables(_TRANSPORT),
        "LANGUAGE": "C",
        "LC_ALL": "C",
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_TERMINAL_PROMPT": "0",  # a build fails with a message, never waits for a password
        "GIT_ASKPASS": "true",
    }


def git_command(*args: str) -> list[str]:
    """The command line of a git process reading a repository (run with git_environment)."""
    trusted = [f"safe.directory={value}" for value in trusted_directories()]
    return ["git", *PINNED_CONFIG, *[word for pin in trusted for word in ("-c", pin)], *args]


@cache
def trusted_directories() -> tuple[str, ...]:
    """The user's ``safe.directory`` values from the global and system configuration (asked
    once per process, outside any repository, so no repository's own configuration answers)."""
    values: list[str] = []
    env = {**_without_git_variables(("GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM")), "LC_ALL": "C"}
    for scope in ("--system", "--global"):
        try:
            found = subprocess.run(
                ["git", "config", scope, "--get-all", "safe.directory"],
                cwd=Path(os.devnull).parent,
                env=env,
                capture_output=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if found.returncode == 0:
            for line in found.stdout.decode("utf-8", "surrogateescape").splitlines():
                values = [*values, line] if line else []  # an empty value resets the list
    return tuple(dict.fromkeys(values))


# What a history cache was read under: a cache written under other rules is never served.
GRAPH_RULES = "no-replace-objects,no-grafts"


@dataclass(frozen=True)
class GraphOverrides:
    """What a repository holds that plain git would show in place of its commits' own parents
    and contents: replace refs, a grafts file. meshcomply reads without them (see above)."""

    replace_refs: bool = False
    grafts: bool = False

    def git(self) -> str:
        """How an auditor's shell runs git to see the same history: ``git`` when nothing
        overrides it, so the commands of an ordinary repository stay as plain as they were."""
        words = ["git"]
        if self.grafts:
            words.insert(0, f"GIT_GRAFT_FILE={os.devnull}")
        if self.replace_refs:
            words.append("--no-replace-objects")
        return " ".join(words)

    def warnings(self) -> list[str]:
        found = []
        if self.replace_refs:
            found.append(
                f"The repository has replace refs ({REPLACE_REFS}): plain git shows other "
                "commits or files in place of the ones they replace; meshcomply read the objects "
                "themselves, and the commands in this pack that re-perform its figures run "
                "git --no-replace-objects to do the same."
            )
        if self.grafts:
            found.append(
                "The repository has a grafts file (info/grafts): plain git shows the parents it "
                "names instead of the commits' own; meshcomply read the parents the commits "
                "hold, and the commands in this pack that re-perform its figures run "
                f"GIT_GRAFT_FILE={os.devnull} git to do the same."
            )
        return found


NO_OVERRIDES = GraphOverrides()
