"""Figures as a person reads them in a sentence or a table: ``24,896`` and ``1,250.5``.

Rule reasons, the PDF and the portal write counts with these two functions, so a population
reads the same in the verdict's sentence and on the page. Machine-readable files (evidence.json,
CSV, the commands that re-perform a figure) keep plain numbers.
"""

from __future__ import annotations


def count_text(count: int) -> str:
    """A count, its thousands separated (``24,896``)."""
    return f"{count:,}"


def number(value: float) -> str:
    """A figure: at most one decimal, no trailing ``.0``, thousands separated (``3.5``, ``24``,
    ``1,250.5``); never an exponent, however large."""
    rounded = round(float(value), 1) + 0.0  # + 0.0: -0.0 reads "0", not "-0"
    return f"{rounded:,.1f}".removesuffix(".0")
