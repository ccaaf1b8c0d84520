"""Where meshcomply keeps its caches, and how a cache file is read and written.

Caches only save time: a file that cannot be read is treated as absent, and a write either
replaces the whole file or leaves the previous one.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
import time
from pathlib import Path

# Chunk files younger than this that no index names may belong to a save still under way.
ORPHAN_AGE = 24 * 3600  # seconds


def default_cache_dir() -> Path:
    """$MESHCOMPLY_CACHE, or ~/.cache/meshcomply."""
    configured = os.environ.get("MESHCOMPLY_CACHE")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "meshcomply"


def read_pickle(file: Path) -> object | None:
    """The object stored in `file`, None when it is missing or cannot be read."""
    try:
        with file.open("rb") as handle:
            return pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
        return None


def write_pickle(file: Path, stored: object) -> None:
    """Write atomically: a crash leaves the previous file, never half a file."""
    file.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            pickle.dump(stored, out, protocol=5)
        os.replace(temp, file)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def remove_unused_chunks(folder: Path, pattern: str, used: set[str], replaced: set[str]) -> None:
    """Remove the chunk files matching `pattern` that a save replaced, and those no index names
    that are older than ORPHAN_AGE (left by a crash or a lost race); keep the `used` ones."""
    now = time.time()
    for path in folder.glob(pattern):
        if path.name in used:
            continue
        with contextlib.suppress(OSError):
            if path.name in replaced or now - path.stat().st_mtime > ORPHAN_AGE:
                path.unlink()
