"""Signed packs: ``manifest.json`` signed with an SSH key, the way git signs commits.

``ssh-keygen -Y sign -n meshcomply`` writes a detached signature, ``manifest.json.sig``, beside the
manifest. As the manifest holds the SHA-256 of every other file, the signature vouches for the
whole pack. The signer's identity (key type, fingerprint, comment) comes from the key's public
half, so it is known before anything is rendered and the PDF's cover can show it; the signature
itself is made last, after the manifest. ``ssh-keygen -Y verify`` against an allowed-signers file
(the format git's ``gpg.ssh.allowedSignersFile`` uses) checks it and names the signer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from generator.errors import BuildError

NAMESPACE = "meshcomply"
SIGNATURE_NAME = "manifest.json.sig"
_TIMEOUT = 60  # seconds for one ssh-keygen call: it never needs the network


@dataclass(frozen=True)
class SignerIdentity:
    """Who signs, as the public key says: shown on the PDF's cover."""

    key_type: str  # e.g. "ssh-ed25519"
    fingerprint: str  # "SHA256:..." as ssh-keygen -l prints it
    comment: str  # often the signer's e-mail address; may be empty

    @property
    def label(self) -> str:
        comment = f" ({self.comment})" if self.comment else ""
        return f"{self.key_type} key {self.fingerprint}{comment}"


@dataclass(frozen=True)
class SigningKey:
    path: Path  # given to ssh-keygen -f: a private key, or a public key held by ssh-agent
    identity: SignerIdentity


def _ssh_keygen(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    try:
        # A new session has no controlling terminal: an encrypted key fails instead of prompting.
        return subprocess.run(
            ["ssh-keygen", *args],
            input=stdin,
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise BuildError("ssh-keygen not found: install OpenSSH (openssh-client)") from exc
    except subprocess.TimeoutExpired as exc:
        raise BuildError(f"ssh-keygen {args[0]} {args[1]} took over {_TIMEOUT} s") from exc


def _message(result: subprocess.CompletedProcess[bytes]) -> str:
    text = result.stderr.decode("utf-8", "replace").strip() or f"exit {result.returncode}"
    return " ".join(text.split())[:300]


def identity_from_public_key(line: str, source: str) -> SignerIdentity:
    """Key type, SHA-256 fingerprint and comment of an OpenSSH public key line."""
    parts = line.strip().split(maxsplit=2)
    try:
        blob = base64.b64decode(parts[1], validate=True) if len(parts) >= 2 else b""
    except (binascii.Error, ValueError):
        blob = b""
    if not blob:
        raise BuildError(f"{source}: not an OpenSSH public key")
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")
    comment = parts[2].strip() if len(parts) == 3 else ""
    return SignerIdentity(parts[0], f"SHA256:{digest}", comment)


def load_signing_key(path: Path) -> SigningKey:
    """The key for ``--sign``, its public half from ``KEY.pub``, ``KEY`` or ``ssh-keygen -y``."""
    if not path.is_file():
        raise BuildError(f"--sign {path}: no such key file")
    public = path if path.suffix == ".pub" else path.with_name(path.name + ".pub")
    if public.is_file():
        line = public.read_text("utf-8", "replace")
        return SigningKey(path, identity_from_public_key(line, str(public)))
    result = _ssh_keygen("-y", "-P", "", "-f", str(path))
    if result.returncode != 0:
        raise BuildError(
            f"--sign {path}: cannot read its public key ({_message(result)}); "
            f"for an encrypted key put its public half beside it as {public.name} "
            "and load the key into ssh-agent"
        )
    return SigningKey(path, identity_from_public_key(result.stdout.decode("utf-8"), str(path)))


def sign_manifest(pack_dir: Path, key: SigningKey) -> Path:
    """Write ``manifest.json.sig``: the detached SSH signature of the pack's manifest.json."""
    manifest = (pack_dir / "manifest.json").read_bytes()
    result = _ssh_keygen("-Y", "sign", "-n", NAMESPACE, "-f", str(key.path), stdin=manifest)
    if result.returncode != 0 or not result.stdout.startswith(b"-----BEGIN SSH SIGNATURE-----"):
        raise BuildError(f"--sign {key.path}: ssh-keygen could not sign ({_message(result)})")
    target = pack_dir / SIGNATURE_NAME
    temp = pack_dir / f".{SIGNATURE_NAME}.partial"
    temp.write_bytes(result.stdout)
    os.replace(temp, target)
    return target


def check_signature(pack_dir: Path, allowed_signers: Path) -> tuple[list[str], str | None]:
    """Problems with the manifest's signature, or the signer ssh-keygen names when it is good."""
    signature = pack_dir / SIGNATURE_NAME
    if not signature.is_file() or signature.is_symlink():
        return [f"{SIGNATURE_NAME}: missing (--allowed-signers requires a signed pack)"], None
    try:
        manifest = (pack_dir / "manifest.json").read_bytes()
    except OSError as exc:
        return [f"manifest.json: unreadable, cannot check its signature: {exc}"], None
    found = _ssh_keygen("-Y", "find-principals", "-s", str(signature), "-f", str(allowed_signers))
    principals = found.stdout.decode("utf-8", "replace").split()
    if found.returncode != 0 or not principals:
        unknown = f"{SIGNATURE_NAME}: not made by a key of {allowed_signers} ({_message(found)})"
        return [unknown], None
    failures = []
    for principal in principals:
        verified = _ssh_keygen(
            "-Y", "verify", "-f", str(allowed_signers), "-I", principal, "-n", NAMESPACE,
            "-s", str(signature), stdin=manifest,
        )  # fmt: skip
        if verified.returncode == 0:
            return [], verified.stdout.decode("utf-8", "replace").strip()
        failures.append(_message(verified))
    return [f"{SIGNATURE_NAME}: does not match manifest.json ({failures[0]})"], None
