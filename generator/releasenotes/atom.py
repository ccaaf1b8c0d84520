"""A ReleaseView as an Atom feed (RFC 4287), so people can subscribe to an environment's releases.

One entry per version that reached the environment; upcoming versions are left out (their
content would change when they reach production, under the same id). Ids are URNs built from
names, never from time, and ``updated`` is the rollout's own timestamp: the same view always gives
the same bytes, and a feed reader sees an entry once.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from generator.releasenotes import richtext
from generator.releasenotes.join import ReleaseView, VersionEntry
from generator.releasenotes.render import ATTRIBUTION, facts, intro, render_entry_html, title
from generator.releasenotes.textforms import HtmlTexts
from generator.textcheck import code_points_shown

ATOM = "http://www.w3.org/2005/Atom"
_URN_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def feed_id(view: ReleaseView) -> str:
    """``urn:meshcomply:<installation>:<environment>``, plus the audiences when filtered.

    Feeds for different audiences hold different content, so their ids differ.
    """
    parts = ["urn:meshcomply", _urn_part(view.installation), _urn_part(view.environment)]
    if view.filtered:
        parts.append("for-" + "-".join(a.lower() for a in view.audiences))
    return ":".join(parts)


def entry_id(view: ReleaseView, entry: VersionEntry) -> str:
    """``urn:meshcomply:<installation>:<environment>:<version>`` (audiences as in feed_id)."""
    base = ["urn:meshcomply", _urn_part(view.installation), _urn_part(view.environment)]
    suffix = [f"for-{'-'.join(a.lower() for a in view.audiences)}"] if view.filtered else []
    return ":".join([*base, _urn_part(entry.version), *suffix])


def _urn_part(text: str) -> str:
    # Names and versions are already this safe when valid; anything else is percent-encoded.
    return _URN_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), text)


def rfc3339(timestamp: str) -> str:
    """An ISO 8601 timestamp as RFC 3339 (a missing offset is read as UTC)."""
    moment = dt.datetime.fromisoformat(timestamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.isoformat().replace("+00:00", "Z")


def render_atom(view: ReleaseView, texts: HtmlTexts | None = None) -> str:
    """The feed as an XML document (UTF-8 declared), newest entry first; ticket texts come from
    `texts` (rendered there when not known yet)."""
    texts = HtmlTexts() if texts is None else texts
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    entries = [e for e in view.versions if e.rollout is not None]
    updated = [rfc3339(e.rollout.date) for e in entries if e.rollout]
    _text(feed, "id", feed_id(view))
    _text(feed, "title", title(view))
    _text(feed, "subtitle", intro(view))
    # Without entries, the period's end is the newest moment the feed speaks for.
    _text(feed, "updated", max(updated, key=_instant) if updated else f"{view.period_to}T00:00:00Z")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "meshcloud (release notes), meshcomply (rollouts)")
    _text(feed, "rights", ATTRIBUTION)
    _text(feed, "generator", "meshcomply")
    for entry in entries:
        item = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(item, "id", entry_id(view, entry))
        _text(item, "title", f"meshStack {entry.version} in {view.environment}")
        _text(item, "updated", rfc3339(entry.rollout.date))
        summary = "; ".join(f"{label}: {text}" for label, text, _ in facts(entry))
        _text(item, "summary", summary)
        # HTML as text: a character that would act is shown as its code point in the HTML.
        entry_html = code_points_shown(render_entry_html(view, entry, texts))
        content = _text(item, "content", entry_html)
        content.set("type", "html")
    ET.indent(feed)
    body = ET.tostring(feed, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"


def _instant(timestamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    # Control characters are not allowed in XML at all; escaping cannot save them. So each is
    # text, its code point (<U+001B>), as on the portal's pages; ElementTree escapes the "<".
    element.text = richtext.shown(text)
    return element
