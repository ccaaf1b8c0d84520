"""meshcomply.yml: loading, defaults, located problems, URL mirrors; Period."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from gitrepo import GitRepo

from generator.build import config_sections
from generator.config import (
    ApprovalConfig,
    EnvironmentConfig,
    Period,
    ReleaseSource,
    Role,
    SigningConfig,
    load_config,
)
from generator.errors import InputError
from generator.history.clone import mirror_path
from generator.scopes import OutOfScope, SharedScope

FULL = """\
period: 2026-01-01..2026-06-30
release_notes: notes
controls: controls
installations:
  acme:
    repo: ./acme-config
    ref: main
    period: 2026-01-01..2026-03-31
    environments:
      staging:
        paths: ["environments/staging/**"]
        release: {file: environments/staging/meshstack.yaml, key: meshstack.version}
      production:
        paths: ["environments/production/**", "shared/prod.yaml"]
        release: {tag_pattern: '^production/(?P<version>\\d+\\.\\d+\\.\\d+)$'}
        approval: required
    approvals:
      trailers: [Approved-by]
      merge_committer: false
    signing:
      allowed_signers: keys/allowed_signers
    exceptions: acme/exceptions.yml
    evidence_dir: acme/evidence
  beta:
    repo: beta-config
    ref: release
    environments:
      production:
        paths: [config]
sample:
  seed: fixed
  table: [{max: 10, size: 2}, {max: null, size: 5}]
