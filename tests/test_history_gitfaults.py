"""Objects git cannot read: deleted blobs and commits, a partial clone without its promisor.

Each is an error naming the installation and the object with git's own words and the fix, the
build exits 1 with one line and writes nothing; an absent file stays an absent file.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import GitRepo, clean_env, git

from generator.build import config_sections
from generator.config import load_config
from generator.errors import BuildError
from generator.history.gitio import GitRunner
from generator.history.reader import read_history

ROOT = Path(__file__).resolve().parents[1]
PROD = "environments/production/meshstack.yaml"
STAGE = "environments/staging/meshstack.yaml"

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


def settings(version: str, environment: str) -> str:
    return f"meshstack:\n  version: {version}\n  environment: {environment}\n"


def make_project(folder: Path) -> tuple[GitRepo, list[str]]:
    """A repository with three releases in the period; the shas of its commits, oldest first."""
    repo = GitRepo.create(folder / "acme")
    shas = [repo.commit("Initial", files={STAGE: settings("2025.50.0", "staging"),
                                          PROD: settings("2025.50.0", "production")},
                        date="2025-12-01T10:00:00+00:00")]  # fmt: skip
    for week, version in enumerate(("2026.1.0", "2026.2.0", "2026.3.0")):
        day = 5 + 7 * week
        shas.append(repo.commit(f"Stage {version}", files={STAGE: settings(version, "staging")},
                                date=f"2026-01-{day:02d}T08:00:00+00:00"))  # fmt: skip
        shas.append(repo.commit(f"Promote {version}", files={PROD: settings(version, "production")},
                                date=f"2026-01-{day + 2:02d}T09:00:00+00:00"))  # fmt: skip
    (folder / "meshcomply.yml").write_text(CONFIG)
    return repo, shas


def remove_object(repo: Path, oid: str) -> None:
    """Delete a loose object (the test repositories are never packed)."""
    git_dir = repo / ".git" if (repo / ".git").is_dir() else repo
    (git_dir / "objects" / oid[:2] / oid[2:]).unlink()


def meshcomply(
    cwd: Path, *args: str, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command in its own process: a thread's traceback would show on its stderr."""
    code = "from generator.cli import main; main()"
    env = clean_env({"PYTHONPATH": str(ROOT)})
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def build_fails(folder: Path) -> str:
    """Run a build that must fail: its one error line (exit 1, no traceback, nothing written)."""
    result = meshcomply(folder, "build", "--quiet", "--format", "json", "--out", "out")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert not (folder / "out" / "packs").exists()
    assert not list((folder / "out").glob(".meshcomply-build-*"))
    return lines[0]


def test_a_deleted_release_file_blob_is_an_error_naming_path_commit_and_object(tmp_path):
    repo, shas = make_project(tmp_path)
    promoted = shas[4]  # "Promote 2026.2.0": the only commit with that production file
    blob = repo.git("rev-parse", f"{promoted}:{PROD}").strip()
    remove_object(repo.path, blob)
    line = build_fails(tmp_path)
    assert line.startswith(f"meshcomply: error: acme (./acme): object {blob} is missing")
    assert f"({PROD} at commit {promoted})" in line
    assert "`git fsck`" in line and "fetch it again" in line


def test_file_at_tells_an_absent_path_from_a_missing_object(tmp_path):
    repo, shas = make_project(tmp_path)
    config = load_config(tmp_path / "meshcomply.yml", config_sections())
    installation = config.installations[0]
    history = read_history(installation, config.period, cache_dir=tmp_path / "cache")
    folder = repo.git("rev-parse", f"{shas[2]}:environments/production").strip()
    remove_object(repo.path, folder)
    try:
        assert history.file_at("environments/nothing/here.yaml", shas[2]) is None
        assert history.file_at(f"{PROD}/below-a-file", shas[0]) is None
        assert history.file_at(PROD, shas[0]).startswith("meshstack:")  # its own tree is intact
        with pytest.raises(BuildError) as missing_tree:
            history.file_at(PROD, shas[2])
        assert f"object {folder} is missing" in str(missing_tree.value)
        assert f"the tree of environments/production (needed for {PROD} at commit" in str(
            missing_tree.value
        )
        remove_object(repo.path, repo.git("rev-parse", f"{shas[6]}:{PROD}").strip())
        with pytest.raises(BuildError, match=f"{PROD} at commit {shas[6]}"):
            history.file_at(PROD, shas[6])
    finally:
        history.close()


