"""A URL repository's mirror in the cache: a later fetch believes nothing of the mirror's own
configuration or hooks (whoever can write the cache folder can write them)."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GitRepo

from generator.build import config_sections
from generator.cli import cli
from generator.config import load_config
from generator.errors import InputError
from generator.history.clone import ensure_clone, mirror_path, mirror_problems

CONFIG = """\
installations:
  acme:
    repo: {url}
    ref: main
    environments:
      production: {{paths: [a]}}
"""


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "meshcomply.yml"
    path.write_text(textwrap.dedent(CONFIG.format(url=url)), encoding="utf-8")
    return path


def _hook_folder(tmp_path: Path, marker: Path) -> Path:
    """A hooks folder whose reference-transaction hook (run by every fetch that moves a ref)
    leaves `marker` behind."""
    hooks = tmp_path / "evil-hooks"
    hooks.mkdir(exist_ok=True)
    hook = hooks / "reference-transaction"
    hook.write_text(f"#!/bin/sh\necho ran >> '{marker}'\n", encoding="utf-8")
    hook.chmod(0o755)
    return hooks


def _set(mirror: Path, key: str, value: str) -> None:
    subprocess.run(["git", "config", "--file", str(mirror / "config"), key, value], check=True)


@pytest.fixture
def origin(tmp_path):
    repo = GitRepo.create(tmp_path / "origin")
    repo.commit("One", files={"a": "1\n"})
    return repo


def test_a_fresh_mirror_holds_only_what_the_clone_wrote(tmp_path, origin):
    url = f"file://{origin.path}"
    mirror = ensure_clone(url, tmp_path / "cache")
    assert mirror_problems(mirror, url) == []
    assert not (mirror / "hooks").exists()  # no template copied: no hook samples either
    # The same mirror is foreign to another URL (the digest folder of one URL, copied).
    other = f"file://{tmp_path}/other"
    assert mirror_problems(mirror, other) == [f"remote.origin.url = {url}"]


def test_a_tampered_mirror_is_refused_and_its_hook_never_runs(tmp_path, origin):
    url = f"file://{origin.path}"
    cache = tmp_path / "cache"
    path = _config(tmp_path, url)
    load_config(path, config_sections(), cache_dir=cache)
    mirror = mirror_path(url, cache)
    # Another repository, with a commit the configured one does not have.
    other = GitRepo.create(tmp_path / "other")
    foreign = other.commit("Not acme", files={"a": "evil\n"})
    marker = tmp_path / "hook-ran"
    _set(mirror, "core.hooksPath", str(_hook_folder(tmp_path, marker)))
    _set(mirror, "remote.origin.url", f"file://{other.path}")
    before = GitRepo(mirror).rev("main")
    origin.commit("Two", files={"a": "2\n"})

    with pytest.raises(InputError) as caught:
        load_config(path, config_sections(), cache_dir=cache)
    [problem] = caught.value.problems
    assert (problem.line, problem.col) == (3, 11)  # at repo:
    assert problem.message.startswith(f"the mirror {mirror} of {url} holds settings ")
    assert f"core.hookspath = {tmp_path / 'evil-hooks'}" in problem.message
    assert f"remote.origin.url = file://{other.path}" in problem.message
    assert "delete the folder to clone the repository afresh" in problem.message
    assert not marker.exists()
    assert GitRepo(mirror).rev("main") == before  # nothing fetched, from either repository
    objects = GitRepo(mirror).git("cat-file", "--batch-all-objects", "--batch-check")
    assert foreign not in objects

    # Through the CLI: an error naming the folder, exit 1, no traceback.
    result = CliRunner().invoke(
        cli, ["build", "--config", str(path)], env={"MESHCOMPLY_CACHE": str(cache)}
    )
    assert result.exit_code == 1, result.output
    assert f"the mirror {mirror} of {url}" in result.output
    assert "Traceback" not in result.output and not marker.exists()


def test_deleting_the_tampered_mirror_clones_it_afresh(tmp_path, origin):
    url = f"file://{origin.path}"
    cache = tmp_path / "cache"
    path = _config(tmp_path, url)
    mirror = ensure_clone(url, cache)
    _set(mirror, "core.sshCommand", "touch /tmp/never")
    with pytest.raises(InputError, match=r"core\.sshcommand = touch /tmp/never"):
        load_config(path, config_sections(), cache_dir=cache)
    subprocess.run(["rm", "-rf", str(mirror)], check=True)
    second = origin.commit("Two", files={"a": "2\n"})
    acme = load_config(path, config_sections(), cache_dir=cache).installations[0]
    assert GitRepo(acme.repo_path).rev("main") == second


def test_a_hook_inside_the_mirror_never_runs_and_the_configured_url_is_fetched(tmp_path, origin):
    """A hook dropped into the mirror's own hooks/ (no setting changed) is not run; a fetch
    moves and prunes refs as a mirror's does."""
    url = f"file://{origin.path}"
    cache = tmp_path / "cache"
    mirror = ensure_clone(url, cache)
    marker = tmp_path / "hook-ran"
    hooks = _hook_folder(tmp_path, marker)
    (mirror / "hooks").mkdir(exist_ok=True)
    (mirror / "hooks" / "reference-transaction").write_bytes(
        (hooks / "reference-transaction").read_bytes()
    )
    (mirror / "hooks" / "reference-transaction").chmod(0o755)
    origin.git("branch", "gone")
    ensure_clone(url, cache)
    assert GitRepo(mirror).rev("gone")
    origin.git("branch", "-D", "gone")
    second = origin.commit("Two", files={"a": "2\n"})
    ensure_clone(url, cache)
    assert GitRepo(mirror).rev("main") == second
    refs = GitRepo(mirror).git("for-each-ref", "--format=%(refname)").split()
    assert refs == ["refs/heads/main"]
    assert not marker.exists()


