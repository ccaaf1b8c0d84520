"""The audit population: which first-parent commits changed which environment, and who was involved.

Membership is decided by git itself, with the same command the pack prints for auditors to re-run
(a path-limited ``git log --first-parent`` between the period's dates), so the population and its
reproduction cannot drift apart. Only the walk is narrowed here, to the commits after the last one
before the period, which changes the work git does but not the answer.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

from generator.config import ApprovalConfig, InstallationConfig, Period, Strength
from generator.history.gitenv import NO_OVERRIDES, GraphOverrides
from generator.history.gitio import GitRunner
from generator.history.model import Approval, Change, Commit, Identity, ReproduceCommand, Tag
from generator.history.trailers import CO_AUTHOR, identities, identity


def date_filters(period: Period) -> tuple[str, str]:
    """git's bounds for committer dates: inclusive of 00:00:00 and 23:59:59 UTC.

    ``--since-as-filter`` (git 2.37+) looks at every commit; plain ``--since`` stops walking at
    the first older commit and would miss commits behind a skewed clock.
    """
    first = period.start.strftime("%Y-%m-%d 00:00:00 +0000")
    last = period.end.strftime("%Y-%m-%d 23:59:59 +0000")
    return f"--since-as-filter={first}", f"--until={last}"


def pathspecs(paths: Sequence[str]) -> list[str]:
    """Configured paths (environments, shared scopes) as git's glob pathspecs."""
    return [f":(glob){path}" for path in paths]


def population_command(
    specs: Sequence[str], period: Period, head: str, boundary: str | None
) -> tuple[str, ...]:
    """git log arguments listing the first-parent commits of the period whose change touches
    `specs` (pathspecs; none: every commit), newest first, one sha a line."""
    walk = [head, f"^{boundary}"] if boundary else [head]
    return (
        "log", "--first-parent", "--format=%H", "--no-show-signature", *date_filters(period),
        *walk, "--", *specs,
    )  # fmt: skip


class ShellCommands:
    """The plain commands an auditor pastes, for one repository, period and head."""

    def __init__(
        self,
        installation: InstallationConfig,
        period: Period,
        head: str,
        overrides: GraphOverrides = NO_OVERRIDES,
    ):
        self.head = head
        self.steps: list[ReproduceCommand] = []
        if installation.is_remote:
            folder = PurePosixPath(installation.shown_repo.rstrip("/").split(":")[-1]).name
            folder = folder.removesuffix(".git") or installation.name
            clone = f"git clone {shlex.quote(installation.shown_repo)} {folder}"
            self.steps.append(ReproduceCommand("clone", clone, ""))
        else:
            folder = installation.repo
        self.where = f"{overrides.git()} -C {shlex.quote(folder)}"
        self.since, self.until = (
            f"{option}={shlex.quote(date)}"
            for option, _, date in (arg.partition("=") for arg in date_filters(period))
        )

    def log(self, specs: Sequence[str]) -> str:
        """The command listing the period's first-parent commits touching `specs` (all: none)."""
        paths = f" -- {' '.join(shlex.quote(spec) for spec in specs)}" if specs else ""
        return (
            f"{self.where} log --first-parent --format=%H {self.since} {self.until} "
            f"{self.head}{paths}"
        )


def reproduce_commands(
    installation: InstallationConfig,
    period: Period,
    head: str,
    counts: dict[str, int],
    overrides: GraphOverrides = NO_OVERRIDES,
) -> list[ReproduceCommand]:
    """Commands an auditor pastes to re-perform each population count and the head."""
    shell = ShellCommands(installation, period, head, overrides)
    commands = list(shell.steps)
    commands.append(
        ReproduceCommand(
            "head",
            f"{shell.where} rev-parse --verify {shlex.quote(installation.ref + '^{commit}')}",
            head,
        )
    )
    for environment in installation.environments:
        specs = pathspecs(installation.population_paths(environment))
        commands.append(
            ReproduceCommand(
                f"population: {environment.name}",
                f"{shell.log(specs)} | wc -l",
                str(counts[environment.name]),
            )
        )
    return commands


