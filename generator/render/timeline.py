"""The release promotion timeline: one chart, drawn as inline SVG, for every renderer.

This module decides what the chart says: how dates are read, the axis and its month ticks, where
each row's marks go and which marks a version gets. A renderer only supplies a `Look` (sizes, the
presentation attributes of each drawn role, rows per chart), so the portal and the PDF always
state the same facts.

The axis is the audit period, so charts of different packs compare. A moment outside it is a
chevron beside the axis, pointing out; its date is in the tooltip and the table beside the chart.
A missing date and an unreadable one are treated alike: that mark is left out.

Versions and dates come from repositories: every model string reaching the SVG passes through
`escape`. The SVG holds only shapes, text and titles (no script, link, `<style>` or external
reference), and the same model gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from html import escape
from typing import Any

from markupsafe import Markup

from generator.evidence.model import EventRecord, PeriodRange, PromotionRecord
from generator.numberwords import count_text
from generator.timewords import utc

_DAY = dt.timedelta(days=1)
_X = Callable[[dt.datetime], float]  # a moment's x coordinate
# Text is laid out without measuring a font: 0.56 em a glyph is DejaVu Sans' average (the PDF's
# font; browsers' sans-serif fonts are narrower), so estimated text never overlaps.
_GLYPH = 0.56


class Kind(StrEnum):
    PROMOTED = "promoted"  # staging, then production: a bar for the time on staging
    OPEN = "open"  # staging only: an open bar to the period end
    UNSTAGED = "unstaged"  # production with no staging at all
    PRODUCTION_FIRST = "production-first"  # production before the version reached staging
    UNDATED = "undated"  # neither date readable


# Versions in production without having been on staging first share one warning marker.
_WITHOUT_STAGING = (Kind.UNSTAGED, Kind.PRODUCTION_FIRST)


@dataclass(frozen=True)
class Row:
    version: str  # as in the model, unescaped
    staged: dt.datetime | None  # UTC
    produced: dt.datetime | None  # UTC
    kind: Kind
    note: str  # the row's facts in words, unescaped (the tooltip)


@dataclass(frozen=True)
class Scale:
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime  # UTC, exclusive

    def fraction(self, moment: dt.datetime) -> float:
        """Where a moment lies on the axis, 0 to 1; outside moments are clamped to the edge."""
        span = (self.end - self.start).total_seconds()
        return min(max((moment - self.start).total_seconds() / span, 0.0), 1.0)

    def side(self, moment: dt.datetime) -> int:
        return -1 if moment < self.start else 1 if moment >= self.end else 0

    def months(self) -> list[dt.datetime]:
        month = dt.datetime(self.start.year, self.start.month, 1, tzinfo=dt.UTC)
        found = []
        while month < self.end:
            if month >= self.start:
                found.append(month)
            month = dt.datetime(
                month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=dt.UTC
            )
        return found


@dataclass(frozen=True)
class Timeline:
    scale: Scale | None  # None only when neither the period nor any date can be read
    rows: tuple[Row, ...]


def _moment(text: Any) -> dt.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return utc(text)
    except ValueError:  # shown as unreadable, not a reason to fail the page
        return None


def _day(text: Any) -> dt.datetime | None:
    try:
        day = dt.date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return None if day is None else dt.datetime.combine(day, dt.time(), dt.UTC)


def _event(event: EventRecord | None, environment: str) -> tuple[dt.datetime | None, str]:
    if event is None or not event.date:
        return None, "no staging" if environment == "staging" else "not in production"
    moment = _moment(event.date)
    if moment is None:
        return None, f"{environment} date unreadable"
    return moment, f"{environment} {moment:%Y-%m-%d %H:%M} UTC"


def _row(promotion: PromotionRecord) -> Row:
    version = promotion.version
    staged, staged_note = _event(promotion.staging, "staging")
    produced, produced_note = _event(promotion.production, "production")
    notes = [staged_note, produced_note]
    if staged and produced and produced >= staged:
        kind = Kind.PROMOTED
        # From the dates, not the model's staging_hours: the tooltip must match the bar.
        notes.append(f"{(produced - staged).total_seconds() / 3600:.1f} h on staging")
    elif staged and produced:
        kind = Kind.PRODUCTION_FIRST
        notes.append("production before staging")
    elif staged:
        kind = Kind.OPEN
    elif produced:
        kind = Kind.UNSTAGED
        notes.append("production without prior staging")
    else:
        kind = Kind.UNDATED
    return Row(version, staged, produced, kind, f"{version}: {', '.join(notes)}")


def timeline(promotions: Sequence[PromotionRecord], period: PeriodRange) -> Timeline:
    """The rows in the model's promotion order, and the axis: the audit period."""
    rows = tuple(_row(p) for p in promotions)
    start, last = _day(period.start), _day(period.end)
    # A model without a readable period still gets an axis: the days its dates cover.
    moments = [m for r in rows for m in (r.staged, r.produced) if m]
    days = sorted(dt.datetime.combine(m.date(), dt.time(), dt.UTC) for m in moments)
    start, last = start or (days[0] if days else None), last or (days[-1] if days else None)
    if start is None or last is None:
        return Timeline(None, rows)
    return Timeline(Scale(start, max(last, start) + _DAY), rows)


