"""The release promotion timeline: one module's semantics, drawn by the portal and the PDF."""

from __future__ import annotations

import copy
import dataclasses
import itertools
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from test_portal_support import write_pack

from generator.evidence.model import EventRecord, PeriodRange, PromotionRecord
from generator.render import timeline
from generator.render.pdf import html as pdf_html
from generator.render.pdf.settings import PdfSettings
from generator.render.pdf.timeline_look import PDF
from generator.render.pdf.view import document_view
from generator.render.portal import builtin_templates, pack_views
from generator.render.portal.blocks import make_environment, render_page
from generator.render.portal.pages import page_specs
from generator.render.portal.timeline_look import PORTAL
from generator.render.timeline import Kind
from generator.testing import synthetic_evidence

PERIOD = PeriodRange("2026-01-01", "2026-06-30")
HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>&amp;'
ROLES = sorted(PORTAL.paint.keys() | PDF.paint.keys())
# Every role marked by name, so a test reads which role each element was drawn as.
NAMED = dataclasses.replace(PORTAL, paint={r: f'data-role="{r}"' for r in ROLES})


def _event(date: str | None) -> EventRecord | None:
    return None if date is None else EventRecord("a" * 40, date)


def _promotion(version: str, staged: str | None, produced: str | None) -> PromotionRecord:
    return PromotionRecord(version, _event(staged), _event(produced), None, ())


@dataclasses.dataclass
class _Timed:
    """What the timeline reads of a model: its period and promotions."""

    period: PeriodRange
    promotions: tuple[PromotionRecord, ...]


def _model(*promotions: PromotionRecord) -> _Timed:
    return _Timed(PERIOD, promotions)


def charts(model: Any, look: timeline.Look) -> list:
    return timeline.charts(model.promotions, model.period, look)


EVERY_CASE = _model(
    _promotion("1.0", "2026-01-05T10:00:00+01:00", "2026-01-09T10:00:00+00:00"),
    _promotion("1.1", "2026-02-05T10:00:00+00:00", None),
    _promotion("1.2", None, "2026-03-05T10:00:00+00:00"),
    _promotion("1.3", "2026-04-05T10:00:00+00:00", "2026-04-01T10:00:00+00:00"),
    _promotion("1.4", "not a date", None),
)


