"""tag_pattern runs on RE2: linear time on any tag name, over-long names and versions skipped
with a warning, patterns RE2 cannot run refused as located configuration errors."""

from __future__ import annotations

import json
import textwrap

import pytest
from test_history_gitfaults import make_project, meshcomply

from generator.build import config_sections
from generator.config import load_config
from generator.errors import InputError
from generator.history.reader import read_history
from generator.patterns import MAX_TAG_CHARS, PatternError, compile_pattern

# Nested quantifiers: Python's backtracking engine tries every split of the a's (2^n) before
# failing on the final "!", RE2 does not backtrack.
EXPONENTIAL = "^(?P<version>a+)+$"


def with_tag_pattern(folder, pattern: str) -> None:
    config = folder / "meshcomply.yml"
    text = config.read_text()
    old = "release: {file: environments/production/meshstack.yaml, key: meshstack.version}"
    config.write_text(text.replace(old, f"release: {{tag_pattern: '{pattern}'}}"))


def add_packed_tags(repo, names: list[str]) -> None:
    """Tags written to packed-refs directly: a loose ref's file name could not be this long."""
    head = repo.head()
    packed = repo.path / ".git" / "packed-refs"
    with packed.open("a") as refs:
        refs.writelines(f"{head} refs/tags/{name}\n" for name in names)


def test_an_exponential_pattern_on_hostile_tags_finishes_and_warns(tmp_path):
    repo, _shas = make_project(tmp_path)
    with_tag_pattern(tmp_path, EXPONENTIAL)
    hostile = "a" * (MAX_TAG_CHARS - 1) + "!"  # matched by RE2 (Python's re would not return)
    too_long = "a" * 5000 + "!"
    add_packed_tags(repo, [hostile, too_long, "a" * 200, "aaa"])
    # A timeout so that a regression fails here instead of hanging the suite.
    result = meshcomply(tmp_path, "build", "--quiet", "--format", "json", "--out", "out",
                        timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    shown = "a" * 80 + "… (5001 characters)"
    warning = f"warning: acme: tag {shown}: name over {MAX_TAG_CHARS} characters; not read"
    assert warning in result.stderr.splitlines()
    assert "version over 128 characters; not read" in result.stderr  # the 200 a's
    pack = next((tmp_path / "out" / "packs" / "acme").iterdir())
    model = json.loads((pack / "evidence.json").read_text())
    assert any(w.startswith(f"tag {shown}") for w in model["source"]["warnings"])
    versions = {r["version"] for r in model["releases"] if r["environment"] == "production"}
    assert versions == {"aaa"}  # the one tag that matches with a short version


def test_read_history_skips_a_long_tag_with_a_warning(tmp_path):
    repo, _shas = make_project(tmp_path)
    with_tag_pattern(tmp_path, EXPONENTIAL)
    add_packed_tags(repo, ["a" * (MAX_TAG_CHARS + 1)])
    config = load_config(tmp_path / "meshcomply.yml", config_sections())
    history = read_history(config.installations[0], config.period, cache_dir=tmp_path / "c")
    history.close()
    assert history.warnings == [
        f"tag {'a' * 80}… ({MAX_TAG_CHARS + 1} characters): name over {MAX_TAG_CHARS} "
        "characters; not read"
    ]
    assert [e for e in history.releases if e.environment == "production"] == []


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"^(?P<version>\d+)-\1$", r"invalid escape sequence: \1"),
        (r"^(?=production/)(?P<version>.+)$", "invalid perl operator: (?="),
    ],
)
def test_a_pattern_re2_cannot_run_is_a_located_config_error(tmp_path, pattern, reason):
    config = tmp_path / "meshcomply.yml"
    (tmp_path / "acme").mkdir()
    config.write_text(textwrap.dedent(f"""\
        period: 2026-01-01..2026-03-31
        installations:
          acme:
            repo: ./acme
            ref: main
            environments:
              production:
                paths: [environments/production]
                release: {{tag_pattern: '{pattern}'}}
        """))  # fmt: skip
    with pytest.raises(InputError) as error:
        load_config(config, config_sections())
    assert [str(p) for p in error.value.problems] == [
        f"{config}:9:32: installations.acme.environments.production.release.tag_pattern: "
        "not a valid regular expression for RE2 (linear-time matching: no backreferences or "
        f"lookaround): {reason}"
    ]


def test_compile_pattern_keeps_pythons_match_api():
    compiled = compile_pattern(r"^production/(?P<version>\d+\.\d+\.\d+)$")
    assert compiled.fullmatch("production/2026.1.0").group("version") == "2026.1.0"
    assert compiled.fullmatch("production/2026.1.0-rc") is None
    assert "version" in compiled.groupindex
    with pytest.raises(PatternError, match="missing \\)"):
        compile_pattern("(unclosed")