def test_a_missing_blob_of_a_file_version_is_an_error_naming_it_never_an_absent_file(tmp_path):
    # Versions are read by the blob id the log gave: one the repository lacks is an error
    # naming the object, the path and the first commit that holds it.
    repo, shas = make_project(tmp_path)
    config = load_config(tmp_path / "meshcomply.yml", config_sections())
    history = read_history(config.installations[0], config.period, cache_dir=tmp_path / "cache")
    blob = repo.git("rev-parse", f"{shas[4]}:{PROD}").strip()
    remove_object(repo.path, blob)
    try:
        with pytest.raises(BuildError) as missing:
            history.file_history(PROD)
        assert str(missing.value).startswith(
            f"acme (./acme): object {blob} is missing from the repository ({PROD} at commit "
            f"{shas[4]}); "
        )
    finally:
        history.close()


def test_a_deleted_commit_object_gives_gits_own_message(tmp_path):
    repo, shas = make_project(tmp_path)
    remove_object(repo.path, shas[3])
    line = build_fails(tmp_path)
    assert line.startswith("meshcomply: error: acme (./acme): git log failed: ")
    assert f"Could not read {shas[3]}; Failed to traverse parents of commit {shas[4]}" in line
    assert "`git fsck`" in line


def test_a_partial_clone_whose_promisor_is_gone_gives_gits_own_message(tmp_path):
    source, _shas = make_project(tmp_path / "source")
    promisor = tmp_path / "promisor.git"
    git("clone", "--quiet", "--bare", str(source.path), str(promisor))
    git("config", "uploadpack.allowFilter", "true", cwd=promisor)
    project = tmp_path / "project"
    project.mkdir()
    git("clone", "--quiet", "--filter=blob:none", "--no-checkout", "--branch", "main",
        f"file://{promisor}", str(project / "acme"))  # fmt: skip
    shutil.copy(tmp_path / "source" / "meshcomply.yml", project / "meshcomply.yml")
    promisor.rename(tmp_path / "moved-away.git")
    line = build_fails(project)
    assert line.startswith("meshcomply: error: acme (./acme): git cat-file failed reading ")
    assert "from promisor remote" in line and "could not fetch" in line
    assert "does not appear to be a git repository" in line


def test_git_errors_are_one_line_and_bounded(tmp_path):
    repo, _shas = make_project(tmp_path)
    runner = GitRunner(repo.path, "acme (./acme)", clean_env())
    with pytest.raises(BuildError) as failed:
        runner.run("rev-parse", "--verify", "x" * 5000)
    message = str(failed.value)
    assert message.startswith("acme (./acme): git rev-parse failed: ")
    assert "\n" not in message and len(message) < 700


def test_a_tag_chain_with_a_missing_tag_object_is_an_error_not_a_dropped_tag(tmp_path):
    repo, _shas = make_project(tmp_path)
    config = tmp_path / "meshcomply.yml"
    config.write_text(config.read_text().replace(
        "release: {file: environments/production/meshstack.yaml, key: meshstack.version}",
        "release: {tag_pattern: '^production/(?P<version>.+)$'}",
    ))  # fmt: skip
    repo.tag("inner", message="inner")
    tagger = {"GIT_COMMITTER_NAME": "Tag Ger", "GIT_COMMITTER_EMAIL": "tag@example.com"}
    repo.git("tag", "--no-sign", "-a", "middle", "inner", "-m", "middle", env=tagger)
    repo.git("tag", "--no-sign", "-a", "production/2026.3.0", "middle", "-m", "r", env=tagger)
    inner = repo.git("rev-parse", "inner").strip()
    repo.git("tag", "-d", "inner", "middle")  # only the outer tag is a ref now
    remove_object(repo.path, inner)
    line = build_fails(tmp_path)
    assert line.startswith("meshcomply: error: acme (./acme): git rev-parse failed: ")
    assert "`git fsck`" in line


def test_a_ref_pointing_to_a_missing_commit_is_named_as_such(tmp_path):
    repo, shas = make_project(tmp_path)
    remove_object(repo.path, shas[-1])
    line = build_fails(tmp_path)
    assert line == (
        f"meshcomply: error: acme (./acme): object {shas[-1]} is missing from the repository "
        "(the commit ref 'main' points to); the repository is damaged or incomplete: `git fsck` "
        "lists what is missing; fetch it again (or clone it anew; a partial clone needs its "
        "promisor remote reachable)"
    )
