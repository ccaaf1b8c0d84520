"""Who may approve changes: the ``approvals`` section of an installation in ``meshcomply.yml``.

Groups of people (by e-mail pattern, on RE2 like every configured pattern) with the side they
are on, the identities that are systems rather than people, and where the repository keeps its
CODEOWNERS file; each environment then names the groups that may approve its changes (or
``codeowners``) and the weakest evidence of an approval it accepts. Read and checked with the
rest of meshcomply.yml (``generator.config``); the rules judge changes against it
(docs/history.md#approvals).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any

from generator.patterns import PatternError, compile_pattern

DEFAULT_TRAILERS = ("Approved-by", "Reviewed-by")
CODEOWNERS = "codeowners"  # in an environment's `approvers`: the owners CODEOWNERS names
# A forge's own service identity: on a merge made in its web interface it is the committer (and
# signer), standing for whoever pressed the button, so it is never an approver by itself.
# GitHub's web-flow identity; GitLab, Bitbucket and Gitea commit web merges as the person.
FORGE_IDENTITIES = frozenset({"noreply@github.com"})
# Bot accounts of forges, whatever the configuration says: systems, not people.
_BOT_EMAILS = r"[^@]*\[bot\]@users\.noreply\.github\.com"


class Side(StrEnum):
    """Whose people a group holds: the customer's or the service provider's."""

    CUSTOMER = "customer"
    PROVIDER = "provider"


class Strength(StrEnum):
    """How an approval is evidenced, weakest first (``rank``).

    ``trailer``: an approval line in the message, written by whoever made the commit;
    ``merged``: the approver made the merge commit themselves; ``signed``: the approver signed
    the commit, or a release tag of it, with a key the configured keys bind to them.
    """

    TRAILER = "trailer"
    MERGED = "merged"
    SIGNED = "signed"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Strength.TRAILER: 0, Strength.MERGED: 1, Strength.SIGNED: 2}


@dataclass(frozen=True)
class ApproverGroup:
    """People who may approve, by the e-mail addresses git records for them."""

    name: str
    side: Side
    # RE2 patterns, each matching a whole e-mail address, ignoring case.
    members: tuple[str, ...]
    # How a CODEOWNERS file names the group or person (`@org/team`, `@user`).
    handles: tuple[str, ...] = ()

    def includes(self, email: str) -> bool:
        return bool(email) and any(_matcher(p).fullmatch(email) for p in self.members)


@dataclass(frozen=True)
class Automation:
    """An identity that is a system (a release pipeline, a merge bot), not a person.

    A trailer it writes on its own commit is no approval, unless ``carries_approvals_from``
    names the system whose approvals it carries over (e.g. the release management board whose
    sign-off the pipeline records); as a merge committer it never approves.
    """

    email: str  # RE2 pattern matching the whole e-mail address, ignoring case
    carries_approvals_from: str | None = None

    def includes(self, email: str) -> bool:
        return bool(email) and _matcher(self.email).fullmatch(email) is not None


@dataclass(frozen=True)
class ApprovalConfig:
    trailers: tuple[str, ...] = DEFAULT_TRAILERS
    merge_committer: bool = True
    groups: tuple[ApproverGroup, ...] = ()
    automation: tuple[Automation, ...] = ()
    codeowners: str | None = None  # the CODEOWNERS file's path in the repository

    def group(self, name: str) -> ApproverGroup | None:
        return next((g for g in self.groups if g.name == name), None)

    def system(self, email: str) -> Automation | None:
        """The automation entry an identity is, or a forge's bot account; None for people."""
        found = next((a for a in self.automation if a.includes(email)), None)
        if found is None and email and _matcher(_BOT_EMAILS).fullmatch(email):
            return Automation(_BOT_EMAILS)
        return found

    def is_person(self, email: str) -> bool:
        """Whether an identity may stand for a person's approval (not a forge, not a system)."""
        known = self._answers.get(("person", email))
        if known is None:
            known = email.casefold() not in FORGE_IDENTITIES and self.system(email) is None
            self._answers[("person", email)] = known
        return known

    def writes_approvals(self, email: str) -> bool:
        """Whether the approval trailers of a commit this identity made count: a person's do, a
        system's only when the configuration names where it carries approvals from."""
        known = self._answers.get(("writes", email))
        if known is None:
            system = self.system(email)
            known = system is None or system.carries_approvals_from is not None
            self._answers[("writes", email)] = known
        return known

    @cached_property
    def _answers(self) -> dict[tuple[str, str], bool]:
        # Asked once per change on long histories, about the same few committers: remembered.
        return {}


