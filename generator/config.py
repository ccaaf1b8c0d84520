"""``meshcomply.yml``: the installations to audit and the options of the packs built from them.

Loading validates the file against ``generator/schemas/config.schema.json`` plus the sections
that renderers own (each declares an ``OptionsSection``: its key, JSON Schema and checks), then
checks what a schema cannot say (period order, regular expressions, files that must exist),
collecting every problem before raising, so users fix them all in one go, before any repository
is read. Relative paths resolve against the
folder of ``meshcomply.yml``; a repository given as a git URL is cloned into a cache folder (see
``generator.history.clone``). The file format is documented in docs/history.md.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from generator.approvalconfig import DEFAULT_TRAILERS as DEFAULT_TRAILERS
from generator.approvalconfig import ApprovalConfig as ApprovalConfig
from generator.approvalconfig import Strength, check_environment_approvers, read_approvals
from generator.errors import BuildError, InputError, Problem, raise_if
from generator.patterns import PatternError, compile_pattern
from generator.scopes import OutOfScope, SharedScope, path_problem, read_out_of_scope, read_shared
from generator.validate import load_schema, schema_problems
from generator.yamlio import Document, load_yaml

NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_PERIOD = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2}-[0-9]{2})$")
# What git itself accepts as a remote; anything else is a local path.
_URL = re.compile(r"^(?:(?:https?|ssh|git|file)://|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:)")


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


def relative_path(base: Path, text: str, want_dir: bool) -> tuple[Path, str | None]:
    """A path relative to meshcomply.yml's folder, and what is wrong if it is not there."""
    path = (base / text).resolve()
    if not path.exists():
        shown = str(base) if str(base) not in ("", ".") else "the current folder"
        return path, f"{text!r} does not exist (relative to {shown})"
    if want_dir and not path.is_dir():
        return path, f"{text!r} is not a folder"
    if not want_dir and not path.is_file():
        return path, f"{text!r} is not a file"
    return path, None


def config_schema(sections: Sequence[OptionsSection]) -> dict[str, Any]:
    """meshcomply.yml's schema: the core keys plus each options section."""
    schema = copy.deepcopy(load_schema("config"))
    for section in sections:
        target = schema["$defs"]["installation"] if section.installation else schema
        if section.key in target["properties"]:
            where = "installation key" if section.installation else "key"
            raise BuildError(f"meshcomply.yml: the {where} '{section.key}' is claimed twice")
        target["properties"][section.key] = section.schema
        if section.required:
            target.setdefault("required", []).append(section.key)
    return schema


def is_url(repo: str) -> bool:
    return bool(_URL.match(repo))


def load_config(
    path: Path,
    sections: Sequence[OptionsSection],
    *,
    cache_dir: Path | None = None,
    clone: bool = True,
) -> Config:
    """Load and check ``meshcomply.yml``; InputError with every problem, located, otherwise.

    ``sections``: the keys renderers and evidence sources own (``build.config_sections()``).

    Git URLs are cloned (or fetched) into ``cache_dir`` (default: $MESHCOMPLY_CACHE or
    ``~/.cache/meshcomply``) once everything else in the file is valid; ``clone=False`` checks
    the file without touching git or the network (``meshcomply config check``).
    """
    document = load_yaml(path)
    if not isinstance(document.data, dict):
        raise InputError([document.problem((), "the file must be a mapping with installations")])
    problems = schema_problems(document, config_schema(sections))
    reader = _Reader(document, path.parent)
    try:
        config = reader.config(path, sections)
    except (KeyError, TypeError, AttributeError):
        # A shape the schema already rejected; its problems say what to fix.
        if not problems:
            raise
    raise_if([*problems, *reader.problems])
    return _with_clones(config, document, cache_dir) if clone else config


@dataclass(frozen=True)
class SiteConfig:
    """What the portal needs of meshcomply.yml beyond the packs: `release_notes:` and the
    renderers' sections (`portal:`)."""

    path: Path
    release_notes: Path | None
    options: dict[str, dict[str, Any]]
    installations: tuple[str, ...] = ()  # their names, in the file's order


def load_site_config(path: Path, sections: Sequence[OptionsSection]) -> SiteConfig:
    """The portal's settings from ``meshcomply.yml``, checked as ``load_config`` checks them,
    without the installations' repositories (``meshcomply site`` runs where they are not)."""
    document = load_yaml(path)
    if not isinstance(document.data, dict):
        raise InputError([document.problem((), "the file must be a mapping with installations")])
    problems = schema_problems(document, config_schema(sections))
    reader = _Reader(document, path.parent)
    notes = reader.existing(("release_notes",), document.data.get("release_notes"), True)
    options = {s.key: reader.section(s) for s in sections if not s.installation}
    raise_if([*problems, *reader.problems])
    return SiteConfig(path, notes, options, tuple(document.data["installations"]))