pdf: {classification: internal, document_version: "1.2", owner: Compliance, max_change_rows: 50}
portal: {site_name: Acme evidence, palette: {primary: indigo, accent: teal}}
"""


def write(folder: Path, text: str, name: str = "meshcomply.yml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def workspace(tmp_path) -> Path:
    for folder in ("acme-config", "beta-config", "notes", "controls", "acme/evidence", "keys"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "keys/allowed_signers").write_text("")
    (tmp_path / "acme/exceptions.yml").write_text("exceptions: []\n")
    return tmp_path


NEEDS_ROLE = (
    "installations.{inst}.environments.{env}: environment '{env}' needs a role: add "
    "`role: staging`, `role: production` or `role: other` to it (only environments named "
    "staging or production take their role from the name)"
)


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_config(path, config_sections())
    return [str(p) for p in caught.value.problems]


def test_a_complete_file_loads_with_paths_resolved(workspace):
    config = load_config(write(workspace, FULL), config_sections())
    assert config.period == Period(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert config.release_notes == workspace / "notes"
    assert config.controls == workspace / "controls"
    acme, beta = config.installations
    assert (acme.name, acme.repo, acme.repo_path, acme.ref) == (
        "acme", "./acme-config", workspace / "acme-config", "main",
    )  # fmt: skip
    assert acme.period == Period.parse("2026-01-01..2026-03-31")
    assert acme.environments == (
        EnvironmentConfig(
            "staging",
            ("environments/staging/**",),
            ReleaseSource(file="environments/staging/meshstack.yaml", key="meshstack.version"),
            "optional",
        ),
        EnvironmentConfig(
            "production",
            ("environments/production/**", "shared/prod.yaml"),
            ReleaseSource(tag_pattern=r"^production/(?P<version>\d+\.\d+\.\d+)$"),
            "required",
        ),
    )
    assert acme.approvals == ApprovalConfig(("Approved-by",), merge_committer=False)
    assert acme.signing == SigningConfig(allowed_signers=workspace / "keys/allowed_signers")
    assert acme.exceptions == workspace / "acme/exceptions.yml"
    assert acme.evidence_dir == workspace / "acme/evidence"
    assert beta.approvals == ApprovalConfig(("Approved-by", "Reviewed-by"), merge_committer=True)
    assert beta.signing == SigningConfig() and not beta.signing.verifies
    assert (beta.period, beta.exceptions, beta.evidence_dir) == (None, None, None)
    assert beta.environments[0].release is None
    assert config.sample == {
        "seed": "fixed",
        "table": [{"max": 10, "size": 2}, {"max": None, "size": 5}],
    }
    pdf = config.options["pdf"]
    assert pdf["max_change_rows"] == 50 and pdf["document_version"] == "1.2"
    assert config.options["portal"]["palette"] == {"primary": "indigo", "accent": "teal"}
    assert (
        config.installation("beta") is beta
        and acme.environment("production").approval == "required"
    )


def test_every_problem_is_reported_at_once_with_its_location(workspace):
    path = write(
        workspace,
        """\
        period: 2026-06-30..2026-01-01
        installations:
          Acme_1:
            repo: ./missing
            ref: main
            period: 2026-02-30..2026-03-31
            environments:
              staging:
                paths: ["/etc/**", "a/../b"]
                release: {file: environments/staging/meshstack.yaml}
              production:
                paths: [environments/production]
                release: {tag_pattern: 'production/(\\d+)'}
                approval: always
              qa:
                paths: [qa]
                release: {file: a.yaml, key: a.b, tag_pattern: '(?P<version>.*)'}
              dev:
                paths: [dev]
                release: {tag_pattern: '(unclosed'}
            approvals: {trailers: ["Approved by"]}
            signing: {allowed_signers: nope}
        """,
    )
    where = str(path)
    assert problems(path) == [
        f"{where}:1:9: period: period '2026-06-30..2026-01-01' ends before it starts",
        f"{where}:3:3: installation name 'Acme_1' must be lowercase letters, digits and '-', "
        "starting with a letter or digit",
        f"{where}:4:11: installations.Acme_1.repo: './missing' does not exist "
        f"(relative to {workspace})",
        f"{where}:6:13: installations.Acme_1.period: period '2026-02-30..2026-03-31': "
        "2026-02-30 is not a calendar date",
        f"{where}:9:17: installations.Acme_1.environments.staging.paths[0]: '/etc/**' must be "
        "relative to the repository root, without '..' and without pathspec magic (':' prefix)",
        f"{where}:9:28: installations.Acme_1.environments.staging.paths[1]: 'a/../b' must be "
        "relative to the repository root, without '..' and without pathspec magic (':' prefix)",
        f"{where}:10:18: installations.Acme_1.environments.staging.release: missing 'key' "
        "(file and key go together)",
        f"{where}:13:32: installations.Acme_1.environments.production.release.tag_pattern: "
        "needs a named group (?P<version>...)",
        f"{where}:14:19: installations.Acme_1.environments.production.approval: 'always' is not "
        "one of: required, optional",
        f"{where}:15:7: {NEEDS_ROLE.format(inst='Acme_1', env='qa')}",
        f"{where}:17:18: installations.Acme_1.environments.qa.release: give either file and key, "
        "or tag_pattern, not both",
        f"{where}:18:7: {NEEDS_ROLE.format(inst='Acme_1', env='dev')}",
        f"{where}:20:32: installations.Acme_1.environments.dev.release.tag_pattern: not a valid "
        "regular expression for RE2 (linear-time matching: no backreferences or lookaround): "
        "missing ): (unclosed",
        f"{where}:21:28: installations.Acme_1.approvals.trailers[0]: trailer 'Approved by' is "
        "not a trailer name (letters, digits and '-', e.g. Approved-by)",
        f"{where}:22:32: installations.Acme_1.signing.allowed_signers: 'nope' does not exist "
        f"(relative to {workspace})",
    ]


def test_environments_have_roles_given_or_implied_by_their_names(workspace):
    path = write(
        workspace,
        """\
        installations:
          acme:
            repo: ./acme-config
            ref: main
            environments:
              stg: {paths: [s], role: staging}
              live: {paths: [p], role: production}
              production: {paths: [old-p], role: other}
              dev: {paths: [d], role: other}
          beta:
            repo: ./beta-config
            ref: main
            environments:
              staging: {paths: [s]}
              production: {paths: [p]}
        """,
    )
    acme, beta = load_config(path, config_sections()).installations
    assert [(e.name, e.role) for e in acme.environments] == [
        ("stg", Role.STAGING),
        ("live", Role.PRODUCTION),
        ("production", Role.OTHER),
        ("dev", Role.OTHER),
    ]
    assert acme.environment_with_role(Role.PRODUCTION).name == "live"
    assert [(e.name, e.role) for e in beta.environments] == [
        ("staging", Role.STAGING),
        ("production", Role.PRODUCTION),
    ]
    # Built in code, the same rule applies.
    assert EnvironmentConfig("production", ("p",), None, "optional").role == Role.PRODUCTION
    assert EnvironmentConfig("prod", ("p",), None, "optional", "production").role == "production"
    with pytest.raises(ValueError, match="environment 'prod' needs a role"):
        EnvironmentConfig("prod", ("p",), None, "optional")


def test_missing_unknown_and_repeated_roles_are_located(workspace):
    path = write(
        workspace,
        """\
        installations:
          acme:
            repo: ./acme-config
            ref: main
            environments:
              qa:
                paths: [qa]
              stg:
                paths: [s]
                role: stage
              staging:
                paths: [s2]
              live:
                paths: [p]
                role: production
              production:
                paths: [p2]
              prod:
                paths: [p3]
                role: production
        """,
    )
    where = str(path)
    envs = "installations.acme.environments"
    assert problems(path) == [
        f"{where}:6:7: {NEEDS_ROLE.format(inst='acme', env='qa')}",
        f"{where}:10:15: {envs}.stg.role: 'stage' is not one of: staging, production, other",
        f"{where}:16:7: {envs}.production.role: environment 'live' (line 13) already has the role "
        "production; an installation has one production environment (give this one "
        "`role: other`, or rename it)",
        f"{where}:20:9: {envs}.prod.role: environment 'live' (line 13) already has the role "
        "production; an installation has one production environment (give this one "
        "`role: other`, or rename it)",
    ]


def test_schema_problems_name_the_field(workspace):
    path = write(
        workspace,
        """\
        installations:
          acme:
            repo: ./acme-config
            environments:
              production:
                paths: []
                approvals: required
        pdf: {max_change_rows: 0}
        """,
    )
    assert problems(path) == [
        f"{path}:3:5: installations.acme: missing required field 'ref'",
        f"{path}:6:16: installations.acme.environments.production.paths: [] should be non-empty",
        f"{path}:7:9: unknown field 'approvals' in installations.acme.environments.production "
        "(allowed: approval, approval_strength, approvers, paths, release, role)",
        f"{path}:8:24: pdf.max_change_rows: 0 is less than the minimum of 1",
    ]


def test_yaml_errors_are_located(workspace):
    path = write(workspace, "installations:\n  acme: {repo: x\n")
    [problem] = problems(path)
    assert problem.startswith(f"{path}:3:1: YAML syntax error")


def test_a_file_without_installations(workspace):
    assert problems(write(workspace, "period: 2026-01-01..2026-01-31\n")) == [
        f"{workspace / 'meshcomply.yml'}:1:1: document: missing required field 'installations'"
    ]
    assert problems(write(workspace, "- a\n")) == [
        f"{workspace / 'meshcomply.yml'}:1:1: the file must be a mapping with installations"
    ]


def test_git_urls_are_mirrored_into_the_cache_and_fetched_again(tmp_path):
    origin = GitRepo.create(tmp_path / "origin")
    first = origin.commit("One", files={"a": "1\n"})
    url = f"file://{origin.path}"
    config_text = f"""\
    installations:
      acme:
        repo: {url}
        ref: main
        environments:
          production: {{paths: [a]}}
    """
    path = write(tmp_path, config_text)
    cache = tmp_path / "cache"
    acme = load_config(path, config_sections(), cache_dir=cache).installations[0]
    assert acme.repo == url and acme.is_remote
    assert acme.repo_path == mirror_path(url, cache)
    assert GitRepo(acme.repo_path).rev("main") == first
    assert GitRepo(acme.repo_path).git("rev-parse", "--is-shallow-repository").strip() == "false"
    second = origin.commit("Two", files={"a": "2\n"})
    acme = load_config(path, config_sections(), cache_dir=cache).installations[0]
    assert GitRepo(acme.repo_path).rev("main") == second


def test_a_clone_and_fetch_ignore_the_callers_repository_variables(tmp_path, monkeypatch):
    """GIT_DIR would make git clone into, and fetch into, another repository; git's default
    remote name from the user's configuration would leave the mirror without 'origin'."""
    origin = GitRepo.create(tmp_path / "origin")
    first = origin.commit("One", files={"a": "1\n"})
    bystander = GitRepo.create(tmp_path / "bystander")
    untouched = bystander.commit("Mine", files={"b": "1\n"})
    url = f"file://{origin.path}"
    path = write(
        tmp_path,
        f"""\
        installations:
          acme:
            repo: {url}
            ref: main
            environments:
              production: {{paths: [a]}}
        """,
    )
    config = tmp_path / "user.gitconfig"
    config.write_text("[clone]\n\tdefaultRemoteName = upstream\n")
    monkeypatch.setenv("GIT_DIR", str(bystander.path / ".git"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    cache = tmp_path / "cache"
    acme = load_config(path, config_sections(), cache_dir=cache).installations[0]
    second = origin.commit("Two", files={"a": "2\n"})
    acme = load_config(path, config_sections(), cache_dir=cache).installations[0]
    monkeypatch.delenv("GIT_DIR")
    assert GitRepo(acme.repo_path).rev("main") == second != first
    assert bystander.rev("main") == untouched
    assert bystander.git("for-each-ref", "--format=%(refname)").split() == ["refs/heads/main"]


def test_an_unreachable_url_is_a_located_problem(tmp_path):
    path = write(
        tmp_path,
        f"""\
        installations:
          acme:
            repo: file://{tmp_path}/nowhere
            ref: main
            environments:
              production: {{paths: [a]}}
        """,
    )
    with pytest.raises(InputError) as caught:
        load_config(path, config_sections(), cache_dir=tmp_path / "cache")
    [problem] = caught.value.problems
    assert (problem.line, problem.col) == (3, 11)
    assert problem.message.startswith(f"cannot clone file://{tmp_path}/nowhere: ")
    assert "does not appear to be a git repository" in problem.message


class TestPeriod:
    def test_properties(self):
        period = Period.parse("2026-01-01..2026-06-30")
        assert period.start_utc == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        assert period.end_utc_exclusive == dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
        assert period.label == "2026-01-01_2026-06-30"
        assert period.text == "2026-01-01..2026-06-30"

    def test_contains_uses_utc(self):
        period = Period.parse("2026-01-01..2026-01-31")
        plus_one = dt.timezone(dt.timedelta(hours=1))
        assert period.contains(dt.datetime(2026, 1, 31, 23, 59, 59, tzinfo=dt.UTC))
        assert not period.contains(dt.datetime(2026, 2, 1, 0, 0, 0, tzinfo=dt.UTC))
        assert period.contains(dt.datetime(2026, 2, 1, 0, 30, tzinfo=plus_one))
        assert not period.contains(dt.datetime(2026, 1, 1, 0, 30, tzinfo=plus_one))

    def test_a_single_day(self):
        assert Period.parse(" 2026-02-28..2026-02-28 ").end == dt.date(2026, 2, 28)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("2026-01-01", "is not FIRST..LAST with dates as YYYY-MM-DD"),
            ("2026-1-1..2026-2-1", "is not FIRST..LAST"),
            ("2026-01-01...2026-02-01", "is not FIRST..LAST"),
            ("2026-13-01..2026-12-31", "2026-13-01 is not a calendar date"),
            ("2026-03-01..2026-02-01", "ends before it starts"),
        ],
    )
    def test_invalid(self, text, message):
        with pytest.raises(ValueError, match=message):
            Period.parse(text)


