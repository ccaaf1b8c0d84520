"""meshcomply: audit-ready ISO/IEC 27001 and 27017 evidence packs for meshStack installations."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("meshcomply")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"
