"""meshcomply: audit-ready ISO/IEC 27001 and 27017 evidence packs for meshStack installations."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # Looked up on first use, not on import: the executable (entry.py) handles Ctrl-C before
    # anything heavy loads, and importlib.metadata alone takes a tenth of a second to import.
    if name != "__version__":
        raise AttributeError(f"module 'generator' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("meshcomply")
    except PackageNotFoundError:  # running from a source tree without installation
        found = "0.0.0+source"
    globals()["__version__"] = found
    return found
