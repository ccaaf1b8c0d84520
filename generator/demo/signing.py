"""Commit signing with the demo's published throwaway ssh keys, one per person (keys/README.md).

The signatures are byte-identical to what ``git commit -S`` with ``gpg.format=ssh`` makes (git
runs ``ssh-keygen -Y sign``): an SSHSIG blob over the commit, armored. Ed25519 signatures are
deterministic, so the same commit always gets the same signature and the demo's shas never
change. With the ``cryptography`` package installed the signature is computed in-process (about
0.2 ms); without it, one ``ssh-keygen`` process signs each commit (about 10 ms). Each person
signs with their own key (the file named after their e-mail address), and the allowed-signers
file lists each key for its owner alone, so a good signature names who made it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Protocol

from generator.errors import BuildError

NAMESPACE = "git"  # what git passes to ssh-keygen for commits and tags
_HASH = b"sha512"  # ssh-keygen's default for SSHSIG


def _key_text(name: str) -> bytes:
    try:
        return resources.files("generator.demo").joinpath("keys").joinpath(name).read_bytes()
    except OSError:
        raise BuildError(
            f"the demo signing key generator/demo/keys/{name} is missing from this installation "
            "of meshcomply (package data not installed, or no demo key for that person)"
        ) from None


@cache
def public_key(email: str) -> str:
    """A demo person's public key: `ssh-ed25519 AAAA... comment`."""
    return _key_text(f"{email}.pub").decode("ascii").strip()


def allowed_signers(principals: Iterable[str]) -> str:
    """An allowed-signers file trusting each person's demo key for that person alone."""
    lines = ["# Trusts the PUBLIC THROWAWAY meshcomply demo keys, each for its own person only."]
    for email in sorted(set(principals)):
        key_type, key_data = public_key(email).split()[:2]
        lines.append(f'{email} namespaces="{NAMESPACE}" {key_type} {key_data}')
    return "\n".join(lines) + "\n"


class Signer(Protocol):
    def sign(self, payload: bytes, email: str) -> str:
        """The armored SSH signature (`-----BEGIN SSH SIGNATURE-----` ...) of payload, made
        with the demo key of the person with this e-mail address."""
        ...


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


class InProcessSigner:
    """SSHSIG (PROTOCOL.sshsig in OpenSSH) computed with the cryptography package."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.serialization import load_ssh_private_key

        self._load = load_ssh_private_key
        self._keys: dict[str, tuple[object, bytes]] = {}

    def _key(self, email: str) -> tuple[object, bytes]:
        known = self._keys.get(email)
        if known is None:
            private = self._load(_key_text(email), None)
            known = self._keys[email] = (private, base64.b64decode(public_key(email).split()[1]))
        return known

    def sign(self, payload: bytes, email: str) -> str:
        key, public_blob = self._key(email)
        fields = _string(NAMESPACE.encode()) + _string(b"") + _string(_HASH)
        signed = b"SSHSIG" + fields + _string(hashlib.sha512(payload).digest())
        signature = _string(b"ssh-ed25519") + _string(key.sign(signed))  # type: ignore[attr-defined]
        blob = b"SSHSIG" + struct.pack(">I", 1) + _string(public_blob) + fields
        text = base64.b64encode(blob + _string(signature)).decode("ascii")
        lines = [text[i : i + 70] for i in range(0, len(text), 70)]
        return (
            "-----BEGIN SSH SIGNATURE-----\n" + "\n".join(lines) + "\n-----END SSH SIGNATURE-----\n"
        )


class SshKeygenSigner:
    """One `ssh-keygen -Y sign` per signature, as git itself does."""

    def __init__(self, folder: Path, ssh_keygen: str):
        self.folder = folder
        self._ssh_keygen = ssh_keygen
        self._lock = threading.Lock()  # the installations' repositories are written in threads

    def key_file(self, email: str) -> Path:
        """A private copy of the person's key: ssh-keygen refuses group-readable key files."""
        key_file = self.folder / email
        with self._lock:
            if not key_file.exists():
                fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(_key_text(email))
        return key_file

    def sign(self, payload: bytes, email: str) -> str:
        key_file = self.key_file(email)
        result = subprocess.run(
            [self._ssh_keygen, "-q", "-Y", "sign", "-f", str(key_file), "-n", NAMESPACE],
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
    """A signer using private copies of the keys, in a folder removed afterwards."""
    ssh_keygen = shutil.which("ssh-keygen")
    if ssh_keygen is None:
        raise BuildError(
            "meshcomply demo signs its example commits with the Python package 'cryptography' "
            "or with ssh-keygen (OpenSSH); neither is installed"
        )
    with tempfile.TemporaryDirectory(prefix="meshcomply-demo-key-") as folder:
        yield SshKeygenSigner(Path(folder), ssh_keygen)


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
