"""Signed release tags as approval evidence: a tag whose good signature the configured keys
bind to its tagger is the tagger's `signed` approval of the commit it points to; a tag signed
with someone else's key is a signer mismatch; unsigned, tampered, unknown-key, non-release and
self-made tags are no evidence. Every verdict agrees with plain `git verify-tag`."""

from __future__ import annotations

import subprocess

import pytest
from gitrepo import GitRepo, clean_env, gpg_key, ssh_key

from generator.approvalconfig import ApprovalConfig, ApproverGroup, Side, Strength
from generator.config import (
    EnvironmentConfig,
    InstallationConfig,
    Period,
    ReleaseSource,
    SigningConfig,
)
from generator.evidence.context import RuleContext
from generator.evidence.registry import all_rules
from generator.history import read_history
from generator.history.model import Approval, Identity
from generator.history.tagsigning import split_signed
from generator.patterns import MAX_VERSION_CHARS

PERIOD = Period.parse("2026-01-01..2026-03-31")
PROD = "environments/production"
PATTERN = r"^production/(?P<version>\d+\.\d+\.\d+)$"
ANN = "Ann Author <ann@example.com>"
BOB = "Bob Board <bob@customer.example>"
CAROL = "Carol Customer <carol@customer.example>"
ANN_ID = Identity("Ann Author", "ann@example.com")
BOB_ID = Identity("Bob Board", "bob@customer.example")
BOARD = ApproverGroup("board", Side.CUSTOMER, (r"[^@]+@customer\.example",))


def installation(repo: GitRepo, signing: SigningConfig, strength=Strength.SIGNED):
    env = EnvironmentConfig(
        "production", (f"{PROD}/**",), ReleaseSource(tag_pattern=PATTERN), "required",
        approvers=("board",), approval_strength=strength,
    )  # fmt: skip
    approvals = ApprovalConfig(groups=(BOARD,))
    return InstallationConfig("acme", "./acme", repo.path, "main", (env,), approvals=approvals,
                              signing=signing)  # fmt: skip


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("tagsigning")
    keys = base / "keys"
    ann = ssh_key(keys, "ann", principal="ann@example.com")
    bob = ssh_key(keys, "bob", principal="bob@customer.example")
    carol = ssh_key(keys, "carol", principal="carol@customer.example")
    stranger = ssh_key(keys, "stranger", principal="bob@customer.example")  # not configured
    allowed = keys / "allowed_signers"
    allowed.write_text("".join(k.allowed_signers.read_text() for k in (ann, bob, carol)))
    repo = GitRepo.create(base / "acme")
    repo.commit("Initial", files={f"{PROD}/a.yaml": "a: 0\n"}, author=ANN,
                date="2025-12-01T10:00:00+00:00")  # fmt: skip
    plans = [  # (subject, trailers, tag name, tagger, key)
        ("Trailer and signed tag", [("Approved-by", BOB)], "production/1.0.0", BOB, bob),
        ("Signed tag alone", [], "production/1.1.0", BOB, bob),
        ("Tag signed with another key", [("Approved-by", BOB)], "production/1.2.0", BOB, carol),
        ("Unsigned tag", [], "production/1.3.0", BOB, None),
        ("Tag signed with an unknown key", [], "production/1.4.0", BOB, stranger),
        ("Author's own tag", [], "production/1.5.0", ANN, ann),
        ("Not a release tag", [], "misc/approved", BOB, bob),
    ]
    for day, (subject, trailers, tag, tagger, key) in enumerate(plans, start=10):
        date = f"2026-01-{day}T10:00:00+00:00"
        repo.commit(subject, files={f"{PROD}/a.yaml": f"a: {day}\n"}, author=ANN,
                    trailers=trailers, date=date)  # fmt: skip
        repo.tag(tag, message=f"Release {tag}", tagger=tagger, date=date, sign=key)
    # A tag object whose message was changed after Bob signed it: git mktag accepts it, only
    # the signature check can tell.
    repo.commit("Tampered tag", files={f"{PROD}/a.yaml": "a: 99\n"}, author=ANN,
                date="2026-01-20T10:00:00+00:00")  # fmt: skip
    repo.tag("scratch", message="Release production/1.6.0", tagger=BOB,
             date="2026-01-20T10:00:00+00:00", sign=bob)  # fmt: skip
    raw = repo.git("cat-file", "tag", "scratch").replace(
        "Release production/1.6.0", "Release production/1.6.0 (all ok)"
    )
    forged = repo.git("mktag", input=raw.encode()).strip()
    repo.git("update-ref", "refs/tags/production/1.6.0", forged)
    repo.git("tag", "-d", "scratch")
    return repo, allowed, base


