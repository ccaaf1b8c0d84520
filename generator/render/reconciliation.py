"""The reconciliation's groups in words, the same in the PDF and the portal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from generator.evidence.model import ChangeRecord, ReconciliationRecord, ScopeGroupRecord
from generator.numberwords import count_text

_TITLES = {
    "environments": "Environments' own paths",
    "shared": "Shared scope {name}",
    "unaccounted": "Unaccounted",
    "out_of_scope": "Out of scope: {name}",
    "no_change": "Changed no file",
}


def group_title(group: ScopeGroupRecord) -> str:
    return _TITLES.get(group.kind, group.kind).format(name=group.name)


def group_note(group: ScopeGroupRecord) -> str:
    """What the group holds and why, in one sentence."""
    reaches = ", ".join(group.reaches)
    if group.kind == "environments":
        return f"Changes to the files of {reaches}: the changes listed in the change population."
    if group.kind == "shared":
        return (
            f"Changes to paths shared by {reaches}: each is a change to every environment it "
            "reaches, in their populations and tested with them."
        )
    if group.kind == "unaccounted":
        return (
            "Commits changing a file outside every declared path (no environment, shared scope "
            "or out-of-scope entry covers it): a gap in the configuration, judged as in scope."
        )
    if group.kind == "out_of_scope":
        return f"Declared out of scope: {group.justification}"
    if group.kind == "no_change":
        return "Commits whose tree equals their first parent's: they change no configuration."
    return ""


def equation(reconciliation: ReconciliationRecord) -> str:
    """``1,080 = 1,070 + 2 + 0 + 8``: the period's commits as the sum of the groups."""
    parts = " + ".join(count_text(group.commits) for group in reconciliation.groups)
    return f"{count_text(reconciliation.commits)} = {parts}"


def groups_view(reconciliation: ReconciliationRecord, max_shas: int) -> list[dict[str, Any]]:
    """Each group with its title, note, and at most `max_shas` of its commits."""
    return [
        {
            "group": group,
            "title": group_title(group),
            "note": group_note(group),
            "shas_shown": group.shas[:max_shas],
            "shas_more": max(0, len(group.shas) - max_shas),
        }
        for group in reconciliation.groups
    ]


def population_scopes(
    environment: str, reconciliation: ReconciliationRecord
) -> list[tuple[str, tuple[str, ...]]]:
    """Whose paths make up an environment's population, as (whose, paths): its own paths, then
    each shared scope reaching it (``shared scope platform``), as the reconciliation has them."""
    scopes = []
    for group in reconciliation.groups:
        if group.kind == "environments":
            continue
        if group.kind == "shared" and environment in group.reaches:
            scopes.append((group_title(group)[0].lower() + group_title(group)[1:], group.paths))
    return scopes


def shared_changes(changes: Sequence[ChangeRecord]) -> int:
    """How many changes count in more than one environment's population."""
    return sum(1 for change in changes if len(change.environments) > 1)
