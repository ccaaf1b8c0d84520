"""Release-note parser and version ordering, against the real published notes and broken copies."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest
from releasenotes_files import REAL_NOTES

from generator.releasenotes import (
    ReleaseNote,
    ReleaseNoteError,
    is_calendar_version,
    load_release_notes,
    normalize_version,
    parse_release_note,
    parse_version,
    read_release_notes,
    version_key,
    versions_between,
)

# A synthetic note in today's format; the malformed-note tests each break one line of it.
VALID = """\
---
author: meshcloud
title: Release 2025.60.0
---

Release period: 2025-12-17 to 2025-12-24

This release includes the following issues:
* First ticket
* Second ticket
<!--truncate-->

## Ticket Details
### First ticket
**Audience:** User, Operator<br>

#### Description
Text *one*.

#### How to use
Click it.

### Second ticket
**Audience:** Partner<br>

#### Description
Text two.
"""


@pytest.fixture(scope="module")
def real_folder() -> Path:
    # The data is not in this repository; without it the test must fail, never pass by skipping.
    if not REAL_NOTES.is_dir():
        pytest.fail(f"real release notes missing: expected them in {REAL_NOTES}")
    return REAL_NOTES


@pytest.fixture(scope="module")
def real_notes(real_folder: Path) -> list[ReleaseNote]:
    return load_release_notes(real_folder)


def by_version(notes: list[ReleaseNote], version: str) -> ReleaseNote:
    return next(note for note in notes if note.version == version)


def write(tmp_path: Path, text: str, name: str = "2025-12-24-Release-0.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def broken(tmp_path: Path, old: str, new: str) -> Path:
    assert VALID.count(old) == 1, old
    return write(tmp_path, VALID.replace(old, new))


def problems_of(path: Path) -> str:
    with pytest.raises(ReleaseNoteError) as caught:
        parse_release_note(path)
    return str(caught.value)


# --- the real notes ---------------------------------------------------------------------------


def test_real_notes_folder_is_present() -> None:
    # Reported as a plain failure too (the fixture above makes the dependent tests error out).
    assert REAL_NOTES.is_dir(), f"real release notes missing: expected them in {REAL_NOTES}"


def independent_counts(folder: Path) -> tuple[int, int, Counter[str]]:
    """Distinct notes, tickets and audience mentions, by regex over the raw bytes.

    Byte-identical files count once, as the archive holds one note twice.
    """
    audience_line = re.compile(rb"^\*\*Audience:\*\*(.*?)(?:<br>)?[ \t]*$", re.MULTILINE)
    ticket_heading = re.compile(rb"^### ", re.MULTILINE)
    files = (path.read_bytes() for path in folder.glob("*.md") if path.name != "README.md")
    contents = {hashlib.sha256(data).digest(): data for data in files}
    audiences: Counter[str] = Counter()
    tickets = 0
    for data in contents.values():
        tickets += len(ticket_heading.findall(data))
        for match in audience_line.finditer(data):
            audiences.update(item.strip().decode() for item in match[1].split(b","))
    return len(contents), tickets, audiences


def test_every_real_note_parses_and_counts_match_an_independent_count(
    real_folder: Path, real_notes: list[ReleaseNote]
) -> None:
    releases, tickets, audiences = independent_counts(real_folder)
    parsed = Counter(a for note in real_notes for ticket in note.tickets for a in ticket.audiences)
    assert len(real_notes) == releases
    assert sum(len(note.tickets) for note in real_notes) == tickets
    assert parsed == audiences


def test_real_archive_totals(real_folder: Path, real_notes: list[ReleaseNote]) -> None:
    # 132 files, one of them a byte-identical second copy of 2025.13.0.
    assert len([p for p in real_folder.glob("*.md") if p.name != "README.md"]) == 132
    assert len(real_notes) == 131
    assert sum(len(note.tickets) for note in real_notes) == 962
    assert Counter(a for n in real_notes for t in n.tickets for a in t.audiences) == {
        "User": 453,
        "Customer": 160,
        "Partner": 443,
        "Operator": 227,
    }
    assert by_version(real_notes, "2025.13.0").path.endswith("2025-03-28-Release-0.md")
    assert all(ticket.component is None for note in real_notes for ticket in note.tickets)
    assert all(note.period_start and note.period_end for note in real_notes)


def test_known_facts_of_the_first_2023_note(real_notes: list[ReleaseNote]) -> None:
    note = by_version(real_notes, "7.152.0")
    assert note.title == "Release 7.152.0"
    assert (note.date, note.period_start, note.period_end) == (
        "2023-01-03",
        "2022-12-28",
        "2023-01-03",
    )
    assert note.summary.startswith("This release includes the following issues:\n* Add finalized")
    assert "Release period" not in note.summary
    assert len(note.tickets) == 4
    first, second = note.tickets[:2]
    assert first.title == "Add finalized flag to Chargeback CSV and API"
    assert first.audiences == ("Partner",)
    assert first.how_to_use is not None and first.how_to_use.startswith("In the CSV export,")
    assert first.description.endswith("and in the meshChargeback Read API.")
    # Written "Customer, Operator, Partner": normalised to the canonical order.
    assert second.title == "Clean up non-finalized Preview Chargebacks"
    assert second.audiences == ("Customer", "Partner", "Operator")
    assert (second.how_to_use, second.line) == (None, 29)


def test_known_facts_of_the_first_calendar_and_the_last_note(
    real_notes: list[ReleaseNote],
) -> None:
    first_calendar = by_version(real_notes, "2023.1.0")
    assert (first_calendar.period_start, first_calendar.period_end) == ("2023-06-07", "2023-06-14")
    assert [t.title for t in first_calendar.tickets][-1] == (
        "Improved Policy Validation for Group Assignment"
    )
    assert first_calendar.tickets[0].audiences == ("User", "Customer", "Operator")
    last = by_version(real_notes, "2025.55.0")
    assert (last.date, last.period_start, last.period_end) == (
        "2025-12-17",
        "2025-12-16",
        "2025-12-17",
    )
    assert len(last.tickets) == 6
    assert last.tickets[0].title == (
        "Building Block Search Bar Remains Visible When no Results Are Found"
    )
    assert last.tickets[-1].description.splitlines()[-1].startswith("standard access control")


def test_real_notes_are_in_version_order_old_scheme_first(real_notes: list[ReleaseNote]) -> None:
    versions = [note.version for note in real_notes]
    assert versions[0] == "7.152.0" and versions[-1] == "2025.55.0"
    switch = versions.index("2023.1.0")
    assert versions[switch - 1] == "7.176.0"
    assert not any(is_calendar_version(v) for v in versions[:switch])
    assert all(is_calendar_version(v) for v in versions[switch:])
    assert versions.index("2023.9.1") < versions.index("2023.10.0")  # numeric, not text, order
    assert sorted(reversed(versions), key=version_key) == versions


# --- tolerated drift --------------------------------------------------------------------------


def test_the_synthetic_note_parses(tmp_path: Path) -> None:
    note = parse_release_note(write(tmp_path, VALID))
    assert (note.version, note.date, note.period_start, note.period_end) == (
        "2025.60.0",
        "2025-12-24",
        "2025-12-17",
        "2025-12-24",
    )
    assert (
        note.summary
        == "This release includes the following issues:\n* First ticket\n* Second ticket"
    )
    first, second = note.tickets
    assert (first.title, first.audiences, first.line) == ("First ticket", ("User", "Operator"), 14)
    assert (first.description, first.how_to_use) == ("Text *one*.", "Click it.")
    assert (second.audiences, second.how_to_use, second.component) == (("Partner",), None, None)


def test_crlf_and_trailing_whitespace_change_nothing(tmp_path: Path) -> None:
    clean = parse_release_note(write(tmp_path, VALID, "a.md"))
    messy = VALID.replace("\n", "  \t\r\n")
    drifted = parse_release_note(tmp_path / "a.md", text="\ufeff" + messy)
    assert drifted == clean


def test_text_argument_is_parsed_instead_of_the_file(tmp_path: Path) -> None:
    note = parse_release_note(tmp_path / "2025-12-24-Release-0.md", text=VALID)
    assert note.version == "2025.60.0" and note.path == str(tmp_path / "2025-12-24-Release-0.md")


def test_missing_period_truncate_and_ticket_details_heading(tmp_path: Path) -> None:
    text = VALID.replace("Release period: 2025-12-17 to 2025-12-24\n", "")
    text = text.replace("<!--truncate-->\n", "").replace("## Ticket Details\n", "")
    note = parse_release_note(write(tmp_path, text))
    assert (note.period_start, note.period_end) == (None, None)
    assert note.summary.endswith("* Second ticket")
    assert [t.title for t in note.tickets] == ["First ticket", "Second ticket"]


def test_heading_level_and_audience_spelling_drift(tmp_path: Path) -> None:
    text = (
        "---\ntitle: 'Release v2025.07.1'\ndate: 2025-04-01T10:00:00Z\n---\n"
        "Intro.\n\n# Ticket details:\n"
        "## Renamed thing ##\n**Audience**: operator, USERS , customer,<br/>\n"
        "### Description\nWhy.\n```\n## not a ticket\n**Audience:** Nobody\n```\n"
        "### How to use:\nLike this.\n#### Example\nMore.\n"
    )
    note = parse_release_note(write(tmp_path, text, "2025-03-01-Release-0.md"))
    assert (note.version, note.title, note.date) == ("2025.7.1", "Release v2025.07.1", "2025-04-01")
    assert note.summary == "Intro."
    (ticket,) = note.tickets
    assert ticket.title == "Renamed thing"
    assert ticket.audiences == ("User", "Customer", "Operator")
    assert ticket.description == "Why.\n```\n## not a ticket\n**Audience:** Nobody\n```"
    assert ticket.how_to_use == "Like this.\n#### Example\nMore."


def test_older_formats_with_component_and_italic_audience(tmp_path: Path) -> None:
    # Modelled on meshcloud's 2018 and 2019-2022 notes (not part of the shared data set).
    text = (
        "---\nauthor: meshcloud\ntitle: Release 5.8.0\n---\n\n"
        "The release spans the period between 2019-09-12 to 2019-09-24\n"
        "<!--truncate-->\n\n## Ticket Details\n"
        "### Labels for namespaces\n**Audience:** User, Operator\n**Component:** repli\n\n\n"
        "#### Description\nLabels.\n\n"
        "### Faster bindings\n*Target:* chore\n\n*Audience:* Customers\n\n"
        "*Benefit to the user?*\n\nQuicker.\n"
    )
    note = parse_release_note(write(tmp_path, text, "2019-09-24-Release-0.md"))
    assert (note.period_start, note.period_end, note.summary) == ("2019-09-12", "2019-09-24", "")
    labels, bindings = note.tickets
    assert (labels.component, labels.audiences, labels.description) == (
        "repli",
        ("User", "Operator"),
        "Labels.",
    )
    assert bindings.audiences == ("Customer",) and bindings.component is None
    # 2018's "*Target:*" is a field the parser does not know: kept as data, not as text.
    assert bindings.fields == (("Target", "chore"),)
    assert bindings.description == "*Benefit to the user?*\n\nQuicker."


def test_fields_beside_the_audience_on_one_line(tmp_path: Path) -> None:
    # meshcloud's notes of 2019-2022 put more fields on the audience line, split by <br>; read
    # as one audience they gave 159 "unknown audience" errors on the older archive.
    text = (
        "---\nauthor: meshcloud\ntitle: Release 6.5.0\n---\n\n"
        "Release period: 2019-11-18 to 2019-11-27\n<!--truncate-->\n\n## Ticket Details\n"
        "### Metadata endpoint\n**Audience:** User<br>**Component:** release-note\n\n\n"
        "#### Description\nAn endpoint.\n\n"
        "### Approval links\n**Audience:** Customer, Partner<br>\n\n#### Description\nLinks.\n\n"
        "### Blueprints\n**Audience:** Operator<br/>**Component:** replicator<br />"
        "**Squad:** Kraken<br>\n\n#### Description\nAzure.\n"
    )
    note = parse_release_note(write(tmp_path, text, "2019-11-27-Release-0.md"))
    assert note.warnings == ()
    assert [(t.audiences, t.component, t.fields, t.description) for t in note.tickets] == [
        (("User",), "release-note", (), "An endpoint."),
        (("Customer", "Partner"), None, (), "Links."),
        (("Operator",), "replicator", (("Squad", "Kraken"),), "Azure."),
    ]


def test_a_description_starting_with_bold_text_is_not_a_field(tmp_path: Path) -> None:
    # Without a "#### Description" heading (2018), the text follows the audience line.
    text = VALID.replace("#### Description\nText two.", "**Note:** read this.\n\nText two.")
    note = parse_release_note(write(tmp_path, text))
    assert note.tickets[1].fields == ()
    assert note.tickets[1].description == "**Note:** read this.\n\nText two."
    assert note.warnings == ()


def test_every_published_note_is_read_without_a_warning(real_folder: Path) -> None:
    read = read_release_notes(real_folder)
    assert read.warnings == []
    assert len(read.notes) == 131


def test_folder_skips_readme_and_other_files_and_sorts_by_version(tmp_path: Path) -> None:
    write(tmp_path, VALID, "2025-12-24-Release-0.md")
    write(tmp_path, VALID.replace("2025.60.0", "7.176.0"), "2023-06-07-Release-0.md")
    write(tmp_path, VALID.replace("2025.60.0", "2025.9.0"), "2025-03-01-Release-0.md")
    write(tmp_path, "# not a note", "README.md")
    write(tmp_path, "not a note", "notes.txt")
    write(tmp_path, "not a note", ".#2025-12-24-Release-0.md")
    (tmp_path / "sub.md").mkdir()
    assert [n.version for n in load_release_notes(tmp_path)] == ["7.176.0", "2025.9.0", "2025.60.0"]


def test_identical_copy_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, VALID, "2025-12-24-Release-0.md")
    write(tmp_path, VALID, "2025-12-24-Release-1.md")
    (note,) = load_release_notes(tmp_path)
    assert note.path == str(tmp_path / "2025-12-24-Release-0.md")


# --- notes that cannot be used: exact messages ------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "---\nauthor",
            "author",
            "1: missing front matter: the file must start with a '---' line",
        ),
        ("0.0\n---\n", "0.0\n", "1: front matter is not closed by a '---' line"),
        ("title: Release 2025.60.0\n", "", "1: front matter has no 'title'"),
        (
            "Release 2025.60.0",
            "Release December",
            "3: no version (N.N.N) in title 'Release December'",
        ),
        (
            "Release 2025.60.0",
            "Release 2025.60",
            "3: no version (N.N.N) in title 'Release 2025.60'",
        ),
    ],
)
def test_one_broken_thing_gives_one_exact_message(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    path = broken(tmp_path, old, new)
    assert problems_of(path) == f"{path}:{expected}"


# --- what is read otherwise than written: warnings saying what was done -----------------------


def warnings_of(path: Path) -> list[str]:
    return [
        f"{line}: {message}; {action}"
        for line, message, action in parse_release_note(path).warnings
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "author: meshcloud",
            "just words",
            "2: unreadable front-matter line 'just words'; ignored",
        ),
        (
            "author: meshcloud",
            "title: Release 2025.61.0",
            "3: duplicate front-matter key 'title'; the first one is used",
        ),
        (
            "author: meshcloud",
            "date: 2025-02-30",
            "2: invalid date '2025-02-30' in front matter; the file name's date is used",
        ),
        (
            "**Audience:** Partner<br>\n",
            "",
            "23: ticket 'Second ticket' has no audience; shown to every audience",
        ),
        (
            "**Audience:** Partner<br>",
            "**Audience:** <br>",
            "23: ticket 'Second ticket' has no audience; shown to every audience",
        ),
        (
            "User, Operator",
            "User, Admins",
            "15: unknown audience 'Admins' in ticket 'First ticket' "
            "(expected User, Customer, Partner, Operator); shown to every audience",
        ),
        (
            "2025-12-17 to",
            "2025-13-17 to",
            "6: invalid date in release period 'Release period: 2025-13-17 to 2025-12-24'; "
            "no release period is shown",
        ),
        (
            "2025-12-17 to 2025-12-24",
            "2025-12-24 to 2025-12-17",
            "6: release period ends before it starts; no release period is shown",
        ),
        ("### Second ticket", "###", "23: ticket heading has no title; its text is left out"),
        (
            "Text two.",
            "```\nText two.",
            "27: code block is never closed; the rest of the file is read as code",
        ),
        (
            "**Audience:** Partner<br>",
            "**Audience:** Partner<br>see below",
            "24: text 'see below' after a <br> is not a field; kept in the description",
        ),
    ],
)
def test_one_unreadable_thing_gives_one_exact_warning(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert warnings_of(broken(tmp_path, old, new)) == [expected]


def test_what_a_warning_says_was_done_is_what_the_note_holds(tmp_path: Path) -> None:
    note = parse_release_note(broken(tmp_path, "**Audience:** Partner<br>\n", ""))
    assert note.tickets[1].audiences == ("User", "Customer", "Partner", "Operator")
    note = parse_release_note(broken(tmp_path, "User, Operator", "Operator, Admins, admins"))
    assert note.tickets[0].audiences == ("Operator", "Admins")
    note = parse_release_note(broken(tmp_path, "2025-12-17 to", "2025-13-17 to"))
    assert (note.period_start, note.period_end) == (None, None)
    assert "Release period" not in note.summary
    note = parse_release_note(broken(tmp_path, "### Second ticket", "###"))
    assert [t.title for t in note.tickets] == ["First ticket"]
    note = parse_release_note(broken(tmp_path, "author: meshcloud", "date: 2025-02-30"))
    assert note.date == "2025-12-24"  # from the file name
    note = parse_release_note(
        broken(tmp_path, "**Audience:** Partner<br>", "**Audience:** Partner<br>see below")
    )
    assert note.tickets[1].description.startswith("see below")


def test_all_problems_of_a_file_are_reported_at_once(tmp_path: Path) -> None:
    text = VALID.replace("Release 2025.60.0", "Release").replace("author: meshcloud", "x")
    path = write(tmp_path, text.replace("---\n\n", "\n", 1))
    assert problems_of(path).splitlines() == [
        f"{path}:1: front matter is not closed by a '---' line",
    ]
    text = VALID.replace("Partner<br>", "Admin<br>").replace("User, Operator", "Admins")
    path = write(tmp_path, text.replace("author: meshcloud", "date: someday"))
    assert warnings_of(path) == [
        "2: invalid date 'someday' in front matter; the file name's date is used",
        "15: unknown audience 'Admins' in ticket 'First ticket' "
        "(expected User, Customer, Partner, Operator); shown to every audience",
        "24: unknown audience 'Admin' in ticket 'Second ticket' "
        "(expected User, Customer, Partner, Operator); shown to every audience",
    ]


def test_untrusted_text_in_messages_is_escaped_and_cut(tmp_path: Path) -> None:
    path = broken(tmp_path, "User, Operator", "\x1b[31m" + "x" * 100)
    (message,) = warnings_of(path)
    assert "\x1b" not in message and "'\\x1b[31mxxx" in message and "...'" in message


def test_file_over_2_mb(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "x" * (2 * 1024 * 1024))
    assert problems_of(path) == f"{path}:0: file is larger than 2 MB"
    with pytest.raises(ReleaseNoteError, match="larger than 2 MB"):
        parse_release_note(path, text="\u20ac" * 700_000)  # 2.1 MB once encoded


def test_non_utf8_bytes_give_a_message_with_line(tmp_path: Path) -> None:
    data = VALID.replace("Click it.", "Click \xe9t.").encode("latin-1")
    path = tmp_path / "latin1.md"
    path.write_bytes(data)
    offset = data.index(b"\xe9")
    assert problems_of(path) == f"{path}:21: not valid UTF-8 (byte 0xe9 at offset {offset})"


def test_folder_warns_about_all_files_and_duplicates_at_once(tmp_path: Path) -> None:
    write(tmp_path, VALID, "a.md")
    write(tmp_path, VALID.replace("Text two.", "Changed."), "b.md")  # same version, other text
    write(tmp_path, VALID.replace("Partner<br>", "Admin<br>").replace("60.0", "61.0"), "c.md")
    (tmp_path / "d.md").write_bytes(b"\xff")
    read = read_release_notes(tmp_path)
    assert [(n.path, n.version) for n in read.notes] == [
        (str(tmp_path / "a.md"), "2025.60.0"),
        (str(tmp_path / "c.md"), "2025.61.0"),
    ]
    assert [str(w) for w in read.warnings] == [
        f"{tmp_path / 'b.md'}:3: duplicate version 2025.60.0 (also in {tmp_path / 'a.md'}); "
        "the note is left out",
        f"{tmp_path / 'c.md'}:24: unknown audience 'Admin' in ticket 'Second ticket' "
        "(expected User, Customer, Partner, Operator); shown to every audience",
        f"{tmp_path / 'd.md'}:1: not valid UTF-8 (byte 0xff at offset 0); the note is left out",
    ]
    # --strict: every warning is an error, without what would have been done instead.
    with pytest.raises(ReleaseNoteError) as caught:
        load_release_notes(tmp_path, strict=True)
    assert str(caught.value).splitlines() == [
        f"{tmp_path / 'b.md'}:3: duplicate version 2025.60.0 (also in {tmp_path / 'a.md'})",
        f"{tmp_path / 'c.md'}:24: unknown audience 'Admin' in ticket 'Second ticket' "
        "(expected User, Customer, Partner, Operator)",
        f"{tmp_path / 'd.md'}:1: not valid UTF-8 (byte 0xff at offset 0)",
    ]


def test_a_folder_without_a_usable_note_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "d.md").write_bytes(b"\xff")
    write(tmp_path, VALID.replace("Release 2025.60.0", "Release"), "e.md")
    with pytest.raises(ReleaseNoteError) as caught:
        load_release_notes(tmp_path)
    assert str(caught.value).splitlines() == [
        f"{tmp_path}:0: no usable release note in the folder",
        f"{tmp_path / 'd.md'}:1: not valid UTF-8 (byte 0xff at offset 0)",
        f"{tmp_path / 'e.md'}:3: no version (N.N.N) in title 'Release'",
    ]
    (tmp_path / "d.md").unlink()
    (tmp_path / "e.md").unlink()
    with pytest.raises(ReleaseNoteError, match="no usable release note"):
        load_release_notes(tmp_path)


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ReleaseNoteError) as caught:
        load_release_notes(tmp_path / "nope")
    assert str(caught.value) == f"{tmp_path / 'nope'}:0: release-note folder does not exist"


# --- versions ---------------------------------------------------------------------------------


def test_old_scheme_sorts_before_calendar_scheme() -> None:
    chain = ["4.2.4", "7.176.0", "2023.1.0", "2025.55.0"]
    assert sorted(reversed(chain), key=version_key) == chain
    assert version_key("4.2.4") < version_key("7.176.0") < version_key("2023.1.0")
    assert version_key("2023.1.0") < version_key("2025.55.0")
    assert sorted(["2025.10.0", "2025.9.1", "2025.9.0"], key=version_key) == [
        "2025.9.0",
        "2025.9.1",
        "2025.10.0",
    ]


def test_release_date_only_breaks_ties() -> None:
    assert version_key("7.1.0", "2030-01-01") < version_key("7.2.0", "2020-01-01")
    assert version_key("7.1.0", "2020-01-01") < version_key("7.1.0", "2020-01-02")
    assert version_key("7.1.0") < version_key("7.1.0", "2020-01-01")


def test_parse_version() -> None:
    assert parse_version("2025.55.0") == (2025, 55, 0)
    assert parse_version(" v7.176.0 ") == (7, 176, 0)
    assert normalize_version("v2025.01.0") == "2025.1.0"
    assert is_calendar_version("2023.1.0") and not is_calendar_version("7.176.0")


@pytest.mark.parametrize(
    "garbage",
    ["", "7.176", "7.176.0.1", "2025.55.0-rc1", "a.b.c", "-1.2.3", "1..2", "\u0661.2.3", "latest"],
)
def test_parse_version_rejects_garbage(garbage: str) -> None:
    with pytest.raises(ValueError, match="not a meshStack version"):
        parse_version(garbage)
    with pytest.raises(ValueError):
        version_key(garbage)


def test_versions_between() -> None:
    known = ["2023.2.0", "7.175.0", "2023.1.0", "7.176.0", "2023.1.0", "2023.3.0"]
    assert versions_between(known, "7.175.0", "2023.2.0") == ["7.176.0", "2023.1.0", "2023.2.0"]
    assert versions_between(known, "7.176.0", "7.176.0") == []
    assert versions_between(known, "2023.3.0", "7.175.0") == []  # a downgrade
    assert versions_between(known, "7.0.0", "2023.1.5") == ["7.175.0", "7.176.0", "2023.1.0"]
    with pytest.raises(ValueError):
        versions_between([*known, "next"], "7.0.0", "2023.1.0")


def test_versions_between_real_versions(real_notes: list[ReleaseNote]) -> None:
    versions = [note.version for note in real_notes]
    between = versions_between(reversed(versions), "7.175.0", "2023.2.0")
    assert between == ["7.176.0", "2023.1.0", "2023.2.0"]


def test_a_note_without_ticket_sections_has_no_tickets(tmp_path):
    path = tmp_path / "2026-01-05-release.md"
    path.write_text("---\ntitle: Release 2026.1.0\n---\n\nMaintenance only.\n", encoding="utf-8")
    note = parse_release_note(path)
    assert (note.version, note.tickets) == ("2026.1.0", ())
