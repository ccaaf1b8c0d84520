"""generator/render/reconciliation.py: which paths make up each population, in words."""

from __future__ import annotations

from generator.evidence.model import ReconciliationRecord, ScopeGroupRecord
from generator.render.reconciliation import population_scopes


def _group(kind: str, name: str, paths: tuple[str, ...], reaches: tuple[str, ...]):
    return ScopeGroupRecord(kind, name, paths, reaches, "", 0, "true", ())


def test_an_environments_population_lists_each_shared_scope_reaching_it():
    record = ReconciliationRecord(
        0,
        "true",
        (
            _group("environments", "", ("envs/stg/**", "envs/prod/**"), ("stg", "prod")),
            _group("shared", "platform", ("lz/**", "tf/**"), ("stg", "prod")),
            _group("shared", "prod-only", ("prodlib/**",), ("prod",)),
            _group("out_of_scope", "docs", ("docs/**",), ()),
        ),
    )
    assert population_scopes("stg", record) == [("shared scope platform", ("lz/**", "tf/**"))]
    assert population_scopes("prod", record) == [
        ("shared scope platform", ("lz/**", "tf/**")),
        ("shared scope prod-only", ("prodlib/**",)),
    ]
    assert population_scopes("other", record) == []
