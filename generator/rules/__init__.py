"""Built-in evidence rule kinds: one module each, defining ``RULE`` (see evidence/registry.py)."""
