"""Whether a change was approved by the right people, strongly enough: the judgement that
change-approval and approval-gate share.

An environment's ``approvers`` (meshcomply.yml) name the groups whose members may approve its
changes, or ``codeowners``: the owners the repository's CODEOWNERS file names for the changed
files, as the file stood before the change (the rules the change was reviewed under, as GitHub
applies them; a change cannot make its own author an owner). ``approval_strength`` is the
weakest evidence of an approval the environment accepts (``trailer`` < ``merged`` <
``signed``). Without ``approvers`` anyone other than the change's authors may approve.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from generator.approvalconfig import CODEOWNERS, ApprovalConfig, Strength
from generator.evidence.context import RuleContext, count_text
from generator.history.codeowners import Codeowners, parse_codeowners
from generator.history.model import Approval, Change

# The deviation kinds of approvals (docs/evidence.md#deviation-kinds).
APPROVAL_KINDS = {
    "unapproved": "The change carries no approval.",
    "self_approved": "One of the change's approvers is also one of its authors.",
    "too_few_approvers": "The change has fewer approvals than required from people other than "
    "its authors who may approve it.",
    "approver_not_allowed": "The change was approved only by people the environment's "
    "configuration does not allow to approve it (approvers: groups or CODEOWNERS).",
    "approval_too_weak": "The change's approval is evidenced more weakly than its environment "
    "requires (approval_strength: trailer < merged < signed).",
}
# Who may approve could not be told: the CODEOWNERS version in effect could not be read as text.
# Apart from APPROVAL_KINDS, whose counts every change-approval result lists.
UNREADABLE = "unreadable_version"
UNREADABLE_MEANING = (
    "Who may approve the {what} could not be told: the CODEOWNERS file in effect could not be "
    "read as text (binary, over the size limit). Nothing is claimed of its approvers; the message "
    "names the version."
)
# Who may approve could not be told: no CODEOWNERS file was in effect (the configuration names
# one the repository did not have then), or the one in effect has lines meshcomply cannot read.
# A gap of its own, never approver_not_allowed: nobody's approval was tested against a list.
UNKNOWN_APPROVERS = "approvers_unknown"
UNKNOWN_APPROVERS_MEANING = (
    "Who may approve the {what} could not be told: the CODEOWNERS file the configuration names "
    "did not exist when it was made, or has lines meshcomply cannot read. Nothing is claimed of "
    "its approvers; the message says which and names the version."
)


RANKS = {strength.value: strength.rank for strength in Strength}  # evidence -> rank
_EVIDENCE_BY_RANK = {rank: evidence for evidence, rank in RANKS.items()}


def _needed_rank(approvals: Sequence[Approval], minimum: int) -> int:
    """The rank of the weakest of the ``minimum`` strongest approvals: what a pass needs."""
    ranks = sorted((RANKS[a.evidence] for a in approvals), reverse=True)
    return ranks[minimum - 1]


@dataclass(frozen=True)
class ApprovalProblem:
    kind: str  # one of APPROVAL_KINDS, UNREADABLE or UNKNOWN_APPROVERS
    message: str


def _label(env: Any) -> str:
    """How messages name an environment: by its role (staging, production), as rules find
    environments, so renaming one changes no verdict; an `other` one by its name."""
    role = str(getattr(env, "role", ""))
    return role if role in ("staging", "production") else env.name


def person(approval: Approval) -> str:
    who = approval.approver
    return f"{who.name} <{who.email}>" if who.email else who.name


def _names(approvals: Iterable[Approval]) -> str:
    return ", ".join(person(a) for a in approvals)


class ApprovalJudge:
    """Judges the changes of one installation against its environments' approval settings."""

    def __init__(self, context: RuleContext):
        self.history = context.history
        installation = context.installation
        self.approvals: ApprovalConfig = getattr(installation, "approvals", None) or (
            ApprovalConfig()
        )
        self.environments = {env.name: env for env in installation.environments}
        self._codeowners: tuple[list[int], list[Any]] | None = None
        self._positions: dict[str, int] | None = None
        # Asked once per change, about the same few environments and people: remembered.
        self._settings: dict[str, tuple[tuple[str, ...], list[Any], Strength]] = {}
        self._members: dict[tuple[str, str], bool] = {}

    def problem(
        self, change: Change, environments: Iterable[str], minimum: int = 1
    ) -> ApprovalProblem | None:
        """What is wrong with the change's approval for the named environments it belongs to
        (the first problem found, most basic first), None when it is fine."""
        return self.judge(change, environments, minimum)[0]

    def judge(
        self, change: Change, environments: Iterable[str], minimum: int = 1
    ) -> tuple[ApprovalProblem | None, str | None]:
        """(the problem, as ``problem`` gives it; the evidence the approval rests on when there
        is none): the weakest, over the change's named environments, of the evidence of the
        ``minimum``-th strongest approval that counts there, so a pass is never worded as more
        than its weakest needed approval shows (``trailer`` < ``merged`` < ``signed``)."""
        if not change.approvers:
            return ApprovalProblem("unapproved", "no approver"), None
        if change.self_approved:
            found = ApprovalProblem("self_approved", f"self-approved by {self_approvers(change)}")
            return found, None
        # Not self-approved: no approver is an author (the history's own test), so every
        # approval is by someone other than the authors.
        others = change.approvals
        if len(others) < minimum:
            count = f"{len(others)} approver{'' if len(others) == 1 else 's'}"
            return ApprovalProblem("too_few_approvers", f"{count} (minimum {minimum})"), None
        basis = _needed_rank(others, minimum)
        for name in environments:
            if name not in change.environments or not self._judges(name):
                continue
            found, counted = self._judge_environment(
                change, self.environments[name], others, minimum
            )
            if found:
                return found, None
            basis = min(basis, _needed_rank(counted, minimum))
        return None, _EVIDENCE_BY_RANK[basis]

    def _judges(self, name: str) -> bool:
        """Whether an environment says more than "anyone but the authors, any evidence"."""
        env = self.environments.get(name)
        if env is None:
            return False
        approvers, _groups, required = self._settings_of(env)
        return bool(approvers) or required != Strength.TRAILER

    def _judge_environment(
        self, change: Change, env: Any, others: Sequence[Approval], minimum: int
    ) -> tuple[ApprovalProblem | None, Sequence[Approval]]:
        """(the problem in one environment, the approvals that count there)."""
        approvers, groups, required = self._settings_of(env)
        if approvers == (CODEOWNERS,):
            allowed, missing, kind = self._owners_judgement(change, others)
            if missing:
                return ApprovalProblem(kind, missing), ()
        elif approvers:
            allowed = [a for a in others if self._member(env.name, groups, a.approver.email)]
            if not allowed:
                who = ", ".join(f"{g.name} ({g.side})" for g in groups)
                return ApprovalProblem(
                    "approver_not_allowed",
                    f"approved by {_names(others)}, who may not approve {_label(env)} changes "
                    f"(approvers: {who})",
                ), ()
        else:
            allowed = others
        if minimum > 1 and len(allowed) < minimum:
            return ApprovalProblem(
                "too_few_approvers",
                f"{len(allowed)} of the approvers may approve {_label(env)} changes "
                f"(minimum {minimum})",
            ), ()
        strong = [a for a in allowed if RANKS[a.evidence] >= required.rank]
        if len(strong) < minimum:
            committer = change.commit.committer
            return ApprovalProblem(
                "approval_too_weak",
                f"approval by {_names(allowed)} evidenced as "
                f"{' and '.join(sorted({a.evidence for a in allowed}))} only (the commit was "
                f"made by {committer.name}); {_label(env)} requires {required}",
            ), ()
        return None, strong

    def _settings_of(self, env: Any) -> tuple[tuple[str, ...], list[Any], Strength]:
        """(approvers as written, their groups, the required strength) of an environment."""
        known = self._settings.get(env.name)
        if known is None:
            approvers = tuple(getattr(env, "approvers", ()) or ())
            groups = [g for g in (self.approvals.group(n) for n in approvers) if g is not None]
            required = Strength(getattr(env, "approval_strength", Strength.TRAILER))
            known = self._settings[env.name] = (approvers, groups, required)
        return known

    def _member(self, environment: str, groups: list[Any], email: str) -> bool:
        known = self._members.get((environment, email))
        if known is None:
            known = any(g.includes(email) for g in groups)
            self._members[(environment, email)] = known
        return known

    def _owners_judgement(
        self, change: Change, others: Sequence[Approval]
    ) -> tuple[Sequence[Approval], str | None, str]:
        """(the approvals by owners of the change's files, what is missing, its kind); every
        file CODEOWNERS assigns needs an approval by one of its owners."""
        owners_file, where, unread = self._codeowners_before(change.commit.sha)
        path = self.approvals.codeowners
        if owners_file is None:
            kind = UNREADABLE if unread else UNKNOWN_APPROVERS
            return [], f"who may approve cannot be told: {path} {where}", kind
        if owners_file.problems:
            shown = "; ".join(owners_file.problems[:3])
            return (
                [],
                (
                    f"who may approve cannot be told: {path} {where} has lines that cannot be read "
                    f"({shown})"
                ),
                UNKNOWN_APPROVERS,
            )
        allowed: dict[Approval, None] = {}
        unapproved: list[str] = []
        for file in _paths(change):
            owners = owners_file.owners(file)
            if not owners:
                continue
            approving = [a for a in others if self._owns(owners, a)]
            if approving:
                allowed.update(dict.fromkeys(approving))
            else:
                unapproved.append(f"{file} (owners: {' '.join(owners)})")
        if unapproved:
            listed = "; ".join(unapproved[:3]) + (
                f"; and {len(unapproved) - 3} more" if len(unapproved) > 3 else ""
            )
            approved = f"approved by {_names(others)}, " if others else ""
            return list(allowed), f"{approved}no owner approved {listed}", "approver_not_allowed"
        return list(allowed) or others, None, "approver_not_allowed"

    def _owns(self, owners: Sequence[str], approval: Approval) -> bool:
        email = approval.approver.email.casefold()
        for owner in owners:
            if owner.startswith("@"):
                if any(owner in g.handles and g.includes(email) for g in self.approvals.groups):
                    return True
            elif email and owner.casefold() == email:
                return True
        return False

    def _codeowners_before(self, sha: str) -> tuple[Codeowners | None, str, bool]:
        """The CODEOWNERS file as it stood on the first-parent line just before the commit,
        where that was (for messages), and whether it was there but could not be read."""
        if self._codeowners is None:
            path = self.approvals.codeowners or ""
            versions = self.history.file_versions(path)
            positions = self._line_positions()
            # The first version is the file before the period: it precedes every change.
            order = [-1] + [positions.get(v.sha, -1) for v in versions[1:]]
            self._codeowners = (order, versions)
        order, versions = self._codeowners
        index = max(bisect_left(order, self._line_positions().get(sha, 0)) - 1, 0)
        version = versions[index]
        where = f"at {version.sha[:12]}" if version.sha else "before the period"
        if version.problem:
            return None, f"{where} could not be read ({version.problem})", True
        if version.text is None:
            return None, f"did not exist {where}", False
        return _parsed(version.text), where, False

    def _line_positions(self) -> dict[str, int]:
        if self._positions is None:
            self._positions = {c.sha: i for i, c in enumerate(self.history.commits)}
        return self._positions


