"""How the PDF draws the shared release timeline: inline colours, and charts that fit a page.

WeasyPrint styles inline SVG only from the SVG's own attributes and <style> (which the chart
must not have), so the colours are attributes. The geometry comes from generator.render.timeline.
"""

from __future__ import annotations

from generator.render.timeline import Look

PDF = Look(
    paint={
        "svg": 'class="timeline" font-size="8"',
        "band": 'fill="#f3f5f8"',
        "grid": 'stroke="#dddddd" stroke-width="0.6"',
        "tick": 'fill="#666666"',
        "legend": 'fill="#333333"',
        "label": 'fill="#222222"',
        "bar": 'stroke="#5b8def" stroke-width="3" stroke-linecap="round"',
        "bar-open": 'stroke="#999999" stroke-width="1.5" stroke-dasharray="3 2"',
        "staging": 'fill="#ffffff" stroke="#5b8def" stroke-width="1.2"',
        "production": 'fill="#1f8a4c"',
        "unstaged": 'fill="#c0392b"',
        "beyond": 'fill="none" stroke="#666666" stroke-width="1.2"',
        "beyond-unstaged": 'fill="none" stroke="#c0392b" stroke-width="1.2"',
    },
    width=672,  # A4 less the page margins (178 mm) at 96 px an inch
    label_width=84,
    row_height=13,
    font_size=8,
    label_size=8,
    marker=4.2,
    rows_per_chart=45,  # 45 rows and the legend fill a page below the section's heading
)
