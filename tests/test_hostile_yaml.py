"""YAML and JSON past the bounds every reader keeps: an alias bomb (a few lines expanding to
billions of values), an alias inside the value it names, and collections nested deeper than
textcheck.MAX_NESTING. Refused with the line where they go past, in every reader: meshcomply.yml
and the registers (yamlio.load_yaml_text), and a repository file's version (an unreadable
version, never a crash or minutes of expansion)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GitRepo

from generator.cli import cli
from generator.config import EnvironmentConfig, InstallationConfig, Period, ReleaseSource
from generator.errors import InputError
from generator.evidence.context import RuleContext
from generator.evidence.registry import all_rules
from generator.history import read_history
from generator.history.releases import file_value
from generator.rules.config_assertion import parse_text
from generator.rules.config_promotion import settings
from generator.textcheck import MAX_NESTING, NestingError, json_loads
from generator.yamlio import Unbounded, check_bounds, load_data, load_yaml_text

PROD, STAGING = "environments/production", "environments/staging"
PERIOD = Period.parse("2026-01-01..2026-03-31")


def bomb(levels: int, key: str = "meshstack: {version: 1.2.3}") -> str:
    """Each level names the one before four times: 4**levels values from a few lines."""
    lines = ["a0: &a0 {x: lol, y: lol}"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} {{p: *a{i - 1}, q: *a{i - 1}, r: *a{i - 1}, s: *a{i - 1}}}")
    return "\n".join([*lines, key]) + "\n"


def refusal(text: str) -> tuple[int, int, str]:
    with pytest.raises(Unbounded) as caught:
        check_bounds(text)
    return caught.value.line, caught.value.column, caught.value.message


def test_an_alias_bomb_is_refused_at_the_alias_past_the_budget():
    assert refusal(bomb(12)) == (
        9,
        13,
        "aliases here expand the document to more than 200,000 values (an alias bomb?)",
    )
    # Merge keys merge through aliases: each level merging the one before twice doubles the
    # pairs PyYAML's constructor flattens before it drops the repeated keys.
    merged = "m0: &m0 {x: 1, y: 2}\n" + "".join(
        f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], z{i}: {i}}}\n" for i in range(1, 20)
    )
    assert refusal(merged)[2].startswith("aliases here expand the document")
    assert load_data(merged.split("m5:")[0])["m4"]["z1"] == 1  # a few levels read


def test_nesting_past_the_limit_is_refused_lazily_however_deep():
    assert load_data("[" * MAX_NESTING + "]" * MAX_NESTING) is not None
    assert refusal("[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1)) == (
        1,
        MAX_NESTING + 1,
        "collections nested more than 500 deep",
    )
    # A million deep: libyaml's composer overflows the C stack (a segfault), its scanner is
    # quadratic in the depth (50 s for 100,000); the walk stops at the level past the limit.
    assert refusal("a:\n  " + "[" * 1_000_000 + "]" * 1_000_000)[:2] == (
        2,
        MAX_NESTING + 2,
    )  # the mapping is one level
    assert refusal("- " * (MAX_NESTING + 1) + "x\n")[:2] == (1, 2 * MAX_NESTING + 1)
    deep = "[" * (MAX_NESTING - 2) + "1" + "]" * (MAX_NESTING - 2)
    assert refusal(f"a: &a {deep}\nb: [[[*a]]]\n") == (
        2,
        7,
        "this alias nests values more than 500 deep",
    )


def test_an_alias_inside_the_value_it_names_is_refused():
    # PyYAML builds a list holding itself: a reader walking it never ends.
    assert refusal("a: &a {b: [*a]}\n") == (1, 12, "an alias inside the value it names (a loop)")


def test_ordinary_anchors_and_aliases_still_read():
    text = "defaults: &d {retention: 30, level: info}\nprod: {<<: *d, level: warn}\nstg: *d\n"
    assert load_data(text)["prod"] == {"retention": 30, "level": "warn"}
    assert settings(text, False)["prod.retention"] == "30"


def test_json_nested_too_deep_for_the_decoder_is_a_located_decode_error():
    deep = "[" * 5000 + "]" * 5000
    with pytest.raises(NestingError) as caught:
        json_loads('{"a":\n' + deep + "}")
    assert (caught.value.lineno, caught.value.colno) == (2, MAX_NESTING)
    assert json_loads("[" * 600 + "]" * 600) is not None  # the decoder reads it
    with pytest.raises(NestingError):
        json_loads("[" * 600 + "]" * 600, exact=True)  # for readers that recurse again


def test_every_yaml_reader_names_the_line():
    with pytest.raises(InputError) as caught:
        load_yaml_text(bomb(12), "meshcomply.yml")
    assert str(caught.value.problems[0]).startswith("meshcomply.yml:9:13: aliases here expand")
    # A release file's version and a config-assertion's file: the problem, not a value.
    assert file_value(("blob", bomb(12).encode()), "x.yaml", "meshstack.version") == (
        None,
        "line 9, column 13: aliases here expand the document to more than 200,000 values "
        "(an alias bomb?)",
    )
    deep = '{"a": ' + "[" * 2000 + "]" * 2000 + "}"
    assert file_value(("blob", deep.encode()), "x.json", "a")[1] == (
        "line 1, column 506: arrays and objects nested more than 500 deep"
    )
    assert parse_text(deep, True) == (
        None,
        ("JSON", 1, "arrays and objects nested more than 500 deep"),
    )
    assert parse_text("[" * 600 + "]" * 600, False)[1] == (
        "YAML",
        1,
        "collections nested more than 500 deep",
    )


def test_config_check_locates_a_bomb_and_deep_nesting(tmp_path: Path):
    runner = CliRunner()
    for name, text, where in (
        ("bomb.yml", bomb(12), "bomb.yml:9:13: aliases here expand"),
        ("deep.yml", "period: " + "[" * 3000 + "]" * 3000, "deep.yml:1:508: collections nested"),
        ("block.yml", "a:\n" + "".join(f"{' ' * i}b{i}:\n" for i in range(1, 520)), ":501:501:"),
    ):
        (tmp_path / name).write_text(text)
        result = runner.invoke(cli, ["config", "check", "--config", str(tmp_path / name)])
        assert result.exit_code == 1, result.output
        assert where in result.output
        assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def bombed(tmp_path_factory) -> tuple[GitRepo, dict[str, str]]:
    r = GitRepo.create(tmp_path_factory.mktemp("bombed") / "acme")
    release = "meshstack:\n  version: 2026.1.0\n"
    r.commit("Initial", files={f"{PROD}/a.yaml": "k: 1\n", f"{STAGING}/a.yaml": "k: 1\n",
             f"{STAGING}/meshstack.yaml": release}, date="2025-12-01T10:00:00Z")  # fmt: skip
    sha = {
        "Staging bomb": r.commit("Staging bomb", files={f"{STAGING}/a.yaml": bomb(10, "k: 2")},
                                 date="2026-01-05T10:00:00Z"),
        "Staging release bomb": r.commit("Staging release bomb", date="2026-01-06T10:00:00Z",
                                         files={f"{STAGING}/meshstack.yaml": bomb(12)}),
        "Production k=2": r.commit("Production k=2", files={f"{PROD}/a.yaml": "k: 2\n"},
                                   date="2026-01-08T10:00:00Z"),
    }  # fmt: skip
    return r, sha


def installation(path: Path) -> InstallationConfig:
    return InstallationConfig(
        name="acme",
        repo=str(path),
        repo_path=path,
        ref="main",
        environments=(
            EnvironmentConfig(
                "staging",
                (f"{STAGING}/**",),
                ReleaseSource(f"{STAGING}/meshstack.yaml", "meshstack.version"),
                "optional",
            ),
            EnvironmentConfig("production", (f"{PROD}/**",), None, "required"),
        ),
    )


def test_a_bomb_in_a_repository_file_is_an_unreadable_version_naming_commit_and_line(
    bombed, tmp_path
):
    repo, sha = bombed
    history = read_history(installation(repo.path), PERIOD, cache_dir=tmp_path)
    result = all_rules()["config-promotion"].evaluate(RuleContext(history), {"min_hours": 0})
    bombed_at = sha["Staging bomb"][:12]
    problem = (
        "line 9, column 13: aliases here expand the document to more than 200,000 values "
        "(an alias bomb?)"
    )
    assert [(f.sha, f.kind, f.message) for f in result.failures] == [
        (
            sha["Production k=2"],
            "unreadable_version",
            f"{PROD}/a.yaml: not compared with staging, a version could not be read: "
            f"{STAGING}/a.yaml at {bombed_at} ({problem})",
        )
    ]
    warnings = "\n".join(history.warnings)
    assert f"{STAGING}/a.yaml at {bombed_at}: {problem}; its settings are not read" in warnings
    release_at = sha["Staging release bomb"][:12]
    assert f"{STAGING}/meshstack.yaml at {release_at}: line 9, column 13: aliases" in warnings