def test_values_of_the_wrong_type_are_reported_once(workspace):
    path = write(
        workspace,
        """\
        period: 5
        installations:
          acme:
            repo: ./acme-config
            ref: main
            environments:
              staging:
                paths: "/abs"
                release: "x"
            approvals: {trailers: "Approved by"}
        """,
    )
    assert problems(path) == [
        f"{path}:1:9: period must be of type string, not a whole number ('5'); put it in quotes "
        "to keep it as text",
        f"{path}:8:16: installations.acme.environments.staging.paths must be of type array, "
        "not text",
        f"{path}:9:18: installations.acme.environments.staging.release must be of type object, "
        "not text",
        f"{path}:10:27: installations.acme.approvals.trailers must be of type array, not text",
    ]


def test_portal_files_resolve_against_the_config_folder(tmp_path):
    repo = GitRepo.create(tmp_path / "acme")
    repo.commit("Initial", files={"environments/production/x.yaml": "a: 1\n"})
    (tmp_path / "brand").mkdir()
    (tmp_path / "brand" / "logo.svg").write_text("<svg/>")
    (tmp_path / "brand" / "overrides").mkdir()
    path = tmp_path / "meshcomply.yml"
    path.write_text(
        "installations:\n  acme:\n    repo: ./acme\n    ref: main\n    environments:\n"
        "      production:\n        paths: ['environments/production/**']\n"
        "portal:\n  logo: brand/logo.svg\n  templates: brand/overrides\n"
    )
    portal = load_config(path, config_sections()).options["portal"]
    assert portal["logo"] == str((tmp_path / "brand" / "logo.svg").resolve())
    assert portal["templates"] == str((tmp_path / "brand" / "overrides").resolve())
    path.write_text(path.read_text().replace("brand/overrides", "brand/missing"))
    with pytest.raises(InputError, match=r"portal\.templates: 'brand/missing' does not exist"):
        load_config(path, config_sections())


