"""The release promotion timeline as inline SVG: one bar per version, staging to production.

Built here, not in a template, because it is geometry. Version strings come from the repository
and are escaped with ``xml.sax.saxutils``; the SVG references nothing outside itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.sax.saxutils import escape

from markupsafe import Markup

ROWS_PER_CHART = 45  # more versions continue in the next chart, so a chart fits a page
_WIDTH, _LABEL_W, _ROW_H, _TOP, _BOTTOM = 680.0, 78.0, 13.0, 22.0, 26.0
_STAGING, _PRODUCTION, _OPEN, _GRID = "#5b8def", "#1f8a4c", "#b0b0b0", "#dddddd"


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _months(start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    month = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    found = []
    while month <= end:
        if month >= start:
            found.append(month)
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return found


def _chart(rows: list[dict[str, Any]], start: dt.datetime, end: dt.datetime) -> str:
    span = max((end - start).total_seconds(), 1.0)
    plot_w = _WIDTH - _LABEL_W - 8
    height = _TOP + _ROW_H * len(rows) + _BOTTOM

    def x(moment: dt.datetime) -> float:
        clamped = min(max(moment, start), end)
        return round(_LABEL_W + plot_w * (clamped - start).total_seconds() / span, 2)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{_WIDTH}" '
        f'height="{height}" viewBox="0 0 {_WIDTH} {height}" font-size="8">'
    ]
    bottom = _TOP + _ROW_H * len(rows)
    for month in _months(start, end):
        gx = x(month)
        parts.append(
            f'<line x1="{gx}" y1="{_TOP - 4}" x2="{gx}" y2="{bottom}" stroke="{_GRID}" '
            'stroke-width="0.6"/>'
            f'<text x="{gx + 2}" y="{_TOP - 8}" fill="#666">{month:%Y-%m}</text>'
        )
    for index, row in enumerate(rows):
        y = _TOP + _ROW_H * index
        label = escape(str(row["version"])[:18])
        parts.append(f'<text x="0" y="{y + 9}" fill="#222">{label}</text>')
        staged, produced = _when(row["staging"]), _when(row["production"])
        if staged and produced and produced >= staged:
            parts.append(
                f'<rect x="{x(staged)}" y="{y + 2}" width="{max(x(produced) - x(staged), 1.5)}" '
                f'height="8" rx="1.5" fill="{_STAGING}"/>'
            )
        elif staged:  # still waiting for production at the end of the period
            parts.append(
                f'<rect x="{x(staged)}" y="{y + 2}" width="{max(x(end) - x(staged), 1.5)}" '
                f'height="8" rx="1.5" fill="{_OPEN}"/>'
            )
        if produced:
            px = x(produced)
            colour = _PRODUCTION if staged and produced >= staged else "#c0392b"
            parts.append(
                f'<path d="M{px} {y + 1} L{px + 4.5} {y + 6} L{px} {y + 11} L{px - 4.5} {y + 6} Z" '
                f'fill="{colour}"/>'
            )
    legend_y = bottom + 16
    parts.append(
        f'<rect x="{_LABEL_W}" y="{legend_y - 7}" width="14" height="7" fill="{_STAGING}"/>'
        f'<text x="{_LABEL_W + 18}" y="{legend_y}">on staging</text>'
        f'<path d="M{_LABEL_W + 90} {legend_y - 8} l4 4 l-4 4 l-4 -4 Z" fill="{_PRODUCTION}"/>'
        f'<text x="{_LABEL_W + 98}" y="{legend_y}">promoted to production</text>'
        f'<path d="M{_LABEL_W + 215} {legend_y - 8} l4 4 l-4 4 l-4 -4 Z" fill="#c0392b"/>'
        f'<text x="{_LABEL_W + 223}" y="{legend_y}">production without prior staging</text>'
        f'<rect x="{_LABEL_W + 375}" y="{legend_y - 7}" width="14" height="7" fill="{_OPEN}"/>'
        f'<text x="{_LABEL_W + 393}" y="{legend_y}">not promoted in the period</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def timeline_charts(model: dict[str, Any]) -> list[Markup]:
    """One SVG per ROWS_PER_CHART versions, in the model's promotion order."""
    period = model["period"]
    start = dt.datetime.fromisoformat(period["from"] + "T00:00:00+00:00")
    end = dt.datetime.fromisoformat(period["to"] + "T23:59:59+00:00")
    rows = [
        {
            "version": p["version"],
            "staging": (p.get("staging") or {}).get("date"),
            "production": (p.get("production") or {}).get("date"),
        }
        for p in model.get("promotions") or []
    ]
    charts = []
    for first in range(0, len(rows), ROWS_PER_CHART):
        svg = _chart(rows[first : first + ROWS_PER_CHART], start, end)
        charts.append(Markup(svg))  # safe: every repository string above is escaped
    return charts
