"""meshStack release notes joined with one installation environment's rollouts.

The input is the evidence model's history part (``installation``, ``period``, ``environments``,
``changes``, ``releases``, ``promotions``: an ``EvidenceModel`` or a ``HistoryPart``, see
generator/evidence/model.py), so the same function serves the CLI, which builds that part from
git, and the portal, which has the packs' models. The output is
a plain dataclass tree that the renderers turn into Markdown, HTML and Atom; nothing here escapes
or formats text.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from typing import TYPE_CHECKING

from generator.releasenotes.model import AUDIENCES, ReleaseNote, Ticket
from generator.releasenotes.timeline import (
    PRODUCTION,
    STAGING,
    RolloutEvent,
    Timeline,
    VersionIndex,
    after,
    order_key,
)
from generator.releasenotes.versions import version_key
from generator.timewords import utc

if TYPE_CHECKING:
    from generator.evidence.model import (
        ApprovalRecord,
        ChangeRecord,
        EvidenceModel,
        HistoryPart,
        Identity,
    )
from generator.releasenotes.view import (
    Approval,
    ConfigChange,
    NoteSection,
    Person,
    ReleaseView,
    Rollout,
    TicketEntry,
    TicketGroup,
    VersionEntry,
)

__all__ = [
    "Approval",
    "ConfigChange",
    "NoteSection",
    "Person",
    "ReleaseView",
    "Rollout",
    "TicketEntry",
    "TicketGroup",
    "VersionEntry",
    "VersionIndex",
    "release_view",
]


def release_view(
    model: EvidenceModel | HistoryPart,
    notes: list[ReleaseNote],
    environment: str,
    audiences: set[str] | None = None,
    since: str | None = None,
) -> ReleaseView:
    """The release notes of every version that reached `environment` in the model's period.

    ValueError for an environment the model does not know, an audience neither in AUDIENCES nor
    named by a note, or a `since` that is not a version; the message says which values are valid.
    A ticket naming an audience outside AUDIENCES is shown whatever the filter.
    """
    roles = {env.name: env.role for env in model.environments}
    if environment not in roles:
        known = ", ".join(roles) or "none"
        raise ValueError(f"unknown environment '{environment}' (known: {known})")
    selected = _audiences(audiences, notes)
    since_key = None if since is None else version_key(since)[:4]  # ValueError if not N.N.N
    period_from, period_to = model.period.start, model.period.end
    timeline = Timeline(model, period_to)
    notes_by_version = {note.version: note for note in notes}
    joiner = _Joiner(
        timeline, notes_by_version, selected, model.changes, environment, roles[environment]
    )

    events = timeline.events(environment)
    in_period = [
        (index, event)
        for index, event in enumerate(events)
        if period_from <= event.date[:10] <= period_to and after(event.version, since_key)
    ]
    versions = [
        joiner.entry(
            event.version,
            rollout=event,
            previous=events[index - 1].version if index else None,
            window_end=events[index + 1].date if index + 1 < len(events) else None,
        )
        for index, event in reversed(in_period)
    ]
    upcoming: list[VersionEntry] = []
    if roles[environment] == PRODUCTION:
        upcoming = joiner.upcoming(since_key)
    return ReleaseView(
        installation=model.installation,
        environment=environment,
        period_from=period_from,
        period_to=period_to,
        audiences=selected,
        filtered=audiences is not None,
        since=since,
        versions=tuple(versions),
        upcoming=tuple(upcoming),
        approval_evidence=frozenset(
            a.evidence for a in joiner.approvals_shown.values() if a.evidence is not None
        ),
    )


def _audiences(audiences: set[str] | None, notes: list[ReleaseNote]) -> tuple[str, ...]:
    if audiences is None:
        return AUDIENCES
    known = list(AUDIENCES)
    if not audiences <= set(AUDIENCES):
        known += note_audiences(notes)
    unknown = sorted(set(audiences) - set(known))
    if unknown:
        raise ValueError(
            f"unknown audience {', '.join(repr(a) for a in unknown)} (expected {', '.join(known)})"
        )
    if not audiences:
        raise ValueError(f"no audience selected (expected some of {', '.join(known)})")
    return tuple(a for a in known if a in audiences)


def note_audiences(notes: list[ReleaseNote]) -> list[str]:
    """The audiences the notes name besides AUDIENCES, sorted."""
    named = {audience for note in notes for ticket in note.tickets for audience in ticket.audiences}
    return sorted(named - set(AUDIENCES), key=lambda a: (a.casefold(), a))


class _Joiner:
    def __init__(
        self,
        timeline: Timeline,
        notes: dict[str, ReleaseNote],
        audiences: tuple[str, ...],
        changes: Iterable[ChangeRecord],
        environment: str,
        role: str,
    ):
        self.timeline = timeline
        self.notes = notes
        self.note_versions = VersionIndex(notes)
        self.audiences = audiences
        self.first_selected: dict[tuple[str, ...], str | None] = {}
        self.persons: dict[tuple[str, str], Person] = {}
        self.approvals_shown: dict[tuple[str, str, str | None], Approval] = {}
        self.environment = environment
        self.role = role
        mine = [c for c in changes if environment in c.environments]
        self.setters: dict[str, list[ChangeRecord]] = {}  # version -> changes that set it
        for change in mine:
            version = change.releases.get(environment)
            if version is not None:
                self.setters.setdefault(version, []).append(change)
        # The commit that set a version is the rollout itself, not one of the changes; the rest
        # sorted by time (stable) so that each release window is one bisection.
        rollout_shas = {e.sha for e in timeline.events(environment)}
        timed = sorted(
            ((utc(c.committed_at), index, c) for index, c in enumerate(mine)
             if c.sha not in rollout_shas),
            key=lambda item: item[:2],
        )  # fmt: skip
        self.change_times = [when for when, _, _ in timed]
        self.changes = [change for _, _, change in timed]

    def entry(
        self,
        version: str,
        *,
        rollout: RolloutEvent | None,
        previous: str | None,
        window_end: str | None,
    ) -> VersionEntry:
        staging = self.timeline.role_event(version, STAGING)
        production = self.timeline.role_event(version, PRODUCTION)
        old, new = order_key(previous) if previous else None, order_key(version)
        rollback = old is not None and new is not None and old > new
        included: list[str] = []
        if old is not None and new is not None and not rollback:
            between = self.note_versions.between(previous, version)
            included = [v for v in reversed(between) if v != version]
        notes = [self.section(v, None if v == version else version) for v in [version, *included]]
        return VersionEntry(
            version=version,
            rollout=rollout.rollout() if rollout else None,
            staging=staging.rollout() if staging else None,
            production=production.rollout() if production else None,
            staging_hours=self.staging_hours(version, staging, production),
            approvals=self.version_approvals(version) if rollout else (),
            previous=previous,
            rollback=rollback,
            included=tuple(included),
            notes=tuple(n for n in notes if n is not None),
            missing_notes=tuple(
                v for v, n in zip([version, *included], notes, strict=True) if n is None
            ),
            changes=self.window(rollout, window_end) if rollout else (),
        )

    def upcoming(self, since_key: tuple[int, ...] | None) -> list[VersionEntry]:
        """Staged versions newer than anything in production, newest first."""
        produced = [
            e.version for e in self.timeline.role_events(PRODUCTION) if order_key(e.version)
        ]
        current = max(produced, key=order_key) if produced else None
        floor = order_key(current) if current else None
        # Only versions that can be ordered: "upcoming" means newer than production's.
        waiting = [
            e
            for e in self.timeline.role_events(STAGING)
            if self.timeline.role_event(e.version, PRODUCTION) is None
            and order_key(e.version) is not None
            and (floor is None or order_key(e.version) > floor)
            and after(e.version, since_key)
        ]
        waiting.sort(key=lambda e: order_key(e.version))
        entries = []
        previous = current
        for event in waiting:
            entries.append(
                self.entry(event.version, rollout=None, previous=previous, window_end=None)
            )
            previous = event.version
        return entries[::-1]

    def section(self, version: str, included_in: str | None) -> NoteSection | None:
        note = self.notes.get(version)
        if note is None:
            return None
        shown = [t for t in note.tickets if self.shown_under(t.audiences) is not None]
        return NoteSection(
            version=note.version,
            title=note.title,
            date=note.date,
            period_start=note.period_start,
            period_end=note.period_end,
            file=note.path.replace("\\", "/").rsplit("/", 1)[-1],
            included_in=included_in,
            groups=self.groups(shown),
            hidden_tickets=len(note.tickets) - len(shown),
        )

    def groups(self, tickets: Iterable[Ticket]) -> tuple[TicketGroup, ...]:
        # Each ticket appears once: under the first of its audiences that is selected (the
        # renderers name its other audiences), so a page never repeats a description.
        grouped: dict[tuple[str, str | None], list[TicketEntry]] = {}
        for ticket in tickets:
            audience = self.shown_under(ticket.audiences)
            grouped.setdefault((audience, ticket.component), []).append(ticket)
        order = {a: i for i, a in enumerate(AUDIENCES)}
        # Named components sorted by name; tickets without one come last within their audience.
        # Audiences outside AUDIENCES after those, by name.
        keys = sorted(
            grouped,
            key=lambda k: (
                order.get(k[0], len(order)),
                k[0],
                k[1] is None,
                (k[1] or "").casefold(),
            ),
        )
        return tuple(TicketGroup(a, c, tuple(grouped[(a, c)])) for a, c in keys)

    def shown_under(self, audiences: tuple[str, ...]) -> str | None:
        """The first selected audience of a ticket's, None when the filter hides the ticket.

        A ticket naming an audience outside AUDIENCES is for someone the notes do not define:
        it is shown whatever the filter, under its first such audience if none is selected.
        """
        if audiences not in self.first_selected:  # few distinct tuples: computed once each
            selected = [a for a in self.audiences if a in audiences]
            if not selected:
                selected = [a for a in audiences if a not in AUDIENCES]
            self.first_selected[audiences] = selected[0] if selected else None
        return self.first_selected[audiences]

    def staging_hours(
        self, version: str, staging: RolloutEvent | None, production: RolloutEvent | None
    ) -> float | None:
        if staging is None or production is None:
            return None  # e.g. promoted only after the period's end
        promotion = self.timeline.promotions.get(version)
        if promotion is not None and promotion.staging_hours is not None:
            return float(promotion.staging_hours)
        return (utc(production.date) - utc(staging.date)).total_seconds() / 3600

    def version_approvals(self, version: str) -> tuple[Approval, ...]:
        """The approvals the commit that set the version records: in production the promotion's
        production commit, elsewhere each change that set it. Only as the history records them:
        an approval line is its committer's statement, which the evidence says."""
        records: list[ApprovalRecord] = []
        promotion = self.timeline.promotions.get(version)
        if self.role == PRODUCTION and promotion is not None and promotion.production:
            sha = promotion.production.sha
            setter = next((c for c in self.setters.get(version, []) if c.sha == sha), None)
            if setter is not None:
                records = list(setter.approvals)
            else:  # the commit is not among the pack's changes: its approvers, evidence unknown
                return self._unique(self.approval(p, None) for p in promotion.production_approvers)
        if not records:
            for change in self.setters.get(version, []):
                records.extend(change.approvals)
        return self._unique(self.approval(r.approver, r.evidence) for r in records)

    @staticmethod
    def _unique(approvals: Iterable[Approval]) -> tuple[Approval, ...]:
        unique: dict[str, Approval] = {}
        for approval in approvals:
            unique.setdefault((approval.email or approval.name).casefold(), approval)
        return tuple(unique.values())

    def window(self, rollout: RolloutEvent, window_end: str | None) -> tuple[ConfigChange, ...]:
        """Changes to the environment from this rollout until the next one (exclusive)."""
        low = bisect_left(self.change_times, utc(rollout.date))
        high = len(self.changes)
        if window_end is not None:
            high = bisect_left(self.change_times, utc(window_end))
        person, approvals = self.person, self.approvals
        return tuple(
            ConfigChange(
                change.sha,
                change.committed_at,
                change.subject,
                person(change.author),
                approvals(change.approvals),
            )
            for change in self.changes[low:high]
        )

    def person(self, identity: Identity) -> Person:
        # The same few people author change after change: one Person each.
        key = (identity.name, identity.email)
        known = self.persons.get(key)
        if known is None:
            known = self.persons[key] = Person(*key)
        return known

    def approval(self, identity: Identity, evidence: str | None) -> Approval:
        key = (identity.name, identity.email, evidence)
        known = self.approvals_shown.get(key)
        if known is None:
            known = self.approvals_shown[key] = Approval(*key)
        return known

    def approvals(self, records: tuple[ApprovalRecord, ...]) -> tuple[Approval, ...]:
        if not records:
            return ()
        if len(records) == 1:  # the usual single approval: no generator to set up
            return (self.approval(records[0].approver, records[0].evidence),)
        return tuple(self.approval(r.approver, r.evidence) for r in records)
