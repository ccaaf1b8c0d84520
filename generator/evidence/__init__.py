"""Judging an installation's history against the control library (see docs/evidence.md)."""
