"""Tags of the repository, annotated and lightweight, with the commit each one points to."""

from __future__ import annotations

from generator.history.gitio import GitRunner
from generator.history.model import Tag
from generator.history.rawlog import parse_identity

_FIELDS = (
    "%(refname)",
    "%(objecttype)",
    "%(objectname)",
    "%(*objecttype)",
    "%(*objectname)",
    "%(tagger)",
    "%(contents)",
)
_FORMAT = "%00".join(_FIELDS) + "%00"


def read_tags(runner: GitRunner, unread: list[tuple[str, str]] | None = None) -> list[Tag]:
    """Every tag that points (directly or through other tags) to a commit, sorted by name.

    The others are added to `unread` as (name, why), for the release reader to name the release
    tags among them: a tag of a tree or a blob, and an annotated tag whose tagger date cannot be
    read (git would show it as 1970-01-01, which is no date).
    """
    skipped = unread if unread is not None else []
    output = runner.run("for-each-ref", f"--format={_FORMAT}", "refs/tags")
    tokens = output.split("\0")
    tags = []
    width = len(_FIELDS)
    for start in range(0, len(tokens) - width + 1, width):
        fields = [tokens[start].lstrip("\n"), *tokens[start + 1 : start + width]]
        ref, kind, target, peeled_kind, peeled, tagger_line, message = fields
        name = ref.removeprefix("refs/tags/")
        if kind == "commit":
            tags.append(Tag(name, target, annotated=False, tagger=None, tagged_at=None))
            continue
        if kind != "tag":
            skipped.append((name, f"points to a {kind or 'missing object'}, not a commit"))
            continue
        if peeled_kind == "tag":  # a tag of a tag: let git follow the chain to its end
            # Peeled fully, then asked its type: a chain ending in a tree is no release, but a
            # missing object on the way is an error (git's words), never a tag quietly dropped.
            peeled = runner.run("rev-parse", "--verify", "--end-of-options", f"{ref}^{{}}").strip()
            peeled_kind = runner.run("cat-file", "-t", peeled).strip()
        if peeled_kind != "commit":
            skipped.append(
                (name, f"is a tag of a {peeled_kind or 'missing object'}, not of a commit")
            )
            continue
        tagger, tagged_at = None, None
        if tagger_line:
            raw = tagger_line.encode("utf-8", "surrogateescape")
            person, tagged_at = parse_identity(raw, None)
            tagger = person if person.name or person.email else None
            if tagged_at is None and raw[raw.rfind(b">") + 1 :].strip():
                skipped.append((name, "has a tagger date that cannot be read"))
                continue
        tags.append(
            Tag(name, peeled, True, tagger, tagged_at, message.rstrip("\n"), oid=target),
        )
    return sorted(tags, key=lambda tag: tag.name)
