"""When each meshStack version first reached each environment, and versions in order.

The release-note join (join.py) asks these questions once per rollout and per ticket; the
answers come from the evidence model's releases and promotions, indexed once here.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from generator.releasenotes.versions import version_key
from generator.releasenotes.view import Rollout
from generator.timewords import utc

if TYPE_CHECKING:
    from generator.evidence.model import EvidenceModel, HistoryPart, PromotionRecord

# The promotion records of the evidence model name these two roles; the environment records
# say which environment has which role.
STAGING, PRODUCTION = "staging", "production"


@lru_cache(maxsize=1 << 16)  # a few thousand versions, each asked about many times
def order_key(version: str) -> tuple[int, ...] | None:
    """The version's order key, None for what a release file held that is not N.N.N."""
    try:
        return version_key(version)[:4]
    except ValueError:
        return None


def ordered_key(version: str) -> tuple[int, ...]:
    key = order_key(version)
    if key is None:
        raise ValueError(f"not a meshStack version (expected N.N.N): {version!r}")
    return key


def after(version: str, since_key: tuple[int, ...] | None) -> bool:
    # A version that cannot be ordered is not "after" anything.
    if since_key is None:
        return True
    key = order_key(version)
    return key is not None and key > since_key


@dataclass(frozen=True)
class RolloutEvent:
    version: str
    environment: str
    date: str
    sha: str

    def rollout(self) -> Rollout:
        return Rollout(self.environment, self.date, self.sha)


class Timeline:
    """Every known first appearance of a version per environment, from releases and promotions.

    Events before the period are used when the model has them (they tell which version ran
    before the period's first rollout); events after the period's end are ignored, so the view
    shows the state at the period's end: a version promoted later is still upcoming in it.
    """

    def __init__(self, model: EvidenceModel | HistoryPart, period_to: str):
        self.period_to = period_to
        self.first: dict[tuple[str, str], RolloutEvent] = {}
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
        candidate = RolloutEvent(version, environment, date, sha)
        known = self.first.get((version, environment))
        if known is None or utc(candidate.date) < utc(known.date):
            self.first[(version, environment)] = candidate

    def event(self, version: str, environment: str) -> RolloutEvent | None:
        return self.first.get((version, environment))

    def events(self, environment: str) -> list[RolloutEvent]:
        """The environment's rollouts in time order (version order breaks equal times)."""
        chosen = [e for (_, env), e in self.first.items() if env == environment]
        return sorted(chosen, key=lambda e: (utc(e.date), order_key(e.version) or (), e.sha))

    def role_event(self, version: str, role: str) -> RolloutEvent | None:
        """The version's rollout to the staging or the production environment."""
        name = self.names.get(role)
        return None if name is None else self.event(version, name)

    def role_events(self, role: str) -> list[RolloutEvent]:
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
        low = bisect_right(self.keys, ordered_key(old))
        high = bisect_right(self.keys, ordered_key(new))
        return self.versions[low:high]
