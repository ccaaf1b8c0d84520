"""The PDF's HTML: Jinja2 templates (autoescaped) from templates/pdf/, assembled in fragments.

A fragment is one section (or one control, or a slice of the change population) that starts on a
new page. The whole document is the front matter followed by every fragment; a part rendered in a
worker process is a run of fragments without running header and footer (see ``split.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from markupsafe import Markup

from generator.evidence.findings import NO_ACTION, STATE_LABELS, entry_source
from generator.numberwords import count_text
from generator.render import timeline
from generator.render.event_view import tested_from_text
from generator.render.pdf import columns
from generator.render.pdf.timeline_look import PDF as PDF_LOOK
from generator.render.pdf.view import STATUS_LABELS
from generator.render.words import (
    APPROVAL_LINE_NOTE,
    evidence_words,
    is_commit_id,
    kind_text,
    utc_text,
    value_text,
    window_text,
)
from generator.resources import data_dir
from generator.textcheck import code_points_shown

TEMPLATES = data_dir("templates") / "pdf"

# (anchor, title, template) of the top-level sections after the front matter, in order.
SECTIONS = (
    ("summary", "Executive summary", "sections/summary.html.j2"),
    ("soa", "Statement of Applicability", "sections/soa.html.j2"),
    ("controls", "Control evidence", "sections/controls_intro.html.j2"),
    ("changes", "Change population", "sections/changes.html.j2"),
    ("timeline", "Release promotion timeline", "sections/timeline.html.j2"),
    ("sample", "Auditor's sample", "sections/sample.html.j2"),
    ("events", "meshStack event log", "sections/events.html.j2"),
    ("exceptions", "Exceptions register", "sections/exceptions.html.j2"),
    ("corrective-actions", "Corrective actions", "sections/corrective_actions.html.j2"),
    ("changes-since", "Changes since the previous period", "sections/changes_since.html.j2"),
    ("methodology", "Methodology", "sections/methodology.html.j2"),
)
FRONT_MATTER = (("document-control", "Document control"), ("contents", "Contents"))


@dataclass(frozen=True)
class Fragment:
    key: str
    html: str
    weight: int  # estimated layout cost in hundredths of a page (PAGE)


def _when(value: str | None, two_lines: bool = False) -> Markup | str:
    """An ISO 8601 timestamp as 'YYYY-MM-DD HH:MM UTC', whatever offset git recorded: the
    methodology says every time is UTC, so one column never mixes offsets."""
    if not value:
        return "—"
    text = utc_text(value)
    if not text.endswith(" UTC"):
        return text
    date, clock = text[:10], text[11:]
    return Markup("{}<br>{}").format(date, clock) if two_lines else text


_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def _cell(value: Any) -> Markup | str:
    """A value of a rule's free-form details, as compact as it is exact."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return _when(value, two_lines=True)
    if is_commit_id(value):
        # Whole on one line (a SHA-256 id in two): its column is given the width of 40 digits
        # (columns.detail_widths).
        return Markup('<span class="sha lines">{}</span>').format(_commit_lines(value, 40))
    return _words(value)


