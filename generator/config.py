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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from generator.approvalconfig import DEFAULT_TRAILERS as DEFAULT_TRAILERS
from generator.approvalconfig import ApprovalConfig as ApprovalConfig
from generator.approvalconfig import Strength, check_environment_approvers, read_approvals
from generator.configmodel import NAME as NAME
from generator.configmodel import PROMOTION_ORDER as PROMOTION_ORDER
from generator.configmodel import Config as Config
from generator.configmodel import EnvironmentConfig as EnvironmentConfig
from generator.configmodel import InstallationConfig as InstallationConfig
from generator.configmodel import OptionsSection as OptionsSection
from generator.configmodel import Period as Period
from generator.configmodel import ReleaseSource as ReleaseSource
from generator.configmodel import Role as Role
from generator.configmodel import SectionProblems as SectionProblems
from generator.configmodel import SigningConfig as SigningConfig
from generator.configmodel import implied_role as implied_role
from generator.configmodel import is_url as is_url
from generator.errors import BuildError, InputError, Problem, raise_if
from generator.patterns import PatternError, compile_pattern
from generator.scopes import path_problem, read_out_of_scope, read_shared
from generator.validate import load_schema, schema_problems
from generator.yamlio import Document, load_yaml


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
    document = load_yaml(path, recover=True)
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
    document = load_yaml(path, recover=True)
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
