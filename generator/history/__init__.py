"""Reading an installation's configuration history into plain facts (see docs/history.md)."""