def _commit_lines(value: str | None, most: int = 20) -> Markup | str:
    """A commit id in lines of equal length, at most `most` digits each and each kept whole
    (the exceptions register's column holds 20 digits a line: a SHA-1 id in two lines of 20, a
    SHA-256 one in four of 16): broken by the layout, it read as lines of 19, 19 and 2 digits.
    Anything but a full commit id is printed as given."""
    text = str(value or "")
    if not is_commit_id(text):
        return bounded(text)
    lines = -(-len(text) // most)
    size = -(-len(text) // lines)
    return Markup("<wbr>").join(
        Markup('<span class="nobreak">{}</span>').format(text[at : at + size])
        for at in range(0, len(text), size)
    )


def _kind(value: str) -> Markup:
    """A deviation kind (``approver_not_allowed``) that a narrow column breaks after an
    underscore, never inside a word."""
    return Markup("_<wbr>").join(Markup.escape(part) for part in bounded(str(value)).split("_"))


def _email(value: str | None) -> Markup:
    """An email address that a narrow column breaks before its ``@`` first, and inside a part
    only when a part alone is wider than the column."""
    local, at, domain = bounded(str(value or "")).rpartition("@")
    if not at:
        return Markup.escape(domain)
    return Markup("{}<wbr>@{}").format(local, domain)


# A run of a token longer than this (a path's part, a fingerprint) is cut into pieces of
# TOKEN_PIECE characters that a line may break between: kept whole it ran over the neighbouring
# column and off the page. Shorter runs stay whole, so an ordinary path breaks at slashes only.
TOKEN_RUN = 24
TOKEN_PIECE = 12


def _pieces(run: str) -> list[str]:
    """`run` cut into pieces of about TOKEN_PIECE characters, none ending in a hyphen: a line
    broken after a hyphen reads back from the PDF without it (``annex-`` + ``b.md`` as
    ``annexb.md``), so a break falls before a hyphen, never after one."""
    if len(run) <= TOKEN_RUN:
        return [run]
    pieces: list[str] = []
    start = 0
    while start < len(run):
        end = min(start + TOKEN_PIECE, len(run))
        while end < len(run) and run[end - 1] == "-":
            end += 1
        pieces.append(run[start:end])
        start = end
    return pieces


def _token(value: str | None) -> Markup:
    """A path, register entry (``FILE:LINE``), key fingerprint or other token without spaces,
    printed exactly as it is and broken inside its cell: after a ``/`` first (each part up to its
    slash kept whole, since a break after the hyphen of ``artefact-store.md`` reads back from the
    PDF as ``artefactstore.md``), and a part longer than TOKEN_RUN characters between pieces of
    it. Each piece is kept whole; a line breaks only at the ``<wbr>`` between two pieces, which
    adds no character to the text a reader copies or searches."""
    parts = bounded(str(value or "")).split("/")
    runs = [part + "/" for part in parts[:-1]] + [parts[-1]]
    return Markup("<wbr>").join(
        Markup('<span class="nobreak">{}</span>').format(piece)
        for run in runs
        if run
        for piece in _pieces(run)
    )


# What a page prints of one value: a commit subject, a name, a reason. Real ones are far shorter
# (the demo's longest, a reconciliation command, has 789 characters); a crafted 200,000-character
# author name made the layout run for minutes. The rest is in evidence.json, which keeps it all.
MAX_FIELD_CHARS = 2_000


def bounded(text: str) -> str:
    """`text`, or its first MAX_FIELD_CHARS characters and how many more evidence.json has."""
    if len(text) <= MAX_FIELD_CHARS:
        return text
    more = len(text) - MAX_FIELD_CHARS
    return f"{text[:MAX_FIELD_CHARS]}… ({more:,} more characters, full text in evidence.json)"


def _finalize(value: object) -> object:
    # Every value a template prints; Markup is ours (filters bound each value they are given).
    if type(value) is str and len(value) > MAX_FIELD_CHARS:
        return bounded(value)
    return value


def _each_bounded(value: Any) -> Any:
    """`value` with every text in it bounded: a list's values, a mapping's."""
    if isinstance(value, str):
        return bounded(value)
    if isinstance(value, Mapping):
        return {key: _each_bounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_each_bounded(item) for item in value]
    return value


@jinja2.pass_eval_context
def _join(context: Any, value: Any, separator: str = "", attribute: Any = None) -> Markup:
    """Jinja's join, each text bounded, not the whole: a rule's cited commits are one joined
    line of thousands of characters, all of which the page prints (escaped as autoescape does)."""
    items = value if attribute is not None else [_each_bounded(item) for item in value]
    joined = jinja2.filters.sync_do_join(context, items, separator, attribute)
    return joined if isinstance(joined, Markup) else Markup.escape(joined)


def _words(value: Any) -> Markup:
    """value_text of `value`, each of its texts bounded, not the whole: a list of 40 commit
    shas is 2,950 characters, all of which the page prints (as autoescape would escape them)."""
    return Markup.escape(value_text(_each_bounded(value)))


def _hours(value: float) -> str:
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} d"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its file name: all data is untrusted
        finalize=_finalize,  # no value printed longer than MAX_FIELD_CHARS
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["count"] = count_text
    env.filters["when"] = _when
    env.filters["hours"] = _hours
    env.filters["kind"] = _kind
    env.filters["kind_words"] = kind_text
    env.filters["email"] = _email
    env.filters["token"] = _token
    env.filters["commit_lines"] = _commit_lines
    env.filters["cell"] = _cell
    env.filters["window"] = lambda window: Markup.escape(window_text(window))  # not cut
    env.filters["words"] = _words
    env.filters["join"] = _join
    env.filters["tested"] = lambda bases: Markup.escape(tested_from_text(bases))  # not cut
    env.filters["action_state"] = STATE_LABELS.__getitem__
    env.filters["evidence"] = evidence_words
    env.globals["status_labels"] = STATUS_LABELS
    env.globals["approval_line_note"] = APPROVAL_LINE_NOTE
    env.globals["no_action"] = NO_ACTION
    env.globals["entry_source"] = entry_source
    env.globals["detail_widths"] = columns.detail_widths
    return env


def _render(env: jinja2.Environment, template: str, context: dict[str, Any]) -> str:
    html = env.get_template(template).render(context)
    return code_points_shown(html)  # control and format characters as <U+001B>


def table_of_contents(view: dict[str, Any]) -> list[dict[str, Any]]:
    toc = [{"id": anchor, "title": title, "children": []} for anchor, title in FRONT_MATTER[:1]]
    for anchor, title, _ in SECTIONS:
        children = []
        if anchor == "controls":
            children = [
                {"id": c["anchor"], "title": f"{c['id']} · {c['title']}"} for c in view["controls"]
            ]
        toc.append({"id": anchor, "title": title, "children": children})
    return toc


def template_context(view: dict[str, Any]) -> dict[str, Any]:
    return {
        **view,
        "toc": table_of_contents(view),
        "timeline": timeline.charts(view["promotions"], view["period"], PDF_LOOK),
        "control_anchors": {c["id"]: c["anchor"] for c in view["controls"]},
        "toc_pages": None,  # page numbers come from target-counter(), except in a frame
    }


# Layout cost estimates, in hundredths of a page, to cut a long document into similar parts
# before anything is laid out (measured on synthetic packs: about 17 change rows make a page).
PAGE = 100
ROW = 6  # a change, SoA, sample or promotion table row
SECTION = 50  # a short section of text and facts


def _control_weight(control: dict[str, Any]) -> int:
    weight = 40
    for result in control["results"]:
        weight += 25 + ROW * len(result["failures"]) + len(result["cited_shown"])
        weight += sum(ROW * (len(t["rows"]) + 1) for t in result["detail_view"]["tables"])
    return max(weight, PAGE)  # every control starts on a new page


def _section_weight(anchor: str, context: dict[str, Any]) -> int:
    if anchor == "soa":
        return SECTION + ROW * sum(len(g["rows"]) for g in context["soa_groups"])
    if anchor == "timeline":
        return SECTION + ROW * len(context["promotions"]) + PAGE * len(context["timeline"])
    if anchor == "sample":
        return SECTION + ROW * sum(len(p["rows"]) for p in context["sample"]["populations"])
    if anchor == "controls":
        return SECTION + ROW * len(context["controls"])
    if anchor == "events" and context["events"] is not None:
        events = context["events"]
        rows = len(events["deviation_events"]) + len(events["populations"])
        rows += sum(len(p["sample_rows"]) for p in events["populations"])
        return SECTION + ROW * rows
    return SECTION


def document_weight(context: dict[str, Any]) -> int:
    """The estimated layout cost of everything after the front matter, without rendering it."""
    weight = sum(_section_weight(anchor, context) for anchor, _, _ in SECTIONS)
    weight += sum(_control_weight(c) for c in context["controls"])
    return weight + ROW * len(context["changes_shown"])


def fragments(
    env: jinja2.Environment, context: dict[str, Any], part_rows: int | None = None
) -> list[Fragment]:
    """Every section after the front matter; the change population in slices of ``part_rows``."""
    found = []
    for anchor, _, template in SECTIONS:
        if anchor == "changes":
            rows = context["changes_shown"]
            size = part_rows or max(len(rows), 1)
            starts = list(range(0, len(rows), size)) or [0]
            for index, first in enumerate(starts):
                part = {
                    "part_rows": rows[first : first + size],
                    "part_offset": first,
                    "part_first": index == 0,
                    "part_last": index == len(starts) - 1,
                    "part_index": index,
                }
                html = _render(env, template, {**context, **part})
                weight = SECTION + ROW * len(part["part_rows"])
                found.append(Fragment(f"changes-{index}", html, weight))
            continue
        html = _render(env, template, context)
        found.append(Fragment(anchor, html, _section_weight(anchor, context)))
        if anchor == "controls":
            for control in context["controls"]:
                html = _render(env, "sections/control.html.j2", {**context, "c": control})
                found.append(Fragment(control["anchor"], html, _control_weight(control)))
    return found


def _document(env: jinja2.Environment, context: dict[str, Any], body: str, running: bool) -> str:
    head = _render(env, "head.html.j2", context)
    links = '<link rel="stylesheet" href="running.css">' if running else ""
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n{head}\n{links}\n</head>\n'
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def whole_document(env: jinja2.Environment, context: dict[str, Any], parts: list[Fragment]) -> str:
    front = _render(env, "front.html.j2", context)
    return _document(env, context, front + "".join(f.html for f in parts), running=True)


def part_document(env: jinja2.Environment, context: dict[str, Any], parts: list[Fragment]) -> str:
    return _document(env, context, "".join(f.html for f in parts), running=False)


def frame_document(
    env: jinja2.Environment,
    context: dict[str, Any],
    sheets: str,
    toc_pages: dict[str, int | str],
    total_pages: int | str,
) -> str:
    """The front matter and one empty sheet per page of the parts (see ``parts.py``).

    Page numbers are given, not computed: WeasyPrint repaginates a document using
    ``target-counter()`` or ``counter(pages)`` several times, and the frame has no need to.
    """
    context = {**context, "toc_pages": toc_pages}
    front = _render(env, "front.html.j2", context)
    total = int(total_pages) if str(total_pages).isdigit() else 0
    # The number is formatted here, not taken from input, so it is safe inside CSS.
    footer = (
        "<style>@page { @bottom-right { content: "
        f'"Page " counter(page) " of {total:d}"; }} }}</style>'
    )
    html = _document(env, context, front + sheets, running=True)
    return html.replace("</head>", footer + "\n</head>", 1)
