"""Built-in evidence rule kinds: one module each, defining ``RULE`` (see generator/evidence/registry.py)."""
