"""Turn an installation's dated steps into planned commits with rendered file contents."""

from __future__ import annotations

import datetime as dt

from generator.demo.clock import at, choose
from generator.demo.content import ENVIRONMENTS, environment_files, static_files
from generator.demo.evidence_docs import REPOSITORY_DOCS, render_doc
from generator.demo.installations import PIPELINE, InstallationSpec
from generator.demo.model import BranchCommit, Edits, PlannedCommit, TagPlan
from generator.demo.operations import doc_steps, initial_step, other_steps, setting_steps
from generator.demo.planted import FAILED_RESULTS, adjust, planted_steps
from generator.demo.platform_files import platform_files
from generator.demo.timeline import (
    HISTORY_END,
    HISTORY_START,
    Step,
    release_calendar,
    release_steps,
)


def steps_for(spec: InstallationSpec) -> list[Step]:
    """Every step of the installation's history, in commit order."""
    releases = release_calendar()
    steps = [
        initial_step(spec, releases[0]),
        *release_steps(spec, releases),
        *setting_steps(spec),
        *doc_steps(spec),
        *other_steps(spec),
        *planted_steps(spec),
    ]
    steps = sorted(adjust(spec, steps), key=lambda step: step.when)
    _check_order(steps)
    return steps


def _check_order(steps: list[Step]) -> None:
    # A branch must start after the last commit on main, or the story (and the first-parent
    # population) would depend on how the writer resolves interleaved work.
    first, last = at(HISTORY_START, "00:00"), at(HISTORY_END + dt.timedelta(days=1), "00:00")
    previous: Step | None = None
    for step in steps:
        start = step.branch_when or step.when
        if not first <= start <= step.when < last:
            raise ValueError(f"demo step {step.key} at {step.when} is outside the history")
        if previous is not None and start <= previous.when:
            raise ValueError(f"demo step {step.key} overlaps {previous.key} at {previous.when}")
        previous = step


class _State:
    """The files on main, re-rendered from settings, document dates and revisions."""

    def __init__(self, spec: InstallationSpec):
        self.spec = spec
        self.settings = {env: dict(spec.settings) for env in ENVIRONMENTS}
        self.revisions: dict[str, int] = {}
        self.docs: dict[str, dt.date] = {}
        self.files: dict[str, str] = {}

    def apply(self, step: Step) -> Edits:
        for env, values in step.settings.items():
            for target in ENVIRONMENTS if env == "*" else (env,):
                self.settings[target].update(values)
        for doc, day in step.docs:
            self.docs[doc] = day
        for kind in step.other:
            self.revisions[kind] = self.revisions.get(kind, 0) + 1
        rendered = self._render()
        edits: Edits = {
            path: text for path, text in rendered.items() if self.files.get(path) != text
        }
        edits.update({path: None for path in self.files if path not in rendered})
        self.files = rendered
        if not edits:
            raise ValueError(f"demo step {step.key} changes nothing")
        return edits

    def _render(self) -> dict[str, str]:
        files = static_files(self.spec)
        for env in ENVIRONMENTS:
            files.update(environment_files(self.spec, env, self.settings[env]))
        files.update(platform_files(self.spec, self.revisions))
        for doc, day in self.docs.items():
            path = REPOSITORY_DOCS[doc][0]
            key = f"{self.spec.name}:{doc}:{day.isoformat()}"
            people = (
                choose(key + ":performer", self.spec.operators).name,
                choose(key + ":approver", self.spec.approvers).name,
            )
            failure = FAILED_RESULTS.get((self.spec.name, doc, day))
            files[path] = render_doc(doc, self.spec.customer, self.spec.name, day, people, failure)
        return files


def _message(subject: str, body: str, trailers: list[str]) -> str:
    parts = [subject]
    if body:
        parts.append(body)
    if trailers:
        parts.append("\n".join(trailers))
    return "\n\n".join(parts) + "\n"


def plan_commits(spec: InstallationSpec) -> list[PlannedCommit]:
    """The installation's commits on main, oldest first."""
    state = _State(spec)
    planned: list[PlannedCommit] = []
    merge_requests = 0
    for step in steps_for(spec):
        edits = state.apply(step)
        trailers = [f"{step.trailer}: {person.ident()}" for person in step.approvers]
        tag = None
        if step.tag:
            version = step.tag.split("/", 1)[1]
            tag = TagPlan(
                step.tag,
                PIPELINE,
                step.when + dt.timedelta(minutes=3),
                f"meshStack {version} running in production\n",
            )
        common = {
            "key": step.key,
            "when": step.when,
            "author": step.author,
            "committer": step.committer or step.author,
            "signed": step.signed,
            "signing_key_of": step.signing_key_of,
            "tag": tag,
        }
        if step.branch is None:
            message = _message(step.subject, step.body, trailers)
            planned.append(PlannedCommit(message=message, edits=edits, **common))
            continue
        assert step.branch_when is not None
        branch_commit = BranchCommit(
            step.branch_when, step.author, _message(step.subject, step.body, []), edits
        )
        merge_requests += 1
        subject = f"Merge branch '{step.branch}' into 'main'"
        body = step.subject
        if spec.customer_merges:
            body += f"\n\nSee merge request {spec.name}/meshstack-config!{merge_requests}"
        message = _message(subject, body, trailers)
        planned.append(
            PlannedCommit(
                message=message, branch=step.branch, branch_commits=(branch_commit,), **common
            )
        )
    return planned
