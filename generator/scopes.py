"""The declared scope of an installation's repository besides its environments.

Every first-parent commit of an audit period must be accounted for (docs/history.md,
"Reconciliation"): it changed an environment's files, or a **shared scope** (paths outside every
environment whose changes reach several environments, such as landing zones and building blocks:
a change there is a change to each environment it reaches), or paths declared **out of scope**
with a justification the pack prints. This module holds those two declarations as typed records
and checks their part of ``meshcomply.yml`` (``shared_scopes:`` and ``out_of_scope:`` in an
installation's entry); ``generator.config`` reads them with the rest of the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")

# note(key path below the installation's entry, message, key): key=True places the problem at
# the key itself rather than its value
Note = Callable[[tuple[str | int, ...], str, bool], None]


@dataclass(frozen=True)
class SharedScope:
    """Paths outside every environment whose changes reach the environments in ``reaches``."""

    name: str
    paths: tuple[str, ...]  # git glob pathspecs, without the ":(glob)" magic
    reaches: tuple[str, ...]  # environment names, in configuration order


@dataclass(frozen=True)
class OutOfScope:
    """Paths whose changes are not changes to any environment, and why (printed in the pack)."""

    name: str
    paths: tuple[str, ...]
    justification: str


def path_problem(pathspec: str) -> str | None:
    """What is wrong with a configured path (environments, shared scopes, out of scope)."""
    if pathspec.startswith((":", "/")) or ".." in pathspec.split("/"):
        return (
            f"{pathspec!r} must be relative to the repository root, "
            "without '..' and without pathspec magic (':' prefix)"
        )
    return None


def read_shared(data: Any, environments: Sequence[str], note: Note) -> tuple[SharedScope, ...]:
    """``shared_scopes:`` as records; every problem noted at its key (``note(keypath, msg)``)."""
    if not isinstance(data, dict):
        return ()  # absent, or already reported by the schema
    scopes = []
    for name, entry in data.items():
        at: tuple[str | int, ...] = ("shared_scopes", name)
        _check_name("shared scope", name, at, note)
        if not isinstance(entry, dict):
            continue
        paths = _paths(entry.get("paths"), at, note)
        reaches = tuple(r for r in entry.get("reaches") or () if isinstance(r, str))
        for index, environment in enumerate(reaches):
            if environment not in environments:
                known = ", ".join(environments) or "none"
                note(
                    (*at, "reaches", index),
                    f"environment {environment!r} is not configured for this installation "
                    f"(configured: {known})",
                    False,
                )
        scopes.append(SharedScope(name, paths, reaches))
    return tuple(scopes)


def read_out_of_scope(data: Any, note: Note) -> tuple[OutOfScope, ...]:
    """``out_of_scope:`` as records; every problem noted at its key."""
    if not isinstance(data, dict):
        return ()
    entries = []
    for name, entry in data.items():
        at: tuple[str | int, ...] = ("out_of_scope", name)
        _check_name("out-of-scope", name, at, note)
        if not isinstance(entry, dict):
            continue
        justification = entry.get("justification")
        if isinstance(justification, str) and not justification.strip():
            note((*at, "justification"), "must say why these paths are out of scope", False)
        text = justification.strip() if isinstance(justification, str) else ""
        entries.append(OutOfScope(name, _paths(entry.get("paths"), at, note), text))
    return tuple(entries)


def _check_name(what: str, name: str, at: tuple[str | int, ...], note: Note) -> None:
    if not NAME.match(name):
        message = (
            f"{what} name {name!r} must be lowercase letters, digits and '-', starting with a "
            "letter or digit"
        )
        note(at, message, True)


def _paths(values: Any, at: tuple[str | int, ...], note: Note) -> tuple[str, ...]:
    if not isinstance(values, list):
        return ()
    paths = []
    for index, value in enumerate(values):
        if not isinstance(value, str):
            continue  # the schema reported it
        problem = path_problem(value)
        if problem:
            note((*at, "paths", index), problem, False)
        paths.append(value)
    return tuple(paths)