def test_pdf_settings_are_validated_with_their_location(tmp_path):
    repo = GitRepo.create(tmp_path / "acme")
    repo.commit("Initial", files={"environments/production/x.yaml": "a: 1\n"})
    path = tmp_path / "meshcomply.yml"
    base = (
        "installations:\n  acme:\n    repo: ./acme\n    ref: main\n    environments:\n"
        "      production:\n        paths: ['environments/production/**']\n"
    )
    path.write_text(
        base + "pdf:\n  author: Acme GRC\n  max_cited: 50\n  split: never\n  workers: 1\n"
    )
    assert load_config(path, config_sections()).options["pdf"] == {
        "author": "Acme GRC",
        "max_cited": 50,
        "split": "never",
        "workers": 1,
    }
    path.write_text(base + "pdf:\n  split: sometimes\n")
    with pytest.raises(InputError) as raised:
        load_config(path, config_sections())
    assert str(raised.value).startswith(f"{path}:9:10: pdf.split: 'sometimes' is not one of")


def test_messages_quote_what_was_written_not_what_yaml_made_of_it(workspace):
    path = write(
        workspace,
        """\
        period: 2026-01-01..2026-06-30
        installations:
          acme:
            repo: ./acme-config
            ref: main
            environments:
              production:
                paths: ["environments/production/**"]
                approval: yes
                release: {tag_pattern: on}
        """,
    )
    assert problems(path) == [
        f"{path}:9:19: installations.acme.environments.production.approval: 'yes' is not one "
        "of: required, optional",
        f"{path}:10:32: installations.acme.environments.production.release.tag_pattern must be "
        "of type string, not true/false ('on'); put it in quotes to keep it as text",
    ]


