"""manual: a test or review recorded in a document kept by hand, judged from its front matter.

Documents are read from the installation repository (every version: its history is the record of
each occurrence) or, when not there, from the installation's evidence folder; each version read
is hashed (SHA-256 of its bytes) and its front matter parsed strictly (generator/evidence/
documents.py). Two kinds of control:

- ``max_age_days``: one document in effect at the period end, at most that old (a design, a
  plan, a standard). Older is a ``stale_document`` deviation.
- ``frequency`` (monthly, quarterly, half-yearly, yearly): an activity due once per calendar
  interval; every interval ending in the period needs its own occurrence (``not_performed``
  otherwise), the interval open at the period end needs one at most an interval old
  (``stale_document`` otherwise), and evidence dated before the period counts only within one
  interval before its start (generator/evidence/recurrence.py). The occurrences are the
  document's versions with distinct dates, or the files matching ``documents`` (a pattern).

A ``fail`` result of an occurrence the verdict relies on is a ``failed_result`` deviation. Without
a deviation the result is ``no_deviations`` only when every occurrence relied on records a
``pass`` or ``pass_with_findings`` and at least one is dated inside the period (a test performed
in the period); otherwise it is ``design_only``: a current document shows the control is
designed, nothing shows it operated. A document that cannot be found, read or parsed leaves the
control ``not_tested`` with every problem located (file, commit and line).
"""

from __future__ import annotations

from typing import Any

from generator.evidence.context import RuleContext
from generator.evidence.docjudge import judge_current, judge_recurring, located_problems
from generator.evidence.docread import (
    Read,
    current_version,
    folder_versions,
    history_versions,
    matching_versions,
)
from generator.evidence.documents import DocumentVersion
from generator.evidence.recurrence import Frequency
from generator.evidence.registry import Rule, RuleResult
from generator.status import Status

_PATH = r"^(?!/)(?!.*(^|/)\.\.(/|$))[^\\]+$"
PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["owner"],
    "properties": {
        "document": {
            "type": "string",
            "pattern": _PATH,
            "description": "a path relative to the repository root or the evidence folder",
        },
        "documents": {
            "type": "string",
            "pattern": r"^(?!/)(?!.*(^|/)\.\.(/|$))[^\\*?\[\]]*[^\\/]*$",
            "description": "dated files, one per occurrence: a folder and a name pattern "
            "(wildcards * ? in the name only), e.g. docs/access-reviews/*.md",
        },
        "owner": {"type": "string", "pattern": r"\S", "description": "who keeps the document"},
        "max_age_days": {"type": "integer", "minimum": 0},
        "frequency": {"enum": [f.value for f in Frequency]},
        "date_key": {"type": "string", "minLength": 1, "default": "date"},
    },
    "allOf": [
        {"oneOf": [{"required": ["document"]}, {"required": ["documents"]}]},
        {"oneOf": [{"required": ["max_age_days"]}, {"required": ["frequency"]}]},
    ],
    "dependentRequired": {"documents": ["frequency"]},
}

DEVIATION_KINDS = {
    "not_performed": (
        "An occurrence of a recurring control due in the period has no document dated inside "
        "its interval: the control was not performed when due."
    ),
    "stale_document": (
        "The newest document is older than its maximum age (or its frequency) at the period "
        "end: the control was not performed again when due."
    ),
    "failed_result": (
        "A document the verdict relies on records a failed result (result: fail): the test or "
        "review was performed and failed."
    ),
}


def evaluate(context: RuleContext, params: dict[str, Any]) -> RuleResult:
    owner, date_key = params["owner"], params.get("date_key", "date")
    label = params.get("document") or params["documents"]
    details: dict[str, Any] = {"owner": owner}
    frequency = Frequency(params["frequency"]) if "frequency" in params else None
    read = _read(context, params, date_key, frequency is not None)
    subject = f"{label} (owner: {owner})"
    problems = located_problems(read)
    if problems:
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        return RuleResult(
            status=Status.NOT_TESTED,
            reason=f"{subject} cannot be read as evidence: {shown}{more}.",
            cited=_cited(read.versions),
            details={**details, "problems": [str(p) for p in problems]},
            documents=tuple(read.versions),
        )
    if not read.versions:
        return RuleResult(
            status=Status.NOT_TESTED, reason=_not_found(context, subject), details=details
        )
    if frequency is None:
        return judge_current(context, subject, read.versions[-1], params["max_age_days"])
    return judge_recurring(context, subject, label, read.versions, frequency)


def _read(context: RuleContext, params: dict[str, Any], date_key: str, recurring: bool) -> Read:
    if "documents" in params:
        return matching_versions(context, params["documents"], date_key)
    document = params["document"]
    if not recurring:
        return current_version(context, document, date_key)
    read = history_versions(context, document, date_key)
    if read.versions or read.problems:
        return read
    return folder_versions(context, [document], date_key)  # one version: no history there


def _not_found(context: RuleContext, subject: str) -> str:
    where = "the repository by the end of the period"
    if context.installation.evidence_dir is not None:
        where += " or the evidence folder"
    return f"{subject} was not found in {where}."


def _cited(versions: list[DocumentVersion]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.commit for v in versions if v.commit))


RULE = Rule(
    kind="manual",
    summary=(
        "A test or review recorded in a document kept by hand: current, performed when due, "
        "and its recorded result."
    ),
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    deviation_kinds=DEVIATION_KINDS,
    reads=("documents",),
)
