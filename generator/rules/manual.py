"""manual: a document someone keeps by hand (a risk assessment, an access review) is current.

The document is read from the installation repository as of the last commit of the period, or,
when it is not there, from the installation's evidence folder. Its date comes from YAML front
matter (or, for a .yaml/.yml document, its top-level mapping). A missing document, or a missing
or unreadable date, or a date after the period end leave the control ``not_tested``. A document
older than ``max_age_days`` at the period end is a ``stale_document`` deviation: the control did
not operate when due. A current document is ``design_only``: it shows the control is designed,
and nothing here tests that it operated.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from generator.errors import InputError
from generator.evidence.context import RuleContext, plural
from generator.evidence.registry import Failure, Rule, RuleResult
from generator.status import Status
from generator.yamlio import load_yaml_text

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["document", "owner", "max_age_days"],
    "properties": {
        "document": {
            "type": "string",
            "pattern": r"^(?!/)(?!.*(^|/)\.\.(/|$))[^\\]+$",
            "description": "a path relative to the repository root or the evidence folder",
        },
        "owner": {"type": "string", "pattern": r"\S", "description": "who keeps the document"},
        "max_age_days": {"type": "integer", "minimum": 0},
        "date_key": {"type": "string", "minLength": 1, "default": "date"},
    },
}

REPOSITORY, EVIDENCE_FOLDER = "repository", "evidence folder"


def read_document(context: RuleContext, document: str) -> tuple[str, str | None, str] | None:
    """(text, sha it was read at or None, where from), or None when the document is nowhere."""
    last = context.history.last_commit_in_period()
    if last is not None:
        text = context.history.file_at(document, last.sha)
        if text is not None:
            return text, last.sha, REPOSITORY
    folder = context.installation.evidence_dir
    if folder is None:
        return None
    root = folder.resolve()
    path = (root / document).resolve()
    # The schema forbids "..", but a symlink could still point outside the folder.
    if not path.is_relative_to(root) or not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8"), None, EVIDENCE_FOLDER
    except (OSError, UnicodeDecodeError):
        return None


def front_matter(text: str, document: str) -> tuple[dict[str, Any] | None, str | None]:
    """(metadata, None) or (None, why there is none)."""
    if document.endswith((".yaml", ".yml")):
        header, offset = text, 0
    else:
        lines = text.lstrip("\ufeff").splitlines()
        if not lines or lines[0].strip() != "---":
            return None, "has no YAML front matter"
        closing = next(
            (i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")), None
        )
        if closing is None:
            return None, "has unterminated YAML front matter"
        header, offset = "\n".join(lines[1:closing]), 1  # below the opening ---
    try:
        data = load_yaml_text(header, document).data
    except InputError as exc:
        first = exc.problems[0]
        line = first.line + offset
        return None, f"has unreadable front matter (line {line}: {first.message})"
    if not isinstance(data, dict):
        return None, "has front matter that is not a mapping"
    return data, None


def document_date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(value).date()
    except ValueError:
        return None


def evaluate(context: RuleContext, params: dict[str, Any]) -> RuleResult:
    document, owner, maximum = params["document"], params["owner"], params["max_age_days"]
    date_key = params.get("date_key", "date")
    details: dict[str, Any] = {"document": document, "owner": owner, "max_age_days": maximum}
    found = read_document(context, document)
    if found is None:
        where = "the repository at the end of the period"
        if context.installation.evidence_dir is not None:
            where += " or the evidence folder"
        return RuleResult(
            status=Status.NOT_TESTED,
            reason=f"{document} (owner: {owner}) was not found in {where}.",
            details=details,
        )
    text, sha, source = found
    details.update(source=source, sha=sha)
    cited = (sha,) if sha else ()
    metadata, problem = front_matter(text, document)
    if metadata is not None:
        raw = metadata.get(date_key)
        dated = document_date(raw)
        if raw is None:
            problem = f"has no '{date_key}'"
        elif dated is None:
            problem = f"has '{date_key}: {raw}', which is not a date (YYYY-MM-DD)"
    if problem:
        return RuleResult(
            status=Status.NOT_TESTED,
            reason=f"{document} (owner: {owner}) {problem}, so its age cannot be shown.",
            cited=cited,
            details=details,
        )
    end = context.period.end
    age = (end - dated).days
    details.update(date=dated.isoformat(), age_days=age)
    failures: tuple[Failure, ...] = ()
    if age < 0:
        status = Status.NOT_TESTED
        reason = f"{document} (owner: {owner}) is dated {dated}, after the period end {end}."
    elif age > maximum:
        status = Status.DEVIATIONS
        reason = (
            f"{document} (owner: {owner}) is stale: dated {dated}, {plural(age, 'day')} old at "
            f"the period end (maximum {maximum})."
        )
        message = f"{document} dated {dated}, {plural(age, 'day')} old (maximum {maximum})"
        # Named by the document, not by the commit it was read at: the same stale document
        # is the same deviation in every build until it is renewed.
        failures = (Failure(message, kind="stale_document", items=(document,)),)
    else:
        status = Status.DESIGN_ONLY
        reason = (
            f"{document} (owner: {owner}) is dated {dated}, {plural(age, 'day')} old at the "
            f"period end (maximum {maximum}); it shows the control is designed, not that it "
            "operated."
        )
    return RuleResult(
        status=status,
        reason=reason,
        population=1,
        passed=int(status == Status.DESIGN_ONLY),
        failed=len(failures),
        cited=cited,
        failures=failures,
        details=details,
        last_evidence=dated.isoformat(),
    )


RULE = Rule(
    kind="manual",
    summary="A document kept by hand exists and is no older than its maximum age.",
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    deviation_kinds={
        "stale_document": (
            "The document is older than its maximum age at the period end: the control was not "
            "performed when due."
        ),
    },
    reads=("documents",),
)
