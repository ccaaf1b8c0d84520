"""Renderers: one module or package each, defining ``RENDERER`` (see registry.py)."""
