"""A ReleaseView as Markdown (to paste into any docs site) or HTML (a page, or a fragment to embed).

Every text in a view is untrusted: versions, dates, names and subjects come from the installation's
repository, titles and descriptions from the release notes. Markdown output escapes them with
``richtext.escape_markdown``; HTML output goes through Jinja2 autoescape; note descriptions are
rebuilt from an allowlist by ``richtext`` in both cases. Names are shown without email addresses:
the pages are meant for publishing. Output depends only on the view: same view, same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from markupsafe import Markup

from generator.releasenotes import richtext
from generator.releasenotes.join import (
    Approval,
    ConfigChange,
    NoteSection,
    ReleaseView,
    TicketEntry,
    VersionEntry,
)
from generator.releasenotes.textforms import HtmlTexts, MarkdownTexts
from generator.render.words import APPROVAL_LINE_NOTE, evidence_words
from generator.resources import data_dir

if TYPE_CHECKING:
    import jinja2

AUDIENCE_LABELS = {
    "User": "Users",
    "Customer": "Customers",
    "Partner": "Partners",
    "Operator": "Operators",
}
SHORT_SHA = 12
# meshcloud publishes the notes under CC BY 4.0, which requires attribution wherever they are shown.
ATTRIBUTION = (
    "Release-note texts: meshStack release notes by meshcloud GmbH, licensed under "
    "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)."
)


# -- wording shared by both formats (plain, unescaped text) -------------------------------------


def day(timestamp: str | None) -> str:
    """The calendar date of an ISO timestamp, as recorded (no time-zone conversion)."""
    return (timestamp or "")[:10]


def duration(hours: float | None) -> str:
    if hours is None:
        return "unknown"
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"


@lru_cache(maxsize=4096)  # the same few approvals, change after change
def approval_text(approval: Approval) -> str:
    """``Jane Doe (named in the message only)``: who the history names and how it evidences it,
    never that the person approved (an approval line is the committer's statement)."""
    how = (
        "how evidenced not recorded"
        if approval.evidence is None
        else evidence_words(approval.evidence)
    )
    return f"{approval.name or approval.email or 'unknown'} ({how})"


def approvals_text(approvals: tuple[Approval, ...]) -> str:
    if len(approvals) == 1:  # the usual single approval, tens of thousands a page: no generator
        return approval_text(approvals[0])
    return ", ".join(approval_text(a) for a in approvals) or "none"


def audience_label(audience: str) -> str:
    return AUDIENCE_LABELS.get(audience, audience)


def title(view: ReleaseView) -> str:
    return f"meshStack releases: {view.installation}, {view.environment}"


def intro(view: ReleaseView) -> str:
    text = (
        f"meshStack versions that reached {view.environment} of {view.installation} between "
        f"{view.period_from} and {view.period_to}, newest first"
    )
    if view.upcoming:
        text += "; versions still waiting in staging come first, marked as upcoming"
    text += "."
    if view.filtered:
        text += " For " + ", ".join(audience_label(a).lower() for a in view.audiences) + "."
    if view.since:
        text += f" Versions after {view.since} only."
    if view.approval_evidence:
        text += (
            " Approvals are shown as the commit that set a version, or made a change, records"
            " them, each with how it is evidenced."
        )
        if "trailer" in view.approval_evidence:
            text += " " + APPROVAL_LINE_NOTE
    return text


def empty_text(view: ReleaseView) -> str:
    return f"No meshStack version reached {view.environment} in this period."


def facts(entry: VersionEntry) -> list[tuple[str, str, str | None]]:
    """(label, text, sha) rows describing a version's rollout."""
    rows: list[tuple[str, str, str | None]] = []
    if entry.rollout is None:
        rows.append(("Status", "upcoming: in staging, not yet in production", None))
    for rollout in (entry.production, entry.staging):
        if rollout is not None:
            rows.append((rollout.environment.capitalize(), day(rollout.date), rollout.sha))
    if entry.staging is not None and entry.production is not None:
        rows.append(("Time in staging", duration(entry.staging_hours), None))
    if entry.rollout is not None:
        rows.append(("Approvals recorded", approvals_text(entry.approvals), None))
    if entry.rollback and entry.previous:
        rows.append(("Rollback", f"from {entry.previous}", None))
    elif entry.included:
        rows.append(("Jump", f"from {entry.previous}, includes {', '.join(entry.included)}", None))
    elif entry.previous:
        rows.append(("Previous version", entry.previous, None))
    return rows


def section_heading(section: NoteSection) -> str:
    if section.included_in:
        return f"{section.title}, included in the jump to {section.included_in}"
    return section.title


def section_byline(section: NoteSection) -> str:
    parts = []
    if section.date:
        parts.append(f"published {section.date}")
    if section.period_start and section.period_end:
        parts.append(f"release period {section.period_start} to {section.period_end}")
    parts.append(f"source: {section.file}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def group_heading(audience: str, component: str | None) -> str:
    label = audience_label(audience)
    return f"{label}: {component}" if component else label


def other_audiences(ticket: TicketEntry) -> str | None:
    if len(ticket.audiences) < 2:
        return None
    return "Audience: " + ", ".join(ticket.audiences)


def nothing_for_audiences(view: ReleaseView, entry: VersionEntry) -> str | None:
    """One sentence for the notes of a rollout that hold nothing for the selected audiences."""
    quiet = [section.version for section in entry.notes if not section.groups]
    if not quiet:
        return None
    who = ", ".join(audience_label(a).lower() for a in view.audiences)
    return f"Nothing for {who} in {', '.join(quiet)}."


def missing_text(version: str) -> str:
    return f"No release note is published for {version}."


def author(change: ConfigChange) -> str:
    return change.author.name or change.author.email or "unknown"


def entry_heading(entry: VersionEntry) -> str:
    return f"{entry.version} (upcoming)" if entry.rollout is None else entry.version


def all_entries(view: ReleaseView) -> Iterator[VersionEntry]:
    yield from view.upcoming
    yield from view.versions


# -- Markdown -----------------------------------------------------------------------------------


def render_markdown(view: ReleaseView, texts: MarkdownTexts | None = None) -> str:
    """The view as Markdown; ticket texts come from `texts` (rendered there when not known yet)."""
    line = richtext.escape_inline  # text after other syntax on its line
    out = [f"# {line(title(view))}", richtext.escape_markdown(intro(view))]
    entries = list(all_entries(view))
    if not entries:
        out.append(richtext.escape_markdown(empty_text(view)))
    tickets = _MarkdownTickets(MarkdownTexts() if texts is None else texts)
    for entry in entries:
        out.append(f"## {line(entry_heading(entry))}")
        out.append("\n".join(_markdown_fact(label, text, sha) for label, text, sha in facts(entry)))
        for section in entry.notes:
            if section.groups:
                _markdown_section(section, tickets, out)
        quiet = nothing_for_audiences(view, entry)
        if quiet:
            out.append(richtext.escape_markdown(quiet))
        for version in entry.missing_notes:
            out.append(richtext.escape_markdown(missing_text(version)))
        if entry.changes:
            out.append("### Configuration changes in this release window")
            out.append(_markdown_changes(entry.changes))
    out.append(f"*{line(ATTRIBUTION)}*")
    return "\n\n".join(out) + "\n"


def _markdown_fact(label: str, text: str, sha: str | None) -> str:
    line = f"- **{richtext.escape_inline(label)}:** {richtext.escape_inline(text)}"
    if sha:
        line += f" (commit {richtext.code_span(sha[:SHORT_SHA])})"
    return line


def _markdown_section(section: NoteSection, tickets: _MarkdownTickets, out: list[str]) -> None:
    line = richtext.escape_inline
    out.append(f"### {line(section_heading(section))}")
    out.append(f"*{line(section_byline(section))}*")
    for group in section.groups:
        out.append(f"#### {line(group_heading(group.audience, group.component))}")
        tickets.write(group.tickets, out)


class _MarkdownTickets:
    """Writes tickets as Markdown, their texts as `texts` has them rendered (MarkdownForms).

    A page holds tens of thousands of tickets: this is the loop of the page that has to be tight.
    """

    def __init__(self, texts: MarkdownTexts) -> None:
        self.texts = texts
        self.audiences: dict[tuple[str, ...], str] = {}

    def write(self, tickets: Iterable[TicketEntry], out: list[str]) -> None:
        audiences, append, forms_of = self.audiences, out.append, self.texts.forms
        for ticket in tickets:
            forms = forms_of(ticket)
            description, how_to_use = forms.description, forms.how_to_use
            append(f"##### {forms.title}")
            if len(ticket.audiences) > 1:
                also = audiences.get(ticket.audiences)
                if also is None:
                    also = audiences[ticket.audiences] = _also(ticket)
                append(also)
            if description:
                append(description)
            if how_to_use:  # may be empty when the note's text was only dropped markup
                append("**How to use**")
                append(how_to_use)


def _also(ticket: TicketEntry) -> str:
    return f"*{richtext.escape_inline(other_audiences(ticket) or '')}*"


def _markdown_changes(changes: tuple[ConfigChange, ...]) -> str:
    """One list item per change; a page holds tens of thousands, so calls are kept few."""
    line = richtext.escape_inline  # cached: dates and people repeat
    text = richtext.escape_text  # subjects are all different
    lines = []
    for change in changes:
        lines.append(
            f"- {line(day(change.date))} {richtext.code_span(change.sha[:SHORT_SHA])} "
            f"{text(change.subject) or '(no subject)'}, by {line(author(change))}; "
            f"approvals recorded: {line(approvals_text(change.approvals))}"
        )
    return "\n".join(lines)


# -- HTML ---------------------------------------------------------------------------------------


def _finalize(value: object) -> object:
    # Markup is ours (already escaped); untrusted plain strings show disguising characters as
    # their code points (<U+001B>, escaped by autoescape as the portal's pages do).
    # Jinja calls this for every value shown: isprintable() settles most of them at C speed.
    if isinstance(value, str) and not value.isprintable() and not isinstance(value, Markup):
        return richtext.shown(value)
    return value


def _ticket_html(ticket: TicketEntry, texts: HtmlTexts) -> tuple[Markup, Markup | None]:
    """(description, how-to-use or None) as HTML: what richtext.html_of gives, as `texts` has it."""
    description, how_to_use = texts.forms(ticket)
    return Markup(description), None if how_to_use is None else Markup(how_to_use)


@cache
def _environment() -> jinja2.Environment:
    import jinja2  # only HTML needs it (some 40 ms to import)

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates") / "release-notes")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters["ticket_html"] = _ticket_html
    env.filters["short_sha"] = lambda sha: str(sha)[:SHORT_SHA]
    # Filters, not globals, for what runs once per ticket, group, section or configuration
    # change: Jinja calls a filter directly, a global function through Context.call.
    env.filters.update(
        day=day,
        author=author,
        approvals=approvals_text,
        other_audiences=other_audiences,
        section_heading=section_heading,
        section_byline=section_byline,
        group_heading=lambda group: group_heading(group.audience, group.component),
    )
    env.globals.update(
        title=title,
        intro=intro,
        empty_text=empty_text,
        facts=facts,
        entry_heading=entry_heading,
        all_entries=all_entries,
        day=day,
        author=author,
        nothing_for_audiences=nothing_for_audiences,
        missing_text=missing_text,
        attribution=ATTRIBUTION,
    )
    return env


def render_html_fragment(view: ReleaseView, texts: HtmlTexts | None = None) -> str:
    """The view as one escaped ``<section class="mc-release-notes">`` for embedding in a page.

    Self-contained: no scripts, styles or external references; style it with
    ``release_notes_css()`` or the host page's own CSS (class names start with ``mc-rn``).
    Ticket texts come from `texts` (rendered there when not known yet).
    """
    texts = HtmlTexts() if texts is None else texts
    return _environment().get_template("fragment.html.j2").render(view=view, texts=texts)


def render_entry_html(
    view: ReleaseView, entry: VersionEntry, texts: HtmlTexts | None = None
) -> str:
    """One version's ``<article>`` (as in the fragment): an Atom entry's content."""
    texts = HtmlTexts() if texts is None else texts
    template = _environment().get_template("entry.html.j2")
    return template.render(view=view, entry=entry, texts=texts)


def render_html(view: ReleaseView, texts: HtmlTexts | None = None) -> str:
    """A standalone HTML page: the fragment with inline CSS, no external assets."""
    fragment = Markup(render_html_fragment(view, texts))
    template = _environment().get_template("page.html.j2")
    return template.render(view=view, fragment=fragment, css=Markup(release_notes_css()))


def release_notes_css() -> str:
    return (data_dir("templates") / "release-notes" / "release-notes.css").read_text("utf-8")
