"""The typed form of ``meshcomply.yml``: periods, environments and their roles, installations,
options sections. ``generator.config`` loads the file into these (and re-exports them); every
other module reads only these dataclasses, never the YAML.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from generator.approvalconfig import ApprovalConfig, Strength
from generator.scopes import OutOfScope, SharedScope

NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_PERIOD = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2}-[0-9]{2})$")
# What git itself accepts as a remote; anything else is a local path.
_URL = re.compile(r"^(?:(?:https?|ssh|git|file)://|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:)")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/]*@")  # up to the host's last '@'


class Role(StrEnum):
    """What an environment is for. Rules, promotions and release notes find environments by role,
    so any environment names work."""

    STAGING = "staging"  # every version reaches it first
    PRODUCTION = "production"  # versions are promoted to it from staging
    OTHER = "other"  # neither: its changes are recorded, but it takes no part in promotions


# The promotion order: a version reaches the staging environment, then the production one. One
# environment at most has each of these roles, so the order needs no key of its own.
PROMOTION_ORDER = (Role.STAGING, Role.PRODUCTION)


def implied_role(name: str) -> Role | None:
    """The role an environment named ``staging`` or ``production`` has without ``role:``."""
    return Role(name) if name in PROMOTION_ORDER else None


@dataclass(frozen=True)
class Period:
    """An audit period: inclusive calendar dates, in UTC."""

    start: dt.date
    end: dt.date

    @property
    def start_utc(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), tzinfo=dt.UTC)

    @property
    def end_utc_exclusive(self) -> dt.datetime:
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)

    @property
    def label(self) -> str:
        """Folder-name form: ``2026-01-01_2026-06-30``."""
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    @property
    def text(self) -> str:
        """The form users write: ``2026-01-01..2026-06-30``."""
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def contains(self, moment: dt.datetime) -> bool:
        """Whether an aware datetime falls inside the period."""
        return self.start_utc <= moment < self.end_utc_exclusive

    @classmethod
    def parse(cls, text: str) -> Period:
        """``FIRST..LAST`` with ISO dates; ValueError saying what is wrong otherwise."""
        match = _PERIOD.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(
                f"period {text!r} is not FIRST..LAST with dates as YYYY-MM-DD "
                "(e.g. 2026-01-01..2026-06-30)"
            )
        dates = []
        for part in match.groups():
            try:
                dates.append(dt.date.fromisoformat(part))
            except ValueError:
                raise ValueError(f"period {text!r}: {part} is not a calendar date") from None
        start, end = dates
        if end < start:
            raise ValueError(f"period {text!r} ends before it starts")
        return cls(start, end)


@dataclass(frozen=True)
class ReleaseSource:
    """Where an environment's running version is recorded: a file's dotted key, or tags."""

    file: str | None = None
    key: str | None = None
    tag_pattern: str | None = None  # with a named group `version`


@dataclass(frozen=True)
class EnvironmentConfig:
    name: str
    paths: tuple[str, ...]  # git glob pathspecs, without the ":(glob)" magic
    release: ReleaseSource | None
    approval: str  # "required" | "optional"
    # Left out, it is implied by the name (staging, production), as in meshcomply.yml; any other
    # name needs it. Always a Role once constructed.
    role: Role | None = None
    # Who may approve its changes: names of approval groups, or ("codeowners",); () anyone.
    approvers: tuple[str, ...] = ()
    approval_strength: Strength = Strength.TRAILER  # the weakest evidence of approval accepted

    def __post_init__(self) -> None:
        role = implied_role(self.name) if self.role is None else Role(self.role)
        if role is None:
            raise ValueError(f"environment {self.name!r} needs a role ({', '.join(Role)})")
        object.__setattr__(self, "role", role)


@dataclass(frozen=True)
class SigningConfig:
    """Keys to verify signatures with; with neither set, signatures are detected, not verified."""

    allowed_signers: Path | None = None
    gpg_keyring: Path | None = None

    @property
    def verifies(self) -> bool:
        return self.allowed_signers is not None or self.gpg_keyring is not None


@dataclass(frozen=True)
class InstallationConfig:
    name: str
    repo: str  # as written in meshcomply.yml
    repo_path: Path  # the local repository (a cache clone for URLs)
    ref: str
    environments: tuple[EnvironmentConfig, ...]
    approvals: ApprovalConfig = field(default_factory=ApprovalConfig)
    signing: SigningConfig = field(default_factory=SigningConfig)
    exceptions: Path | None = None
    findings: Path | None = None  # the findings register: corrective actions
    evidence_dir: Path | None = None
    period: Period | None = None
    # The installation's entry in meshcomply.yml as written (schema-valid): a source reads its
    # own keys from it (docs/sources.md).
    entry: dict[str, Any] = field(default_factory=dict, compare=False)
    # Paths besides the environments' (generator/scopes.py): every commit is accounted for.
    shared_scopes: tuple[SharedScope, ...] = ()
    out_of_scope: tuple[OutOfScope, ...] = ()

    @property
    def is_remote(self) -> bool:
        return is_url(self.repo)

    @property
    def shown_repo(self) -> str:
        """`repo` as every output and message records it: without a URL's credentials."""
        return without_credentials(self.repo)

    def population_paths(self, environment: EnvironmentConfig) -> tuple[str, ...]:
        """The paths whose changes are changes to the environment: its own, then those of each
        shared scope reaching it (in configuration order, each path once)."""
        shared = [p for s in self.shared_scopes if environment.name in s.reaches for p in s.paths]
        return tuple(dict.fromkeys([*environment.paths, *shared]))

    def environment(self, name: str) -> EnvironmentConfig | None:
        return next((e for e in self.environments if e.name == name), None)

    def environment_with_role(self, role: Role) -> EnvironmentConfig | None:
        """The staging or the production environment (at most one each), None without one."""
        return next((e for e in self.environments if e.role == role), None)


@dataclass(frozen=True)
class Config:
    path: Path
    period: Period | None
    installations: tuple[InstallationConfig, ...]
    release_notes: Path | None = None
    controls: Path | None = None
    sample: dict[str, Any] = field(default_factory=dict)
    # Each OptionsSection's checked value by its key (e.g. "pdf", "portal"), {} when absent.
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def installation(self, name: str) -> InstallationConfig | None:
        return next((i for i in self.installations if i.name == name), None)


# Problems a section's check found: (key path below the section's key, message).
SectionProblems = list[tuple[tuple[str | int, ...], str]]


@dataclass(frozen=True)
class OptionsSection:
    """A key of meshcomply.yml owned by an extension: a renderer's top-level section
    (``Renderer.options``) or, with ``installation=True``, an evidence source's key in each
    installation's entry (``Source.config``).

    ``schema`` is the JSON Schema of its value. ``check(value, base)`` sees a schema-valid value
    and the folder of meshcomply.yml; it returns the value to keep
    (paths resolved against ``base``) and what a schema cannot say is wrong. Both run while the
    file loads, so a bad option is a located problem before any repository is read.
    """

    key: str
    schema: dict[str, Any]
    check: Callable[[dict[str, Any], Path], tuple[dict[str, Any], SectionProblems]] | None = None
    installation: bool = False
    required: bool = False


def is_url(repo: str) -> bool:
    return bool(_URL.match(repo))


def without_credentials(repo: str) -> str:
    """A repository as recorded and shown: a URL's user information (``https://user:token@``)
    left out, as it may hold a password or token (the clone itself uses the URL as given);
    ``user@host:path`` (ssh's short form, which cannot hold a password) is kept."""
    return _USERINFO.sub(r"\1", repo)
