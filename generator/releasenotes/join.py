"""meshStack release notes joined with one installation environment's rollouts.

The input is the evidence model's history part (``installation``, ``period``, ``environments``,
``changes``, ``releases``, ``promotions``: an ``EvidenceModel`` or a ``HistoryPart``, see
generator/evidence/model.py), so the same function serves the CLI, which builds that part from
git, and the portal, which has the packs' models. The output is
a plain dataclass tree that the renderers turn into Markdown, HTML and Atom; nothing here escapes
or formats text.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from generator.releasenotes.model import AUDIENCES, ReleaseNote, Ticket
from generator.releasenotes.versions import version_key

if TYPE_CHECKING:
    from generator.evidence.model import (
        ChangeRecord,
        EvidenceModel,
        HistoryPart,
        Identity,
        PromotionRecord,
    )
from generator.releasenotes.view import (
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

# The promotion records of the evidence model name these two roles; the environment records
# say which environment has which role.
STAGING, PRODUCTION = "staging", "production"


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
    timeline = _Timeline(model, period_to)
    notes_by_version = {note.version: note for note in notes}
    joiner = _Joiner(
        timeline, notes_by_version, selected, model.changes, environment, roles[environment]
    )

    events = timeline.events(environment)
    in_period = [
        (index, event)
        for index, event in enumerate(events)
        if period_from <= event.date[:10] <= period_to and _after(event.version, since_key)
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


@lru_cache(maxsize=1 << 16)  # a few thousand versions, each asked about many times
def _key(version: str) -> tuple[int, ...] | None:
    """The version's order key, None for what a release file held that is not N.N.N."""
    try:
        return version_key(version)[:4]
    except ValueError:
        return None


def _ordered_key(version: str) -> tuple[int, ...]:
    key = _key(version)
    if key is None:
        raise ValueError(f"not a meshStack version (expected N.N.N): {version!r}")
    return key


def _after(version: str, since_key: tuple[int, ...] | None) -> bool:
    # A version that cannot be ordered is not "after" anything.
    if since_key is None:
        return True
    key = _key(version)
    return key is not None and key > since_key


