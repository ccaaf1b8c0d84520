"""Reading an installation's configuration history into plain facts (see docs/history.md)."""

from generator.history.history import InstallationHistory
from generator.history.reader import read_history

__all__ = ["InstallationHistory", "read_history"]