@dataclass(frozen=True)
class Look:
    """A renderer's presentation of the chart.

    ``paint`` maps each drawn role to its presentation attributes, written into the element as
    they are (they come from code, never from the model): ``svg``, ``row``, ``band``, ``grid``,
    ``tick``, ``label``, ``bar``, ``bar-open``, ``staging``, ``production``, ``unstaged``,
    ``beyond``, ``beyond-unstaged``, ``legend``. A missing role draws without attributes.
    """

    paint: Mapping[str, str]
    width: float
    label_width: float  # the version labels' column
    row_height: float
    font_size: float  # of ticks and legend, to lay them out
    label_size: float  # of the version labels, to shorten long ones
    marker: float  # half the size of a marker
    rows_per_chart: int | None = None  # None: every row in one chart
    right_pad: float = 16.0  # at least two markers wide, like the gap after the labels

    def plot(self) -> tuple[float, float]:
        """The x of the period's start and end. The room left and right of them holds the
        chevrons of moments outside the period, so those never cover a marker inside it."""
        return self.label_width + 2 * self.marker, self.width - self.right_pad


def _n(value: float) -> str:
    # One decimal is finer than any screen or print and keeps the output byte-stable.
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _open(look: Look, name: str, role: str, attrs: str) -> str:
    return "<" + " ".join(part for part in (name, look.paint.get(role, ""), attrs) if part)


def _tag(look: Look, name: str, role: str, attrs: str, body: str | None = None) -> str:
    head = _open(look, name, role, attrs)
    return f"{head}/>" if body is None else f"{head}>{body}</{name}>"


def _line(look: Look, role: str, x1: float, x2: float, y1: float, y2: float) -> str:
    return _tag(look, "line", role, f'x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}"')


def _text(look: Look, role: str, x: float, y: float, text: str, extra: str = "") -> str:
    attrs = f'x="{_n(x)}" y="{_n(y)}"' + (f" {extra}" if extra else "")
    return _tag(look, "text", role, attrs, escape(text))


def _marker(look: Look, role: str, x: float, y: float) -> str:
    m = look.marker
    if role == "staging":
        return _tag(look, "circle", role, f'cx="{_n(x)}" cy="{_n(y)}" r="{_n(m * 0.85)}"')
    if role == "production":
        d = f"M{_n(x)} {_n(y - m)}L{_n(x + m)} {_n(y)}L{_n(x)} {_n(y + m)}L{_n(x - m)} {_n(y)}Z"
    elif role == "unstaged":  # a warning triangle: told apart by its shape, not colour alone
        top, base, half = y - m * 1.15, y + m * 0.85, m * 1.2
        d = f"M{_n(x)} {_n(top)}L{_n(x + half)} {_n(base)}L{_n(x - half)} {_n(base)}Z"
    else:  # beyond-...-left/right: a chevron just outside the period's edge x, pointing out
        role, side = role.rsplit("-", 1)
        out = -1 if side == "left" else 1
        tip, arms = x + out * m * 1.5, x + out * m * 0.5
        d = f"M{_n(arms)} {_n(y - m)}L{_n(tip)} {_n(y)}L{_n(arms)} {_n(y + m)}"
    return _tag(look, "path", role, f'd="{d}"')


def _width(text: str, size: float) -> float:
    return len(text) * size * _GLYPH


def _short(look: Look, version: str) -> str:
    fits = max(int((look.label_width - look.font_size) / (look.label_size * _GLYPH)), 4)
    return version if len(version) <= fits else version[: fits - 1] + "…"


def _ticks(look: Look, scale: Scale, x: _X) -> Iterator[tuple[float, str | None]]:
    months = scale.months()
    if not months:  # a period within one month: its first day marks the axis
        yield x(scale.start), f"{scale.start:%Y-%m-%d}"
        return
    # Label every month, or every 2nd, 3rd, ..., so that long periods keep readable labels.
    days = (scale.end - scale.start).total_seconds() / 86400
    month_width = (x(scale.end) - x(scale.start)) * 30.44 / days
    room = _width("2026-00", look.font_size) + look.font_size
    step = next((s for s in (1, 2, 3, 6, 12) if s * month_width >= room), 24)
    for month in months:
        labelled = (month.year * 12 + month.month - 1) % step == 0
        yield x(month), f"{month:%Y-%m}" if labelled else None


_LEGEND = (
    ("staging", "reached staging"),
    ("bar", "on staging until production"),
    ("production", "promoted to production"),
    ("unstaged", "production without prior staging"),
    ("bar-open", "not promoted to production"),
    ("beyond-right", "date outside the period"),
)


