"""The evidence documents a rule read, in words, the same in the PDF and the portal.

A document's date, result and names are what it states of itself, in front matter written by
whoever committed it (or put it in the evidence folder): each row shows them as the document's
statements, beside where the document was read and, from git, who wrote that version. A document
read from the evidence folder has no history: no commit, no author, a self-declared date.
"""

from __future__ import annotations

from typing import Any

from generator.evidence.documents import EVIDENCE_FOLDER, result_label
from generator.evidence.model import DocumentRecord, EvidenceModel, Identity
from generator.render.words import SHORT_SHA

DOCUMENT_COLUMNS = (
    "Document, where it was read, SHA-256",
    "What the document states",
    "Who wrote it (git)",
)


def document_rows(
    model: EvidenceModel, control: str, shas: tuple[str, ...]
) -> list[dict[str, Any]]:
    """A row for each document version with a SHA-256 in ``shas`` that ``control`` read."""
    wanted = set(shas)
    return [
        _row(model, record)
        for record in model.documents
        if record.sha256 in wanted and control in record.controls
    ]


def _row(model: EvidenceModel, record: DocumentRecord) -> dict[str, Any]:
    return {
        "path": record.path,
        "source": _source(model, record),
        "states": _states(record),
        "written": _written(record),
        "sha256": record.sha256,
        "unversioned": record.source == EVIDENCE_FOLDER,
    }


def _source(model: EvidenceModel, record: DocumentRecord) -> str:
    if record.source != EVIDENCE_FOLDER:
        return f"the repository, read at commit {(record.commit or '')[:SHORT_SHA]}"
    # The inputs name the folder's files from meshcomply.yml's folder: the path to look at.
    full = next(
        (
            f.path
            for f in model.inputs.files
            if f.kind == "document" and f.sha256 == record.sha256 and f.path.endswith(record.path)
        ),
        record.path,
    )
    return f"the evidence folder, {full}: not under version control, no history"


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(names)


def _states(record: DocumentRecord) -> list[str]:
    """The front matter's statements, each as the document's own (none is checked)."""
    if record.problems:
        return ["cannot be read: see the problems in the reason"]
    lines = [f"date: {record.date or '—'}"]
    if record.source == EVIDENCE_FOLDER:
        lines[0] += " (self-declared, no history)"
    if record.covers is not None:
        lines.append(f"covers: {record.covers.start}..{record.covers.end}")
    lines.append(f"result: {result_label(record.result)}")
    if record.performed_by:
        lines.append(f"performed by: {_names(record.performed_by)}")
    if record.approved_by:
        lines.append(f"approved by: {_names(record.approved_by)}")
    return lines


def _person(identity: Identity) -> str:
    return f"{identity.name} <{identity.email}>"


def _written(record: DocumentRecord) -> list[str]:
    """Who git says wrote this version: the author and committer of the commit that did."""
    if record.source == EVIDENCE_FOLDER:
        return ["not on record: the evidence folder keeps no history"]
    if record.author is None or record.committer is None or record.changed_in is None:
        return ["not on record: the commit that wrote it was not read"]
    lines = [f"commit {record.changed_in[:SHORT_SHA]}", f"author: {_person(record.author)}"]
    if record.committer != record.author:
        lines.append(f"committer: {_person(record.committer)}")
    else:
        lines.append("committer: the author")
    return lines