def merged_authors(
    runner: GitRunner, head: str, boundary: str | None, mainline: Sequence[Commit]
) -> dict[str, tuple[Identity, ...]]:
    """For each merge on `mainline`, the authors of the commits it brought in.

    A merge brings in what its other parents reach and its first parent does not. Walking the
    first-parent line oldest first while remembering everything already reachable finds each
    merged commit exactly once, so one ``git log`` of the period's commits is all git work.
    `mainline` is the first-parent line after `boundary`, oldest first.
    """
    walk = [head, f"^{boundary}"] if boundary else [head]
    tokens = runner.stream(
        "log", "-z", "--no-show-signature",
        "--format=%H%x00%P%x00%an%x00%ae%x00%(trailers:key=Co-authored-by,valueonly,separator=%x1f)",
        *walk,
    )  # fmt: skip
    graph: dict[str, tuple[list[str], list[Identity]]] = {}
    shared: dict[Identity, Identity] = {}  # one object per person: a smaller cache
    fields = list(tokens)
    for start in range(0, len(fields) - 4, 5):
        sha, parents, name, email, co_authors = fields[start : start + 5]
        people = [Identity(_text(name), _text(email))]
        people += [identity(_text(v)) for v in co_authors.split(b"\x1f") if v.strip()]
        people = [shared.setdefault(person, person) for person in people]
        graph[_text(sha).lstrip("\n")] = (_text(parents).split(), people)
    reachable: set[str] = set()
    result: dict[str, tuple[Identity, ...]] = {}
    for commit in mainline:
        if commit.is_merge:
            people: set[Identity] = set()
            stack = list(commit.parents[1:])
            while stack:
                sha = stack.pop()
                if sha in reachable or sha not in graph:
                    continue  # already on the line before, or older than the walk
                reachable.add(sha)
                parents, authors = graph[sha]
                people.update(authors)
                stack.extend(parents)
            result[commit.sha] = tuple(sorted(people))
        reachable.add(commit.sha)
    return result


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def approvers_of(commit: Commit, approvals: ApprovalConfig) -> tuple[Identity, ...]:
    """Approval trailers, plus the committer of a merge when merge committers approve.

    The trailers of a commit a system made (``approvals.automation``, a forge's bot account) are
    no approval unless the configuration names where that system carries approvals from; a
    forge's service identity or a system is never an approver as a merge's committer.
    """
    committer = commit.committer
    found = _named(commit.trailers, approvals.trailers)
    if found and not approvals.writes_approvals(committer.email):
        found = ()
    if commit.is_merge and approvals.merge_committer and approvals.is_person(committer.email):
        return _unique([*found, committer])
    return found


def signer_email(signer: str | None) -> str:
    """The address in a signer (an allowed-signers principal, or an OpenPGP user id
    ``Name <email>``), casefolded; "" for none."""
    if not signer:
        return ""
    start, end = signer.rfind("<"), signer.rfind(">")
    text = signer[start + 1 : end] if 0 <= start < end else signer
    return text.strip().casefold()


def approvals_of(commit: Commit, approvers: tuple[Identity, ...]) -> tuple[Approval, ...]:
    """Each approver with how the commit evidences the approval, strongest that applies:
    signed (a good signature bound to the approver), merged (the approver committed the
    merge), else trailer (a line someone wrote into the message)."""
    signer = signer_email(commit.signer) if commit.signature_verified else ""
    result = []
    for approver in approvers:
        if signer and approver.email and approver.email.casefold() == signer:
            evidence = Strength.SIGNED
        elif len(commit.parents) > 1 and approver.matches(commit.committer):
            evidence = Strength.MERGED
        else:
            evidence = Strength.TRAILER
        result.append(Approval(approver, evidence.value))
    return tuple(result)


def authors_of(commit: Commit, merged: dict[str, tuple[Identity, ...]]) -> tuple[Identity, ...]:
    """Who wrote what a change brings: a merge's branch authors, else the author and co-authors.

    A merge whose branch brought no new commits (everything was merged before) has only its own
    author to answer for it.
    """
    if commit.is_merge and merged.get(commit.sha):
        return merged[commit.sha]
    co_authors = _named(commit.trailers, (CO_AUTHOR,))
    return _unique([commit.author, *co_authors]) if co_authors else (commit.author,)


@lru_cache(maxsize=8192)  # trailer blocks repeat: the same approvers sign change after change
def _named(trailers: tuple[tuple[str, str], ...], keys: tuple[str, ...]) -> tuple[Identity, ...]:
    """The distinct identities in the trailers whose key is one of `keys`."""
    return _unique(identities(trailers, keys)) if trailers else ()


