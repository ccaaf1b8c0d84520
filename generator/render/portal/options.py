"""The ``portal:`` settings of meshcomply.yml, checked before anything is built.

They shape the look of the site, never its facts: site name, logo, colours and an optional folder
of template overrides. meshcomply.yml's loader validates types and that paths exist; this module
checks what only the portal knows (Material's colour names) and resolves values for the config.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import BuildError
from generator.render.portal.labels import label

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


def _colour(value: Any, key: str, default: str) -> tuple[str, str | None]:
    if value is None:
        return default, None
    text = str(value).strip().lower().replace(" ", "-")
    if text in MATERIAL_COLOURS:
        return text, None
    if _HEX.match(text):
        return "custom", text
    names = ", ".join(sorted(MATERIAL_COLOURS))
    raise BuildError(f"portal.palette.{key}: {value!r} is neither a colour ({names}) nor #rrggbb")


def _existing(value: Any, key: str, want_dir: bool) -> Path | None:
    if value is None:
        return None
    path = Path(value)
    if want_dir and not path.is_dir():
        raise BuildError(f"portal.{key}: {str(path)!r} is not a folder")
    if not want_dir and not path.is_file():
        raise BuildError(f"portal.{key}: {str(path)!r} is not a file")
    return path.resolve()


def parse_options(raw: dict[str, Any] | None) -> PortalOptions:
    raw = raw or {}
    unknown = sorted(set(raw) - {"site_name", "logo", "palette", "templates"})
    if unknown:
        raise BuildError(f"portal: unknown setting(s): {', '.join(unknown)}")
    palette = raw.get("palette") or {}
    primary, primary_hex = _colour(palette.get("primary"), "primary", "indigo")
    accent, accent_hex = _colour(palette.get("accent"), "accent", "indigo")
    logo = _existing(raw.get("logo"), "logo", want_dir=False)
    if logo is not None and logo.suffix.lower() not in LOGO_SUFFIXES:
        raise BuildError(f"portal.logo: {logo.name!r} must be one of {', '.join(LOGO_SUFFIXES)}")
    return PortalOptions(
        site_name=label(raw.get("site_name") or DEFAULT_SITE_NAME, limit=60),
        logo=logo,
        primary=primary,
        accent=accent,
        primary_hex=primary_hex,
        accent_hex=accent_hex,
        templates=_existing(raw.get("templates"), "templates", want_dir=True),
    )
