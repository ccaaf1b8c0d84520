"""The only way WeasyPrint may load anything: files below the PDF template folder.

Repository text is escaped before it reaches HTML, so it cannot add an ``<img>`` or a stylesheet;
this fetcher is the second wall. It refuses every scheme but ``file:``, every path outside the
template folder (after resolving ``..`` and symlinks), and records each request so tests can prove
what was (not) fetched. A refused request stops the rendering: a template that asks for something
outside the bundle is a bug, and a hostile document must never render "mostly".
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

_TYPES = {".css": "text/css", ".ttf": "font/ttf", ".svg": "image/svg+xml", ".png": "image/png"}


class RefusedFetch(FatalURLFetchingError):
    """A URL outside the bundled template assets was requested."""


class BundledAssetFetcher(URLFetcher):
    def __init__(self, root: Path):
        super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True)
        self.root = root.resolve()
        self.requested: list[str] = []

    def _allowed_path(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedFetch(f"refused to fetch {url!r}: only bundled template assets")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise RefusedFetch(f"refused to fetch {url!r}: not a file below {self.root}")
        return path

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        self.requested.append(url)
        path = self._allowed_path(url)
        media_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": media_type or "text/plain"}
        )
