"""Where the shipped data folders are: inside the installed package, or the source tree.

The repository keeps ``controls/`` and ``templates/`` at its top level (they are what people edit
and review); an installed wheel carries them as ``generator/data/<name>``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The shipped folder ``name`` (``controls`` or ``templates``)."""
    packaged = _PACKAGE / "data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name
