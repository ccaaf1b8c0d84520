"""What happens when: the weekly release train, and the dated steps (turned into commits by
``history.py``) that every kind of work is expressed in, with the slot of the day each uses.

The release train is global: every Tuesday the pipeline rolls the week's meshStack release out to
the staging environment of every installation; each customer approves production 2-6 days later.
No releases ship over Christmas. Some weeks get a patch release (``.1``) on Friday.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from generator.demo.clock import at, choose, days, pick
from generator.demo.installations import PIPELINE, RELEASE_MANAGER, InstallationSpec
from generator.demo.model import Person

HISTORY_START = dt.date(2024, 7, 1)
HISTORY_END = dt.date(2026, 6, 30)
PERIOD = (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
# The release already running everywhere when the history starts.
BASELINE_RELEASE_DAY = dt.date(2024, 6, 25)
LAST_RELEASE_DAY = dt.date(2026, 6, 23)

# Tuesdays whose release got a patch release on Friday.
PATCH_WEEKS = frozenset(
    dt.date.fromisoformat(day)
    for day in (
        "2024-08-13", "2024-10-01", "2024-11-26", "2025-01-28", "2025-03-18", "2025-05-06",
        "2025-06-24", "2025-08-12", "2025-10-07", "2025-11-25", "2026-01-20", "2026-03-03",
        "2026-04-28", "2026-06-09",
    )
)  # fmt: skip


@dataclass(frozen=True)
class Release:
    version: str
    staged: dt.date  # the day the pipeline rolled it out to staging
    previous: dt.date  # the previous release's day: the start of this release's period
    patch: bool


@dataclass(frozen=True)
class Step:
    """One change to main, before its files are rendered."""

    key: str
    when: dt.datetime  # UTC; for a merge, the moment it was merged
    author: Person
    subject: str
    body: str = ""
    # environment -> dotted setting -> value ("*" applies to every environment)
    settings: dict[str, dict[str, object]] = field(default_factory=dict)
    docs: tuple[tuple[str, dt.date], ...] = ()  # manual documents updated (name, test date)
    other: tuple[str, ...] = ()  # platform_files.KINDS bumped to their next revision
    branch: str | None = None  # set: a merge of this short-lived branch
    branch_when: dt.datetime | None = None
    committer: Person | None = None  # default: the author
    approvers: tuple[Person, ...] = ()  # recorded as trailers
    trailer: str = "Approved-by"
    signed: bool = True
    signing_key_of: Person | None = None  # whose key signs it; default: the committer's
    tag: str | None = None  # annotated tag the pipeline sets on the commit


def _is_break(day: dt.date) -> bool:
    return (day.month == 12 and day.day >= 22) or (day.month == 1 and day.day == 1)


def release_calendar() -> list[Release]:
    """Every release from the baseline to the last one, in order."""
    tuesdays = [
        day
        for day in days(dt.date(BASELINE_RELEASE_DAY.year, 1, 1), LAST_RELEASE_DAY, weekday=1)
        if not _is_break(day)
    ]
    releases: list[Release] = []
    previous = tuesdays[0] - dt.timedelta(days=7)
    for day in tuesdays:
        number = sum(1 for other in tuesdays if other.year == day.year and other <= day)
        if day >= BASELINE_RELEASE_DAY:
            releases.append(Release(f"{day.year}.{number}.0", day, previous, False))
            if day in PATCH_WEEKS:
                friday = day + dt.timedelta(days=3)
                releases.append(Release(f"{day.year}.{number}.1", friday, day, True))
        previous = day
    return releases


def jitter(key: str, clock: str, spread: int) -> str:
    hour, minute = (int(part) for part in clock.split(":"))
    minute += pick(key, spread)
    return f"{hour + minute // 60:02d}:{minute % 60:02d}"


# Local (Berlin) start of the branch and of the merge for each kind of merge. Each kind of work
# has its own slot of the day so a branch never spans another commit on main.
MERGE_SLOTS = {
    "staging": ("08:10", "09:20"),
    "production": ("10:30", "14:00"),
    "platform": ("15:00", "15:50"),  # landing zones, building blocks, Terraform
}


def merge_step(
    spec: InstallationSpec,
    key: str,
    day: dt.date,
    author: Person,
    approver: Person,
    *,
    slot: str = "production",
    trailer: str = "Approved-by",
    **fields,
) -> Step:
    """A change merged from a short-lived branch after someone else approved it.

    Who presses merge differs: at Globex the approver merges in GitLab, at Acme the author merges
    once the approval is recorded.
    """
    branch_clock, merge_clock = MERGE_SLOTS[slot]
    return Step(
        key=key,
        when=at(day, jitter(f"{spec.name}:{key}:merge", merge_clock, 50)),
        branch_when=at(day, jitter(f"{spec.name}:{key}:branch", branch_clock, 40)),
        author=author,
        committer=approver if spec.customer_merges else author,
        approvers=(approver,),
        trailer=trailer,
        **fields,
    )


def direct_step(spec: InstallationSpec, key: str, day: dt.date, clock: str, **fields) -> Step:
    """A commit straight on main at about `clock` (Berlin time)."""
    return Step(key=key, when=at(day, jitter(f"{spec.name}:{key}", clock, 20)), **fields)


def operator_for(spec: InstallationSpec, key: str) -> Person:
    return choose(f"{spec.name}:{key}:operator", spec.operators)


def approver_for(spec: InstallationSpec, key: str) -> Person:
    return choose(f"{spec.name}:{key}:approver", spec.approvers)


def reviewer_for(spec: InstallationSpec, key: str, author: Person) -> Person:
    """A meshcloud colleague other than the author: staging changes get a four-eyes review."""
    return choose(f"{spec.name}:{key}:reviewer", [p for p in spec.operators if p != author])


def release_steps(spec: InstallationSpec, releases: list[Release]) -> list[Step]:
    steps: list[Step] = []
    for release in releases[1:]:
        version = release.version
        steps.append(
            Step(
                key=f"stage:{version}",
                when=at(release.staged, jitter(f"{spec.name}:{version}", "07:30", 20), "utc"),
                author=PIPELINE,
                subject=f"Roll out meshStack {version} to staging",
                body=f"Automated rollout of release {version} by the meshStack release pipeline.",
                settings={"staging": {"meshstack.version": version}},
                # The pipeline only rolls out a release that release management approved.
                approvers=(RELEASE_MANAGER,),
            )
        )
        steps.append(_promotion(spec, release))
    return steps


def _promotion(spec: InstallationSpec, release: Release) -> Step:
    version = release.version
    key = f"promote:{version}"
    if release.patch:
        wait = 3  # staged on Friday, promoted on Monday
    elif release.staged in PATCH_WEEKS:
        wait = 2  # promote the .0 on Thursday, before Friday's patch reaches staging
    else:
        wait = (2, 3, 6)[pick(f"{spec.name}:{key}:wait", 3)]
    return merge_step(
        spec,
        key,
        release.staged + dt.timedelta(days=wait),
        operator_for(spec, key),
        approver_for(spec, key),
        subject=f"Promote meshStack {version} to production",
        body=f"Promote meshStack {version} to production after verification on staging.",
        settings={"production": {"meshstack.version": version}},
        branch=f"promote/{version}",
        tag=f"production/{version}" if spec.production_release == "tag" else None,
    )
