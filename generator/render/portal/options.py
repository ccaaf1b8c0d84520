"""The ``portal:`` settings of meshcomply.yml: declared here, checked while the config loads.

They shape the look of the site, never its facts: site name, logo, colours and an optional folder
of template overrides. ``OPTIONS`` gives meshcomply.yml's loader their schema and the checks a
schema cannot make (Material's colour names, files that must exist, the logo's type), so a bad
setting is a located problem before any repository is read; ``parse_options`` turns the checked
values into what the site build uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from generator.config import OptionsSection, SectionProblems, relative_path
from generator.errors import BuildError
from generator.render.portal.labels import label
from generator.textcheck import escape_controls

# Material for MkDocs' named colours (theme.palette.primary / accent).
MATERIAL_COLOURS = frozenset(
    (
        *("red", "pink", "purple", "deep-purple", "indigo", "blue", "light-blue", "cyan"),
        *("teal", "green", "light-green", "lime", "yellow", "amber", "orange", "deep-orange"),
        *("brown", "grey", "blue-grey", "black", "white"),
    )
)
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg", ".webp")
# The site generators that can build the portal: MkDocs (the default) or its successor Zensical.
ENGINES = ("mkdocs", "zensical")
DEFAULT_SITE_NAME = "meshcomply evidence portal"


@dataclass(frozen=True)
class PortalOptions:
    site_name: str
    logo: Path | None
    primary: str  # a Material colour name, or "custom" with primary_hex
    accent: str
    primary_hex: str | None
    accent_hex: str | None
    templates: Path | None  # a folder whose files override templates/portal/
    engine: str = "mkdocs"  # one of ENGINES
    # Big populations: a control page shows the first rows of each rule's deviations and cited
    # commits and says where all of them are, so its size stays bounded at any history length.
    max_failure_rows: int = 500
    max_cited: int = 500
    # The summary's deviation list, and the open deviations without a corrective action on the
    # corrective actions page (all of them are in deviations.csv).
    max_deviation_rows: int = 500


OPTIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "site_name": {"type": "string", "minLength": 1},
        "logo": {
            "type": "string",
            "minLength": 1,
            "description": f"an image ({', '.join(LOGO_SUFFIXES)}), relative to meshcomply.yml",
        },
        "palette": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "primary": {"type": "string", "minLength": 1},
                "accent": {"type": "string", "minLength": 1},
            },
        },
        "templates": {
            "type": "string",
            "minLength": 1,
            "description": "a folder whose files override templates/portal/ "
            "(relative to meshcomply.yml)",
        },
        "max_failure_rows": {
            "type": "integer",
            "minimum": 1,
            "description": "deviations shown per rule on a control page (all in deviations.csv)",
        },
        "max_cited": {
            "type": "integer",
            "minimum": 1,
            "description": "cited commits shown per rule on a control page (all in evidence.json)",
        },
        "max_deviation_rows": {
            "type": "integer",
            "minimum": 1,
            "description": "deviations listed on the summary page, and open deviations without "
            "a corrective action on the corrective actions page (all in deviations.csv)",
        },
        "engine": {
            "enum": list(ENGINES),
            "description": "the site generator that builds the portal (docs/portal.md#engines)",
        },
    },
}


def _colour(value: str | None, default: str) -> tuple[str, str | None] | None:
    """(Material name, None) or ("custom", hex); None for neither."""
    if value is None:
        return default, None
    text = value.strip().lower().replace(" ", "-")
    if text in MATERIAL_COLOURS:
        return text, None
    if _HEX.match(text):
        return "custom", text
    return None


def check_options(raw: dict[str, Any], base: Path) -> tuple[dict[str, Any], SectionProblems]:
    """The schema-valid ``portal:`` value with its paths resolved against ``base``, and what is
    wrong with it."""
    problems: SectionProblems = []
    kept = dict(raw)
    for key, want_dir in (("logo", False), ("templates", True)):
        if key in raw:
            path, problem = relative_path(base, raw[key], want_dir)
            kept[key] = str(path)
            if problem:
                problems.append(((key,), problem))
    if "logo" in raw and Path(raw["logo"]).suffix.lower() not in LOGO_SUFFIXES:
        problems.append((("logo",), f"{raw['logo']!r} must be one of {', '.join(LOGO_SUFFIXES)}"))
    name = raw.get("site_name")
    if isinstance(name, str) and escape_controls(name, one_line=True) != name:
        # A title keeps no control character: label() would drop it, gluing the words around it.
        message = (
            f"{name!r} holds control characters (tab, newline, "
            "ESC, ...): write the name on one line without them"
        )
        problems.append((("site_name",), message))
    names = ", ".join(sorted(MATERIAL_COLOURS))
    for key, value in sorted((raw.get("palette") or {}).items()):
        if _colour(value, "") is None:
            message = f"{value!r} is neither a colour ({names}) nor #rrggbb"
            problems.append((("palette", key), message))
    return kept, problems


OPTIONS = OptionsSection("portal", OPTIONS_SCHEMA, check_options)


def parse_options(raw: dict[str, Any] | None) -> PortalOptions:
    """The site build's settings from a checked ``portal:`` value (Config.options["portal"]).

    Checked again here, against the same schema and checks, for callers that did not load them
    from meshcomply.yml: BuildError naming every problem.
    """
    raw = raw or {}
    problems = [
        f"portal{''.join(f'.{p}' for p in error.absolute_path)}: {error.message}"
        for error in Draft202012Validator(OPTIONS_SCHEMA).iter_errors(raw)
    ]
    if not problems:
        raw, found = check_options(raw, Path())
        problems = [f"portal.{'.'.join(map(str, where))}: {message}" for where, message in found]
    if problems:
        raise BuildError("; ".join(sorted(problems)))
    palette = raw.get("palette") or {}
    primary, primary_hex = _colour(palette.get("primary"), "indigo") or ("indigo", None)
    accent, accent_hex = _colour(palette.get("accent"), "indigo") or ("indigo", None)
    logo, templates = raw.get("logo"), raw.get("templates")
    return PortalOptions(
        site_name=label(raw.get("site_name") or DEFAULT_SITE_NAME, limit=60),
        logo=Path(logo) if logo else None,
        primary=primary,
        accent=accent,
        primary_hex=primary_hex,
        accent_hex=accent_hex,
        templates=Path(templates) if templates else None,
        engine=raw.get("engine", "mkdocs"),
        max_failure_rows=raw.get("max_failure_rows", PortalOptions.max_failure_rows),
        max_cited=raw.get("max_cited", PortalOptions.max_cited),
        max_deviation_rows=raw.get("max_deviation_rows", PortalOptions.max_deviation_rows),
    )