def memberships(
    populations: dict[str, list[int]], wanted: Sequence[str] | None = None
) -> dict[int, tuple[str, ...]]:
    """Commit (index) -> the environments whose population holds it, in `populations` order.

    With `wanted`, only the commits of those environments' populations (each still with every
    environment it belongs to).
    """
    chosen = None if wanted is None else set().union(*(populations[name] for name in wanted))
    members: dict[int, tuple[str, ...]] = {}
    for name, indices in populations.items():
        found = indices if chosen is None else chosen.intersection(indices)
        single = (name,)
        # dict and set operations instead of a loop per commit: populations run to 100,000
        both = {index: members[index] + single for index in members.keys() & found}
        members.update(dict.fromkeys(found, single))
        members.update(both)
    return members


def build_changes(
    commits: Sequence[Commit],
    members: dict[int, tuple[str, ...]],
    approvals: ApprovalConfig,
    merged: dict[str, tuple[Identity, ...]],
    moves: dict[str, dict[str, str]],
    tagged: dict[str, tuple[Tag, ...]] | None = None,
) -> list[Change]:
    """Changes for the commits at the indices in `members` (-> environments), oldest first.

    `tagged` holds the verified release tags of commits (by sha), whose signatures can evidence
    approvals (``with_tag_approvals``)."""
    changes: list[Change] = []
    append = changes.append
    # A commit that is not a merge gets approvers, authors and self-approval from its trailer
    # block and author alone, and those repeat change after change.
    facts: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for index in sorted(members):
        commit = commits[index]
        environments = members[index]
        if len(commit.parents) > 1:
            approvers = approvers_of(commit, approvals)
            authors = authors_of(commit, merged)
            self_approved = _self_approved(approvers, authors)
        else:
            author = commit.author
            key = (commit.trailers, author.name, author.email, commit.committer.email)
            known = facts.get(key)
            if known is None:
                approvers = approvers_of(commit, approvals)
                authors = authors_of(commit, merged)
                known = facts[key] = (approvers, authors, _self_approved(approvers, authors))
            approvers, authors, self_approved = known
        move = moves.get(commit.sha)
        approved = approvals_of(commit, approvers) if approvers else ()
        tags = tagged.get(commit.sha) if tagged else None
        if tags:
            approvers, approved = with_tag_approvals(approvers, approved, authors, tags, approvals)
        append(
            Change(
                commit,
                environments,
                approvers,
                authors,
                self_approved,
                commit.signature != "none",
                commit.signature_verified,
                dict(move) if move else {},
                approved,
            )
        )
    return changes


def with_tag_approvals(
    approvers: tuple[Identity, ...],
    approved: tuple[Approval, ...],
    authors: tuple[Identity, ...],
    tags: Sequence[Tag],
    approvals: ApprovalConfig,
) -> tuple[tuple[Identity, ...], tuple[Approval, ...]]:
    """The approvers and approvals of a change with its signed release tags counted: a tag
    whose good signature the configured keys bind to its tagger is the tagger's `signed`
    approval of the commit it points to (an approver already named gets the stronger
    evidence), unless the tagger is a system or one of the change's authors: a person's own
    tag of their own change approves nothing."""
    people, result = list(approvers), list(approved)
    for tag in sorted(tags, key=lambda t: t.name):
        tagger = tag.tagger
        if (
            tagger is None
            or not signed_by_tagger(tag)
            or not approvals.is_person(tagger.email)
            or any(tagger.matches(author) for author in authors)
        ):
            continue
        for index, approval in enumerate(result):
            # By address only: the key is bound to the tagger's address, so a trailer naming
            # someone by name alone is not upgraded by it (as approvals_of treats signers).
            named = approval.approver.email
            if named and named.casefold() == tagger.email.casefold():
                if approval.evidence != Strength.SIGNED:
                    result[index] = Approval(approval.approver, Strength.SIGNED.value, tag.name)
                break
        else:
            people.append(tagger)
            result.append(Approval(tagger, Strength.SIGNED.value, tag.name))
    return tuple(people), tuple(result)


def signed_by_tagger(tag: Tag) -> bool:
    """Whether a tag's good signature is bound to its tagger: the signer's address (principal,
    OpenPGP user id) is the tagger's, ignoring case."""
    signer = signer_email(tag.signer)
    return bool(tag.verified and signer and tag.tagger and signer == tag.tagger.email.casefold())


def _self_approved(approvers: tuple[Identity, ...], authors: tuple[Identity, ...]) -> bool:
    # Plain loops: this runs for every change, and any() over a generator is several times slower.
    for approver in approvers:
        for author in authors:
            if approver.matches(author):
                return True
    return False


def _unique(people: list[Identity]) -> tuple[Identity, ...]:
    if len(people) < 2:
        return tuple(people)
    return tuple(dict.fromkeys(people))
