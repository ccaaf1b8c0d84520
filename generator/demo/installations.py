"""The shape of an example installation, and the people of the managed service.

The two customers are described in ``customers.py``; the weekly release train is computed in
``timeline.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from generator.demo.model import Person

PIPELINE = Person("meshStack Release Pipeline", "release-bot@meshcloud.io", "utc")
RELEASE_MANAGER = Person("Sven Hoffmann", "sven.hoffmann@meshcloud.io")

LENA = Person("Lena Fischer", "lena.fischer@meshcloud.io")
JONAS = Person("Jonas Weber", "jonas.weber@meshcloud.io")
AYLIN = Person("Aylin Demir", "aylin.demir@meshcloud.io")
TOBIAS = Person("Tobias Krüger", "tobias.krueger@meshcloud.io")


@dataclass(frozen=True)
class SettingChange:
    """A setting rolled out by operators: staging first (direct), production through approval."""

    staging: dt.date  # a Wednesday
    production: dt.date  # a Wednesday, one week later
    slug: str  # branch name part
    subject: str
    body: str
    values: dict[str, object]  # dotted key -> new value, the same in both environments


@dataclass(frozen=True)
class OtherChange:
    """A change outside the environment folders (landing zones, building blocks, Terraform)."""

    day: dt.date
    file: str  # one of platform_files.KINDS
    subject: str


@dataclass(frozen=True)
class InstallationSpec:
    name: str
    customer: str
    domain: str
    clouds: tuple[str, ...]
    operators: tuple[Person, ...]
    approvers: tuple[Person, ...]  # the customer's change approvers
    exception_approver: str  # who accepts exceptions for the customer
    # Globex approves by merging in its own GitLab: the merge committer is the approver.
    customer_merges: bool
    production_release: str  # "file" or "tag"
    settings: dict[str, object]  # initial values, dotted keys
    changes: tuple[SettingChange, ...]
    other_changes: tuple[OtherChange, ...]
    # document (evidence_docs.REPOSITORY_DOCS key) -> dates of each test or review; dates up to
    # the history start are part of the initial import
    docs: dict[str, tuple[dt.date, ...]]


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def doc_dates(dates: dict[str, str]) -> dict[str, tuple[dt.date, ...]]:
    return {doc: tuple(day(text) for text in days.split()) for doc, days in dates.items()}


def setting_change(staging: str, production: str, slug: str, subject: str, body: str, **values):
    dotted = {key.replace("__", "."): value for key, value in values.items()}
    return SettingChange(day(staging), day(production), slug, subject, body, dotted)