def _legend(look: Look, top: float) -> tuple[list[str], float]:
    """The legend in a grid of as many columns as fit under the plot; its elements and height."""
    m, size = look.marker, look.font_size
    swatch, gap, line = m * 5, size * 0.5, size * 1.9
    start, end = look.plot()
    room = end - start
    widest = max(swatch + gap + _width(text, size) for _, text in _LEGEND) + size * 1.5
    columns = max(1, min(len(_LEGEND), int(room // widest)))
    parts: list[str] = []
    for index, (role, text) in enumerate(_LEGEND):
        x = start + room / columns * (index % columns)
        y = top + line * (index // columns + 0.5)
        if role.startswith("bar"):
            parts.append(_line(look, role, x + m, x + swatch - m, y, y))
        else:  # a chevron is drawn beside its x: shifted back to the swatch's middle
            middle = x + swatch / 2 - (m if role.startswith("beyond") else 0)
            parts.append(_marker(look, role, middle, y))
        parts.append(_text(look, "legend", x + swatch + gap, y + size * 0.35, text))
    return parts, line * -(-len(_LEGEND) // columns)


def _marks(look: Look, row: Row, scale: Scale | None, x: _X, y: float) -> list[str]:
    if row.kind is Kind.UNDATED or scale is None:  # no scale: no row has a readable date
        return [_text(look, "tick", look.plot()[0], y + look.font_size * 0.35, "no readable date")]
    parts = []
    if row.kind is Kind.PROMOTED and row.staged and row.produced:
        parts.append(_line(look, "bar", x(row.staged), x(row.produced), y, y))
    elif row.kind is Kind.OPEN and row.staged:
        parts.append(_line(look, "bar-open", x(row.staged), x(scale.end), y, y))
    produced = "unstaged" if row.kind in _WITHOUT_STAGING else "production"
    for moment, role in ((row.staged, "staging"), (row.produced, produced)):
        if moment is None:
            continue
        side = scale.side(moment)
        if side:
            beyond = "beyond-unstaged" if role == "unstaged" else "beyond"
            edge, end = (scale.start, "left") if side < 0 else (scale.end, "right")
            parts.append(_marker(look, f"{beyond}-{end}", x(edge), y))
        else:
            parts.append(_marker(look, role, x(moment), y))
    return parts


def _chart(look: Look, scale: Scale | None, rows: Sequence[Row], first: int, total: int) -> str:
    size, h = look.font_size, look.row_height
    top = size * 2.4
    rows_end = top + h * len(rows)
    left, right = look.plot()
    plot = right - left

    def x(moment: dt.datetime) -> float:
        return left + plot * (scale.fraction(moment) if scale else 0.0)

    legend, legend_height = _legend(look, rows_end + size * 0.6)
    height = rows_end + size * 0.6 + legend_height
    shown = f"{count_text(total)} versions"
    if len(rows) < total:
        shown = (
            f"versions {count_text(first + 1)} to {count_text(first + len(rows))} "
            f"of {count_text(total)}"
        )
    size_attrs = f'width="{_n(look.width)}" height="{_n(height)}"'
    attrs = (
        f'xmlns="http://www.w3.org/2000/svg" {size_attrs} viewBox="0 0 {_n(look.width)} '
        f'{_n(height)}" role="img" aria-label="Release promotion timeline, {shown}"'
    )
    parts = [_open(look, "svg", "svg", attrs) + ">"]
    for index in range(len(rows)):
        if (first + index) % 2:  # by row number, so the bands run on across charts
            band = f'x="0" y="{_n(top + h * index)}" width="{_n(look.width)}" height="{_n(h)}"'
            parts.append(_tag(look, "rect", "band", band))
    if scale:
        for tick_x, label in _ticks(look, scale, x):
            parts.append(_line(look, "grid", tick_x, tick_x, top - size * 0.6, rows_end))
            if label:
                parts.append(_text(look, "tick", tick_x + 3, top - size, label))
    for index, row in enumerate(rows):
        y = top + h * (index + 0.5)
        label_y = y + look.label_size * 0.35
        version = _short(look, row.version)
        label = _text(
            look, "label", look.label_width - size * 0.6, label_y, version, 'text-anchor="end"'
        )
        marks = "".join(_marks(look, row, scale, x, y))
        parts.append(_tag(look, "g", "row", "", f"<title>{escape(row.note)}</title>{label}{marks}"))
    parts.extend(legend)
    parts.append("</svg>")
    return "".join(parts)


def charts(promotions: Sequence[PromotionRecord], period: PeriodRange, look: Look) -> list[Markup]:
    """The timeline as SVG charts of at most ``look.rows_per_chart`` rows; none without rows."""
    drawn = timeline(promotions, period)
    rows, size = drawn.rows, look.rows_per_chart or max(len(drawn.rows), 1)
    return [
        # Markup: every model string in the chart went through escape().
        Markup(_chart(look, drawn.scale, rows[first : first + size], first, len(rows)))
        for first in range(0, len(rows), size)
    ]
