"""One way to register extensions: evidence rules, renderers and evidence sources.

Each kind of extension is a module defining one module-level object (``RULE``, ``RENDERER``,
``SOURCE``). Built-in ones are the modules of a package of meshcomply, other packages add theirs
through an entry-point group pointing at a module; both go through ``Registry.load``, so a
built-in has no privilege a plugin lacks, and adding a built-in is one new file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType
from typing import Generic, TypeVar

from generator.errors import BuildError

T = TypeVar("T")


class RegistryError(BuildError):
    """A module that does not define what its registry expects, or a name registered twice."""


@dataclass(frozen=True)
class Registry(Generic[T]):
    title: str  # what the registry holds, starting every message: "evidence rules"
    noun: str  # one item, in messages: "rule kind"
    package: str  # built-ins: the modules and packages of this package
    group: str  # plugins: this entry-point group
    attribute: str  # the object a module defines, e.g. "RULE"
    item_type: type[T]
    name_of: Callable[[T], str]
    # Built-in modules without the attribute are helpers of the package rather than mistakes.
    helpers_allowed: bool = False
    # Extra checks of an item: a message when it is unusable, None when it is fine.
    check: Callable[[T], str | None] = lambda item: None

    def load(self) -> dict[str, T]:
        """Every registered item by name: built-ins in module-name order, then plugins in
        entry-point-name order."""
        found: dict[str, T] = {}
        builtin = importlib.import_module(self.package)
        for info in sorted(pkgutil.iter_modules(builtin.__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{self.package}.{info.name}")
            self._register(module, found, helpers_allowed=self.helpers_allowed)
        for point in sorted(entry_points(group=self.group), key=lambda p: p.name):
            self._register(point.load(), found, helpers_allowed=False)
        return found

    def _register(self, module: ModuleType, found: dict[str, T], *, helpers_allowed: bool) -> None:
        item = getattr(module, self.attribute, None)
        if item is None and helpers_allowed:
            return
        expected = f"{self.attribute} = {self.item_type.__name__}(...)"
        if not isinstance(item, self.item_type):
            self._fail(f"{module.__name__} does not define {expected}")
        problem = self.check(item)
        if problem:
            self._fail(f"{module.__name__}: {problem}")
        name = self.name_of(item)
        if name in found:
            self._fail(f"{self.noun} '{name}' is registered twice ({module.__name__})")
        found[name] = item

    def _fail(self, message: str) -> None:
        raise RegistryError(f"{self.title}: {message}")
