"""``build --sign KEY`` and ``verify --allowed-signers FILE`` with the real ssh-keygen."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
import test_build
from click.testing import CliRunner
from pypdf import PdfReader
from test_build import PACK, run

from generator.cli import cli
from generator.manifest import write_manifest
from generator.signing import SIGNATURE_NAME, identity_from_public_key

project = test_build.project  # the tiny installation the build tests use (a fixture)


def make_key(folder: Path, name: str, comment: str, passphrase: str = "") -> Path:
    folder.mkdir(exist_ok=True)
    key = folder / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", comment, "-f", str(key)],
        check=True,
    )
    return key


def allowed_signers(folder: Path, principal: str, key: Path) -> Path:
    key_type, blob = (key.with_name(key.name + ".pub")).read_text().split()[:2]
    path = folder / "allowed_signers"
    path.write_text(f'{principal} namespaces="meshcomply" {key_type} {blob}\n')
    return path


def fingerprint(key: Path) -> str:
    listed = subprocess.run(["ssh-keygen", "-l", "-f", str(key)], capture_output=True, text=True)
    return listed.stdout.split()[1]  # "256 SHA256:... comment (ED25519)"


def verify(*args: str):
    return CliRunner().invoke(cli, ["verify", *args])


@pytest.fixture
def alice(tmp_path: Path) -> Path:
    return make_key(tmp_path / "keys", "alice", "alice@example.com")


def test_signed_pack_verifies_and_names_its_signer(project: Path, alice: Path):
    result = run(project, "--out", "out", "--format", "json,pdf,html", "--sign", str(alice))
    assert result.exit_code == 0, result.output
    pack = project / "out" / PACK
    assert (pack / SIGNATURE_NAME).read_bytes().startswith(b"-----BEGIN SSH SIGNATURE-----")
    offered = project / "out" / "site" / "acme" / PACK.name / "downloads" / SIGNATURE_NAME
    assert offered.read_bytes() == (pack / SIGNATURE_NAME).read_bytes()  # the portal offers it
    listed = [f["path"] for f in json.loads((pack / "manifest.json").read_text())["files"]]
    assert SIGNATURE_NAME not in listed and "evidence-pack.pdf" in listed
    assert f"by ssh-ed25519 key {fingerprint(alice)} (alice@example.com)" in result.output

    signers = allowed_signers(project, "alice@example.com", alice)
    checked = verify(str(pack), "--allowed-signers", str(signers))
    assert checked.exit_code == 0, checked.output
    assert (
        f'signed: Good "meshcomply" signature for alice@example.com with ED25519 key '
        f"{fingerprint(alice)}" in checked.output
    )
    unchecked = verify(str(pack))
    assert unchecked.exit_code == 0
    assert f"{SIGNATURE_NAME} not checked (give --allowed-signers)" in unchecked.output

    cover = PdfReader(io.BytesIO((pack / "evidence-pack.pdf").read_bytes())).pages[0]
    text = " ".join(cover.extract_text().split())
    assert f"Signed with ssh-ed25519 key {fingerprint(alice)}" in text
    assert "alice@example.com" in text


def test_tampered_pack_with_a_recomputed_manifest_fails(project: Path, alice: Path):
    assert run(project, "--out", "out", "--sign", str(alice)).exit_code == 0
    pack = project / "out" / PACK
    signers = allowed_signers(project, "alice@example.com", alice)
    evidence = pack / "evidence.json"
    text = evidence.read_text()
    # A forgery that still fits the schema: a control's deviations made to vanish.
    forged = text.replace('"status": "deviations"', '"status": "no_deviations"', 1)
    assert forged != text
    evidence.write_text(forged)
    write_manifest(pack)  # the tamperer fixes the checksums, but cannot sign
    assert verify(str(pack)).exit_code == 0  # the files match the new manifest...
    result = verify(str(pack), "--allowed-signers", str(signers))
    assert result.exit_code == 1
    assert f"{SIGNATURE_NAME}: does not match manifest.json" in result.output
    assert "incorrect signature" in result.output


def test_missing_signature_and_unknown_signer_fail(project: Path, alice: Path, tmp_path: Path):
    mallory = make_key(tmp_path / "keys", "mallory", "mallory@example.com")
    signers = allowed_signers(project, "alice@example.com", alice)
    assert run(project, "--out", "unsigned").exit_code == 0
    result = verify(str(project / "unsigned" / PACK), "--allowed-signers", str(signers))
    assert result.exit_code == 1
    assert f"{SIGNATURE_NAME}: missing (--allowed-signers requires a signed pack)" in result.output

    assert run(project, "--out", "mallory", "--sign", str(mallory)).exit_code == 0
    result = verify(str(project / "mallory" / PACK), "--allowed-signers", str(signers))
    assert result.exit_code == 1
    assert f"{SIGNATURE_NAME}: not made by a key of {signers}" in result.output


def test_signing_twice_gives_the_same_bytes(project: Path, alice: Path):
    # Ed25519 signatures are deterministic, so a signed pack stays reproducible.
    assert run(project, "--out", "a", "--sign", str(alice)).exit_code == 0
    assert run(project, "--out", "b", "--sign", str(alice)).exit_code == 0
    first = (project / "a" / PACK / SIGNATURE_NAME).read_bytes()
    assert first == (project / "b" / PACK / SIGNATURE_NAME).read_bytes()


def test_unusable_keys_are_clear_errors_before_anything_is_built(project: Path, tmp_path: Path):
    result = run(project, "--out", "out", "--sign", str(tmp_path / "nope"))
    assert result.exit_code == 1
    assert f"meshcomply: error: --sign {tmp_path / 'nope'}: no such key file" in result.output
    locked = make_key(tmp_path / "keys", "locked", "locked@example.com", passphrase="secret")
    locked.with_name("locked.pub").unlink()  # no public half: it would need the passphrase
    result = run(project, "--out", "out", "--sign", str(locked))
    assert result.exit_code == 1
    assert f"--sign {locked}: cannot read its public key" in result.output
    assert not (project / "out").exists()


def test_fingerprint_is_computed_like_ssh_keygen(alice: Path):
    public = alice.with_name("alice.pub").read_text()
    identity = identity_from_public_key(public, "alice.pub")
    assert identity.fingerprint == fingerprint(alice)
    assert (identity.key_type, identity.comment) == ("ssh-ed25519", "alice@example.com")
