"""The release promotion timeline as an SVG drawn at build time (no charting script in the site).

One row per version: a circle when it reached staging, a diamond when it reached production, a
bar for the time in between. Versions never promoted to production get a dashed bar to the end of
the period. Every text comes from escaped values; the SVG has no scripts, links or styles of its
own beyond presentation attributes, so it is inert wherever it is shown.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

WIDTH = 960
LABEL_WIDTH = 120
RIGHT_PAD = 24
ROW = 22
TOP = 34
BOTTOM = 30


def _when(text: Any) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _day(text: str | None, end: bool = False) -> dt.datetime | None:
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return None
    moment = dt.datetime.combine(day, dt.time(23, 59, 59) if end else dt.time(), dt.UTC)
    return moment


def _months(start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    month = dt.datetime(start.year, start.month, 1, tzinfo=dt.UTC)
    ticks = []
    while month <= end:
        if month >= start:
            ticks.append(month)
        month = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=dt.UTC)
    return ticks


def _attr(value: str) -> str:
    return escape(value, quote=True)


def _hours(value: Any) -> str:
    return "" if value is None else f"{float(value):.1f} h in staging"


def timeline_svg(model: dict[str, Any]) -> str:
    """The chart as an inline <svg> element (a string of escaped, static markup)."""
    promotions = model.get("promotions") or []
    period = model.get("period") or {}
    moments = [
        _when((p.get(env) or {}).get("date"))
        for p in promotions
        for env in ("staging", "production")
    ]
    known = [m for m in moments if m is not None]
    start = _day(period.get("from")) or (min(known) if known else None)
    end = _day(period.get("to"), end=True) or (max(known) if known else None)
    if start is None or end is None or not promotions:
        return '<p class="mc-muted">No promotions in this period.</p>'
    start, end = min([start, *known]), max([end, *known])
    span = max((end - start).total_seconds(), 1.0)
    plot = WIDTH - LABEL_WIDTH - RIGHT_PAD
    height = TOP + ROW * len(promotions) + BOTTOM

    def x(moment: dt.datetime) -> float:
        return round(LABEL_WIDTH + plot * (moment - start).total_seconds() / span, 1)

    parts = [
        f'<svg class="mc-timeline" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-labelledby="mc-timeline-title" '
        'xmlns="http://www.w3.org/2000/svg">',
        '<title id="mc-timeline-title">Release promotion timeline: staging (circle) to '
        "production (diamond) per version</title>",
    ]
    for tick in _months(start, end):
        tx = x(tick)
        parts.append(
            f'<line class="mc-tl-grid" x1="{tx}" y1="{TOP - 8}" x2="{tx}" y2="{height - BOTTOM}"/>'
            f'<text class="mc-tl-tick" x="{tx + 3}" y="{TOP - 14}">{tick:%Y-%m}</text>'
        )
    for row, promotion in enumerate(promotions):
        y = TOP + ROW * row + ROW / 2
        version = escape(str(promotion.get("version", "")))
        staged = _when((promotion.get("staging") or {}).get("date"))
        produced = _when((promotion.get("production") or {}).get("date"))
        tip = [str(promotion.get("version", ""))]
        tip.append(f"staging {staged:%Y-%m-%d %H:%M} UTC" if staged else "no staging")
        tip.append(f"production {produced:%Y-%m-%d %H:%M} UTC" if produced else "not in production")
        if promotion.get("staging_hours") is not None:
            tip.append(_hours(promotion.get("staging_hours")))
        parts.append(f'<g class="mc-tl-row"><title>{_attr(", ".join(tip))}</title>')
        if row % 2:
            parts.append(
                f'<rect class="mc-tl-band" x="0" y="{y - ROW / 2}" width="{WIDTH}" height="{ROW}"/>'
            )
        parts.append(
            f'<text class="mc-tl-label" x="{LABEL_WIDTH - 8}" y="{y + 4}" '
            f'text-anchor="end">{version[:18]}</text>'
        )
        if staged and produced:
            parts.append(
                f'<line class="mc-tl-bar" x1="{x(staged)}" y1="{y}" x2="{x(produced)}" y2="{y}"/>'
            )
        elif staged:
            parts.append(
                f'<line class="mc-tl-bar mc-tl-bar--open" x1="{x(staged)}" y1="{y}" '
                f'x2="{x(end)}" y2="{y}"/>'
            )
        if staged:
            parts.append(f'<circle class="mc-tl-staging" cx="{x(staged)}" cy="{y}" r="5"/>')
        if produced:
            px = x(produced)
            parts.append(
                f'<path class="mc-tl-production" d="M{px} {y - 6}L{px + 6} {y}L{px} {y + 6}'
                f'L{px - 6} {y}Z"/>'
            )
        parts.append("</g>")
    legend_y = height - 10
    parts.append(
        f'<circle class="mc-tl-staging" cx="{LABEL_WIDTH}" cy="{legend_y - 4}" r="5"/>'
        f'<text class="mc-tl-tick" x="{LABEL_WIDTH + 10}" y="{legend_y}">staging</text>'
        f'<path class="mc-tl-production" d="M{LABEL_WIDTH + 90} {legend_y - 10}'
        f"L{LABEL_WIDTH + 96} {legend_y - 4}L{LABEL_WIDTH + 90} {legend_y + 2}"
        f'L{LABEL_WIDTH + 84} {legend_y - 4}Z"/>'
        f'<text class="mc-tl-tick" x="{LABEL_WIDTH + 102}" y="{legend_y}">production</text>'
        f'<line class="mc-tl-bar mc-tl-bar--open" x1="{LABEL_WIDTH + 190}" y1="{legend_y - 4}" '
        f'x2="{LABEL_WIDTH + 230}" y2="{legend_y - 4}"/>'
        f'<text class="mc-tl-tick" x="{LABEL_WIDTH + 236}" y="{legend_y}">'
        "not yet in production</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
