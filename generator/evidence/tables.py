"""changes.csv, sample.csv, deviations.csv and events.csv: the populations and the deviations
as spreadsheets an auditor can filter and re-count (events.csv: each event rule's population with
its sample, when the pack has an event log).

Cells come from repositories and are untrusted: a leading ``= + - @`` (or tab/CR) would run as a
formula in a spreadsheet, so such cells are prefixed with an apostrophe (OWASP CSV injection).
Each table is a header and rows of values; ``csvtext`` makes the values safe cells and writes
them, column by column. Every multi-valued cell is ``csvtext.list_cell`` (values joined with
``"; "``), every moment meshcomply computed ``csvtext.utc_cell`` (``...Z``); commit times are
git's own text. docs/csv.md describes every column, and tests/test_docs_csv.py holds it to the
headers below.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from generator.evidence.csvtext import (
    LIST_SEPARATOR,
    csv_pieces,
    escaped,
    list_cell,
    utc_cell,
)
from generator.evidence.model import ApprovalRecord, ChangeRecord, EvidenceModel, Identity

Row = tuple[Any, ...]  # a row's values, made safe cells when written (csvtext.safe_cell)

CHANGE_COLUMNS = (
    "sha",
    "committed_at",
    "environments",
    "author_name",
    "author_email",
    "committer_name",
    "committer_email",
    "approvers",
    "approval_evidence",
    "self_approved",
    "signed",
    "verified",
    "signer",
    "signing_key",
    "releases",
    "files",
    "subject",
)
DEVIATION_COLUMNS = (
    "id",
    "kind",
    "rule",
    "state",
    "exception",
    "sha",
    "items",
    "window_from",
    "window_to",
    "window_hours",
    "controls",
    "message",
)
SAMPLE_COLUMNS = (
    "environment",
    "position",
    "sha",
    "rank",
    "committed_at",
    "author",
    "approvers",
    "subject",
)

EVENT_COLUMNS = (
    "rule",
    "population",
    "controls",
    "uuid",
    "created_at",
    "title",
    "author_type",
    "author",
    "workspace",
    "sample_position",
    "rank",
    "description",
)


def _people(people: Iterable[Identity]) -> str:
    return list_cell([f"{p.name} <{p.email}>" for p in people])


def _evidence(approval: ApprovalRecord) -> str:
    """An approval's evidence, with the release tag that carries a signed one: "signed (tag X)"."""
    return f"{approval.evidence} (tag {approval.tag})" if approval.tag else approval.evidence


def change_row(change: ChangeRecord) -> Row:
    """A change's values in changes.csv."""
    return (
        change.sha,
        change.committed_at,
        list_cell(change.environments),
        change.author.name,
        change.author.email,
        change.committer.name,
        change.committer.email,
        _people(change.approvers),
        list_cell([_evidence(a) for a in change.approvals]),
        change.self_approved,
        change.signed,
        change.verified,
        change.signer,
        change.signing_key,
        _releases(change.releases),
        len(change.files),
        change.subject,
    )


def _releases(releases: dict[str, str]) -> str:
    """Each environment's release as ``environment=version``: an ``=`` in the name escaped, so
    the first unescaped ``=`` ends it."""
    pairs = [f"{escaped(env, pair_name=True)}={escaped(v)}" for env, v in releases.items()]
    return LIST_SEPARATOR.join(pairs)


def _csv_text(header: tuple[str, ...], rows: Iterable[Row]) -> str:
    return "".join(csv_pieces(header, rows))


def _write_csv(path: Path, header: tuple[str, ...], rows: Iterable[Row]) -> None:
    """The same bytes as _csv_text, a chunk of rows at a time into the file (a big population
    is never one string in memory)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.writelines(csv_pieces(header, rows))


def changes_csv(model: EvidenceModel) -> str:
    return _csv_text(CHANGE_COLUMNS, _change_rows(model))


def _change_rows(model: EvidenceModel) -> Iterator[Row]:
    return map(change_row, model.changes)


def sample_csv(model: EvidenceModel) -> str:
    return _csv_text(SAMPLE_COLUMNS, _sample_rows(model))


def _sample_rows(model: EvidenceModel) -> Iterator[Row]:
    from generator.evidence.sample import rank

    by_sha = {c.sha: c for c in model.changes}
    seed = model.sample.seed
    for entry in model.sample.populations:
        for position, sha in enumerate(entry.shas, start=1):
            change = by_sha[sha]
            values = (
                entry.environment,
                position,
                sha,
                rank(seed, sha),
                change.committed_at,
                f"{change.author.name} <{change.author.email}>",
                _people(change.approvers),
                change.subject,
            )
            yield values


def deviations_csv(model: EvidenceModel) -> str:
    return _csv_text(DEVIATION_COLUMNS, _deviation_rows(model))


def _deviation_rows(model: EvidenceModel) -> Iterator[Row]:
    """Each deviation once (the model's top-level list), a window as its bounds and hours."""
    for deviation in model.deviations:
        window = deviation.window or {}
        values = (
            deviation.id,
            deviation.kind,
            deviation.rule,
            deviation.state,
            deviation.exception,
            deviation.sha,
            list_cell(deviation.items),
            utc_cell(window.get("from")),
            utc_cell(window.get("to")),
            window.get("hours"),
            list_cell(deviation.controls),
            deviation.message,
        )
        yield values


def _event_rows(model: EvidenceModel) -> Iterator[Row]:
    """One row per member of each event population, in its order; sampled ones numbered."""
    from generator.evidence.event_sections import rank

    section = model.event_log
    if section is None:
        return
    by_uuid = {event.uuid: event for event in section.events}
    seed = model.sample.seed
    # A rule run with two parameter sets has two populations, maybe under the same controls and
    # holding the same events: a row names its population by its place in event_log.populations.
    for number, population in enumerate(section.populations, start=1):
        positions = {uuid: n for n, uuid in enumerate(population.sample, start=1)}
        for uuid in population.uuids:
            event = by_uuid[uuid]
            values = (
                population.rule,
                number,
                list_cell(population.controls),
                uuid,
                utc_cell(event.created_at),
                event.title,
                event.author_type,
                event.author,
                event.workspace,
                positions.get(uuid),
                rank(seed, population.rule, uuid),
                event.description,
            )
            yield values


def write_tables(model: EvidenceModel, pack_dir: Path) -> None:
    _write_csv(pack_dir / "changes.csv", CHANGE_COLUMNS, _change_rows(model))
    _write_csv(pack_dir / "sample.csv", SAMPLE_COLUMNS, _sample_rows(model))
    _write_csv(pack_dir / "deviations.csv", DEVIATION_COLUMNS, _deviation_rows(model))
    if model.event_log is not None:
        _write_csv(pack_dir / "events.csv", EVENT_COLUMNS, _event_rows(model))