class _Reader:
    """Turns the schema-valid document into dataclasses, noting every semantic problem."""

    def __init__(self, document: Document, base: Path):
        self.doc = document
        self.base = base
        self.problems: list[Problem] = []

    def note(self, keypath: tuple[str | int, ...], message: str, *, key: bool = False) -> None:
        """A problem at keypath; value problems are prefixed with the field's dotted name."""
        if not key:
            message = f"{_field(keypath)}: {message}"
        self.problems.append(self.doc.problem(keypath, message, key=key))

    def config(self, path: Path, sections: Sequence[OptionsSection]) -> Config:
        data = self.doc.data
        owned = tuple(section for section in sections if section.installation)
        installations = tuple(
            self.installation(name, value, owned) for name, value in data["installations"].items()
        )
        return Config(
            path=path,
            period=self.period(("period",), data.get("period")),
            installations=installations,
            release_notes=self.existing(("release_notes",), data.get("release_notes"), True),
            controls=self.existing(("controls",), data.get("controls"), want_dir=True),
            sample=data.get("sample", {}),
            options={
                section.key: self.section(section)
                for section in sections
                if not section.installation
            },
        )

    def section(self, section: OptionsSection) -> dict[str, Any]:
        value = self.doc.data.get(section.key, {})
        if section.check is None or not Draft202012Validator(section.schema).is_valid(value):
            return value  # absent, unchecked, or already reported by the schema
        kept, problems = section.check(value, self.base)
        for keypath, message in problems:
            self.note((section.key, *keypath), message)
        return kept

    def period(self, keypath: tuple[str, ...], text: str | None) -> Period | None:
        if not isinstance(text, str):
            return None  # absent, or already reported by the schema
        try:
            return Period.parse(text)
        except ValueError as exc:
            self.note(keypath, str(exc))
            return None

    def existing(self, keypath: tuple[str, ...], text: str | None, want_dir: bool) -> Path | None:
        """A path relative to meshcomply.yml that must exist (as a folder or a file)."""
        if not isinstance(text, str):
            return None  # absent, or already reported by the schema
        path, problem = relative_path(self.base, text, want_dir)
        if problem:
            self.note(keypath, problem)
        return path

    def installation(
        self, name: str, data: dict[str, Any], sections: Sequence[OptionsSection] = ()
    ) -> InstallationConfig:
        at = ("installations", name)
        if not NAME.match(name):
            self.note(at, _name_message("installation", name), key=True)
        repo = data["repo"]
        if is_url(repo):
            repo_path = Path()  # filled in by the clone, once the whole file is valid
        else:
            repo_path = self.existing((*at, "repo"), repo, want_dir=True) or Path()
        signing_data = data.get("signing", {})
        approvals = read_approvals(data.get("approvals", {}), (*at, "approvals"), self.note)
        signing = SigningConfig(
            allowed_signers=self.existing(
                (*at, "signing", "allowed_signers"), signing_data.get("allowed_signers"), False
            ),
            gpg_keyring=self.existing(
                (*at, "signing", "gpg_keyring"), signing_data.get("gpg_keyring"), False
            ),
        )
        environments = self.environments((*at, "environments"), data["environments"])
        for env in environments:
            check_environment_approvers(
                approvals,
                env.approvers,
                env.approval_strength,
                signing.verifies,
                (*at, "environments", env.name),
                self.note,
            )
        return InstallationConfig(
            name=name,
            repo=repo,
            repo_path=repo_path,
            ref=data["ref"],
            environments=environments,
            approvals=approvals,
            signing=signing,
            exceptions=self.existing((*at, "exceptions"), data.get("exceptions"), False),
            findings=self.existing((*at, "findings"), data.get("findings"), False),
            evidence_dir=self.existing((*at, "evidence_dir"), data.get("evidence_dir"), True),
            period=self.period((*at, "period"), data.get("period")),
            entry=self.checked_entry(at, data, sections),
            shared_scopes=read_shared(
                data.get("shared_scopes"), list(data["environments"]), self.below(at)
            ),
            out_of_scope=read_out_of_scope(data.get("out_of_scope"), self.below(at)),
        )

    def below(
        self, at: tuple[str | int, ...]
    ) -> Callable[[tuple[str | int, ...], str, bool], None]:
        """A note function for key paths below `at` (what generator.scopes reports through)."""
        return lambda keypath, message, key: self.note((*at, *keypath), message, key=key)

    def checked_entry(
        self, at: tuple[str, ...], data: dict[str, Any], sections: Sequence[OptionsSection]
    ) -> dict[str, Any]:
        """The installation's entry with each source key's value as its check kept it."""
        entry = dict(data)
        for section in sections:
            value = data.get(section.key)
            if section.check is None or value is None:
                continue
            if not Draft202012Validator(section.schema).is_valid(value):
                continue  # already reported by the schema
            entry[section.key], problems = section.check(value, self.base)
            for keypath, message in problems:
                self.note((*at, section.key, *keypath), message)
        return entry

    def environments(
        self, at: tuple[str, ...], data: dict[str, Any]
    ) -> tuple[EnvironmentConfig, ...]:
        """The installation's environments; one at most per promotion role."""
        environments = tuple(self.environment((*at, n), n, value) for n, value in data.items())
        holder: dict[Role, str] = {}
        for env in environments:
            if env.role not in PROMOTION_ORDER:
                continue
            first = holder.setdefault(env.role, env.name)
            if first != env.name:
                # At the role where it is written, else at the name that implies it.
                written = "role" in data[env.name]
                where = (*at, env.name, "role") if written else (*at, env.name)
                line = self.doc.where((*at, first), key=True)[0]
                self.note(
                    where,
                    f"{_field((*at, env.name, 'role'))}: environment {first!r} (line {line}) "
                    f"already has the role {env.role}; an installation has one {env.role} "
                    f"environment (give this one `role: {Role.OTHER}`, or rename it)",
                    key=True,
                )
        return environments

    def role(self, at: tuple[str, ...], name: str, data: dict[str, Any]) -> Role:
        written = data.get("role")
        if written is None:
            implied = implied_role(name)
            if implied is not None:
                return implied
            self.note(
                at,
                f"{_field(at)}: environment {name!r} needs a role: add `role: staging`, "
                "`role: production` or `role: other` to it (only environments named staging "
                "or production take their role from the name)",
                key=True,
            )
            return Role.OTHER
        if written in tuple(Role):
            return Role(written)
        return Role.OTHER  # the schema reported the unknown role

    def environment(
        self, at: tuple[str, ...], name: str, data: dict[str, Any]
    ) -> EnvironmentConfig:
        if not NAME.match(name):
            self.note(at, _name_message("environment", name), key=True)
        for index, pathspec in _texts(data["paths"]):
            problem = path_problem(pathspec)
            if problem:
                self.note((*at, "paths", index), problem)
        return EnvironmentConfig(
            name=name,
            paths=tuple(data["paths"]),
            release=self.release((*at, "release"), data.get("release")),
            approval=data.get("approval", "optional"),
            role=self.role(at, name, data),
            approvers=tuple(text for _, text in _texts(data.get("approvers", ()))),
            approval_strength=_strength(data.get("approval_strength")),
        )

    def release(self, at: tuple[str, ...], data: dict[str, Any] | None) -> ReleaseSource | None:
        if not isinstance(data, dict):
            return None  # absent, or already reported by the schema
        source = ReleaseSource(data.get("file"), data.get("key"), data.get("tag_pattern"))
        by_file = source.file is not None or source.key is not None
        if by_file and source.tag_pattern is not None:
            self.note(at, "give either file and key, or tag_pattern, not both")
        elif source.tag_pattern is not None:
            if isinstance(source.tag_pattern, str):  # anything else the schema reported
                self.check_tag_pattern((*at, "tag_pattern"), source.tag_pattern)
        elif source.file is None or source.key is None:
            missing = "key" if source.file is not None else "file"
            if not by_file:
                self.note(at, "needs file and key, or tag_pattern")
            else:
                self.note(at, f"missing '{missing}' (file and key go together)")
        if isinstance(source.key, str) and "" in source.key.split("."):
            self.note((*at, "key"), f"{source.key!r} is not a dotted key (a.b.c)")
        return source

    def check_tag_pattern(self, at: tuple[str, ...], pattern: str) -> None:
        try:
            compiled = compile_pattern(pattern)  # the engine the pattern will run on (RE2)
        except PatternError as exc:
            self.note(
                at,
                "not a valid regular expression for RE2 (linear-time matching: no "
                f"backreferences or lookaround): {exc}",
            )
            return
        if "version" not in compiled.groupindex:
            self.note(at, "needs a named group (?P<version>...)")


