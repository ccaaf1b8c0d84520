"""Signed commits: detected without keys, verified against configured allowed signers."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import GitRepo, gpg_key, ssh_key

from generator.config import (
    EnvironmentConfig,
    InstallationConfig,
    Period,
    ReleaseSource,
    SigningConfig,
)
from generator.history import read_history
from generator.history.signing import gpg_user_id

PERIOD = Period.parse("2026-01-01..2026-03-31")
PROD = "environments/production"
ANN = "Ann <ann@example.com>"


def installation(path: Path, signing: SigningConfig) -> InstallationConfig:
    env = EnvironmentConfig("production", (f"{PROD}/**",), None, "required")
    return InstallationConfig("acme", "./acme", path, "main", (env,), signing=signing)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("signing")
    trusted = ssh_key(base / "keys", "trusted", principal="ann@example.com")
    stranger = ssh_key(base / "keys", "stranger", principal="ann@example.com")
    repo = GitRepo.create(base / "acme")
    repo.commit("Before the period", files={f"{PROD}/a.yaml": "a: 0\n"}, author=ANN,
                sign=trusted, date="2025-12-01T10:00:00+00:00")  # fmt: skip
    repo.commit("Trusted key", files={f"{PROD}/a.yaml": "a: 1\n"}, author=ANN, sign=trusted,
                date="2026-01-10T10:00:00+00:00")  # fmt: skip
    repo.commit("Unknown key", files={f"{PROD}/a.yaml": "a: 2\n"}, author=ANN, sign=stranger,
                date="2026-01-11T10:00:00+00:00")  # fmt: skip
    repo.commit("Unsigned", files={f"{PROD}/a.yaml": "a: 3\n"}, author=ANN,
                date="2026-01-12T10:00:00+00:00")  # fmt: skip
    repo.branch("feature")
    repo.commit("Branch work", files={f"{PROD}/b.yaml": "b: 1\n"}, author=ANN,
                date="2026-01-13T10:00:00+00:00")  # fmt: skip
    repo.checkout("main")
    repo.merge("feature", committer=ANN, sign=trusted, date="2026-01-14T10:00:00+00:00")
    return repo, trusted, base


def facts(history):
    return [(c.commit.subject, c.commit.signature, c.signed, c.verified) for c in history.changes]


def test_signatures_are_detected_without_keys(setup):
    repo, _trusted, base = setup
    history = read_history(installation(repo.path, SigningConfig()), PERIOD,
                           cache_dir=base / "cache-plain")  # fmt: skip
    assert facts(history) == [
        ("Trusted key", "ssh", True, None),
        ("Unknown key", "ssh", True, None),
        ("Unsigned", "none", False, None),
        ("Merge feature", "ssh", True, None),
    ]


def test_signatures_are_verified_against_allowed_signers(setup):
    repo, trusted, base = setup
    signing = SigningConfig(allowed_signers=trusted.allowed_signers)
    history = read_history(installation(repo.path, signing), PERIOD, cache_dir=base / "cache-keys")
    assert facts(history) == [
        ("Trusted key", "ssh", True, True),
        ("Unknown key", "ssh", True, False),
        ("Unsigned", "none", False, False),
        ("Merge feature", "ssh", True, True),
    ]
    # only the period is verified: older commits keep "not checked"
    assert history.commits[0].signature_verified is None


def test_gpg_signatures_are_verified_against_the_configured_keyring(tmp_path):
    trusted = gpg_key(tmp_path / "trusted", ANN)
    stranger = gpg_key(tmp_path / "stranger", ANN)
    try:
        repo = GitRepo.create(tmp_path / "acme")
        repo.commit("Trusted gpg", files={f"{PROD}/a.yaml": "a: 1\n"}, author=ANN, sign=trusted,
                    date="2026-01-10T10:00:00+00:00")  # fmt: skip
        repo.commit("Other gpg", files={f"{PROD}/a.yaml": "a: 2\n"}, author=ANN, sign=stranger,
                    date="2026-01-11T10:00:00+00:00")  # fmt: skip
    finally:
        trusted.stop_agent()
        stranger.stop_agent()
    signing = SigningConfig(gpg_keyring=trusted.public)
    history = read_history(installation(repo.path, signing), PERIOD, cache_dir=tmp_path / "c")
    assert facts(history) == [
        ("Trusted gpg", "gpg", True, True),
        ("Other gpg", "gpg", True, False),
    ]


def test_a_gpg_user_id_is_shown_as_the_key_has_it(tmp_path):
    # gpg's status lines (and so git's %GS) write '%' and control characters as %XX; a colon,
    # which only gpg's --with-colons listings escape, arrives as it is.
    uid = "Ann: Author (ops%team) <ann@example.com>"
    key = gpg_key(tmp_path / "ann", uid)
    try:
        repo = GitRepo.create(tmp_path / "acme")
        repo.commit("Signed", files={f"{PROD}/a.yaml": "a: 1\n"}, author=ANN, sign=key,
                    date="2026-01-10T10:00:00+00:00")  # fmt: skip
        repo.tag("production/1.0.0", message="Release", tagger=ANN,
                 date="2026-01-10T10:00:00+00:00", sign=key)  # fmt: skip
    finally:
        key.stop_agent()
    raw = repo.git("log", "-1", "--format=%GS", env={"GNUPGHOME": str(key.home)})
    assert raw.strip() == "Ann: Author (ops%25team) <ann@example.com>"  # as git gives it
    tags = ReleaseSource(tag_pattern=r"production/(?P<version>.+)")
    env = EnvironmentConfig("production", (f"{PROD}/**",), tags, "required")
    signing = SigningConfig(gpg_keyring=key.public)
    config = InstallationConfig("acme", "./acme", repo.path, "main", (env,), signing=signing)
    history = read_history(config, PERIOD, cache_dir=tmp_path / "c")
    (change,) = history.changes
    assert change.verified and change.commit.signer == uid
    (tag,) = history.tags
    assert tag.verified and tag.signer == uid
    # A control character gpg escaped stays out of the text (it would reach a CSV cell raw).
    assert gpg_user_id("a%0Ab%25c %zz%%1B%00") == "a\ufffdb%c %zz%\ufffd\ufffd"
