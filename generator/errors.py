"""Input problems reported to users as ``path:line:col: message``, never as tracebacks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one input file, located as precisely as we can."""

    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


class InputError(Exception):
    """Invalid input: carries every problem found, so users fix them all in one go."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class BuildError(Exception):
    """A build that could not complete for a reason other than a located input problem."""


def raise_if(problems: Iterable[Problem]) -> None:
    """Raise one InputError for all problems, if there are any."""
    collected = list(problems)
    if collected:
        raise InputError(collected)
