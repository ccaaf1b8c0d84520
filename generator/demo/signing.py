"""Commit signing with the demo's published throwaway ssh key (see keys/README.md).

The signatures are byte-identical to what ``git commit -S`` with ``gpg.format=ssh`` makes (git
runs ``ssh-keygen -Y sign``): an SSHSIG blob over the commit, armored. Ed25519 signatures are
deterministic, so the same commit always gets the same signature and the demo's shas never
change. With the ``cryptography`` package installed the signature is computed in-process (about
0.2 ms); without it, one ``ssh-keygen`` process signs each commit (about 10 ms).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Protocol

from generator.errors import BuildError

NAMESPACE = "git"  # what git passes to ssh-keygen for commits and tags
_KEY_NAME = "demo_signing_key"
_HASH = b"sha512"  # ssh-keygen's default for SSHSIG


def _key_text(name: str) -> bytes:
    try:
        return resources.files("generator.demo").joinpath("keys").joinpath(name).read_bytes()
    except OSError:
        raise BuildError(
            f"the demo signing key generator/demo/keys/{name} is missing from this installation "
            "of meshcomply (package data not installed)"
        ) from None


def public_key() -> str:
    """The demo key's public half: `ssh-ed25519 AAAA... comment`."""
    return _key_text(f"{_KEY_NAME}.pub").decode("ascii").strip()


def allowed_signers(principals: Iterable[str]) -> str:
    """An allowed-signers file trusting the demo key for the given email addresses."""
    key_type, key_data = public_key().split()[:2]
    joined = ",".join(sorted(set(principals)))
    return (
        "# Trusts the PUBLIC THROWAWAY meshcomply demo key for the demo identities only.\n"
        f'{joined} namespaces="{NAMESPACE}" {key_type} {key_data}\n'
    )


class Signer(Protocol):
    def sign(self, payload: bytes) -> str:
        """The armored SSH signature (`-----BEGIN SSH SIGNATURE-----` ...) of payload."""
        ...


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


class InProcessSigner:
    """SSHSIG (PROTOCOL.sshsig in OpenSSH) computed with the cryptography package."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.serialization import load_ssh_private_key

        self._key = load_ssh_private_key(_key_text(_KEY_NAME), None)
        wire = base64.b64decode(public_key().split()[1])
        self._public_blob = wire

    def sign(self, payload: bytes) -> str:
        fields = _string(NAMESPACE.encode()) + _string(b"") + _string(_HASH)
        signed = b"SSHSIG" + fields + _string(hashlib.sha512(payload).digest())
        signature = _string(b"ssh-ed25519") + _string(self._key.sign(signed))  # type: ignore[call-arg]
        blob = b"SSHSIG" + struct.pack(">I", 1) + _string(self._public_blob) + fields
        text = base64.b64encode(blob + _string(signature)).decode("ascii")
        lines = [text[i : i + 70] for i in range(0, len(text), 70)]
        return (
            "-----BEGIN SSH SIGNATURE-----\n" + "\n".join(lines) + "\n-----END SSH SIGNATURE-----\n"
        )


class SshKeygenSigner:
    """One `ssh-keygen -Y sign` per signature, as git itself does."""

    def __init__(self, key_file: Path, ssh_keygen: str):
        self.key_file = key_file
        self._ssh_keygen = ssh_keygen

    def sign(self, payload: bytes) -> str:
        result = subprocess.run(
            [self._ssh_keygen, "-q", "-Y", "sign", "-f", str(self.key_file), "-n", NAMESPACE],
            input=payload,
            capture_output=True,
            check=False,
        )
        if result.returncode != 0 or not result.stdout.startswith(b"-----BEGIN SSH SIGNATURE"):
            message = result.stderr.decode("utf-8", "replace").strip() or "no signature produced"
            raise BuildError(f"ssh-keygen could not sign a demo commit: {message}")
        return result.stdout.decode("ascii")


@contextmanager
def ssh_keygen_signer() -> Iterator[SshKeygenSigner]:
    """A signer using a private copy of the key: ssh-keygen refuses group-readable key files."""
    ssh_keygen = shutil.which("ssh-keygen")
    if ssh_keygen is None:
        raise BuildError(
            "meshcomply demo signs its example commits with the Python package 'cryptography' "
            "or with ssh-keygen (OpenSSH); neither is installed"
        )
    with tempfile.TemporaryDirectory(prefix="meshcomply-demo-key-") as folder:
        key_file = Path(folder) / _KEY_NAME
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_key_text(_KEY_NAME))
        yield SshKeygenSigner(key_file, ssh_keygen)


@contextmanager
def demo_signer() -> Iterator[Signer]:
    """The fastest signer available; every one gives the same bytes."""
    try:
        signer: Signer = InProcessSigner()
    except ImportError:
        with ssh_keygen_signer() as fallback:
            yield fallback
        return
    yield signer