@lru_cache(maxsize=64)  # a CODEOWNERS file has few versions, each read once per rule
def _parsed(text: str) -> Codeowners:
    return parse_codeowners(text)


def _paths(change: Change) -> list[str]:
    paths = []
    for file in change.commit.files:
        paths.append(file.path)
        if file.old_path:
            paths.append(file.old_path)
    return list(dict.fromkeys(paths))


def self_approvers(change: Change) -> str:
    """Names of the approvers who are also authors of the change (reader's flag as fallback)."""
    names = [a.name for a in change.approvers if any(a.matches(b) for b in change.authors)]
    if not names and change.self_approved:
        names = [a.name for a in change.authors[:1]] or [change.commit.author.name]
    return ", ".join(dict.fromkeys(names))


def allowed_phrase(context: RuleContext, environments: Iterable[str]) -> str:
    """Who may approve each of the environments, in words ("" when anyone but the authors may):
    ``production by acme-change-board (customer), signed``."""
    approvals: ApprovalConfig = getattr(context.installation, "approvals", None) or (
        ApprovalConfig()
    )
    parts = []
    for env in context.installation.environments:
        if env.name not in environments:
            continue
        names = tuple(getattr(env, "approvers", ()) or ())
        strength = Strength(getattr(env, "approval_strength", Strength.TRAILER))
        if names == (CODEOWNERS,):
            who = f"the owners {approvals.codeowners} names"
        elif names:
            groups = [g for g in (approvals.group(n) for n in names) if g is not None]
            who = ", ".join(f"{g.name} ({g.side})" for g in groups)
        elif strength == Strength.TRAILER:
            continue
        else:
            who = "anyone other than the authors"
        evidence = "" if strength == Strength.TRAILER else f", evidenced as {strength} at least"
        parts.append(f"{_label(env)} by {who}{evidence}")
    return "; ".join(parts)


