"""Evidence sources: where an installation's evidence comes from (docs/sources.md).

A source is a module defining ``SOURCE = Source(...)``: the built-in ones are the modules of this
package (``git.py``, the configuration repository's history, is the first), others come through
the ``meshcomply.sources`` entry-point group; both are registered by ``generator.plugins.Registry``.
A source declares its part of an installation's entry in meshcomply.yml (checked when the file
loads), what it reads, and what a pack records about where its data came from. The evidence stage
reads every source of an installation for the period and hands the data to the rules, which ask
for it by name (``context.source("git")``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from generator.config import InstallationConfig, OptionsSection, Period
from generator.plugins import Registry


@dataclass(frozen=True)
class ReadRequest:
    """What the evidence stage asks a source for: one installation over one period."""

    installation: InstallationConfig
    period: Period
    previous_head: str | None = None  # the head recorded by the previous build, if any
    cache_dir: Path | None = None  # None: $MESHCOMPLY_CACHE or ~/.cache/meshcomply


@dataclass(frozen=True)
class Source:
    name: str  # what rules ask the context for: context.source(name)
    reads: str  # what it reads, one sentence (docs, listings)
    # Its keys in an installation's entry of meshcomply.yml (OptionsSection, installation=True).
    config: tuple[OptionsSection, ...]
    # Whether an installation uses this source (its keys are present).
    configured: Callable[[InstallationConfig], bool]
    # The data for one installation and period; BuildError when it cannot be read completely.
    read: Callable[[ReadRequest], Any]
    # What the pack records about where the data came from (plain JSON data).
    provenance: Callable[[Any], dict[str, Any]]
    # Releases what the data holds open (processes, files); called once the pack is assembled.
    close: Callable[[Any], None] = lambda data: None
    # The files the data was read from, as (kind, path), for the pack's inputs (each recorded
    # with its SHA-256); a repository is cited by commit instead.
    inputs: Callable[[Any], tuple[tuple[str, Path], ...]] = lambda data: ()


SOURCES: Registry[Source] = Registry(
    title="evidence sources",
    noun="source",
    package="generator.sources",
    group="meshcomply.sources",
    attribute="SOURCE",
    item_type=Source,
    name_of=lambda source: source.name,
)


@cache
def all_sources() -> dict[str, Source]:
    """Every registered source, by name."""
    return dict(sorted(SOURCES.load().items()))


def source_options() -> tuple[OptionsSection, ...]:
    """The installation keys the registered sources own, for ``load_config``."""
    return tuple(section for source in all_sources().values() for section in source.config)


def read_sources(request: ReadRequest) -> dict[str, Any]:
    """Every configured source's data for the request, by source name.

    All or nothing: when one source cannot be read, those already read are closed and the error
    goes on. The caller closes the data with ``close_sources``.
    """
    data: dict[str, Any] = {}
    try:
        for name, source in all_sources().items():
            if source.configured(request.installation):
                data[name] = source.read(request)
    except BaseException:
        close_sources(data)
        raise
    return data


def source_inputs(data: Mapping[str, Any]) -> tuple[tuple[str, Path], ...]:
    """The files every source's data was read from, as (kind, path), for the pack's inputs."""
    return tuple(pair for name, value in data.items() for pair in all_sources()[name].inputs(value))


def close_sources(data: Mapping[str, Any]) -> None:
    """Close every source's data (see ``Source.close``), all of them even if one fails."""
    with ExitStack() as stack:
        for name, value in data.items():
            stack.callback(all_sources()[name].close, value)