def read(setup, keys: bool = True):
    repo, allowed, base = setup
    signing = SigningConfig(allowed_signers=allowed) if keys else SigningConfig()
    history = read_history(installation(repo, signing), PERIOD, cache_dir=base / f"c{keys}")
    return history, {c.commit.subject: c for c in history.changes}


def test_a_signed_release_tag_by_an_approver_is_signed_approval_evidence(setup):
    history, changes = read(setup)
    # The approver named in a trailer: the tag's signature makes the approval signed.
    assert changes["Trailer and signed tag"].approvals == (
        Approval(BOB_ID, "signed", "production/1.0.0"),
    )
    # No trailer: signing the release tag is the approval.
    alone = changes["Signed tag alone"]
    assert alone.approvers == (BOB_ID,)
    assert alone.approvals == (Approval(BOB_ID, "signed", "production/1.1.0"),)
    tag = next(t for t in history.tags if t.name == "production/1.1.0")
    assert (tag.signature, tag.verified, tag.signer) == ("ssh", True, "bob@customer.example")
    assert tag.signing_key.startswith("SHA256:")


def test_tags_that_are_no_signed_evidence(setup):
    _history, changes = read(setup)
    # Signed with Carol's key but tagged by Bob: the trailer alone remains.
    assert changes["Tag signed with another key"].approvals == (Approval(BOB_ID, "trailer"),)
    for subject in ("Unsigned tag", "Tag signed with an unknown key", "Not a release tag",
                    "Tampered tag"):  # fmt: skip
        assert changes[subject].approvals == (), subject
    # Ann's own tag of her own change approves nothing (and does not make it self-approved).
    own = changes["Author's own tag"]
    assert own.approvals == () and not own.self_approved


def test_tag_verdicts_agree_with_git_verify_tag(setup):
    repo, allowed, _base = setup
    history, _changes = read(setup)
    checked = {t.name: t.verified for t in history.tags if t.verified is not None}
    assert set(checked) == {f"production/1.{n}.0" for n in range(7)}
    assert {name for name, good in checked.items() if good} == {
        "production/1.0.0", "production/1.1.0", "production/1.2.0", "production/1.5.0",
    }  # fmt: skip
    for name, good in checked.items():
        plain = subprocess.run(
            ["git", "-c", f"gpg.ssh.allowedSignersFile={allowed}", "verify-tag", name],
            cwd=repo.path, env=clean_env(), capture_output=True,
        )  # fmt: skip
        assert (plain.returncode == 0) == good, name


def test_without_keys_tags_are_not_read_for_approvals(setup):
    history, changes = read(setup, keys=False)
    assert changes["Signed tag alone"].approvals == ()
    assert all(t.verified is None for t in history.tags)


def test_the_approval_rules_count_a_signed_tag_and_signed_changes_reports_the_mismatch(setup):
    history, _changes = read(setup)
    context = RuleContext(history)
    rules = all_rules()
    approval = rules["change-approval"].evaluate(context, {"roles": ["production"]})
    failing = {f.sha: f.kind for f in approval.failures}
    by_subject = {c.commit.sha: c.commit.subject for c in history.changes}
    assert {by_subject[sha]: kind for sha, kind in failing.items()} == {
        "Tag signed with another key": "approval_too_weak",
        "Unsigned tag": "unapproved",
        "Tag signed with an unknown key": "unapproved",
        "Author's own tag": "unapproved",
        "Not a release tag": "unapproved",
        "Tampered tag": "unapproved",
    }
    assert approval.details["evidence"]["signed"] == 2
    signed = rules["signed-changes"].evaluate(context, {"roles": ["production"]})
    mismatches = [f for f in signed.failures if f.items]
    assert [(by_subject[f.sha], f.kind, f.items) for f in mismatches] == [
        ("Tag signed with another key", "signer_mismatch", ("refs/tags/production/1.2.0",))
    ]
    assert "of carol@customer.example, tagged by Bob Board <bob@customer.example>" in (
        mismatches[0].message
    )
    assert "1 release tag signed with someone else's key" in signed.reason
    assert signed.details["tag_signer_mismatch"] == 1