@pytest.mark.parametrize("value", ["2026-02-30", "!!int abc", "!!int", "!!float x", "!!binary ~~~"])
def test_a_value_yaml_cannot_construct_is_a_located_problem(workspace, value):
    path = write(workspace, f"period: {value}\ninstallations: {{}}\n")
    assert any(p.startswith(f"{path}:1:9: ") for p in problems(path))


SCOPES = """\
installations:
  acme:
    repo: ./acme-config
    ref: main
    environments:
      staging: {paths: ["environments/staging/**"]}
      production: {paths: ["environments/production/**"]}
    shared_scopes:
      platform:
        paths: ["landing-zones/**", "building-blocks/**"]
        reaches: [production, staging]
      prod-only: {paths: ["environments/production/**", "dr/**"], reaches: [production]}
    out_of_scope:
      docs:
        paths: ["docs/**"]
        justification: " Records of reviews; they configure nothing. "
"""


def test_shared_scopes_and_out_of_scope_paths_load_as_records(workspace):
    installation = load_config(write(workspace, SCOPES), config_sections()).installations[0]
    assert installation.shared_scopes == (
        SharedScope(
            "platform", ("landing-zones/**", "building-blocks/**"), ("production", "staging")
        ),
        SharedScope("prod-only", ("environments/production/**", "dr/**"), ("production",)),
    )
    assert installation.out_of_scope == (
        OutOfScope("docs", ("docs/**",), "Records of reviews; they configure nothing."),
    )
    staging, production = installation.environments
    # An environment's own paths first, then each shared scope reaching it, each path once.
    assert installation.population_paths(production) == (
        "environments/production/**",
        "landing-zones/**",
        "building-blocks/**",
        "dr/**",
    )
    assert installation.population_paths(staging) == (
        "environments/staging/**",
        "landing-zones/**",
        "building-blocks/**",
    )


def test_scope_problems_are_located_at_the_key_that_is_wrong(workspace):
    path = write(
        workspace,
        """\
        installations:
          acme:
            repo: ./acme-config
            ref: main
            environments:
              production: {paths: [p]}
            shared_scopes:
              platform:
                paths: ["landing-zones/**", "../up"]
                reaches: [production, prod]
              Bad: {paths: [x], reaches: []}
              none: {paths: [x]}
            out_of_scope:
              docs: {paths: [":(top)docs"], justification: "  "}
              other: {paths: [y]}
        """,
    )
    where, base = str(path), "installations.acme"
    assert problems(path) == [
        f"{where}:9:37: {base}.shared_scopes.platform.paths[1]: '../up' must be relative to the "
        "repository root, without '..' and without pathspec magic (':' prefix)",
        f"{where}:10:31: {base}.shared_scopes.platform.reaches[1]: environment 'prod' is not "
        "configured for this installation (configured: production)",
        f"{where}:11:7: shared scope name 'Bad' must be lowercase letters, digits and '-', "
        "starting with a letter or digit",
        f"{where}:11:34: {base}.shared_scopes.Bad.reaches: [] should be non-empty",
        f"{where}:12:13: {base}.shared_scopes.none: missing required field 'reaches'",
        f"{where}:14:22: {base}.out_of_scope.docs.paths[0]: ':(top)docs' must be relative to the "
        "repository root, without '..' and without pathspec magic (':' prefix)",
        f"{where}:14:52: {base}.out_of_scope.docs.justification: must say why these paths are "
        "out of scope",
        f"{where}:15:14: {base}.out_of_scope.other: missing required field 'justification'",
    ]
