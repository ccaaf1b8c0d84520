"""Tags of the repository, annotated and lightweight, with the commit each one points to."""

from __future__ import annotations

from generator.history.gitio import GitRunner
from generator.history.model import Identity, Tag

_FIELDS = (
    "%(refname)",
    "%(objecttype)",
    "%(objectname)",
    "%(*objecttype)",
    "%(*objectname)",
    "%(taggername)",
    "%(taggeremail)",
    "%(taggerdate:iso-strict)",
    "%(contents)",
)
_FORMAT = "%00".join(_FIELDS) + "%00"


def read_tags(runner: GitRunner) -> list[Tag]:
    """Every tag that points (directly or through other tags) to a commit, sorted by name.

    Tags of trees or blobs say nothing about a configuration's history and are left out.
    """
    output = runner.run("for-each-ref", f"--format={_FORMAT}", "refs/tags")
    tokens = output.split("\0")
    tags = []
    width = len(_FIELDS)
    for start in range(0, len(tokens) - width + 1, width):
        fields = [tokens[start].lstrip("\n"), *tokens[start + 1 : start + width]]
        ref, kind, target, peeled_kind, peeled, t_name, t_email, t_date, message = fields
        name = ref.removeprefix("refs/tags/")
        if kind == "commit":
            tags.append(Tag(name, target, annotated=False, tagger=None, tagged_at=None))
            continue
        if kind != "tag":
            continue
        if peeled_kind == "tag":  # a tag of a tag: let git follow the chain to its end
            # Peeled fully, then asked its type: a chain ending in a tree is no release, but a
            # missing object on the way is an error (git's words), never a tag quietly dropped.
            peeled = runner.run("rev-parse", "--verify", "--end-of-options", f"{ref}^{{}}").strip()
            peeled_kind = runner.run("cat-file", "-t", peeled).strip()
        if peeled_kind != "commit":
            continue
        tagger = Identity(t_name, t_email.strip("<>")) if t_name or t_email else None
        tags.append(
            Tag(name, peeled, True, tagger, t_date or None, message.rstrip("\n"), oid=target),
        )
    return sorted(tags, key=lambda tag: tag.name)
