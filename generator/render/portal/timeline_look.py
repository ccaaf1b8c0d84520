"""How the portal draws the shared release timeline: CSS classes, coloured by the site's theme.

The classes are styled in templates/portal/assets/portal.css; the geometry and what each row
shows come from generator.render.timeline.
"""

from __future__ import annotations

from generator.render.timeline import Look

PORTAL = Look(
    paint={
        "svg": 'class="mc-timeline"',
        "row": 'class="mc-tl-row"',
        "band": 'class="mc-tl-band"',
        "grid": 'class="mc-tl-grid"',
        "tick": 'class="mc-tl-tick"',
        "legend": 'class="mc-tl-tick"',
        "label": 'class="mc-tl-label"',
        "bar": 'class="mc-tl-bar"',
        "bar-open": 'class="mc-tl-bar mc-tl-bar--open"',
        "staging": 'class="mc-tl-staging"',
        "production": 'class="mc-tl-production"',
        "unstaged": 'class="mc-tl-production mc-tl-production--unstaged"',
        "beyond": 'class="mc-tl-beyond"',
        "beyond-unstaged": 'class="mc-tl-beyond mc-tl-beyond--unstaged"',
    },
    width=960,
    label_width=130,
    row_height=22,
    font_size=13,
    label_size=14,
    marker=6,
)
