"""Hand-made evidence models (the history part of evidence.json) for release-note tests.

A model is built from a list of rollouts, so a test states exactly which version reached which
environment when, and which configuration changes happened in between.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from generator.evidence.codec import from_plain
from generator.evidence.model import HistoryPart


def sha(*parts: object) -> str:
    text = "/".join(str(p) for p in parts)
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def person(name: str) -> dict[str, str]:
    return {"name": name, "email": name.split()[0].lower() + "@example.com"}


@dataclass
class Rollout:
    version: str
    staging: str | None  # ISO timestamp
    production: str | None = None
    approvers: tuple[str, ...] = ()


@dataclass
class ModelBuilder:
    installation: str = "acme"
    period: tuple[str, str] = ("2025-10-01", "2025-12-31")
    rollouts: list[Rollout] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)

    def rollout(
        self,
        version: str,
        staging: str | None,
        production: str | None = None,
        approvers: tuple[str, ...] = ("Dana Approver",),
    ) -> ModelBuilder:
        self.rollouts.append(Rollout(version, staging, production, approvers))
        return self

    def change(
        self,
        subject: str,
        when: str,
        environments: tuple[str, ...] = ("production",),
        author: str = "Ann Operator",
        approvers: tuple[str, ...] = ("Bob Reviewer",),
        releases: dict[str, str] | None = None,
        evidence: str = "trailer",
    ) -> str:
        change_sha = sha(self.installation, "change", subject, when)
        self.changes.append(
            {
                "sha": change_sha,
                "parents": [sha("parent", change_sha)],
                "environments": list(environments),
                "author": person(author),
                "authored_at": when,
                "committer": person(author),
                "committed_at": when,
                "subject": subject,
                "body": "",
                "files": [],
                "approvers": [person(a) for a in approvers],
                "approvals": [
                    {"approver": person(a), "evidence": evidence, "tag": None} for a in approvers
                ],
                "authors": [person(author)],
                "self_approved": False,
                "signed": True,
                "signature": "ssh",
                "verified": None,
                "signer": None,
                "signing_key": None,
                "releases": dict(releases or {}),
            }
        )
        return change_sha

    def build(self) -> HistoryPart:
        """The history part of a model, as the release-note join reads it."""
        return from_plain(self.build_json(), HistoryPart)

    def build_json(self) -> dict[str, Any]:
        start, end = self.period
        releases, promotions = [], []
        for r in self.rollouts:
            events = {}
            for env, when in (("staging", r.staging), ("production", r.production)):
                if when is None:
                    continue
                events[env] = {"sha": sha(self.installation, env, r.version), "date": when}
                if start <= when[:10] <= end:  # the model's releases are cut to the period
                    releases.append(
                        {"version": r.version, "environment": env, **events[env]}
                        | {"source": "file", "in_period": True}
                    )
            hours = None
            if "staging" in events and "production" in events:
                delta = dt.datetime.fromisoformat(r.production) - dt.datetime.fromisoformat(
                    r.staging
                )
                hours = delta.total_seconds() / 3600
            promotions.append(
                {
                    "version": r.version,
                    "staging": events.get("staging"),
                    "production": events.get("production"),
                    "staging_hours": hours,
                    "production_approvers": [person(a) for a in r.approvers]
                    if "production" in events
                    else [],
                }
            )
        releases.sort(key=lambda e: (e["date"], e["environment"]))
        return {
            "installation": self.installation,
            "period": {"from": start, "to": end},
            "source": {
                "repo": f"example/{self.installation}-config",
                "ref": "main",
                "head": sha(self.installation, "head"),
                "head_date": f"{end}T18:00:00+00:00",
                "history_rewritten": False,
                "warnings": [],
                "reproduce": [],
            },
            "environments": [
                {
                    "name": "staging",
                    "role": "staging",
                    "paths": ["environments/staging/**"],
                    "approval": "optional",
                    "population": 0,
                },
                {
                    "name": "production",
                    "role": "production",
                    "paths": ["environments/production/**"],
                    "approval": "required",
                    "population": 0,
                },
            ],
            "changes": sorted(self.changes, key=lambda c: (c["committed_at"], c["sha"])),
            "releases": releases,
            "promotions": promotions,
        }


def renamed(model: HistoryPart, names: dict[str, str]) -> HistoryPart:
    """The model with its environments renamed (old -> new name), each keeping its role."""

    def name(old: str) -> str:
        return names.get(old, old)

    return replace(
        model,
        environments=tuple(replace(e, name=name(e.name)) for e in model.environments),
        releases=tuple(replace(r, environment=name(r.environment)) for r in model.releases),
        changes=tuple(
            replace(
                c,
                environments=tuple(name(e) for e in c.environments),
                releases={name(e): v for e, v in c.releases.items()},
            )
            for c in model.changes
        ),
    )
