"""The reconciliation: every first-parent commit of the period in exactly one group.

The groups, in this order of precedence (a commit belongs to the first that takes it):

1. ``environments``: its change touches an environment's own paths;
2. ``shared`` (one group per shared scope, in configuration order): it touches the scope's paths;
3. ``unaccounted``: it touches a file outside every out-of-scope path (so outside everything the
   configuration declares): a visible gap, never dropped;
4. ``out_of_scope`` (one group per entry, in configuration order): every file it touches is out
   of scope, and it touches this entry's paths;
5. ``no_change``: it changes no file against its first parent (listed only when there is one).

Membership is git's decision, as for populations: each set is a path-limited ``git log
--first-parent`` over the period (``HeadAnswers.path_logs``, cached and extended like the
populations), and each group's command subtracts the earlier groups' logs with ``comm``, so an
auditor re-performs every count with git, ``sort``, ``comm`` and ``wc`` in a POSIX shell with
process substitution (bash, zsh).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from generator.config import InstallationConfig, Period
from generator.history.gitenv import NO_OVERRIDES, GraphOverrides
from generator.history.population import ShellCommands, pathspecs

ENVIRONMENTS, SHARED, UNACCOUNTED, OUT_OF_SCOPE, NO_CHANGE = (
    "environments",
    "shared",
    "unaccounted",
    "out_of_scope",
    "no_change",
)


@dataclass(frozen=True)
class ScopeGroup:
    kind: str  # environments, shared, unaccounted, out_of_scope or no_change
    name: str  # the shared scope's or out-of-scope entry's name; "" for the others
    paths: tuple[str, ...]  # as configured (environments: every environment's own paths)
    reaches: tuple[str, ...]  # environments a change in the group is a change to
    justification: str  # out_of_scope: why, as configured; "" for the others
    indices: tuple[int, ...]  # the commits, as indices into the first-parent line, ascending
    command: str  # lists the group's shas; `| wc -l` counts them


@dataclass(frozen=True)
class Reconciliation:
    total: int  # first-parent commits in the period
    command: str  # lists them
    groups: tuple[ScopeGroup, ...]


# What ``reconcile`` asks git: name -> pathspecs (none: every commit of the period).
Queries = dict[str, tuple[str, ...]]


def queries(installation: InstallationConfig) -> Queries:
    """The path-limited logs the reconciliation is made of (the commands print them all)."""
    environment_paths = [p for env in installation.environments for p in env.paths]
    excluded = [f":(exclude,glob){p}" for entry in installation.out_of_scope for p in entry.paths]
    found: Queries = {
        "all": (),
        "environments": tuple(pathspecs(environment_paths)),
        "touching": (".",),
        "outside": (".", *excluded),
    }
    for scope in installation.shared_scopes:
        found[f"shared:{scope.name}"] = tuple(pathspecs(scope.paths))
    for entry in installation.out_of_scope:
        found[f"out:{entry.name}"] = tuple(pathspecs(entry.paths))
    return found


def reconcile(
    installation: InstallationConfig,
    period: Period,
    head: str,
    logs: Callable[[Queries], dict[str, list[int]]],
    known: dict[str, set[int]],
    overrides: GraphOverrides = NO_OVERRIDES,
) -> Reconciliation:
    """The period's commits in groups; `logs` answers ``queries(installation)``.

    `known` may hold answers the reader has already: "all" (the period's commits),
    "environments" (the union of the populations, when no shared scope adds to them) and
    "touching" (the commits whose parsed change lists a file: the same diff against the first
    parent that ``-- .`` asks git for). What is known is not asked again; "outside" equals
    "touching" when nothing is declared out of scope.
    """
    asked = queries(installation)
    if not installation.out_of_scope and "touching" in known:
        known = {**known, "outside": known["touching"]}
    todo = {name: specs for name, specs in asked.items() if name not in known}
    found = {**known, **{name: set(indices) for name, indices in logs(todo).items()}}
    shell = ShellCommands(installation, period, head, overrides)
    every = found["all"]
    groups: list[ScopeGroup] = []
    taken: set[int] = set()
    taken_specs: list[str] = []

    def add(
        kind: str,
        name: str,
        members: set[int],
        command: str,
        paths: Sequence[str] = (),
        reaches: Sequence[str] = (),
        justification: str = "",
    ) -> None:
        members = members & every - taken
        taken.update(members)
        indices = tuple(sorted(members))
        groups.append(
            ScopeGroup(kind, name, tuple(paths), tuple(reaches), justification, indices, command)
        )

    environment_paths = [p for env in installation.environments for p in env.paths]
    add(
        ENVIRONMENTS,
        "",
        found["environments"],
        shell.log(asked["environments"]),
        paths=list(dict.fromkeys(environment_paths)),
        reaches=[env.name for env in installation.environments],
    )
    taken_specs.extend(asked["environments"])
    for scope in installation.shared_scopes:
        specs = asked[f"shared:{scope.name}"]
        command = _minus(shell, [specs], [taken_specs])
        add(SHARED, scope.name, found[f"shared:{scope.name}"], command,
            paths=scope.paths, reaches=scope.reaches)  # fmt: skip
        taken_specs.extend(specs)
    in_scope = list(taken_specs)
    add(UNACCOUNTED, "", found["outside"], _minus(shell, [asked["outside"]], [in_scope]))
    for entry in installation.out_of_scope:
        specs = asked[f"out:{entry.name}"]
        command = _minus(shell, [specs], [taken_specs, asked["outside"]])
        add(OUT_OF_SCOPE, entry.name, found[f"out:{entry.name}"], command,
            paths=entry.paths, justification=entry.justification)  # fmt: skip
        taken_specs.extend(specs)
    no_change = every - found["touching"]
    if no_change:
        add(NO_CHANGE, "", no_change, _minus(shell, [()], [asked["touching"]]))
    left = every - taken
    if left:
        # Only if git's path matching disagreed with itself; counted where nothing is hidden.
        index = next(i for i, g in enumerate(groups) if g.kind == UNACCOUNTED)
        group = groups[index]
        groups[index] = replace(group, indices=tuple(sorted({*group.indices, *left})))
    return Reconciliation(len(every), shell.log(()), tuple(groups))


def _minus(
    shell: ShellCommands, include: Sequence[Sequence[str]], exclude: Sequence[Sequence[str]]
) -> str:
    """A command listing the commits of the `include` logs that no `exclude` log lists."""
    return f"comm -23 <({_union(shell, include)}) <({_union(shell, exclude)})"


def _union(shell: ShellCommands, specs: Sequence[Sequence[str]]) -> str:
    logs = [shell.log(s) for s in specs]
    if len(logs) == 1:
        return f"{logs[0]} | sort"
    return "{ " + "; ".join(logs) + "; } | sort -u"


def counted(command: str) -> str:
    """A group's command that prints its count."""
    return f"{command} | wc -l"
