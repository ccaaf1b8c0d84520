"""Ordering of meshStack versions across the two numbering schemes.

meshStack numbered releases N.N.N up to 7.176.0 (June 2023) and YYYY.N.P from 2023.1.0 on. Plain
numeric comparison of the two schemes would only be right by accident of the numbers, so the
scheme is an explicit first sort criterion: every old-scheme version precedes every calendar one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# ASCII digits only: \d would also accept e.g. Arabic-Indic digits that int() silently converts.
_VERSION = re.compile(r"v?([0-9]+)\.([0-9]+)\.([0-9]+)")

# A four-digit major is a year; the old scheme never got beyond major 7.
_CALENDAR_MIN_MAJOR = 1000

VersionKey = tuple[int, int, int, int, str]


def parse_version(version: str) -> tuple[int, int, int]:
    """(major, minor, patch) of "N.N.N" (an optional leading "v" is accepted); ValueError else."""
    match = _VERSION.fullmatch(version.strip()) if isinstance(version, str) else None
    if match is None:
        raise ValueError(f"not a meshStack version (expected N.N.N): {version!r}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def normalize_version(version: str) -> str:
    """The canonical spelling: "v2025.01.0" -> "2025.1.0"."""
    return ".".join(str(part) for part in parse_version(version))


def is_calendar_version(version: str) -> bool:
    """True for the YYYY.N.P scheme; ValueError for something that is not a version."""
    return parse_version(version)[0] >= _CALENDAR_MIN_MAJOR


def version_key(version: str, release_date: str | None = None) -> VersionKey:
    """Sort key: scheme (old before calendar), then numbers, then release date.

    The date only breaks ties between equal versions; it never overrides the version order,
    because hotfixes of an older line can be published after a newer release.
    """
    major, minor, patch = parse_version(version)
    scheme = 1 if major >= _CALENDAR_MIN_MAJOR else 0
    return scheme, major, minor, patch, release_date or ""


def versions_between(all_versions: Iterable[str], old: str, new: str) -> list[str]:
    """The versions after `old` up to and including `new`, ordered and without duplicates.

    `old` and `new` need not be among `all_versions` (an installation may run a version without a
    published note). A downgrade (`new` before `old`) or no change gives an empty list.
    """
    low, high = version_key(old)[:4], version_key(new)[:4]
    picked: dict[tuple[int, ...], str] = {}
    for version in all_versions:
        key = version_key(version)[:4]
        if low < key <= high:
            picked.setdefault(key, version)
    return [picked[key] for key in sorted(picked)]
