"""The renderers' cache of ticket texts as shown (MarkdownForms, HtmlForms), kept between runs.

Rendering one ticket text through richtext costs 10-20 microseconds, a page of a long history
shows tens of thousands of them, and published notes never change. So the renderers take a
ticket's texts from a MarkdownTexts or HtmlTexts, which renders each ticket once and remembers
the result, and the release-notes command and the portal keep them on disk between runs
(load/save): a warm run renders no text. The parsed notes stay plain data: nothing rendered is
stored on them.

Entries are keyed by the texts themselves (title, description, how-to-use), so a form can only
ever be what rendering that very text gives; the store is keyed on the code that renders
(cachefiles.code_version, Python's and Python-Markdown's versions), so other code never reads
it. On disk it is a chunked cache like the notes' (notecache.ChunkedCache): a run that rendered
new tickets writes only those.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import sys
from collections.abc import Callable
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import ClassVar, Generic, NamedTuple, TypeVar

from generator.cachefiles import code_version
from generator.cachekey import CacheKey
from generator.releasenotes import richtext
from generator.releasenotes.model import Ticket
from generator.releasenotes.notecache import ChunkedCache

CACHE_FORMAT = 1


class MarkdownForms(NamedTuple):
    """A ticket's texts as the Markdown renderer shows them: exactly what richtext gives."""

    title: str  # richtext.escape_inline(title)
    description: str  # richtext.markdown_of(description)
    how_to_use: str | None  # richtext.markdown_of(how_to_use); None without how-to-use


class HtmlForms(NamedTuple):
    """A ticket's texts as the HTML renderers show them (titles are autoescaped by Jinja)."""

    description: str  # richtext.html_of(description)
    how_to_use: str | None  # richtext.html_of(how_to_use); None without how-to-use


Forms = TypeVar("Forms", MarkdownForms, HtmlForms)
TicketTexts = tuple[str | None, ...]  # the texts a kind of forms is made from: the key


class TextsCache(ChunkedCache):
    suffix = ".texts"
    records = (HtmlForms, MarkdownForms)


class RenderedTexts(Generic[Forms]):
    """Ticket forms by the ticket's texts: rendered on first use, then remembered.

    One kind per output format (MarkdownTexts, HtmlTexts), kept apart on disk, so a run loads the
    forms of its format only.
    """

    kind: ClassVar[str]  # the store's name
    key: ClassVar[Callable[[Ticket], TicketTexts]]  # the ticket's texts its forms are made from

    def __init__(self, known: dict[TicketTexts, Forms] | None = None) -> None:
        self.known: dict[TicketTexts, Forms] = known if known is not None else {}
        self.new: dict[TicketTexts, Forms] = {}  # rendered by this object, not loaded
        self.store: ChunkedCache | None = None  # where load() found `known`, for save()

    def forms(self, ticket: Ticket) -> Forms:
        key = self.key(ticket)
        found = self.known.get(key)
        if found is None:
            found = self.known[key] = self.new[key] = self.render(ticket)
        return found

    def render(self, ticket: Ticket) -> Forms:
        raise NotImplementedError


class MarkdownTexts(RenderedTexts[MarkdownForms]):
    kind = "markdown"
    key = attrgetter("title", "description", "how_to_use")

    def render(self, ticket: Ticket) -> MarkdownForms:
        how_to_use = ticket.how_to_use
        return MarkdownForms(
            # escape_text is escape_inline without its cache, which titles (all different) would
            # flush.
            _same(richtext.escape_text(ticket.title), ticket.title),
            _same(richtext.markdown_of(ticket.description), ticket.description),
            _same(richtext.markdown_of(how_to_use), how_to_use) if how_to_use else None,
        )


class HtmlTexts(RenderedTexts[HtmlForms]):
    kind = "html"
    key = attrgetter("description", "how_to_use")  # titles are escaped by the templates

    def render(self, ticket: Ticket) -> HtmlForms:
        how_to_use = ticket.how_to_use
        return HtmlForms(
            richtext.html_of(ticket.description),
            richtext.html_of(how_to_use) if how_to_use else None,
        )


Texts = TypeVar("Texts", MarkdownTexts, HtmlTexts)


def load(cache_dir: Path, kind: type[Texts]) -> Texts:
    """The forms of `kind` kept in `cache_dir` for this code (none yet, or without sources)."""
    code = _code_digest()
    if not code:
        return kind()
    store = TextsCache(
        cache_dir / "rendered-texts", kind.kind, f"{CACHE_FORMAT}:{code}", CacheKey(cache_dir)
    )
    texts = kind(store.load())
    texts.store = store
    return texts


def save(texts: MarkdownTexts | HtmlTexts) -> None:
    """Add what `texts` rendered to the store it was loaded from (nothing new: no write).

    Never a reason to fail: a cache that cannot be written only costs time next run.
    """
    if texts.store is None or not texts.new:
        return
    with contextlib.suppress(OSError):
        # Every known entry counts as used: a filtered page needs fewer than the next full one.
        texts.store.save(texts.known, texts.new)
    texts.new = {}


def _same(form: str, text: str) -> str:
    # A form equal to its text is that very string, which the cache's pickle then stores once.
    return text if form == text else form


@cache
def _code_digest() -> str:
    # What a form depends on besides its text: this package's code, Python-Markdown's version and
    # Python's (html.escape, unicodedata). "" (no cache) without the package's sources.
    code = code_version()
    if not code:
        return ""
    digest = hashlib.sha256(f"{sys.version}\0{code}\0".encode())
    digest.update(_markdown_meta())
    return digest.hexdigest()


def _markdown_meta() -> bytes:
    # Python-Markdown's version file, read without importing the package (a warm run never needs
    # it); b"" when it is not where 3.x keeps it, which still leaves a stable key.
    spec = importlib.util.find_spec("markdown")
    if spec is None or not spec.submodule_search_locations:
        return b""
    meta = Path(next(iter(spec.submodule_search_locations))) / "__meta__.py"
    return meta.read_bytes() if meta.is_file() else b""
