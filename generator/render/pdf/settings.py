"""The ``pdf:`` settings of meshcomply.yml and the document's fixed dates.

They shape the document (marking, version, how many rows are printed, how it is rendered), never
its facts. ``OPTIONS`` gives meshcomply.yml's loader their schema, so a bad setting is a located
problem before any repository is read. The generated-at date comes from SOURCE_DATE_EPOCH or the
repository head's commit date, never the wall clock, so the same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from generator.config import OptionsSection
from generator.errors import BuildError
from generator.evidence.model import EvidenceModel
from generator.render.registry import RenderOptions

SPLIT_MODES = ("auto", "always", "never")

OPTIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "classification": {"type": "string", "pattern": r"\S", "description": "not blank"},
        "document_version": {"type": "string", "pattern": r"\S", "description": "not blank"},
        "owner": {"type": "string", "minLength": 1},
        "max_change_rows": {"type": "integer", "minimum": 1},
        "author": {"type": "string", "pattern": r"\S", "description": "not blank"},
        "max_cited": {
            "type": "integer",
            "minimum": 0,
            "description": "cited commits printed per rule result (all are in evidence.json)",
        },
        "max_failure_rows": {
            "type": "integer",
            "minimum": 1,
            "description": "deviations printed per rule result (all are in deviations.csv)",
        },
        "max_deviation_rows": {
            "type": "integer",
            "minimum": 1,
            "description": "rows of the summary's deviation list (all are in deviations.csv)",
        },
        "max_detail_rows": {
            "type": "integer",
            "minimum": 1,
            "description": "rows of a rule's detail table printed (all are in evidence.json)",
        },
        "max_promotion_rows": {
            "type": "integer",
            "minimum": 1,
            "description": "rows of the promotion table printed (all are in evidence.json)",
        },
        "split": {
            "enum": list(SPLIT_MODES),
            "description": "lay large packs out in parts by worker processes",
        },
        "workers": {
            "type": "integer",
            "minimum": 0,
            "description": "worker processes for parts; 0: min(2, CPUs)",
        },
    },
}
OPTIONS = OptionsSection("pdf", OPTIONS_SCHEMA)


@dataclass(frozen=True)
class PdfSettings:
    classification: str = "Confidential"
    document_version: str = "1.0"
    owner: str = ""
    author: str = "meshcomply"
    max_change_rows: int = 500  # the rest of the population is in the attached changes.csv
    max_cited: int = 200  # cited commits printed per rule result; all of them are in evidence.json
    # Big populations: the document keeps the first rows and says where all of them are, so its
    # pages and rendering time stay bounded however long the history is.
    max_failure_rows: int = 200  # per rule result; all deviations are in deviations.csv
    max_deviation_rows: int = 500  # the summary's deviation list; all are in deviations.csv
    max_detail_rows: int = 40  # per detail table of a rule; all rows are in evidence.json
    max_promotion_rows: int = 500  # the promotion table; all promotions are in evidence.json
    split: str = "auto"  # render sections in worker processes: auto (large packs), always, never
    workers: int = 0  # 0: min(2, CPUs)


def settings_from(options: RenderOptions) -> PdfSettings:
    """The document's settings from a checked ``pdf:`` value (Config.options["pdf"]).

    Checked again here, against the same schema, for callers that did not load them from
    meshcomply.yml: BuildError naming every problem.
    """
    raw = dict(options.pdf or {})
    problems = sorted(
        f"pdf{''.join(f'.{p}' for p in error.absolute_path)}: {error.message}"
        for error in Draft202012Validator(OPTIONS_SCHEMA).iter_errors(raw)
    )
    if problems:
        raise BuildError("; ".join(problems))
    defaults = PdfSettings()
    return PdfSettings(
        classification=raw.get("classification", defaults.classification).strip(),
        document_version=raw.get("document_version", defaults.document_version).strip(),
        owner=raw.get("owner", defaults.owner).strip(),
        author=raw.get("author", defaults.author).strip(),
        max_change_rows=raw.get("max_change_rows", defaults.max_change_rows),
        max_cited=raw.get("max_cited", defaults.max_cited),
        max_failure_rows=raw.get("max_failure_rows", defaults.max_failure_rows),
        max_deviation_rows=raw.get("max_deviation_rows", defaults.max_deviation_rows),
        max_detail_rows=raw.get("max_detail_rows", defaults.max_detail_rows),
        max_promotion_rows=raw.get("max_promotion_rows", defaults.max_promotion_rows),
        split=raw.get("split", defaults.split),
        workers=raw.get("workers", defaults.workers),
    )


def generated_at(model: EvidenceModel, options: RenderOptions) -> str:
    """The document's date: SOURCE_DATE_EPOCH if given, else the head commit's date (ISO 8601)."""
    epoch = options.source_date_epoch
    if epoch is None and os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        text = os.environ["SOURCE_DATE_EPOCH"].strip()
        if not text.isdigit():
            raise BuildError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {text!r}")
        epoch = int(text)
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat()
    head_date = model.source.head_date
    try:
        return dt.datetime.fromisoformat(head_date).isoformat()
    except (TypeError, ValueError):
        raise BuildError(
            f"evidence.json: source.head_date {head_date!r} is not an ISO 8601 date, "
            "and SOURCE_DATE_EPOCH is not set"
        ) from None
