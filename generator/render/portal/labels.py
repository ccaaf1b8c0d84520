"""Safe labels, slugs and links for the portal.

Page titles, nav entries and the site name reach MkDocs' own theme templates, which do not
autoescape (and ``striptags`` there even unescapes entities). So every such label is reduced to a
small character set that is inert in HTML, Markdown and YAML; the full text, when it is untrusted,
is shown only inside autoescaped HTML blocks.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata

_LABEL_KEEP = re.compile(r"[^\w .,:;/()+@#\u2013-]", re.UNICODE)
_SLUG_KEEP = re.compile(r"[^a-z0-9._-]+")
_SPACES = re.compile(r"\s+")


def _visible(text: str) -> str:
    # Drop control and format characters (bidi overrides among them), which can disguise text.
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")


def label(text: object, limit: int = 80) -> str:
    """``text`` as an inert label for titles and navigation (may lose characters, never adds)."""
    cleaned = _LABEL_KEEP.sub("-", _visible(str(text)))
    cleaned = cleaned.replace("_", "-")  # emphasis syntax in Markdown headings
    cleaned = _SPACES.sub(" ", cleaned).strip(" -#")
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned or "untitled"


def slug(text: object) -> str:
    """A file-name-safe slug: lower-case ASCII letters, digits, dots, dashes, underscores."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    cleaned = _SLUG_KEEP.sub("-", ascii_text.lower()).strip("._-")
    return cleaned[:60] or "x"


def unique_slugs(names: list[str]) -> dict[str, str]:
    """Distinct slugs for distinct names, in the order given (suffixes resolve collisions)."""
    taken: set[str] = set()
    result: dict[str, str] = {}
    for name in names:
        base = slug(name)
        candidate, counter = base, 2
        while candidate in taken:
            candidate, counter = f"{base}-{counter}", counter + 1
        taken.add(candidate)
        result[name] = candidate
    return result


def html_path(src: str) -> str:
    """The built file of a Markdown source (``use_directory_urls`` is off for file:// use)."""
    return src[: -len(".md")] + ".html" if src.endswith(".md") else src


def relative_url(from_src: str, to_path: str) -> str:
    """A relative link from the page built from ``from_src`` to a site path or Markdown source."""
    target, _, fragment = to_path.partition("#")
    start = posixpath.dirname(html_path(from_src)) or "."
    url = posixpath.relpath(html_path(target), start)
    return f"{url}#{fragment}" if fragment else url