def _utc(timestamp: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(timestamp)
    if moment.tzinfo is None:  # a bare date or naive time: read as UTC rather than local time
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


@dataclass(frozen=True)
class _Event:
    version: str
    environment: str
    date: str
    sha: str

    def rollout(self) -> Rollout:
        return Rollout(self.environment, self.date, self.sha)


class _Timeline:
    """Every known first appearance of a version per environment, from releases and promotions.

    Events before the period are used when the model has them (they tell which version ran
    before the period's first rollout); events after the period's end are ignored, so the view
    shows the state at the period's end: a version promoted later is still upcoming in it.
    """

    def __init__(self, model: EvidenceModel | HistoryPart, period_to: str):
        self.period_to = period_to
        self.first: dict[tuple[str, str], _Event] = {}
        self.promotions: dict[str, PromotionRecord] = {}
        # role -> the name of the environment with it
        self.names = {env.role: env.name for env in model.environments}
        for release in model.releases:
            self._add(release.version, release.environment, release.date, release.sha)
        for promotion in model.promotions:
            self.promotions[promotion.version] = promotion
            for role, event in ((STAGING, promotion.staging), (PRODUCTION, promotion.production)):
                if event is not None:
                    self._add(promotion.version, self.names[role], event.date, event.sha)

    def _add(self, version: str, environment: str, date: str, sha: str) -> None:
        if date[:10] > self.period_to:
            return
        candidate = _Event(version, environment, date, sha)
        known = self.first.get((version, environment))
        if known is None or _utc(candidate.date) < _utc(known.date):
            self.first[(version, environment)] = candidate

    def event(self, version: str, environment: str) -> _Event | None:
        return self.first.get((version, environment))

    def events(self, environment: str) -> list[_Event]:
        """The environment's rollouts in time order (version order breaks equal times)."""
        chosen = [e for (_, env), e in self.first.items() if env == environment]
        return sorted(chosen, key=lambda e: (_utc(e.date), _key(e.version) or (), e.sha))

    def role_event(self, version: str, role: str) -> _Event | None:
        """The version's rollout to the staging or the production environment."""
        name = self.names.get(role)
        return None if name is None else self.event(version, name)

    def role_events(self, role: str) -> list[_Event]:
        name = self.names.get(role)
        return [] if name is None else self.events(name)


class VersionIndex:
    """``versions_between`` for many queries: the versions sorted once, each query a bisection.

    A rollout-heavy history asks once per rollout; scanning every note each time would make a
    history of thousands of releases quadratic.
    """

    def __init__(self, versions: Iterable[str]):
        picked: dict[tuple[int, ...], str] = {}
        for version in versions:
            picked.setdefault(version_key(version)[:4], version)
        self.keys = sorted(picked)
        self.versions = [picked[key] for key in self.keys]

    def between(self, old: str, new: str) -> list[str]:
        """Same answer as ``versions_between(versions, old, new)``."""
        low = bisect_right(self.keys, _ordered_key(old))
        high = bisect_right(self.keys, _ordered_key(new))
        return self.versions[low:high]


class _Joiner:
    def __init__(
        self,
        timeline: _Timeline,
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
            ((_utc(c.committed_at), index, c) for index, c in enumerate(mine)
             if c.sha not in rollout_shas),
            key=lambda item: item[:2],
        )  # fmt: skip
        self.change_times = [when for when, _, _ in timed]
        self.changes = [change for _, _, change in timed]

    def entry(
        self,
        version: str,
        *,
        rollout: _Event | None,
        previous: str | None,
        window_end: str | None,
    ) -> VersionEntry:
        staging = self.timeline.role_event(version, STAGING)
        production = self.timeline.role_event(version, PRODUCTION)
        old, new = _key(previous) if previous else None, _key(version)
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
            approvers=self.approvers(version) if rollout else (),
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
        produced = [e.version for e in self.timeline.role_events(PRODUCTION) if _key(e.version)]
        current = max(produced, key=_key) if produced else None
        floor = _key(current) if current else None
        # Only versions that can be ordered: "upcoming" means newer than production's.
        waiting = [
            e
            for e in self.timeline.role_events(STAGING)
            if self.timeline.role_event(e.version, PRODUCTION) is None
            and _key(e.version) is not None
            and (floor is None or _key(e.version) > floor)
            and _after(e.version, since_key)
        ]
        waiting.sort(key=lambda e: _key(e.version))
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
        self, version: str, staging: _Event | None, production: _Event | None
    ) -> float | None:
        if staging is None or production is None:
            return None  # e.g. promoted only after the period's end
        promotion = self.timeline.promotions.get(version)
        if promotion is not None and promotion.staging_hours is not None:
            return float(promotion.staging_hours)
        return (_utc(production.date) - _utc(staging.date)).total_seconds() / 3600

    def approvers(self, version: str) -> tuple[Person, ...]:
        """Production: the promotion's approvers; otherwise those of the change that set it."""
        people: list[Identity] = []
        promotion = self.timeline.promotions.get(version)
        if self.role == PRODUCTION and promotion is not None and promotion.production:
            people = list(promotion.production_approvers)
        if not people:
            for change in self.setters.get(version, []):
                people.extend(change.approvers)
        unique: dict[str, Person] = {}
        for person in people:
            key = (person.email or person.name).casefold()
            unique.setdefault(key, Person(person.name, person.email))
        return tuple(unique.values())

    def window(self, rollout: _Event, window_end: str | None) -> tuple[ConfigChange, ...]:
        """Changes to the environment from this rollout until the next one (exclusive)."""
        low = bisect_left(self.change_times, _utc(rollout.date))
        high = len(self.changes)
        if window_end is not None:
            high = bisect_left(self.change_times, _utc(window_end))
        person, people = self.person, self.people
        return tuple(
            ConfigChange(
                change.sha,
                change.committed_at,
                change.subject,
                person(change.author),
                people(change.approvers),
            )
            for change in self.changes[low:high]
        )

    def person(self, identity: Identity) -> Person:
        # The same few people author and approve change after change: one Person each.
        key = (identity.name, identity.email)
        known = self.persons.get(key)
        if known is None:
            known = self.persons[key] = Person(*key)
        return known

    def people(self, identities: tuple[Identity, ...]) -> tuple[Person, ...]:
        if not identities:
            return ()
        if len(identities) == 1:  # the usual single approver: no generator to set up
            return (self.person(identities[0]),)
        return tuple(self.person(identity) for identity in identities)
