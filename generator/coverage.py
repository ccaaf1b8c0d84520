"""The Statement of Applicability: one row per Annex A and ISO/IEC 27017 control.

A row is implemented when meshStack controls implement the ref (their rationales make up its
justification), otherwise it carries the applicability decision. The coverage matrix that
``meshcomply controls`` prints is a projection of these rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.library import ControlLibrary

# The keys of the `meshcomply controls --format json` contract, in order.
MATRIX_KEYS = ("ref", "title", "implemented_by", "decision", "justification")


@dataclass(frozen=True)
class SoaRow:
    ref: str
    title: str
    theme: str  # organizational | people | physical | technological | cloud (ISO/IEC 27017)
    decision: str  # implemented | inherited | excluded
    justification: str
    implemented_by: tuple[str, ...]  # meshStack control ids, sorted
    # implemented: the implementing controls' split (all equal -> that, else shared);
    # inherited: who is responsible (hosting provider | customer | meshcloud); excluded: None.
    responsibility: str | None
    coverage: str | None  # implemented: full if one control covers it fully, else partial
    refs_2013: tuple[str, ...]  # the ISO/IEC 27001:2013 controls it corresponds to

    def as_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["implemented_by"] = list(self.implemented_by)
        record["refs_2013"] = list(self.refs_2013)
        return record


def soa_rows(library: ControlLibrary) -> list[SoaRow]:
    """Every SoA row, in catalog order (27001:2022 Annex A, then ISO/IEC 27017)."""
    implementations: dict[str, list[tuple[str, str, str, str]]] = {}
    for control in library.controls.values():
        for item in control.implements:
            implementations.setdefault(item.ref, []).append(
                (control.id, item.coverage, item.rationale, control.responsibility)
            )
    rows = []
    for ref in library.catalogs.soa_refs():
        entry = library.catalogs.entries[ref]
        theme = entry.theme or ("cloud" if entry.kind == "cloud" else "")
        refs_2013 = library.catalogs.crosswalk_2013_for(ref)
        found = sorted(implementations.get(ref, []))
        if found:
            splits = {split for _, _, _, split in found}
            rows.append(
                SoaRow(
                    ref=ref,
                    title=entry.title,
                    theme=theme,
                    decision="implemented",
                    justification=" ".join(
                        f"{cid} ({coverage}): {_sentence(rationale)}"
                        for cid, coverage, rationale, _ in found
                    ),
                    implemented_by=tuple(cid for cid, _, _, _ in found),
                    responsibility=splits.pop() if len(splits) == 1 else "shared",
                    coverage="full" if any(c == "full" for _, c, _, _ in found) else "partial",
                    refs_2013=refs_2013,
                )
            )
            continue
        decision = library.decisions[ref]
        rows.append(
            SoaRow(
                ref=ref,
                title=entry.title,
                theme=theme,
                decision=decision.decision,
                justification=decision.justification.strip(),
                implemented_by=(),
                responsibility=decision.responsible,
                coverage=None,
                refs_2013=refs_2013,
            )
        )
    return rows


def coverage_matrix(library: ControlLibrary) -> list[dict[str, Any]]:
    """The `meshcomply controls` JSON contract: one object per SoA ref, keys MATRIX_KEYS."""
    return [
        {
            "ref": row.ref,
            "title": row.title,
            "implemented_by": list(row.implemented_by),
            "decision": row.decision,
            "justification": row.justification,
        }
        for row in soa_rows(library)
    ]


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else f"{text}."
