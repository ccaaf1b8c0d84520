"""git itself must not change the evidence: replace refs, grafts, the caller's GIT_* variables
and the user's or the repository's git configuration are not what meshcomply reads
(generator/history/gitenv.py, docs/history.md "How git is run")."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from gitrepo import GitRepo, clean_env, ssh_key

from generator.build import config_sections
from generator.config import (
    EnvironmentConfig,
    InstallationConfig,
    Period,
    SigningConfig,
    load_config,
)
from generator.history import gitenv
from generator.history.reader import read_history
from generator.manifest import missing_commits

ANN = "Ann <ann@example.com>"
STAGE = "environments/staging/meshstack.yaml"
PROD = "environments/production/meshstack.yaml"
CONFIG = """\
period: 2026-01-01..2026-03-31
installations:
  acme:
    repo: ./acme
    ref: main
    environments:
      staging:
        paths: ["environments/staging/**"]
        release: {file: environments/staging/meshstack.yaml, key: meshstack.version}
      production:
        paths: ["environments/production/**"]
        release: {file: environments/production/meshstack.yaml, key: meshstack.version}
"""


def settings(version: str) -> str:
    return f"meshstack:\n  version: {version}\n"


def make_project(folder: Path, config: str = CONFIG) -> tuple[GitRepo, list[str]]:
    """Five commits, the last four in the period, two of them to production."""
    repo = GitRepo.create(folder / "acme")
    shas = [repo.commit("Initial", files={STAGE: settings("1.0.0"), PROD: settings("1.0.0")},
                        date="2025-12-01T10:00:00+00:00")]  # fmt: skip
    for day, version in ((5, "1.1.0"), (12, "1.2.0")):
        shas.append(repo.commit(f"Stage {version}", files={STAGE: settings(version)},
                                date=f"2026-01-{day:02d}T08:00:00+00:00"))  # fmt: skip
        shas.append(repo.commit(f"Café {version}", files={PROD: settings(version)},
                                date=f"2026-01-{day + 1:02d}T08:00:00+00:00"))  # fmt: skip
    (folder / "meshcomply.yml").write_text(config)
    return repo, shas


def read(folder: Path, cache: str = "cache"):
    config = load_config(folder / "meshcomply.yml", config_sections())
    return read_history(config.installations[0], config.period, cache_dir=folder / cache)


def shell(command: str, cwd: Path) -> str:
    """A re-perform command as an auditor pastes it, with plain git (no meshcomply settings)."""
    done = subprocess.run(["sh", "-c", command], cwd=cwd, env=clean_env(), capture_output=True,
                          text=True, check=True)  # fmt: skip
    return done.stdout.strip()


def production_count(history) -> str:
    [command] = [c for c in history.reproduce if c.figure == "population: production"]
    return command.command, command.expected


def test_replace_refs_are_not_read_and_are_named_and_switched_off_in_the_commands(tmp_path):
    repo, shas = make_project(tmp_path)
    # A stand-in for the last production change that touches only staging: plain git would show
    # one production change fewer.
    tree = repo.git("rev-parse", f"{shas[3]}^{{tree}}").strip()
    fake = repo.git("commit-tree", tree, "-p", shas[3], "-m", "Nothing to see",
                    env={"GIT_AUTHOR_NAME": "M", "GIT_AUTHOR_EMAIL": "m@x",
                         "GIT_COMMITTER_NAME": "M", "GIT_COMMITTER_EMAIL": "m@x",
                         "GIT_AUTHOR_DATE": "1768204800 +0000",
                         "GIT_COMMITTER_DATE": "1768204800 +0000"}).strip()  # fmt: skip
    repo.git("replace", shas[4], fake)
    assert shell("git log -1 --format=%s main", repo.path) == "Nothing to see"
    history = read(tmp_path)
    try:
        assert [c.subject for c in history.commits][-1] == "Café 1.2.0"
        assert [c.sha for c in history.commits] == shas
        assert any("replace refs (refs/replace/)" in w for w in history.warnings)
        command, expected = production_count(history)
        assert expected == "2"
        assert command.startswith("git --no-replace-objects -C ./acme log --first-parent ")
        assert shell(command, tmp_path) == "2"  # the auditor's count is the pack's
        head = next(c for c in history.reproduce if c.figure == "head").command
        assert head.startswith("git --no-replace-objects -C ./acme rev-parse")
    finally:
        history.close()


def test_a_grafts_file_cuts_no_history_and_a_cache_never_serves_a_grafted_line(tmp_path):
    repo, shas = make_project(tmp_path)
    grafts = repo.path / ".git" / "info" / "grafts"
    grafts.parent.mkdir(exist_ok=True)
    grafts.write_text(f"{shas[3]}\n")  # plain git: the line starts at the fourth commit
    assert shell("git log --format=%H main | wc -l", repo.path) == "2"
    history = read(tmp_path)
    try:
        assert [c.sha for c in history.commits] == shas
        assert any("grafts file (info/grafts)" in w for w in history.warnings)
        command, expected = production_count(history)
        assert command.startswith("GIT_GRAFT_FILE=/dev/null git -C ./acme log ")
        assert shell(command, tmp_path) == expected == "2"
    finally:
        history.close()
    grafts.unlink()
    again = read(tmp_path)  # the cache the first read saved
    try:
        assert [c.sha for c in again.commits] == shas
        assert again.warnings == []
        assert production_count(again)[0].startswith("git -C ./acme log ")
    finally:
        again.close()


def test_a_history_cache_saved_under_other_graph_rules_is_not_read(tmp_path, monkeypatch):
    from generator.history import cache

    make_project(tmp_path)
    read(tmp_path).close()
    assert cache.HistoryCache(tmp_path / "acme", tmp_path / "cache").load().commits
    monkeypatch.setattr(cache, "KEY", (cache.FORMAT, "replace-objects,grafts"))
    assert cache.HistoryCache(tmp_path / "acme", tmp_path / "cache").load().commits == []


def git_variables(tmp_path: Path, other: GitRepo, cut_at: str) -> dict[str, dict[str, str]]:
    """Variables that, passed on to git, read another repository, other objects, another graph
    or other settings."""
    objects = tmp_path / "no-objects"
    objects.mkdir()
    grafts = tmp_path / "grafts"
    grafts.write_text(f"{cut_at}\n")
    config = tmp_path / "global.gitconfig"
    config.write_text("[i18n]\n\tlogOutputEncoding = ISO-8859-1\n[diff]\n\trenames = false\n")
    return {
        "GIT_DIR": {"GIT_DIR": str(other.path / ".git")},
        "GIT_OBJECT_DIRECTORY": {"GIT_OBJECT_DIRECTORY": str(objects)},
        "GIT_GRAFT_FILE": {"GIT_GRAFT_FILE": str(grafts)},
        "GIT_CONFIG_GLOBAL": {"GIT_CONFIG_GLOBAL": str(config)},
        "GIT_CONFIG_COUNT": {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "i18n.logOutputEncoding",
            "GIT_CONFIG_VALUE_0": "ISO-8859-1",
        },
        "GIT_CONFIG_PARAMETERS": {"GIT_CONFIG_PARAMETERS": "'i18n.logoutputencoding'='latin1'"},
    }


@pytest.mark.parametrize(
    "name",
    [
        "GIT_DIR",
        "GIT_OBJECT_DIRECTORY",
        "GIT_GRAFT_FILE",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_COUNT",
        "GIT_CONFIG_PARAMETERS",
    ],
)
def test_the_callers_git_variables_do_not_reach_git(tmp_path, monkeypatch, name):
    repo, shas = make_project(tmp_path)
    expected = read(tmp_path, "expected")
    expected.close()
    other = GitRepo.create(tmp_path / "other")
    other.commit("Somebody else's history", files={STAGE: settings("9.9.9")},
                 date="2026-02-01T08:00:00+00:00")  # fmt: skip
    for key, value in git_variables(tmp_path, other, shas[3])[name].items():
        monkeypatch.setenv(key, value)
    history = read(tmp_path)
    try:
        assert history.head == shas[-1]
        assert history.commits == expected.commits
        assert history.commits[-1].subject == "Café 1.2.0"
        assert [(c.commit.sha, c.environments) for c in history.changes] == [
            (c.commit.sha, c.environments) for c in expected.changes
        ]
        assert history.warnings == []
    finally:
        history.close()
    # verify --repo reads the same repository: every commit found there
    assert missing_commits(repo.path, shas) == []


def test_the_users_ssh_verifier_does_not_decide_signatures(tmp_path, monkeypatch):
    """An ssh signature by a key meshcomply's allowed-signers file does not list is not good,
    whatever verifier (gpg.ssh.program) the user's global configuration names."""
    trusted = ssh_key(tmp_path / "keys", "trusted", principal="ann@example.com")
    stranger = ssh_key(tmp_path / "keys", "stranger", principal="ann@example.com")
    repo = GitRepo.create(tmp_path / "acme")
    repo.commit("Signed by a stranger", files={PROD: settings("1.3.0")}, author=ANN,
                date="2026-01-20T08:00:00+00:00", sign=stranger)  # fmt: skip
    fake = tmp_path / "fake-ssh-keygen"
    fake.write_text(
        '#!/bin/sh\ncase "$*" in *find-principals*) echo ann@example.com;; *)\n'
        "echo 'Good \"git\" signature for ann@example.com with ED25519 key SHA256:fake';; esac\n"
    )
    fake.chmod(0o755)
    config = tmp_path / "global.gitconfig"
    config.write_text(f'[gpg "ssh"]\n\tprogram = {fake}\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    env = EnvironmentConfig("production", ("environments/production/**",), None, "required")
    signing = SigningConfig(allowed_signers=trusted.allowed_signers)
    acme = InstallationConfig("acme", "./acme", repo.path, "main", (env,), signing=signing)
    history = read_history(acme, Period.parse("2026-01-01..2026-03-31"),
                           cache_dir=tmp_path / "cache")  # fmt: skip
    try:
        [change] = history.changes
        assert change.commit.signature == "ssh"
        assert change.verified is False
        assert change.commit.signer is None
    finally:
        history.close()


def test_safe_directory_from_the_users_configuration_is_kept(tmp_path, monkeypatch):
    """A repository owned by another user is read when the user's global configuration trusts
    it (a CI checkout), as git would; the rest of that configuration is not read."""
    if os.geteuid() != 0:
        pytest.skip("needs root to give the repository to another user")
    make_project(tmp_path)
    subprocess.run(["chown", "-R", "12345:12345", str(tmp_path / "acme")], check=True)
    config = tmp_path / "global.gitconfig"
    config.write_text(f"[safe]\n\tdirectory = {tmp_path / 'acme'}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    gitenv.trusted_directories.cache_clear()
    try:
        history = read(tmp_path)
        assert len(history.commits) == 5
        history.close()
        config.write_text("")
        gitenv.trusted_directories.cache_clear()
        with pytest.raises(Exception, match="dubious ownership"):
            read(tmp_path, "cache2")
    finally:
        gitenv.trusted_directories.cache_clear()
