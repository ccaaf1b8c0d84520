"""The release-notes stage: meshcloud's notes read and checked first, then joined per pack.

Notes are an input like the history: `build` reads and checks them before any history is read or
anything rendered (a bad note is reported at once), and joins them with each pack's evidence model
into one release view per environment right after the model is made. Renderers get those views
with the pack (`PackInput.release_views`) and never read the notes folder themselves.
`meshcomply release-notes` runs the same join for one environment.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from generator.cachefiles import default_cache_dir
from generator.catalog import display_path
from generator.evidence.model import EvidenceModel, HistoryPart
from generator.releasenotes import ReleaseNote
from generator.releasenotes.join import release_view
from generator.releasenotes.loader import NotesRead, checked_notes
from generator.releasenotes.view import ReleaseView


def read_notes(folder: Path | None, *, strict: bool = False) -> NotesRead | None:
    """The release-notes folder read and checked (InputError if no note is usable); None without."""
    if folder is None:
        return None
    return checked_notes(folder, default_cache_dir(), strict=strict, shown=shown_path)


def warning_lines(read: NotesRead | None) -> list[str]:
    """The notes' warnings as the commands print them, each naming its file and line."""
    return [warning.located(shown_path) for warning in read.warnings] if read else []


def shown_path(path: str) -> str:
    return display_path(Path(path))


def release_views(
    model: EvidenceModel | HistoryPart,
    notes: list[ReleaseNote],
    environments: Iterable[str] | None = None,
    *,
    audiences: set[str] | None = None,
    since: str | None = None,
) -> tuple[ReleaseView, ...]:
    """One release view per environment (all of the model's, in its order, by default).

    ValueError, from the join, for an environment the model does not know, an unknown audience
    or a `since` that is not a version.
    """
    names = [env.name for env in model.environments] if environments is None else environments
    return tuple(release_view(model, notes, name, audiences, since) for name in names)