class _Svg(HTMLParser):
    """Elements in document order as (tag, attributes, enclosing row index) and all text."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str], int | None]] = []
        self.text: list[str] = []
        self._row: int | None = None
        self._rows = -1
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "g":
            self._rows += 1
            self._row = self._rows
        self.elements.append((tag, attributes, self._row))

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.elements.append((tag, dict(attrs), self._row))

    def handle_endtag(self, tag: str) -> None:
        if tag == "g":
            self._row = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def row(self, index: int) -> list[tuple[str, dict[str, str]]]:
        return [(t, a) for t, a, r in self.elements if r == index and t not in ("g", "title")]

    def roles(self, index: int) -> list[str]:
        return [a["data-role"] for _, a in self.row(index) if a.get("data-role") != "label"]


def _named(model: Any) -> _Svg:
    (chart,) = charts(model, NAMED)
    return _Svg(chart)


def test_each_promotion_gets_its_kind_and_its_facts_in_words() -> None:
    rows = timeline.timeline(EVERY_CASE.promotions, EVERY_CASE.period).rows
    assert [r.kind for r in rows] == [
        Kind.PROMOTED,
        Kind.OPEN,
        Kind.UNSTAGED,
        Kind.PRODUCTION_FIRST,
        Kind.UNDATED,
    ]
    # Offsets are read and shown as UTC; the time on staging comes from the dates.
    assert rows[0].note == (
        "1.0: staging 2026-01-05 09:00 UTC, production 2026-01-09 10:00 UTC, 97.0 h on staging"
    )
    assert rows[2].note.endswith(
        "no staging, production 2026-03-05 10:00 UTC, production without prior staging"
    )
    assert rows[3].note.endswith("production before staging")
    assert rows[4].note == "1.4: staging date unreadable, not in production"


def test_each_kind_gets_its_marks() -> None:
    svg = _named(EVERY_CASE)
    assert svg.roles(0) == ["bar", "staging", "production"]
    assert svg.roles(1) == ["bar-open", "staging"]
    assert svg.roles(2) == ["unstaged"]  # production without any staging
    assert svg.roles(3) == ["staging", "unstaged"]  # production before staging: no bar
    assert svg.roles(4) == ["tick"] and "no readable date" in svg.text
    legend = [a["data-role"] for t, a, r in svg.elements if r is None and t != "svg"]
    assert {"staging", "production", "unstaged", "bar", "bar-open", "beyond"} <= set(legend)
    assert "production without prior staging" in svg.text


def test_axis_is_the_period_with_month_ticks() -> None:
    svg = _named(EVERY_CASE)
    ticks = [a for t, a, r in svg.elements if a.get("data-role") == "grid"]
    assert [svg_text for svg_text in svg.text if svg_text.startswith("2026-")] == [
        f"2026-0{m}" for m in range(1, 7)
    ]
    left, right = NAMED.plot()
    assert float(ticks[0]["x1"]) == left  # January 1st is the period's start
    (open_bar,) = [a for _, a in svg.row(1) if a["data-role"] == "bar-open"]
    assert float(open_bar["x2"]) == right  # the open bar runs to the end of the period
    (bar,) = [a for _, a in svg.row(0) if a["data-role"] == "bar"]
    assert left < float(bar["x1"]) < float(bar["x2"]) < float(ticks[1]["x1"])  # in January


def test_without_a_readable_period_the_axis_spans_the_dates() -> None:
    model = _model(
        _promotion("1.0", "2026-02-05T10:00:00+00:00", "2026-03-20T10:00:00+00:00"),
        _promotion("1.1", "2026-03-25T10:00:00+00:00", None),
    )
    model.period = PeriodRange("garbage", "")
    svg = _named(model)
    assert [t for t in svg.text if t.startswith("2026-")] == ["2026-03"]  # Feb 5 to Mar 25
    assert svg.roles(0) == ["bar", "staging", "production"]  # inside: no chevrons
    (open_bar,) = [a for _, a in svg.row(1) if a["data-role"] == "bar-open"]
    assert float(open_bar["x2"]) == NAMED.plot()[1]


def test_long_periods_label_fewer_months_so_labels_never_collide() -> None:
    model = _model(_promotion("1.0", "2026-03-01T00:00:00+00:00", None))
    model.period = PeriodRange("2024-01-01", "2027-12-31")
    look = dataclasses.replace(PDF, paint=NAMED.paint)
    svg = _Svg(charts(model, look)[0])
    grid = [a for _, a, _ in svg.elements if a.get("data-role") == "grid"]
    labels = [
        float(a["x"]) for _, a, r in svg.elements if a.get("data-role") == "tick" and r is None
    ]
    assert len(grid) == 48 and 4 <= len(labels) < 48
    label_width = len("2026-01") * look.font_size * 0.6
    assert min(b - a for a, b in itertools.pairwise(labels)) > label_width


def test_dates_outside_the_period_are_chevrons_at_its_edges() -> None:
    model = _model(
        _promotion("0.9", "2025-12-20T10:00:00+00:00", "2026-07-03T10:00:00+00:00"),
        _promotion("0.8", "2026-06-30T10:00:00+00:00", "2026-07-01T00:00:00+00:00"),
        _promotion("0.7", "2026-02-01T00:00:00+00:00", "2025-12-31T23:59:59+00:00"),
    )
    svg = _named(model)
    left, right = NAMED.plot()
    assert svg.roles(0) == ["bar", "beyond", "beyond"]
    bar, before, after = (a for _, a in svg.row(0) if a["data-role"] != "label")
    assert (float(bar["x1"]), float(bar["x2"])) == (left, right)
    # Chevrons sit beside the plot, pointing out of it, never over a moment inside the period.
    before_tip, after_tip = (float(a["d"].split("L")[1].split()[0]) for a in (before, after))
    assert NAMED.label_width < before_tip < left and right < after_tip < NAMED.width
    # The period's last second is inside, its end (July 1st, 00:00) is not.
    assert svg.roles(1) == ["bar", "staging", "beyond"]
    # Production before staging and before the period: still marked as a finding.
    assert svg.roles(2) == ["staging", "beyond-unstaged"]


def test_missing_and_unreadable_dates_draw_the_same() -> None:
    missing = _model(_promotion("1.0", None, "2026-03-05T10:00:00+00:00"))
    unreadable = _model(_promotion("1.0", "<b>tomorrow</b>", "2026-03-05T10:00:00+00:00"))
    strip = [(t, a) for t, a, r in _named(missing).elements if t != "title"]
    assert strip == [(t, a) for t, a, r in _named(unreadable).elements if t != "title"]
    assert "tomorrow" not in charts(unreadable, NAMED)[0]


def test_hostile_strings_are_escaped_and_the_svg_is_inert() -> None:
    model = _model(
        _promotion(HOSTILE, "2026-01-05T10:00:00+00:00", None),
        _promotion("&" * 40, None, '"><script>x</script>'),
    )
    model.period = PeriodRange(PERIOD.start, "<script>")
    for look in (PORTAL, PDF):
        (markup,) = charts(model, look)
        svg = _Svg(markup)
        assert {t for t, _, _ in svg.elements} <= {
            "svg",
            "g",
            "title",
            "text",
            "line",
            "rect",
            "circle",
            "path",
        }
        attributes = [name for _, attrs, _ in svg.elements for name in attrs]
        assert not [n for n in attributes if n.startswith("on") or n in ("href", "src", "style")]
        assert "<script" not in markup and "<img" not in markup and "url(" not in markup
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img" in markup
        assert "&amp;amp;" in markup  # an entity in the model stays those characters
        assert any(HOSTILE in t for t in svg.text)  # the whole version in the tooltip
        # The label is shortened before escaping, so no entity is ever cut in half.
        labels = [a for t, a, _ in svg.elements if t == "text" and a.get("text-anchor") == "end"]
        assert len(labels) == 2
        assert "&amp;&amp;…</text>" in markup and "&am…" not in markup


def test_same_model_same_bytes() -> None:
    model = synthetic_evidence("acme", changes=10)
    for look in (PORTAL, PDF):
        first = charts(model, look)
        again = charts(copy.deepcopy(model), look)
        assert first == again and len(first) == 1


def test_pdf_charts_hold_45_rows_each_and_the_portal_one_chart() -> None:
    model = synthetic_evidence("acme", changes=10)
    model = dataclasses.replace(model, promotions=model.promotions * 4)  # 100 rows
    pdf = [_Svg(c) for c in charts(model, PDF)]
    assert [len({r for _, _, r in s.elements if r is not None}) for s in pdf] == [45, 45, 10]
    assert (
        pdf[1]
        .elements[0][1]["aria-label"]
        .startswith("Release promotion timeline, versions 46 to 90 of 100")
    )
    # Zebra bands follow the row number: row 46 (index 45) is odd, so the second chart starts
    # with a band where the first did not.
    bands = [[float(a["y"]) for t, a, _ in s.elements if t == "rect"] for s in pdf]
    assert bands[0][0] > bands[1][0]
    assert len(charts(model, PORTAL)) == 1


def test_no_promotions_no_chart() -> None:
    assert charts(_model(), PORTAL) == []
    assert timeline.charts((), PERIOD, PDF) == []


def test_portal_and_pdf_draw_the_same_shapes() -> None:
    portal, pdf = (_Svg(charts(EVERY_CASE, look)[0]) for look in (PORTAL, PDF))
    assert [(t, r) for t, _, r in portal.elements] == [(t, r) for t, _, r in pdf.elements]
    assert portal.text == pdf.text
    # The portal marks by class (its CSS colours them), the PDF inline, never the other way.
    assert all(
        "class" in a and "fill" not in a for t, a, _ in portal.elements if t not in ("g", "title")
    )
    assert all(
        "fill" in a or "stroke" in a for t, a, _ in pdf.elements if t not in ("svg", "g", "title")
    )


def test_portal_page_embeds_the_chart(tmp_path: Path) -> None:
    model = synthetic_evidence("acme", changes=10)
    promotions = list(model.promotions)
    promotions[3] = dataclasses.replace(promotions[3], staging=None)
    model = dataclasses.replace(model, promotions=tuple(promotions))
    empty = dataclasses.replace(synthetic_evidence("globex", changes=10), promotions=())
    packs = [write_pack(tmp_path, model), write_pack(tmp_path, empty)]
    env = make_environment([builtin_templates()])
    site = {"name": "x", "logo": None, "primary": "indigo", "accent": "indigo"}
    site |= {"max_failure_rows": 500, "max_cited": 500, "max_deviation_rows": 500}  # defaults
    pages = {}
    for spec in page_specs(pack_views(packs), site):
        if spec.template.endswith("releases.md.j2"):
            pages[spec.src.split("/")[0]] = "".join(
                render_page(env, spec.template, spec.src, spec.context)[1]
            )
    assert pages["acme"].count('<figure class="mc-figure"><svg') == 1
    assert (
        pages["acme"].count('class="mc-tl-production mc-tl-production--unstaged"') == 2
    )  # + legend
    assert (
        "mc-timeline" not in pages["globex"] and "No promotions in this period." in pages["globex"]
    )


@pytest.mark.parametrize("promotions", [True, False])
def test_pdf_section_embeds_the_charts(promotions: bool) -> None:
    model = synthetic_evidence("acme", changes=10)
    chosen = (model.promotions * 2)[:50] if promotions else ()
    model = dataclasses.replace(model, promotions=chosen)
    view = document_view(model, PdfSettings(), "2026-07-01", "0" * 64)
    context = pdf_html.template_context(view)
    html = pdf_html._render(pdf_html.environment(), "sections/timeline.html.j2", context)
    assert html.count('<svg class="timeline" font-size="8" xmlns="http://www.w3.org/2000/svg"') == (
        2 if promotions else 0
    )
    assert ("No releases were rolled out in the period." in html) is not promotions
