"""The git source: an installation's configuration repository, read for the audit period.

It reads the first-parent line of ``ref``, its tags, the changes to each environment's paths and
the files rules ask about (``generator.history``, docs/history.md), and records the repository,
ref and head it read plus the plain ``git`` commands that re-perform every figure. Rules reach
its data as ``context.history`` (typed by ``HistoryLike``), the same object as
``context.source("git")``.
"""

from __future__ import annotations

from typing import Any

from generator.config import OptionsSection
from generator.history.history import InstallationHistory
from generator.history.reader import read_history
from generator.sources import ReadRequest, Source

# Its keys in an installation's entry of meshcomply.yml (read into InstallationConfig).
CONFIG = (
    OptionsSection(
        "repo",
        {
            "type": "string",
            "minLength": 1,
            "description": "a local path (relative to meshcomply.yml) or a git URL",
        },
        installation=True,
        required=True,
    ),
    OptionsSection(
        "ref",
        {
            "type": "string",
            "minLength": 1,
            "description": "the branch (or other ref) whose first-parent line is the history",
        },
        installation=True,
        required=True,
    ),
    OptionsSection(
        "approvals",
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "trailers": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "merge_committer": {"type": "boolean"},
                "groups": {
                    "type": "object",
                    "description": "people who may approve, named for environments' approvers",
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["side", "members"],
                        "properties": {
                            "side": {"enum": ["customer", "provider"]},
                            "members": {
                                "type": "array",
                                "minItems": 1,
                                "items": {"type": "string", "minLength": 1},
                                "description": "RE2 patterns matching whole e-mail addresses",
                            },
                            "handles": {
                                "type": "array",
                                "items": {"type": "string", "pattern": "^@"},
                                "description": "how CODEOWNERS names them (@org/team, @user)",
                            },
                        },
                    },
                },
                "automation": {
                    "type": "array",
                    "description": "identities that are systems, not people",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["email"],
                        "properties": {
                            "email": {"type": "string", "minLength": 1},
                            "carries_approvals_from": {"type": "string", "minLength": 1},
                        },
                    },
                },
                "codeowners": {
                    "type": "string",
                    "minLength": 1,
                    "description": "the CODEOWNERS file's path in the repository",
                },
            },
        },
        installation=True,
    ),
    OptionsSection(
        "signing",
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "allowed_signers": {
                    "type": "string",
                    "minLength": 1,
                    "description": "an ssh allowed-signers file",
                },
                "gpg_keyring": {
                    "type": "string",
                    "minLength": 1,
                    "description": "a file of exported gpg public keys",
                },
            },
        },
        installation=True,
    ),
)


def read(request: ReadRequest) -> InstallationHistory:
    return read_history(
        request.installation,
        request.period,
        cache_dir=request.cache_dir,
        previous_head=request.previous_head,
    )


def provenance(history: InstallationHistory) -> dict[str, Any]:
    """evidence.json's ``source``: what was read, and how to re-perform each figure with git."""
    return {
        "repo": history.installation.shown_repo,  # a URL's credentials never recorded
        "ref": history.installation.ref,
        "head": history.head,
        "head_date": history.head_date,
        "history_rewritten": history.rewritten,
        # Release files the reader could not read at some commit: no version is guessed.
        "warnings": list(history.warnings),
        "reproduce": [
            {"figure": r.figure, "command": r.command, "expected": r.expected}
            for r in history.reproduce
        ],
    }


SOURCE = Source(
    name="git",
    reads=(
        "the configuration repository's first-parent history of ref up to its head: commits, "
        "tags, each environment's changes and the files rules ask about"
    ),
    config=CONFIG,
    configured=lambda installation: True,  # every installation has its repository
    read=read,
    provenance=provenance,
    close=lambda history: history.close(),
)
