"""Commit signing with the demo's published throwaway ssh key (see keys/README.md).

Signatures come from ``ssh-keygen -Y sign``, exactly as ``git commit -S`` with
``gpg.format=ssh`` makes them. Ed25519 signatures are deterministic, so the same commit content
always gets the same signature and the demo's shas never change.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from generator.errors import BuildError

NAMESPACE = "git"  # what git passes to ssh-keygen for commits and tags
_KEY_NAME = "demo_signing_key"


def public_key() -> str:
    """The demo key's public half: `ssh-ed25519 AAAA... comment`."""
    text = (
        resources.files("generator.demo").joinpath("keys").joinpath(f"{_KEY_NAME}.pub").read_text()
    )
    return text.strip()


def allowed_signers(principals: Iterable[str]) -> str:
    """An allowed-signers file trusting the demo key for the given email addresses."""
    key_type, key_data = public_key().split()[:2]
    joined = ",".join(sorted(set(principals)))
    return (
        "# Trusts the PUBLIC THROWAWAY meshcomply demo key for the demo identities only.\n"
        f'{joined} namespaces="{NAMESPACE}" {key_type} {key_data}\n'
    )


class Signer:
    """Signs payloads with the demo key through one ssh-keygen process per signature."""

    def __init__(self, key_file: Path, ssh_keygen: str):
        self._key_file = key_file
        self._ssh_keygen = ssh_keygen

    def sign(self, payload: bytes) -> str:
        """The armored SSH signature (`-----BEGIN SSH SIGNATURE-----` ...) of payload."""
        result = subprocess.run(
            [self._ssh_keygen, "-q", "-Y", "sign", "-f", str(self._key_file), "-n", NAMESPACE],
            input=payload,
            capture_output=True,
            check=False,
        )
        if result.returncode != 0 or not result.stdout.startswith(b"-----BEGIN SSH SIGNATURE"):
            message = result.stderr.decode("utf-8", "replace").strip() or "no signature produced"
            raise BuildError(f"ssh-keygen could not sign a demo commit: {message}")
        return result.stdout.decode("ascii")


@contextmanager
def demo_signer() -> Iterator[Signer]:
    """A Signer using a private copy of the key: ssh-keygen refuses group-readable key files."""
    ssh_keygen = shutil.which("ssh-keygen")
    if ssh_keygen is None:
        raise BuildError(
            "meshcomply demo signs its example commits with ssh-keygen (OpenSSH), "
            "which is not installed or not on PATH"
        )
    private = resources.files("generator.demo").joinpath("keys").joinpath(_KEY_NAME).read_bytes()
    with tempfile.TemporaryDirectory(prefix="meshcomply-demo-key-") as folder:
        key_file = Path(folder) / _KEY_NAME
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private)
        yield Signer(key_file, ssh_keygen)