def _strength(value: Any) -> Strength:
    return Strength(value) if value in tuple(Strength) else Strength.TRAILER  # else: schema said


def _texts(values: Any) -> list[tuple[int, str]]:
    """(index, text) of the strings in a list; nothing for what the schema already rejected."""
    if not isinstance(values, list | tuple):
        return []
    return [(index, value) for index, value in enumerate(values) if isinstance(value, str)]


def _field(keypath: tuple[str | int, ...]) -> str:
    parts = [f"[{k}]" if isinstance(k, int) else f".{k}" for k in keypath]
    return "".join(parts).lstrip(".") or "document"


def _name_message(kind: str, name: str) -> str:
    return (
        f"{kind} name {name!r} must be lowercase letters, digits and '-', "
        "starting with a letter or digit"
    )


def _with_clones(config: Config, document: Document, cache_dir: Path | None) -> Config:
    """The config with every URL repository cloned or fetched; problems located at `repo:`."""
    from dataclasses import replace

    from generator.history.clone import CloneError, ensure_clone

    installations = []
    problems = []
    for installation in config.installations:
        if installation.is_remote:
            try:
                local = ensure_clone(installation.repo, cache_dir)
            except CloneError as exc:
                problems.append(
                    document.problem(("installations", installation.name, "repo"), str(exc))
                )
                local = Path()
            installation = replace(installation, repo_path=local)
        installations.append(installation)
    raise_if(problems)
    return replace(config, installations=tuple(installations))
