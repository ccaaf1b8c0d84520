"""The Atom feed: valid XML, stable ids, rollout dates as `updated`, same bytes on every render."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from releasenotes_files import load_quietly
from releasenotes_models import ModelBuilder

from generator.releasenotes import ReleaseNote
from generator.releasenotes.atom import render_atom
from generator.releasenotes.join import release_view
from generator.testing import HOSTILE_TEXTS

A = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def notes() -> list[ReleaseNote]:
    return load_quietly()


def model(subject: str = "Rotate IdP secret") -> ModelBuilder:
    built = ModelBuilder(period=("2025-10-01", "2025-12-31"))
    built.rollout("2025.45.0", "2025-10-14T09:00:00+02:00", "2025-10-16T09:00:00+02:00")
    built.rollout("2025.50.0", "2025-12-03T09:00:00+01:00", "2025-12-05T15:30:00+01:00")
    built.rollout("2025.55.0", "2025-12-17T09:00:00+01:00", "2025-12-19T11:00:00Z")
    built.rollout("2025.56.0", "2025-12-22T09:00:00+01:00")  # upcoming: not in the feed
    built.change(subject, "2025-12-20T10:00:00+01:00")
    return built


def test_feed_is_valid_atom_with_stable_ids_and_rollout_dates(notes):
    feed_text = render_atom(release_view(model().build(), notes, "production"))
    feed = ET.fromstring(feed_text.encode("utf-8"))

    assert feed.tag == f"{A}feed"
    assert feed.findtext(f"{A}id") == "urn:meshcomply:acme:production"
    assert feed.findtext(f"{A}updated") == "2025-12-19T11:00:00Z"  # the newest rollout
    assert feed.find(f"{A}author/{A}name").text
    entries = feed.findall(f"{A}entry")
    assert [e.findtext(f"{A}id") for e in entries] == [
        "urn:meshcomply:acme:production:2025.55.0",
        "urn:meshcomply:acme:production:2025.50.0",
        "urn:meshcomply:acme:production:2025.45.0",
    ]
    assert [e.findtext(f"{A}updated") for e in entries] == [
        "2025-12-19T11:00:00Z",
        "2025-12-05T15:30:00+01:00",
        "2025-10-16T09:00:00+02:00",
    ]
    newest = entries[0]
    assert newest.findtext(f"{A}title") == "meshStack 2025.55.0 in production"
    content = newest.find(f"{A}content")
    assert content.get("type") == "html"
    assert "Mandatory Building Blocks via API" in content.text  # a 2025.55.0 ticket
    assert "included in the jump to 2025.55.0" in content.text
    assert "Rotate IdP secret" in content.text
    assert "Jump: from 2025.50.0, includes 2025.54.0" in newest.findtext(f"{A}summary")
    assert "CC BY 4.0" in feed.findtext(f"{A}rights")


def test_same_history_same_bytes_and_ids_survive_new_rollouts(notes):
    first = render_atom(release_view(model().build(), notes, "production"))
    again = render_atom(release_view(model().build(), notes, "production"))
    assert first == again

    later = model()
    later.rollout("2025.56.1", "2025-12-23T09:00:00+01:00", "2025-12-29T09:00:00+01:00")
    grown = ET.fromstring(render_atom(release_view(later.build(), notes, "production")))
    ids = [e.findtext(f"{A}id") for e in grown.findall(f"{A}entry")]
    assert ids[0] == "urn:meshcomply:acme:production:2025.56.1"
    old = ET.fromstring(first)
    assert ids[1:] == [e.findtext(f"{A}id") for e in old.findall(f"{A}entry")]


def test_feeds_for_an_audience_have_their_own_ids(notes):
    view = release_view(model().build(), notes, "production", audiences={"Partner", "User"})
    feed = ET.fromstring(render_atom(view))
    assert feed.findtext(f"{A}id") == "urn:meshcomply:acme:production:for-user-partner"
    assert feed.find(f"{A}entry").findtext(f"{A}id") == (
        "urn:meshcomply:acme:production:2025.55.0:for-user-partner"
    )


def test_hostile_and_control_characters_still_give_valid_xml(notes):
    subject = "\x00\x01\x0b\x1b[31m\ufffe\ud800 " + " ".join(HOSTILE_TEXTS)
    built = model(subject=subject)
    built.installation = "acme:evil/../x"
    feed_text = render_atom(release_view(built.build(), notes, "production"))
    feed = ET.fromstring(feed_text.encode("utf-8"))
    assert feed.findtext(f"{A}id") == "urn:meshcomply:acme%3Aevil%2F..%2Fx:production"
    content = feed.find(f"{A}entry").find(f"{A}content").text
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in content
    assert "<script" not in content and "\x1b" not in content and "\ufffe" not in content


def test_an_empty_feed_is_dated_by_its_period(notes):
    empty = ModelBuilder(period=("2024-01-01", "2024-01-31"))
    feed = ET.fromstring(render_atom(release_view(empty.build(), notes, "production")))
    assert feed.findtext(f"{A}updated") == "2024-01-31T00:00:00Z"
    assert feed.findall(f"{A}entry") == []