@pytest.mark.parametrize(
    ("setting", "shown"),
    [
        (("include.path", "/tmp/elsewhere.gitconfig"), "include.path = /tmp/elsewhere.gitconfig"),
        (("remote.origin.fetch", "+refs/heads/x:refs/heads/main"), "remote.origin.fetch = "),
        (("remote.origin.uploadpack", "touch /tmp/x; git-upload-pack"), "remote.origin.uploadpack"),
        (("credential.helper", "!cat"), "credential.helper = !cat"),
        (("core.bare", "false"), "core.bare = false"),
        (("core.fsmonitor", "esc\x1bhere"), "core.fsmonitor = esc\\x1bhere"),
    ],
)
def test_settings_a_clone_never_writes_are_named(tmp_path, origin, setting, shown):
    url = f"file://{origin.path}"
    mirror = ensure_clone(url, tmp_path / "cache")
    _set(mirror, *setting)
    [problem] = mirror_problems(mirror, url)
    assert problem.startswith(shown)


def test_a_credential_in_a_tampered_url_is_not_shown(tmp_path, origin):
    url = f"file://{origin.path}"
    mirror = ensure_clone(url, tmp_path / "cache")
    _set(mirror, "remote.origin.url", "https://bob:s3cret@example.com/acme.git")
    assert mirror_problems(mirror, url) == ["remote.origin.url = https://example.com/acme.git"]


def test_a_commondir_file_and_an_unreadable_config_are_refused(tmp_path, origin):
    url = f"file://{origin.path}"
    mirror = ensure_clone(url, tmp_path / "cache")
    (mirror / "commondir").write_text(str(tmp_path / "other") + "\n", encoding="utf-8")
    assert mirror_problems(mirror, url) == [
        "a commondir file (git would read another folder's configuration)"
    ]
    (mirror / "commondir").unlink()
    (mirror / "config").write_text("[core\n", encoding="utf-8")
    [problem] = mirror_problems(mirror, url)
    assert problem.startswith("its config file cannot be read (bad config line 1 in file ")
