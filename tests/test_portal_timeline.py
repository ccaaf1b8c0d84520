"""The release promotion timeline: an inert SVG drawn from the model at build time."""

from __future__ import annotations

from html.parser import HTMLParser

from generator.render.portal.timeline import timeline_svg
from generator.testing import synthetic_evidence


class _Svg(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_one_row_per_version_with_staging_and_production_marks() -> None:
    model = synthetic_evidence("acme", changes=10)
    svg = _Svg(timeline_svg(model))
    rows = [a for tag, a in svg.tags if tag == "g" and a.get("class") == "mc-tl-row"]
    assert len(rows) == len(model["promotions"]) == 25
    staging = [a for tag, a in svg.tags if a.get("class") == "mc-tl-staging"]
    assert len(staging) == 25 + 1  # one per version and the legend's
    assert "2026.1.0" in svg.text and "2026-03" in svg.text  # version labels and month ticks


def test_unpromoted_version_gets_an_open_bar_to_the_period_end() -> None:
    model = synthetic_evidence("acme", changes=10)
    model["promotions"] = model["promotions"][:2]
    model["promotions"][1]["production"] = None
    model["promotions"][1]["staging_hours"] = None
    svg = _Svg(timeline_svg(model))
    open_bars = [a for tag, a in svg.tags if a.get("class") == "mc-tl-bar mc-tl-bar--open"]
    assert len(open_bars) == 1 + 1  # the version and the legend
    assert float(open_bars[0]["x2"]) == 960 - 24  # the right edge: the end of the period
    assert any("not in production" in t for t in svg.text)


def test_hostile_version_names_stay_text_and_no_promotions_say_so() -> None:
    model = synthetic_evidence("acme", changes=10)
    model["promotions"] = model["promotions"][:1]
    model["promotions"][0]["version"] = '<script>alert(1)</script>"><img onerror=x>'
    markup = timeline_svg(model)
    svg = _Svg(markup)
    assert {tag for tag, _ in svg.tags} <= {
        "svg",
        "title",
        "line",
        "text",
        "g",
        "rect",
        "circle",
        "path",
    }
    assert not any(name.startswith("on") for _, attrs in svg.tags for name in attrs)
    assert "&lt;script&gt;" in markup
    model["promotions"] = []
    assert "No promotions in this period." in timeline_svg(model)