def test_gpg_signed_release_tag(tmp_path):
    bob = gpg_key(tmp_path / "bob", BOB)
    stranger = gpg_key(tmp_path / "stranger", BOB)
    try:
        repo = GitRepo.create(tmp_path / "acme")
        for day, (subject, key) in enumerate([("Bob's tag", bob), ("Stranger's", stranger)]):
            date = f"2026-01-1{day}T10:00:00+00:00"
            repo.commit(subject, files={f"{PROD}/a.yaml": f"a: {day}\n"}, author=ANN, date=date)
            repo.tag(f"production/1.{day}.0", message="Release", tagger=BOB, date=date, sign=key)
    finally:
        bob.stop_agent()
        stranger.stop_agent()
    signing = SigningConfig(gpg_keyring=bob.public)
    history = read_history(installation(repo, signing), PERIOD, cache_dir=tmp_path / "c")
    changes = {c.commit.subject: c for c in history.changes}
    assert changes["Bob's tag"].approvals == (Approval(BOB_ID, "signed", "production/1.0.0"),)
    assert changes["Stranger's"].approvals == ()
    tag = next(t for t in history.tags if t.name == "production/1.0.0")
    assert tag.signature == "gpg" and tag.signer == BOB and tag.signing_key == bob.fingerprint


def test_the_signature_starts_at_the_last_armour_line():
    body = b"object x\ntype commit\ntag t\n\nmsg\n-----BEGIN PGP SIGNATURE-----\nquoted\n"
    raw = body + b"-----BEGIN SSH SIGNATURE-----\nabc\n-----END SSH SIGNATURE-----\n"
    payload, signature, kind = split_signed(raw)
    assert payload == body and kind == "ssh"
    assert signature.startswith(b"-----BEGIN SSH SIGNATURE-----")
    assert split_signed(b"object x\ntype commit\ntag t\n\nno signature\n") is None


def test_a_tag_signed_after_the_period_approved_nothing_in_it(tmp_path):
    # Tags are read as the repository is now: Bob's signed release tag of a January change,
    # made in April, is no approval in a period that ended in March; the same tag made in
    # March is.
    bob = ssh_key(tmp_path / "keys", "bob", principal="bob@customer.example")
    signing = SigningConfig(allowed_signers=bob.allowed_signers)
    repo = GitRepo.create(tmp_path / "acme")
    for day, (subject, tagged) in enumerate(
        [
            ("Tagged in time", "2026-03-31T23:00:00+00:00"),
            ("Tagged late", "2026-04-01T00:00:00+00:00"),
        ],
        start=10,
    ):
        repo.commit(subject, files={f"{PROD}/a.yaml": f"a: {day}\n"}, author=ANN,
                    date=f"2026-01-{day}T10:00:00+00:00")  # fmt: skip
        repo.tag(f"production/1.{day}.0", message="Release", tagger=BOB, date=tagged, sign=bob)
    history = read_history(installation(repo, signing), PERIOD, cache_dir=tmp_path / "cache")
    changes = {c.commit.subject: c for c in history.changes}
    assert changes["Tagged in time"].approvals == (Approval(BOB_ID, "signed", "production/1.10.0"),)
    assert changes["Tagged late"].approvals == ()


def test_a_change_failing_by_its_release_tag_alone_is_not_said_to_lack_a_signature(setup):
    # Every change here has an unsigned commit, so each lacks a signature; the one whose tag
    # Carol's key signed fails twice. The sentence names the test, not a missing signature.
    history, _changes = read(setup)
    signed = all_rules()["signed-changes"].evaluate(RuleContext(history), {"roles": ["production"]})
    assert "the signature test:" in signed.reason
    assert "a valid signature" not in signed.reason


def test_a_trailer_naming_the_tagger_by_name_alone_is_not_made_signed_by_the_tag():
    from generator.history.model import Tag
    from generator.history.population import with_tag_approvals

    by_name = Identity("Bob Board", "")
    tag = Tag("production/1.0.0", "0" * 40, True, BOB_ID, "2026-01-10T10:00:00+00:00",
              signature="ssh", verified=True, signer="bob@customer.example")  # fmt: skip
    approvers, approvals = with_tag_approvals(
        (by_name,), (Approval(by_name, "trailer"),), (ANN_ID,), [tag], ApprovalConfig()
    )
    # The key is bound to bob@customer.example: that address signed, the bare name did not.
    assert approvals == (
        Approval(by_name, "trailer"),
        Approval(BOB_ID, "signed", "production/1.0.0"),
    )
    assert approvers == (by_name, BOB_ID)


