"""Synthetic meshStack release notes for every version in the demo histories.

Same file format as meshcloud's published notes (front matter title, "Release period", the list
of issues, ``<!--truncate-->``, "Ticket Details" with one ``###`` section per ticket), with
invented text from ``release_note_pool.py``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from generator.demo.clock import pick
from generator.demo.release_note_pool import FEATURES, FIXES, Ticket
from generator.demo.timeline import Release, release_calendar

# Patch releases whose fix is part of a demo story get that fix, not a random one.
_FIXED_TICKETS = {"2026.17.1": FIXES[-1]}


def _tickets(release: Release) -> list[Ticket]:
    if release.patch:
        return [_FIXED_TICKETS.get(release.version) or FIXES[pick(release.version, len(FIXES) - 1)]]
    count = 2 + pick(f"{release.version}:count", 3)
    chosen: list[Ticket] = []
    offset = pick(f"{release.version}:offset", len(FEATURES))
    step = 1 + pick(f"{release.version}:step", 4)
    for index in range(count):
        ticket = FEATURES[(offset + index * step) % len(FEATURES)]
        if ticket not in chosen:
            chosen.append(ticket)
    if pick(f"{release.version}:fix", 3) == 0:
        chosen.append(FIXES[pick(f"{release.version}:fixpick", len(FIXES) - 1)])
    return chosen


def render_note(release: Release) -> str:
    tickets = _tickets(release)
    end = release.staged - dt.timedelta(days=1) if not release.patch else release.staged
    lines = [
        "---",
        "author: meshcomply demo",
        f"title: Release {release.version}",
        "---",
        "",
        f"Release period: {release.previous.isoformat()} to {end.isoformat()}",
        "",
        "This release includes the following issues:",
        *(f"* {title}" for title, *_ in tickets),
        "<!--truncate-->",
        "",
        "## Ticket Details",
    ]
    for title, audiences, description, how_to_use in tickets:
        lines += [f"### {title}", f"**Audience:** {', '.join(audiences)}<br>", ""]
        lines += ["#### Description", description, ""]
        if how_to_use:
            lines += ["#### How to use", how_to_use, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def note_file_name(release: Release) -> str:
    return f"{release.staged.isoformat()}-release-{release.version}.md"


def write_release_notes(folder: Path) -> list[str]:
    """Write one note per demo release into folder; the versions, oldest first."""
    folder.mkdir(parents=True, exist_ok=True)
    versions = []
    for release in release_calendar():
        (folder / note_file_name(release)).write_text(render_note(release), encoding="utf-8")
        versions.append(release.version)
    return versions
