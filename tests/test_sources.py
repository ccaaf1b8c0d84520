"""Evidence sources as a registry (docs/sources.md): git is the first; a second one is one module
(here installed as a plugin), with its config checked at load and its data reaching rules."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from evidence_builders import History
from gitrepo import GitRepo

from generator.build import config_sections
from generator.config import InstallationConfig, load_config
from generator.errors import BuildError, InputError
from generator.evidence.context import RuleContext
from generator.plugins import RegistryError
from generator.sources import ReadRequest, all_sources, close_sources, read_sources

CONFIG = """\
period: 2026-01-01..2026-06-30
installations:
  acme:
    repo: ./acme
    ref: main
    environments:
      production:
        paths: ['environments/production/**']
"""

# A second source, as its author would write it: one module.
EVENTS_SOURCE = """
from generator.config import OptionsSection
from generator.sources import Source

CLOSED = []

def read(request):
    entry = request.installation.entry["journal"]
    return {"log": entry["log"], "entries": [request.installation.name, request.period.text]}

SOURCE = Source(
    name="journal",
    reads="an audit journal",
    config=(
        OptionsSection(
            "journal",
            {"type": "object", "additionalProperties": False, "required": ["log"],
             "properties": {"log": {"type": "string", "minLength": 1}}},
            installation=True,
        ),
    ),
    configured=lambda installation: "journal" in installation.entry,
    read=read,
    provenance=lambda data: {"log": data["log"]},
    close=CLOSED.append,
)
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = GitRepo.create(tmp_path / "acme")
    repo.commit("Initial", files={"environments/production/x.yaml": "a: 1\n"},
                date="2026-01-05T10:00:00+00:00")  # fmt: skip
    (tmp_path / "meshcomply.yml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def events_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    site = tmp_path / "site-packages"
    (site / "acme_events").mkdir(parents=True)
    (site / "acme_events" / "__init__.py").write_text("", encoding="utf-8")
    (site / "acme_events" / "source.py").write_text(EVENTS_SOURCE, encoding="utf-8")
    dist = site / "acme_events-1.0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-events\nVersion: 1.0.0\n")
    (dist / "entry_points.txt").write_text("[meshcomply.sources]\njournal = acme_events.source\n")
    monkeypatch.syspath_prepend(str(site))
    all_sources.cache_clear()
    yield sys.modules
    all_sources.cache_clear()
    for name in [n for n in sys.modules if n.startswith("acme_events")]:
        del sys.modules[name]


def test_git_and_events_are_the_built_in_sources_and_own_their_config_keys() -> None:
    sources = all_sources()
    assert list(sources) == ["events", "git"]
    events = sources["events"]
    assert [(s.key, s.installation, s.required) for s in events.config] == [("events", True, False)]
    git = sources["git"]
    assert [(s.key, s.installation, s.required) for s in git.config] == [
        ("repo", True, True),
        ("ref", True, True),
        ("approvals", True, False),
        ("signing", True, False),
    ]


def test_the_git_source_reads_and_records_where_its_data_came_from(project: Path) -> None:
    config = load_config(project / "meshcomply.yml", config_sections())
    [installation] = config.installations
    assert config.period is not None
    data = read_sources(ReadRequest(installation, config.period))
    try:
        history = data["git"]
        assert [c.commit.subject for c in history.changes] == ["Initial"]
        record = all_sources()["git"].provenance(history)
        assert (record["repo"], record["ref"], record["head"]) == ("./acme", "main", history.head)
        assert record["reproduce"] and all(r["command"] for r in record["reproduce"])
    finally:
        close_sources(data)


def test_a_missing_git_key_is_a_located_problem(project: Path) -> None:
    path = project / "meshcomply.yml"
    path.write_text(CONFIG.replace("    ref: main\n", ""), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_config(path, config_sections())
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:4:5: installations.acme: missing required field 'ref'"
    ]


def test_a_second_source_is_one_module(project: Path, events_plugin) -> None:
    path = project / "meshcomply.yml"
    path.write_text(CONFIG + "    journal: {log: 7}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_config(path, config_sections())
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:9:20: installations.acme.journal.log must be of type string, not a whole "
        "number ('7'); put it in quotes to keep it as text"
    ]
    path.write_text(CONFIG + "    journal: {log: audit.log}\n", encoding="utf-8")
    config = load_config(path, config_sections())
    [installation] = config.installations
    assert config.period is not None
    data = read_sources(ReadRequest(installation, config.period))
    try:
        assert set(data) == {"git", "journal"}
        context = RuleContext(data["git"], data)
        assert context.source("journal") == {
            "log": "audit.log",
            "entries": ["acme", "2026-01-01..2026-06-30"],
        }
        assert context.source("git") is context.history
        assert all_sources()["journal"].provenance(data["journal"]) == {"log": "audit.log"}
    finally:
        close_sources(data)
    assert [data["journal"]] == events_plugin["acme_events.source"].CLOSED


def test_an_installation_without_the_source_gives_rules_none() -> None:
    context = RuleContext(History())
    assert context.source("journal") is None
    assert context.source("git") is context.history


def test_a_source_that_cannot_be_read_closes_those_already_read(
    project: Path, events_plugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = project / "meshcomply.yml"
    path.write_text(CONFIG + "    journal: {log: audit.log}\n", encoding="utf-8")
    [installation] = load_config(path, config_sections()).installations
    closed: list[object] = []
    journal = all_sources()["journal"]
    git = all_sources()["git"]

    def broken(request: ReadRequest) -> None:
        raise BuildError("the journal is truncated")

    monkeypatch.setitem(
        all_sources(), "journal", type(journal)(**{**journal.__dict__, "read": broken})
    )
    monkeypatch.setitem(all_sources(), "git", type(git)(**{**git.__dict__, "close": closed.append}))
    with pytest.raises(BuildError, match="truncated"):
        read_sources(ReadRequest(installation, load_config(path, config_sections()).period))
    assert len(closed) == 1 and closed[0].head  # the git history, closed


def test_a_module_without_source_is_refused(tmp_path: Path, events_plugin) -> None:
    target = tmp_path / "site-packages" / "acme_events" / "source.py"
    target.write_text("SOURCE = 'git'\n", encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        all_sources()
    assert str(caught.value) == (
        "evidence sources: acme_events.source does not define SOURCE = Source(...)"
    )


def test_installation_entries_keep_what_was_written(project: Path) -> None:
    [installation] = load_config(project / "meshcomply.yml", config_sections()).installations
    assert isinstance(installation, InstallationConfig)
    assert installation.entry["ref"] == "main" and installation.entry["repo"] == "./acme"
