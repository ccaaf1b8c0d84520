import hashlib
import subprocess

from generator.evidence.codec import to_plain
from generator.evidence.sample import (
    DEFAULT_TABLE,
    SizeBand,
    draw,
    draw_samples,
    sample_size,
    table_from_config,
)

SHAS = [hashlib.sha1(str(i).encode()).hexdigest() for i in range(120)]


def test_size_follows_the_table_and_never_exceeds_the_population():
    populations = (0, 1, 10, 11, 50, 51, 250, 251, 1000, 5000)
    sizes = [sample_size(n, DEFAULT_TABLE) for n in populations]
    assert sizes == [0, 1, 10, 10, 10, 25, 25, 40, 40, 60]


def test_configured_table_replaces_the_default():
    table = table_from_config([{"max": 5, "size": 5}, {"max": None, "size": 3}])
    assert table == (SizeBand(5, 5), SizeBand(None, 3))
    assert sample_size(4, table) == 4
    assert sample_size(6, table) == 3


def test_same_seed_draws_the_same_sample_in_any_input_order():
    first = draw("acme:2026-01-01..2026-06-30", "production", SHAS, 25)
    second = draw("acme:2026-01-01..2026-06-30", "production", list(reversed(SHAS)), 25)
    assert first == second
    assert len(set(first)) == 25


def test_other_seed_or_environment_draws_differently():
    base = draw("seed-a", "production", SHAS, 25)
    assert draw("seed-b", "production", SHAS, 25) != base
    assert draw("seed-a", "staging", SHAS, 25) != base


def test_an_auditor_can_redraw_with_sha256sum():
    """The documented re-performance: rank by `printf '%s' seed:env:sha | sha256sum`."""
    seed, env = "acme:2026-01-01..2026-06-30", "production"
    script = (
        f"for sha in {' '.join(SHAS)}; do "
        f"rank=$(printf '%s' \"{seed}:{env}:$sha\" | sha256sum | cut -d' ' -f1); "
        "printf '%s %s\\n' $rank $sha; "
        "done | sort | head -n 10 | cut -d' ' -f2"
    )
    redrawn = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert redrawn.stdout.split() == draw(seed, env, SHAS, 10)


def test_samples_section_records_seed_method_and_table():
    section = to_plain(draw_samples("s", {"staging": SHAS[:5], "production": SHAS}, DEFAULT_TABLE))
    assert section["seed"] == "s"
    assert "sha256" in section["method"].lower() or "SHA-256" in section["method"]
    assert [e["environment"] for e in section["populations"]] == ["production", "staging"]
    assert [(e["population"], e["size"]) for e in section["populations"]] == [(120, 25), (5, 5)]
    assert section["table"][-1] == {"max": None, "size": 60}
