"""The operators' own work: the initial import, setting changes, manual evidence documents and
changes outside the environment folders."""

from __future__ import annotations

import dataclasses
import datetime as dt

from generator.demo.evidence_docs import REPOSITORY_DOCS
from generator.demo.installations import InstallationSpec
from generator.demo.timeline import (
    BASELINE_RELEASE_DAY,
    HISTORY_START,
    Release,
    Step,
    approver_for,
    direct_step,
    merge_step,
    operator_for,
    reviewer_for,
)


def initial_step(spec: InstallationSpec, baseline: Release) -> Step:
    assert baseline.staged == BASELINE_RELEASE_DAY
    version = baseline.version
    first_docs = tuple(
        (doc, dates[0]) for doc, dates in spec.docs.items() if dates[0] <= HISTORY_START
    )
    return direct_step(
        spec,
        "initial-import",
        HISTORY_START,
        "10:00",
        author=spec.operators[0],
        subject=f"Import the {spec.customer} meshStack configuration",
        body=(
            "Configuration taken over from the previous deployment repository when meshcloud\n"
            "started operating meshStack for "
            f"{spec.customer} as a managed service. Running release: {version}."
        ),
        settings={"*": {"meshstack.version": version}},
        docs=first_docs,
        tag=f"production/{version}" if spec.production_release == "tag" else None,
    )


def setting_steps(spec: InstallationSpec) -> list[Step]:
    """Each setting change: to staging after a colleague's review, a week later to production
    after the customer's approval."""
    steps: list[Step] = []
    for change in spec.changes:
        _check_weekday(change.staging, change.production)
        author = operator_for(spec, f"change:{change.slug}")
        key = f"change:{change.slug}:staging"
        steps.append(
            merge_step(
                spec,
                key,
                change.staging,
                author,
                reviewer_for(spec, key, author),
                slot="staging",
                trailer="Reviewed-by",
                subject=f"{change.subject} (staging)",
                body=change.body,
                settings={"staging": dict(change.values)},
                branch=f"staging/{change.slug}",
            )
        )
        key = f"change:{change.slug}:production"
        steps.append(
            merge_step(
                spec,
                key,
                change.production,
                author,
                approver_for(spec, key),
                subject=f"{change.subject} (production)",
                body=f"{change.body}\nVerified on staging since {change.staging.isoformat()}.",
                settings={"production": dict(change.values)},
                branch=f"change/{change.slug}",
            )
        )
    return steps


def _check_weekday(*dates: dt.date) -> None:
    # Operator changes own the Wednesday slots; releases use the other weekdays. Overlapping
    # slots would interleave a branch with other commits and change the demo's story.
    for day in dates:
        if day.weekday() != 2:
            raise ValueError(f"demo operator change on {day} is not on a Wednesday")


def doc_steps(spec: InstallationSpec) -> list[Step]:
    steps: list[Step] = []
    seen: set[dt.date] = set()
    for doc, dates in spec.docs.items():
        for index, day in enumerate(dates):
            if day <= HISTORY_START:
                continue  # part of the initial import
            if day in seen:
                raise ValueError(f"demo documents of {spec.name} share the day {day}")
            seen.add(day)
            verb = "Add" if index == 0 else "Update"
            key = f"doc:{doc}:{day.isoformat()}"
            steps.append(
                direct_step(
                    spec,
                    key,
                    day,
                    "16:45",
                    author=operator_for(spec, key),
                    subject=f"{verb} {REPOSITORY_DOCS[doc][1].lower()} of {day.isoformat()}",
                    docs=((doc, day),),
                )
            )
    return steps


def other_steps(spec: InstallationSpec) -> list[Step]:
    """Platform changes (landing zones, building blocks, Terraform): they reach staging and
    production alike, so they are merged after a colleague's review (as staging needs) and the
    customer's approval (as production needs)."""
    steps: list[Step] = []
    for change in spec.other_changes:
        _check_weekday(change.day)
        key = f"other:{change.file}:{change.day.isoformat()}"
        author = operator_for(spec, key)
        customer = approver_for(spec, key)
        step = merge_step(
            spec,
            key,
            change.day,
            author,
            customer,
            slot="platform",
            subject=change.subject,
            other=(change.file,),
            branch=f"platform/{change.file}-{change.day.isoformat()}",
        )
        steps.append(
            dataclasses.replace(step, approvers=(reviewer_for(spec, key, author), customer))
        )
    return steps