# How an approval that counted is evidenced, in words that say who did what (docs/evidence.md,
# change-approval): an approval line is the committer's statement, not the approver's act.
_BASIS_WORDS = {
    "signed": "signed by the approver (the commit or its release tag)",
    "merged": "merged by the approver",
    "trailer": "only as an approval line naming the approver, written by whoever made the "
    "commit (not made or signed by the approver)",
}


def basis_phrase(counts: dict[str, int]) -> str:
    """The evidence the passing members' approvals rest on, to end a clause with: ``, each only
    as an approval line ...`` when one kind covers them all, else ``: 12 signed by the approver
    ..., 3 only as ...`` ("" when none passed)."""
    shown = [(evidence, counts.get(evidence, 0)) for evidence in ("signed", "merged", "trailer")]
    shown = [(evidence, n) for evidence, n in shown if n]
    if len(shown) == 1:
        evidence, n = shown[0]
        return f", {'each ' if n > 1 else ''}{_BASIS_WORDS[evidence]}"
    listed = ", ".join(f"{count_text(n)} {_BASIS_WORDS[evidence]}" for evidence, n in shown)
    return f": {listed}" if listed else ""


def trailer_limit(context: RuleContext, environments: Iterable[str]) -> str | None:
    """What an approval line cannot show, where one of the environments accepts it as enough
    (approval_strength below merged): the sentence a control adds to what it does not show.
    It names the approval lines the installation's configuration has read (approvals.trailers),
    and is None where none are read, so no approval line can count."""
    trailers = (getattr(context.installation, "approvals", None) or ApprovalConfig()).trailers
    accepting = [
        _label(env)
        for env in context.installation.environments
        if env.name in environments
        and Strength(getattr(env, "approval_strength", Strength.TRAILER)).rank
        < Strength.MERGED.rank
    ]
    if not accepting or not trailers:
        return None
    names = " and ".join(dict.fromkeys(accepting))
    verb = "accepts" if len(set(accepting)) == 1 else "accept"
    read = " or ".join(dict.fromkeys(trailers))
    return (
        f"That the person an approval line ({read}) names made that approval: {names} "
        f"{verb} such a line as evidence (approval_strength: trailer), and whoever makes the "
        "commit writes it; only a merge or a signature by the approver is their own act."
    )