@lru_cache(maxsize=256)
def _matcher(pattern: str) -> Any:
    """The compiled, case-insensitive RE2 pattern (checked when the configuration loaded)."""
    return compile_pattern(pattern, case_sensitive=False)


Note = Callable[[tuple[str | int, ...], str], None]


def read_approvals(data: dict[str, Any], at: tuple[str | int, ...], note: Note) -> ApprovalConfig:
    """The schema-valid ``approvals`` mapping as ApprovalConfig; what is wrong goes to note."""
    written = _texts(data.get("trailers", DEFAULT_TRAILERS))
    trailers = tuple(trailer for _, trailer in written)
    for index, trailer in written:
        if not _is_trailer_name(trailer):
            note(
                (*at, "trailers", index),
                f"trailer {trailer!r} is not a trailer name (letters, digits and '-', e.g. "
                "Approved-by)",
            )
    groups = []
    for name, group in (data.get("groups") or {}).items():
        where = (*at, "groups", name)
        if name == CODEOWNERS:
            note(where, f"'{CODEOWNERS}' is reserved (environments name it for CODEOWNERS)")
        members = _texts(group.get("members", ()))
        for index, pattern in members:
            _check_pattern(note, (*where, "members", index), pattern)
        side = group.get("side")
        groups.append(
            ApproverGroup(
                name,
                Side(side) if side in tuple(Side) else Side.PROVIDER,  # else: the schema said
                tuple(pattern for _, pattern in members),
                tuple(handle for _, handle in _texts(group.get("handles", ()))),
            )
        )
    automation = []
    for index, entry in enumerate(data.get("automation") or ()):
        if not isinstance(entry, dict) or not isinstance(entry.get("email"), str):
            continue  # the schema reported it
        _check_pattern(note, (*at, "automation", index, "email"), entry["email"])
        automation.append(Automation(entry["email"], entry.get("carries_approvals_from")))
    codeowners = data.get("codeowners")
    if isinstance(codeowners, str) and (
        codeowners.startswith(("/", ":")) or ".." in codeowners.split("/")
    ):
        note(
            (*at, "codeowners"),
            f"{codeowners!r} must be a path in the repository, relative to its root, without '..'",
        )
    return ApprovalConfig(
        trailers,
        data.get("merge_committer", True),
        tuple(groups),
        tuple(automation),
        codeowners if isinstance(codeowners, str) else None,
    )


def check_environment_approvers(
    approvals: ApprovalConfig,
    approvers: tuple[str, ...],
    strength: Strength,
    verifies: bool,
    at: tuple[str | int, ...],
    note: Note,
) -> None:
    """An environment's `approvers` name declared groups (or only `codeowners`), and `signed`
    approvals need keys to verify who signed."""
    declared = ", ".join(g.name for g in approvals.groups) or "none"
    for index, name in enumerate(approvers):
        where = (*at, "approvers", index)
        if name == CODEOWNERS:
            if len(approvers) > 1:
                note(where, f"'{CODEOWNERS}' stands alone: the owners of the changed files")
            elif approvals.codeowners is None:
                note(
                    where,
                    f"'{CODEOWNERS}' needs approvals.codeowners, the file's path in the "
                    "repository (e.g. .github/CODEOWNERS)",
                )
        elif approvals.group(name) is None:
            note(where, f"no approver group {name!r} in approvals.groups (declared: {declared})")
    if strength == Strength.SIGNED and not verifies:
        note(
            (*at, "approval_strength"),
            "signed approvals need signing.allowed_signers or signing.gpg_keyring, to tell who "
            "signed",
        )


def _check_pattern(note: Note, where: tuple[str | int, ...], pattern: str) -> None:
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        note(
            where,
            "not a valid regular expression for RE2 (linear-time matching: no backreferences "
            f"or lookaround): {exc}",
        )


def _is_trailer_name(text: str) -> bool:
    return bool(text) and all(c.isascii() and (c.isalnum() or c == "-") for c in text)


def _texts(values: Any) -> list[tuple[int, str]]:
    """(index, text) of the strings in a list; nothing for what the schema already rejected."""
    if not isinstance(values, list | tuple):
        return []
    return [(index, value) for index, value in enumerate(values) if isinstance(value, str)]
