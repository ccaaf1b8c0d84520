"""Does a rule's sentence agree with its own figures? (tests/ is on sys.path)

    from reason_checks import disagreements
    assert disagreements(result) == []     # a result as evidence.json writes it, or a RuleResult

Every number a built-in rule's reason states is compared with the figure it restates: "N of M"
with the failed count and the population, "All M" / "The 1" with the population, the
distribution's median and longest with ``details.distribution``, and each breakdown (late and
waiting versions, skipped versions, kinds of deviation, commits outside every declared path)
with the failures or details it counts. A sentence such as "53 of 74 versions took more than 30
days (median 0, longest 20 days)" is caught: longest would have to exceed the maximum.
"""

from __future__ import annotations

import re
from typing import Any

from generator.evidence.context import number


def _plain(result: Any) -> dict[str, Any]:
    if isinstance(result, dict):
        return result
    return {
        "reason": result.reason,
        "figures": {
            "population": result.population,
            "passed": result.passed,
            "failed": result.failed,
        },
        "failures": [
            {"message": f.message, "kind": getattr(f, "kind", None)} for f in result.failures
        ],
        "details": result.details,
    }


_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def _count(pattern: str, text: str) -> int | None:
    found = re.search(pattern, text)
    return int(found.group(1)) if found else None


def disagreements(result: Any) -> list[str]:
    """What the reason says that its figures contradict (empty: they agree)."""
    result = _plain(result)
    details = result.get("details") or {}
    # Counts of a thousand and more are written 24,896: the figures are read without the commas.
    reason = _THOUSANDS.sub("", result["reason"])
    figures = result["figures"]
    failed, population = figures["failed"], figures["population"]
    failures = result["failures"]
    problems = []

    def expect(what: str, said: int | None, actual: int) -> None:
        if said is not None and said != actual:
            problems.append(f"{what}: the reason says {said}, the figures {actual}")

    if figures["passed"] + failed != population:
        problems.append(f"passed + failed != population in {figures}")
    ratio = re.search(r"\b(\d+) of (\d+)\b", reason)
    # config-assertion counts failing and unreadable windows apart: their sum is the failures.
    counted = re.findall(r" in (\d+) windows?\b", reason)
    windows = sum(int(n) for n in counted) if counted else None
    age = re.search(r"(\d+) days old at the period end \(maximum (\d+)\)", reason)
    if failed:
        if ratio is not None:
            expect("failed", int(ratio.group(1)), failed)
            expect("population", int(ratio.group(2)), population)
        elif windows is None and age is None:
            problems.append(f"{failed} failed but the reason says how many nowhere: {reason!r}")
    elif ratio is not None and int(ratio.group(1)) and "of them" not in reason:
        problems.append(f"nothing failed but the reason says {ratio.group(0)!r}")
    if not failed and population:
        expect("population", _count(r"\bAll (\d+)\b", reason), population)
        if reason.startswith("The 1 ") and population != 1:
            problems.append(f"'The 1' for a population of {population}")
    # config-assertion: failing windows, and the versions of the file judged.
    expect("failing windows", windows, len(failures))
    expect("versions judged", _count(r"\((\d+) versions? of ", reason), population)
    # manual: a document is stale exactly when it is older than its maximum.
    if age is not None and (int(age.group(1)) > int(age.group(2))) != bool(failed):
        problems.append(f"{age.group(0)!r} but {failed} failed")
    spread = details.get("distribution") if isinstance(details, dict) else None
    if isinstance(spread, dict) and spread.get("count"):
        shown = re.search(r"median ([0-9.]+), longest ([0-9.]+) days", reason)
        if shown is None:
            problems.append(f"the distribution is not stated: {reason!r}")
        else:
            for word, key, text in (("median", "median", shown.group(1)),
                                    ("longest", "max", shown.group(2))):  # fmt: skip
                if text != number(spread[key]).replace(",", ""):  # read without commas
                    problems.append(f"{word}: the reason says {text}, the figures {spread[key]}")
        expect("versions that reached production", _count(r"of the (\d+) versions? that", reason),
               spread["count"])  # fmt: skip
    late = [f for f in failures if "reached production after" in f["message"]]
    waiting = [f for f in failures if "not in production after" in f["message"]]
    expect("late versions", _count(r"(\d+) reached production later", reason), len(late))
    expect("waiting versions", _count(r"(\d+) (?:is|are) still not in production", reason),
           len(waiting))  # fmt: skip
    counted = isinstance(spread, dict) and spread.get("count")
    if late and counted and not spread["max"] > details["max_days"]:
        problems.append("late versions, but the longest is within the maximum")
    if "that production skipped" in reason:
        expect("skipped versions", _count(r"(\d+) versions? that production skipped", reason),
               len(details.get("skipped", ())))  # fmt: skip
    elif details.get("skipped"):
        problems.append(f"{len(details['skipped'])} skipped versions the reason does not mention")
    kinds = [f.get("kind") for f in failures]
    expect("skipped staging", _count(r"(\d+) skipped staging", reason),
           kinds.count("skipped_staging"))  # fmt: skip
    expect("too short in staging", _count(r"(\d+) too short in staging", reason),
           kinds.count("short_staging"))  # fmt: skip
    expect("not compared", _count(r"(\d+) not compared \(a file version", reason),
           kinds.count("unreadable_version"))  # fmt: skip
    expect("unsigned", _count(r"(\d+) unsigned\b", reason), kinds.count("unsigned"))
    if isinstance(details, dict) and "unaccounted" in details:
        expect("outside every declared path", _count(r"(\d+) of them outside", reason),
               details["unaccounted"])  # fmt: skip
    for key, words in (("no_approver", "without an approver"), ("self_approved", "self-approved"),
                       ("too_few_approvers", "with too few approvers")):  # fmt: skip
        if isinstance(details, dict) and key in details:
            expect(words, _count(rf"(\d+) {words}", reason), details[key])
    return problems
