"""A per-repository cache of parsed history, so a rebuild without new commits reads no history.

Commits are immutable, so whatever was parsed for a sha stays true: the first-parent line up to a
head and release-file values per (sha, file, key). Answers that depend on the head (populations,
merge authors, signature checks) are kept only for the head they were made at.
New commits on top of a cached head are read incrementally. The cache is one pickle per
repository in the user's own cache folder; a file that cannot be read is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.cachefiles import default_cache_dir, read_pickle, write_pickle
from generator.history.model import Commit

FORMAT = 1


@dataclass
class CachedHistory:
    head: str = ""
    commits: list[Commit] = field(default_factory=list)  # first-parent line, oldest first
    release_values: dict[tuple[str, str, str], tuple[str | None, str | None]] = field(
        default_factory=dict
    )
    per_head: dict[Any, Any] = field(default_factory=dict)  # answers valid for `head` only

    def state(self) -> tuple[Any, ...]:
        """Changes whenever something was added (entries are only ever added, never altered)."""
        return self.head, len(self.commits), len(self.release_values), frozenset(self.per_head)


class HistoryCache:
    def __init__(self, repo_path: Path, cache_dir: Path | None = None):
        digest = hashlib.sha256(str(repo_path.resolve()).encode("utf-8")).hexdigest()[:24]
        self.file = (cache_dir or default_cache_dir()) / "history" / f"{digest}.pickle"

    def load(self) -> CachedHistory:
        stored = read_pickle(self.file)
        if not isinstance(stored, dict) or stored.get("format") != FORMAT:
            return CachedHistory()
        cached = stored.get("history")
        return cached if isinstance(cached, CachedHistory) else CachedHistory()

    def save(self, history: CachedHistory) -> None:
        write_pickle(self.file, {"format": FORMAT, "history": history})
