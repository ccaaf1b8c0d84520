"""The published release notes for tests, and loading them without the duplicate's log line.

The archive lives outside this repository (../shared/data/meshstack-release-notes, CC BY 4.0);
without it the tests that use it must fail, never skip.
"""

from __future__ import annotations

import logging
from pathlib import Path

from generator.releasenotes import ReleaseNote, load_release_notes

REAL_NOTES = Path(__file__).resolve().parents[2] / "shared" / "data" / "meshstack-release-notes"


def load_quietly(folder: Path = REAL_NOTES, cache_dir: Path | None = None) -> list[ReleaseNote]:
    """load_release_notes without its warning: the published archive holds 2025.13.0 twice."""
    assert folder.is_dir(), f"release notes missing: {folder}"
    logging.disable(logging.WARNING)
    try:
        return load_release_notes(folder, cache_dir=cache_dir)
    finally:
        logging.disable(logging.NOTSET)


_ONE_TICKET = """\
---
title: Release {version}
---

Release period: 2025-12-17 to 2025-12-24
<!--truncate-->

## Ticket Details
### {title}
**Audience:** User<br>

#### Description
{text}
"""


def one_ticket_note(version: str, text: str, title: str = "A ticket") -> str:
    """A minimal valid note: one User ticket whose description is `text`."""
    return _ONE_TICKET.format(version=version, text=text, title=title)
