"""meshcloud release notes: the parser, the data model and meshStack version ordering."""

from generator.releasenotes.loader import NotesRead, load_release_notes, read_release_notes
from generator.releasenotes.model import AUDIENCES, ReleaseNote, Ticket
from generator.releasenotes.parser import NoteWarning, ReleaseNoteError, parse_release_note
from generator.releasenotes.versions import (
    is_calendar_version,
    normalize_version,
    parse_version,
    version_key,
    versions_between,
)

__all__ = [
    "AUDIENCES",
    "NoteWarning",
    "NotesRead",
    "ReleaseNote",
    "ReleaseNoteError",
    "Ticket",
    "is_calendar_version",
    "load_release_notes",
    "normalize_version",
    "parse_release_note",
    "parse_version",
    "read_release_notes",
    "version_key",
    "versions_between",
]
