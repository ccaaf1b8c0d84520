"""Release-note pages of the portal: each installation's rollouts joined with meshcloud's notes.

One page and one Atom feed per pack and environment, when the build has a release-notes folder
(`release_notes:` in meshcomply.yml). The join and the escaping are generator.releasenotes':
the page embeds its HTML fragment as a block, so no note text ever passes through Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from generator.cachefiles import default_cache_dir
from generator.releasenotes import textforms
from generator.releasenotes.atom import render_atom
from generator.releasenotes.render import release_notes_css, render_html_fragment
from generator.render.portal.views import PackView

CSS_PATH = "assets/portal/release-notes.css"


@dataclass(frozen=True)
class ReleasePage:
    environment: str
    src: str  # the page's Markdown source in the docs folder
    feed: str  # its Atom feed, beside it
    html: Markup  # the escaped fragment from generator.releasenotes.render
    atom: str

    @property
    def title(self) -> str:
        return f"Release notes: {self.environment}"

    @property
    def feed_name(self) -> str:
        return self.feed.rsplit("/", 1)[-1]


def release_pages(views: list[PackView]) -> dict[str, list[ReleasePage]]:
    """Pages by pack folder (``PackView.base``), one per release view the build joined."""
    if not any(view.release_views for view in views):
        return {}
    texts = textforms.load(default_cache_dir(), textforms.HtmlTexts)  # as in earlier builds
    pages: dict[str, list[ReleasePage]] = {}
    for view in views:
        for release in view.release_views:
            name = release.environment
            pages.setdefault(view.base, []).append(
                ReleasePage(
                    environment=name,
                    src=view.src(f"release-notes/{name}.md"),
                    feed=view.src(f"release-notes/{name}.xml"),
                    html=Markup(render_html_fragment(release, texts)),
                    atom=render_atom(release, texts),
                )
            )
    textforms.save(texts)
    return pages


# Material styles h5 as small grey capitals (fine for the audience labels above them); ticket
# titles are headings people scan, so they keep their case and the text colour in the portal.
_PORTAL_OVERRIDES = """
.md-typeset .mc-release-notes h5 {
  text-transform: none;
  color: var(--md-typeset-color);
  font-size: 0.9rem;
  font-weight: 700;
  margin: 1.2em 0 0.4em;
}
"""


def stylesheet() -> str:
    return release_notes_css() + _PORTAL_OVERRIDES
