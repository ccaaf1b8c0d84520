"""The history's sections of the evidence model, from an InstallationHistory.

Used by the pack stage (evidence/pack.py) and, for one environment, by ``meshcomply
release-notes``: both build the same records with the same functions.
"""

from __future__ import annotations

from typing import Any

from generator.errors import BuildError
from generator.evidence.model import (
    ApprovalRecord,
    ChangeRecord,
    EnvironmentRecord,
    EventRecord,
    HistoryPart,
    PeriodRange,
    PromotionRecord,
    ReconciliationRecord,
    ReleaseRecord,
    ReproduceStep,
    ScopeGroupRecord,
    SourceRecord,
)
from generator.history.model import Approval, Change, ReleaseEvent
from generator.history.reconcile import ENVIRONMENTS, counted
from generator.sources import git as git_source

ApprovalRecords = dict[tuple[Approval, ...], tuple[ApprovalRecord, ...]]


def change_record(change: Change, shared: ApprovalRecords | None = None) -> ChangeRecord:
    # The history's identities and file entries are the model's records too: no copies, which
    # matters on long histories (88,000 changes on the 100k-commit benchmark). The same people
    # approve change after change the same way: `shared` keeps one set of records for them.
    commit = change.commit
    releases = change.releases
    approvals: tuple[ApprovalRecord, ...] = ()
    if change.approvals:
        known = shared if shared is not None else {}
        approvals = known.get(change.approvals) or known.setdefault(
            change.approvals, tuple(ApprovalRecord(*a) for a in change.approvals)
        )
    return ChangeRecord(
        commit.sha,
        commit.parents,
        change.environments,
        commit.author,
        commit.authored_at,
        commit.committer,
        commit.committed_at,
        commit.subject,
        commit.body,
        commit.files,
        change.approvers,
        approvals,
        change.authors,
        change.self_approved,
        change.signed,
        commit.signature,
        change.verified,
        commit.signer,
        commit.signing_key,
        dict(sorted(releases.items())) if releases else {},
    )


def _event(event: ReleaseEvent | None) -> EventRecord | None:
    return None if event is None else EventRecord(event.sha, event.date)


def _release(event: ReleaseEvent, start: str) -> ReleaseRecord:
    return ReleaseRecord(
        event.version,
        event.environment,
        event.sha,
        event.date,
        event.source,
        event.date[:10] >= start,
    )


def _source_record(provenance: dict[str, Any]) -> SourceRecord:
    # The git source declares what it records about where its data came from; the model types it.
    return SourceRecord(
        repo=provenance["repo"],
        ref=provenance["ref"],
        head=provenance["head"],
        head_date=provenance["head_date"],
        history_rewritten=provenance["history_rewritten"],
        warnings=tuple(provenance["warnings"]),
        reproduce=tuple(ReproduceStep(**step) for step in provenance["reproduce"]),
    )


def reconciliation_record(history: Any) -> ReconciliationRecord:
    """The history's reconciliation as the model records it (shas for every group but the
    environments', whose commits are the changes)."""
    reconciliation = history.reconciliation
    if reconciliation is None:
        raise BuildError(f"{history.installation.name}: the history was read without reconciling")
    commits = history.commits
    return ReconciliationRecord(
        commits=reconciliation.total,
        command=counted(reconciliation.command),
        groups=tuple(
            ScopeGroupRecord(
                kind=group.kind,
                name=group.name,
                paths=group.paths,
                reaches=group.reaches,
                justification=group.justification,
                commits=len(group.indices),
                command=counted(group.command),
                shas=()
                if group.kind == ENVIRONMENTS
                else tuple(commits[i].sha for i in group.indices),
            )
            for group in reconciliation.groups
        ),
    )


def history_sections(
    history: Any, *, environment: str | None = None, earlier_releases: bool = False
) -> HistoryPart:
    """installation, period, source, environments, changes, releases and promotions.

    With ``environment``, only that environment's changes are listed (the release-note join reads
    no others, and on a long history building every record is most of its time).
    ``releases`` holds the period's release events plus the version each environment ran when
    the period began (so a first rollout that jumps several versions shows as the jump it is);
    with ``earlier_releases``, every event up to the period end in the history's order (the
    release-note join uses them to tell which version the period's first rollout replaced).
    """
    installation = history.installation
    period = history.period
    # git's counts: `changes` may hold only some environments (read_history(environments=...)).
    populations = history.population_sizes
    start, end = period.start.isoformat(), period.end.isoformat()
    shared: ApprovalRecords = {}
    if earlier_releases:
        chosen = [event for event in history.releases if event.date[:10] <= end]
    else:
        running: dict[str, ReleaseEvent] = {}
        in_period = []
        for event in history.releases:
            day = event.date[:10]
            if day < start:
                running[event.environment] = event
            elif day <= end:
                in_period.append(event)
        chosen = sorted(
            [*running.values(), *in_period], key=lambda e: (e.date, e.environment, e.version)
        )
    return HistoryPart(
        installation=installation.name,
        period=PeriodRange(start, end),
        source=_source_record(git_source.provenance(history)),
        environments=tuple(
            EnvironmentRecord(
                env.name, str(env.role), tuple(env.paths), env.approval, populations[env.name]
            )
            for env in installation.environments
        ),
        changes=tuple(
            [
                change_record(change, shared)
                for change in history.changes
                if environment is None or environment in change.environments
            ]
        ),
        releases=tuple(_release(event, start) for event in chosen),
        promotions=tuple(
            PromotionRecord(
                p.version,
                _event(p.staging),
                _event(p.production),
                p.staging_hours,
                tuple(p.production_approvers),
            )
            for p in history.promotions
        ),
    )