def test_a_tag_with_an_over_long_version_is_neither_a_release_nor_verified(tmp_path):
    # The pattern matches, but a version over MAX_VERSION_CHARS is no version: the tag is not
    # read as a release, so its signature is not checked either (no verifier runs on it).
    bob = ssh_key(tmp_path / "keys", "bob", principal="bob@customer.example")
    signing = SigningConfig(allowed_signers=bob.allowed_signers)
    repo = GitRepo.create(tmp_path / "acme")
    long_version = "1.0." + "0" * MAX_VERSION_CHARS
    for day, version in ((10, "1.0.0"), (11, long_version)):
        date = f"2026-01-{day}T10:00:00+00:00"
        repo.commit(f"Change {day}", files={f"{PROD}/a.yaml": f"a: {day}\n"}, author=ANN,
                    date=date)  # fmt: skip
        repo.tag(f"production/{version}", message="Release", tagger=BOB, date=date, sign=bob)
    history = read_history(installation(repo, signing), PERIOD, cache_dir=tmp_path / "cache")
    tags = {t.name: t for t in history.tags}
    assert tags["production/1.0.0"].verified is True
    assert tags[f"production/{long_version}"].verified is None
    assert [event.version for event in history.releases] == ["1.0.0"]
    assert any(f"version over {MAX_VERSION_CHARS} characters" in w for w in history.warnings)
    changes = {c.commit.subject: c for c in history.changes}
    assert changes["Change 11"].approvals == ()


def test_a_tag_signed_with_another_key_after_the_period_is_no_deviation_in_it(tmp_path):
    # signed-changes judges the tags the reader chose (history.signed_tags): Carol's key on
    # Bob's tag is a mismatch when tagged in the period, nothing when tagged after its end.
    keys = tmp_path / "keys"
    bob = ssh_key(keys, "bob", principal="bob@customer.example")
    carol = ssh_key(keys, "carol", principal="carol@customer.example")
    allowed = keys / "allowed_signers"
    allowed.write_text(bob.allowed_signers.read_text() + carol.allowed_signers.read_text())
    repo = GitRepo.create(tmp_path / "acme")
    for day, (subject, tagged) in enumerate(
        [("Tagged in time", "2026-03-31T23:00:00+00:00"), ("Tagged late", "2026-04-01T00:00:00Z")],
        start=10,
    ):
        repo.commit(subject, files={f"{PROD}/a.yaml": f"a: {day}\n"}, author=ANN,
                    date=f"2026-01-{day}T10:00:00+00:00")  # fmt: skip
        repo.tag(f"production/1.{day}.0", message="Release", tagger=BOB, date=tagged, sign=carol)
    signing = SigningConfig(allowed_signers=allowed)
    history = read_history(installation(repo, signing), PERIOD, cache_dir=tmp_path / "cache")
    by_subject = {c.commit.sha: c.commit.subject for c in history.changes}
    assert all(t.verified for t in history.tags)  # both good signatures, of Carol's key
    signed = all_rules()["signed-changes"].evaluate(RuleContext(history), {"roles": ["production"]})
    mismatches = [(by_subject[f.sha], f.items) for f in signed.failures if f.items]
    assert mismatches == [("Tagged in time", ("refs/tags/production/1.10.0",))]
    assert signed.details["tag_signer_mismatch"] == 1


def test_a_signed_release_tag_without_a_date_is_no_approval_and_a_warning(monkeypatch):
    # An annotated tag may have no tagger header (old tags, `git hash-object --literally`): when
    # it was made cannot be told, so it is neither an approval in the period nor judged, and the
    # pack says so instead of dropping it quietly.
    from generator.config import Period as PeriodRange
    from generator.history import reader
    from generator.history.model import Tag

    undated = Tag("production/1.0.0", "a" * 40, True, None, None, "m", oid="b" * 40)
    dated = Tag("production/1.0.1", "c" * 40, True, None, "2026-01-10T10:00:00+00:00", "m")
    monkeypatch.setattr(reader, "release_tags", lambda envs, tags, shas: tags)
    monkeypatch.setattr(
        reader,
        "verify_tags",
        lambda runner, signing, tags: [
            Tag(**{**t.__dict__, "verified": True, "signer": "Ann"}) for t in tags
        ],
    )
    installation = type("Installation", (), {"environments": (), "signing": None})()
    period = PeriodRange.parse("2026-01-01..2026-03-31")
    tags, by_sha, warnings = reader._verified_release_tags(
        None, installation, [undated, dated], set(), period
    )
    assert [t.verified for t in tags] == [True, True]  # both verified, only the dated one counts
    assert set(by_sha) == {"c" * 40}
    assert warnings == [
        "release tag production/1.0.0 is signed but has no tagger date, so when it was made "
        "cannot be told: it counts as no approval and its signature is not judged"
    ]
