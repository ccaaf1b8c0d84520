"""The ``pdf:`` settings of meshcomply.yml and the document's fixed dates.

They shape the document (marking, version, how many rows are printed, how it is rendered), never
its facts. The generated-at date comes from SOURCE_DATE_EPOCH or the repository head's commit
date, never the wall clock, so the same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

from generator.errors import BuildError
from generator.render.registry import RenderOptions

SPLIT_MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class PdfSettings:
    classification: str = "Confidential"
    document_version: str = "1.0"
    owner: str = ""
    author: str = "meshcomply"
    max_change_rows: int = 500  # the rest of the population is in the attached changes.csv
    max_cited: int = 200  # cited commits printed per rule result; all of them are in evidence.json
    split: str = "auto"  # render sections in worker processes: auto (large packs), always, never
    workers: int = 0  # 0: min(2, CPUs)


def _text(raw: dict[str, Any], key: str, default: str, allow_empty: bool = False) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise BuildError(f"pdf.{key}: expected a non-empty string, got {value!r}")
    return value.strip()


def _count(raw: dict[str, Any], key: str, default: int, minimum: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BuildError(f"pdf.{key}: expected a whole number >= {minimum}, got {value!r}")
    return value


def settings_from(options: RenderOptions) -> PdfSettings:
    raw = dict(options.pdf or {})
    known = set(PdfSettings.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise BuildError(f"pdf: unknown setting(s) {', '.join(unknown)} (known: {sorted(known)})")
    split = raw.get("split", "auto")
    if split not in SPLIT_MODES:
        raise BuildError(f"pdf.split: expected one of {', '.join(SPLIT_MODES)}, got {split!r}")
    defaults = PdfSettings()
    return PdfSettings(
        classification=_text(raw, "classification", defaults.classification),
        document_version=_text(raw, "document_version", defaults.document_version),
        owner=_text(raw, "owner", defaults.owner, allow_empty=True),
        author=_text(raw, "author", defaults.author),
        max_change_rows=_count(raw, "max_change_rows", defaults.max_change_rows, 1),
        max_cited=_count(raw, "max_cited", defaults.max_cited, 0),
        split=split,
        workers=_count(raw, "workers", defaults.workers, 0),
    )


def generated_at(model: dict[str, Any], options: RenderOptions) -> str:
    """The document's date: SOURCE_DATE_EPOCH if given, else the head commit's date (ISO 8601)."""
    epoch = options.source_date_epoch
    if epoch is None and os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        text = os.environ["SOURCE_DATE_EPOCH"].strip()
        if not text.isdigit():
            raise BuildError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {text!r}")
        epoch = int(text)
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat()
    head_date = (model.get("source") or {}).get("head_date")
    try:
        return dt.datetime.fromisoformat(head_date).isoformat()
    except (TypeError, ValueError):
        raise BuildError(
            f"evidence.json: source.head_date {head_date!r} is not an ISO 8601 date, "
            "and SOURCE_DATE_EPOCH is not set"
        ) from None
