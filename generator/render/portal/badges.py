"""Small HTML fragments used across portal pages: status badges, commits, people.

Each returns Markup built only from escaped values, so templates can use them like any filter.
A status is shown with colour, an icon and its name, so it never relies on colour alone.
"""

from __future__ import annotations

import datetime as dt

from markupsafe import Markup, escape

from generator.evidence.model import Identity
from generator.render.words import utc_text
from generator.status import Status

_ICONS = {
    Status.NO_DEVIATIONS: "✔",
    Status.DEVIATIONS: "!",
    Status.DESIGN_ONLY: "◐",
    Status.NOT_TESTED: "✖",
    Status.NOT_APPLICABLE: "\u2013",
}
# icon and words of each status; the words are the status's label (generator/status.py)
STATUS_TEXT = {status: (_ICONS[status], status.label) for status in Status}


def status_key(status: object) -> str:
    return str(status) if status in STATUS_TEXT else "unknown"


def badge(status: object) -> Markup:
    if status is None:
        return Markup('<span class="mc-badge mc-badge--none">no status</span>')
    icon, text = STATUS_TEXT.get(str(status), ("?", str(status)))
    return Markup(
        '<span class="mc-badge mc-badge--{key}">'
        '<span aria-hidden="true">{icon}</span> {text}</span>'
    ).format(key=status_key(status), icon=icon, text=text)


def statuses() -> list[tuple[Status, str, str]]:
    """(status, label, meaning) of every status, for legends and filters."""
    return [(status, status.label, status.meaning) for status in Status]


def when(text: object) -> Markup:
    """An ISO timestamp shown as ``YYYY-MM-DD HH:MM UTC`` (every time on the portal is UTC, as
    the methodology says), the exact time git recorded, with its offset, in a tooltip."""
    full = str(text or "")
    try:
        dt.datetime.fromisoformat(full)
    except ValueError:
        return escape(full)
    return Markup('<time datetime="{0}" title="{0}">{1}</time>').format(full, utc_text(full))


def short_sha(sha: object) -> str:
    return str(sha or "")[:12]


# A value of a rule's details this short and without a space (a version, a count, a date) is
# kept on one line: cells of repository text break anywhere, and a table of short columns was
# squeezed until "2026.1.0" read "2026.1." over "0".
WHOLE_VALUE = 24


def detail_cell_class(value: object) -> str:
    """The class of a rule-details cell: short values whole, other text breaking anywhere."""
    text = str(value)
    return "mc-nowrap" if len(text) <= WHOLE_VALUE and " " not in text else "mc-text"


def person_lines(identity: Identity | None) -> Markup:
    """The name, the email below it in small muted text that breaks anywhere: for narrow table
    cells, where ``name <email>`` on one line widened the table beyond the page."""
    if identity is None:
        return Markup("")
    if not identity.email:
        return escape(identity.name)
    return Markup('{name}<div class="mc-small mc-muted mc-email">{email}</div>').format(
        name=identity.name, email=identity.email
    )


def person(identity: Identity | None) -> Markup:
    """``name <email>`` as text, the email in a tooltip-free muted span."""
    if identity is None:
        return Markup("")
    name, email = identity.name, identity.email
    if not email:
        return escape(name)
    return Markup('{name} <span class="mc-muted">&lt;{email}&gt;</span>').format(
        name=name, email=email
    )
