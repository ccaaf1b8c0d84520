"""Trailer parsing agrees with git's own (``git interpret-trailers --parse``)."""

from __future__ import annotations

import pytest
from gitrepo import git

from generator.history.model import Identity
from generator.history.trailers import identities, identity, parse_trailers, split_message

MESSAGES = [
    "Subject only",
    "Subject\n\nApproved-by: Bob <bob@example.com>",
    "Approved-by: Bob <bob@example.com>",  # the title is never a trailer
    "Subject\n\nBody text.\n\nApproved-by: Bob <bob@example.com>\nReviewed-by: Eve <eve@x.io>",
    "Subject\n\nApproved-by: Bob <bob@example.com>\n\nBody after the trailers.",
    "Subject\n\nBody\nApproved-by: Bob <bob@example.com>",  # mixed paragraph: not trailers
    "Subject\n\nSee the docs\nSigned-off-by: Ann <ann@x.io>\nApproved-by: Bob <b@x.io>",
    "Subject\n\nline one\nline two\nline three\nline four\nSigned-off-by: Ann <ann@x.io>",
    "Subject\n\nApproved-by: Bob\n  <bob@example.com>",  # folded continuation
    "Subject\n\napproved-BY : Bob <bob@example.com>",
    "Subject\n\nText\n\n\nApproved-by: Bob <bob@example.com>\n\n",
    "Subject\n\nhttps://example.com/ticket/1",
]


def git_trailers(message: str) -> list[tuple[str, str]]:
    out = git("interpret-trailers", "--parse", input=message.encode())
    return [tuple(part.strip() for part in line.split(":", 1)) for line in out.splitlines()]


@pytest.mark.parametrize("message", MESSAGES)
def test_trailers_match_git(message):
    _subject, body = split_message(message)
    assert list(parse_trailers(body)) == git_trailers(message)


def test_subject_is_the_first_paragraph_on_one_line():
    assert split_message("Fix the\nlogging level\n\nBody\n\nmore\n") == (
        "Fix the logging level",
        "Body\n\nmore",
    )


def test_identities_from_trailer_values():
    assert identity("Bob Builder <bob@example.com>") == Identity("Bob Builder", "bob@example.com")
    assert identity(" bob@example.com ") == Identity("bob@example.com", "bob@example.com")
    assert identity("Bob") == Identity("Bob", "")
    trailers = (
        ("APPROVED-BY", "Bob <b@x.io>"),
        ("Signed-off-by", "Ann <a@x.io>"),
        ("Reviewed-by", ""),
    )
    assert identities(trailers, ("Approved-by", "Reviewed-by")) == [Identity("Bob", "b@x.io")]
