"""Model objects for evidence tests, built directly: no git, so each rule test runs in milliseconds.

    from evidence_builders import History, change, period, sha   # tests/ is on sys.path

``History`` has the shape of the history reader's InstallationHistory that rules rely on
(generator.evidence.context.HistoryLike); dates are ISO 8601 with an offset, as git records them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from generator.config import EnvironmentConfig, InstallationConfig, Period, SigningConfig
from generator.history.model import (
    Approval,
    Change,
    Commit,
    FileChange,
    FileVersion,
    Identity,
    ParsedVersion,
    Promotion,
    ReleaseEvent,
    Tag,
)
from generator.history.parsedcache import BlobParser
from generator.timewords import utc

ANN = Identity("Ann Author", "ann@example.com")
BOB = Identity("Bob Approver", "bob@example.com")
CAROL = Identity("Carol Customer", "carol@customer.example")


def sha(label: str) -> str:
    """A stable 40-hex sha for a readable label."""
    return hashlib.sha1(label.encode()).hexdigest()


def period(start: str = "2026-01-01", end: str = "2026-06-30") -> Period:
    return Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end))


def installation(
    environments: tuple[str, ...] = ("staging", "production"),
    *,
    signing: SigningConfig | None = None,
    evidence_dir: Path | None = None,
) -> InstallationConfig:
    return InstallationConfig(
        name="acme",
        repo="example/acme-config",
        repo_path=Path("acme-config"),
        ref="main",
        environments=tuple(_environment(spec) for spec in environments),
        signing=signing or SigningConfig(),
        evidence_dir=evidence_dir,
    )


def _environment(spec: str) -> EnvironmentConfig:
    """``production`` (its role follows from the name) or ``NAME:ROLE`` (``prod:production``)."""
    name, _, role = spec.partition(":")
    return EnvironmentConfig(name, (f"environments/{name}/**",), None, "required", role or None)


def commit(
    label: str,
    date: str,
    *,
    author: Identity = ANN,
    files: tuple[str, ...] = (),
    signature: str = "none",
    verified: bool | None = None,
) -> Commit:
    return Commit(
        sha=sha(label),
        parents=(),
        author=author,
        authored_at=date,
        committer=author,
        committed_at=date,
        subject=label,
        body="",
        trailers=(),
        files=tuple(FileChange("M", f) for f in files),
        signature=signature,
        signature_verified=verified,
    )


def change(
    label: str,
    date: str,
    environments: tuple[str, ...] = ("production",),
    *,
    author: Identity = ANN,
    approvers: tuple[Identity, ...] = (BOB,),
    signed: bool = True,
    verified: bool | None = None,
    releases: dict[str, str] | None = None,
    evidence: tuple[str, ...] | None = None,
    committer: Identity | None = None,
    signer: str | None = "",
) -> Change:
    """A change; `evidence` per approver (default: each approval is a trailer). A verified
    signature is the committer's unless `signer` names another (None: the keys name no one)."""
    self_approved = any(a.matches(author) for a in approvers)
    evidence = evidence or ("trailer",) * len(approvers)
    built = commit(
        label,
        date,
        author=author,
        files=tuple(f"environments/{e}/config.yaml" for e in environments),
        signature="ssh" if signed else "none",
        verified=verified,
    )
    if signer == "":
        signer = (committer or author).email if verified else None
    built = built._replace(
        committer=committer or author,
        signer=signer,
        signing_key=f"SHA256:{sha(signer)[:43]}" if signer else None,
    )
    return Change(
        commit=built,
        environments=environments,
        approvers=approvers,
        authors=(author,),
        self_approved=self_approved,
        signed=signed,
        verified=verified,
        releases=releases or {},
        approvals=tuple(Approval(a, e) for a, e in zip(approvers, evidence, strict=True)),
    )


def release(version: str, environment: str, date: str, source: str = "file") -> ReleaseEvent:
    return ReleaseEvent(version, environment, sha(f"{environment} {version}"), date, source)


def promotion(
    version: str,
    staging: str | None,
    production: str | None,
    approvers: tuple[Identity, ...] = (CAROL,),
) -> Promotion:
    """A version's way to production from the dates it reached staging and production."""
    staged = release(version, "staging", staging) if staging else None
    deployed = release(version, "production", production) if production else None
    hours = None
    if staged and deployed:
        hours = round((utc(deployed.date) - utc(staged.date)).total_seconds() / 3600, 2)
    return Promotion(version, staged, deployed, hours, approvers)


@dataclass
class History:
    installation: InstallationConfig = field(default_factory=installation)
    period: Period = field(default_factory=period)
    commits: list[Commit] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    releases: list[ReleaseEvent] = field(default_factory=list)
    promotions: list[Promotion] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    signed_tags: dict[str, tuple[Tag, ...]] = field(default_factory=dict)
    versions: dict[str, list[FileVersion]] = field(default_factory=dict)
    files: dict[tuple[str, str], str] = field(default_factory=dict)
    extra_commits: set[str] = field(default_factory=set)  # exist, but not first-parent

    def __post_init__(self) -> None:
        known = {c.sha for c in self.commits}
        self.commits.extend(c.commit for c in self.changes if c.commit.sha not in known)
        self.commits.sort(key=lambda c: utc(c.committed_at))

    def file_versions(self, path: str) -> list[FileVersion]:
        return list(self.versions.get(path, []))

    def parsed_versions(self, path: str, parser: BlobParser) -> list[ParsedVersion]:
        versions = self.file_versions(path)
        return [
            ParsedVersion(
                v.sha, v.date, None if v.text is None else parser.parse(v.text), v.problem
            )
            for v in versions
        ]

    def file_at(self, path: str, sha: str) -> str | None:
        return self.files.get((path, sha))

    def file_bytes_at(self, path: str, sha: str) -> bytes | None:
        text = self.files.get((path, sha))
        if text is None:
            found = [v.text for v in self.versions.get(path, []) if v.sha == sha]
            text = found[0] if found else None
        return None if text is None else text.encode()

    def changed_in(self, path: str, sha: str) -> Commit | None:
        # the fake's versions are each written by the commit they are read at
        return next((c for c in self.commits if c.sha == sha), None)

    def paths_at(self, sha: str, folder: str) -> list[str]:
        prefix = f"{folder.rstrip('/')}/" if folder else ""
        return sorted(p for p, at in self.files if at == sha and p.startswith(prefix))

    def commit_exists(self, sha: str) -> bool:
        return any(c.sha == sha for c in self.commits) or sha in self.extra_commits

    def last_commit_in_period(self) -> Commit | None:
        inside = [c for c in self.commits if utc(c.committed_at) < self.period.end_utc_exclusive]
        return inside[-1] if inside else None
