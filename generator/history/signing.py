"""Verifying commit signatures against the keys an installation's config names.

Verification runs gpg or ssh-keygen once per signed commit, so it is done only when keys are
configured, and only for the commits in the period, all in one ``git log``. A gpg keyring is
imported into a throwaway GnuPG home, so a good signature means "made by a key in that keyring"
and nothing else the user's own keyring happens to trust. The same log gives who the keys say
signed (``%GS``: the allowed-signers principal, or the key's OpenPGP user id) and the key's
fingerprint (``%GF``), which bind a signature to a person.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote

from generator.config import Period, SigningConfig
from generator.errors import BuildError
from generator.history.gitio import GitRunner
from generator.history.population import date_filters

# %G? letters that mean "a configured key made this signature". For ssh, "U" is a valid signature
# by a key the allowed-signers file does not list; for gpg (isolated keyring) it is a good
# signature by an imported key whose owner trust was never set.
_GOOD = {"ssh": {"G"}, "gpg": {"G", "U"}, "x509": {"G", "U"}}
MAX_SIGNER_CHARS = 256  # a longer principal or user id is cut (it comes from the key files)

# (%G? letter, signer, key fingerprint) of one commit; signer and key "" when git gave none.
Verdict = tuple[str, str, str]


def verify_signatures(
    runner: GitRunner, signing: SigningConfig, period: Period, head: str, boundary: str | None
) -> dict[str, Verdict]:
    """(%G?, %GS, %GF) per sha for the first-parent commits in the period."""
    options = []
    if signing.allowed_signers is not None:
        options = ["-c", f"gpg.ssh.allowedSignersFile={signing.allowed_signers}"]
    walk = [head, f"^{boundary}"] if boundary else [head]
    with gnupg_home(signing.gpg_keyring) as env:
        tokens = runner.stream(
            *options, "log", "-z", "--first-parent", "--format=%H%x1f%G?%x1f%GF%x1f%GS",
            "--no-show-signature", *date_filters(period), *walk, env=env,
        )  # fmt: skip
        verdicts: dict[str, Verdict] = {}
        for token in tokens:
            sha, letter, key, signer = [*token.decode("utf-8", "replace").split("\x1f"), "", ""][:4]
            sha = sha.strip()
            if sha:
                verdicts[sha] = (letter, signer.strip()[:MAX_SIGNER_CHARS], key.strip())
    return verdicts


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def gpg_user_id(text: str) -> str:
    """An OpenPGP user id as gpg's status lines give it (GOODSIG, and so git's ``%GS``), read
    back: gpg writes '%', control characters and DEL as ``%XX`` (doc/DETAILS: "%XX escaped"),
    so ``Bob (ops%team)`` arrives as ``Bob (ops%25team)``. The bytes are UTF-8. Control
    characters gpg escaped stay out (a NUL or ESC would reach a CSV cell or a terminal): each
    reads as U+FFFD."""
    if "%" not in text:
        return text
    return _CONTROL.sub("\ufffd", unquote(text, errors="replace"))


def is_verified(signature: str, letter: str | None) -> bool:
    return letter is not None and letter in _GOOD.get(signature, set())


@contextmanager
def gnupg_home(keyring: Path | None) -> Iterator[dict[str, str]]:
    if keyring is None:
        yield {}
        return
    with tempfile.TemporaryDirectory(prefix="meshcomply-gnupg-") as home:
        result = subprocess.run(
            ["gpg", "--homedir", home, "--batch", "--quiet", "--import", str(keyring)],
            capture_output=True,
        )
        if result.returncode != 0:
            message = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise BuildError(
                f"cannot import gpg keyring {keyring}: {message[-1] if message else ''}"
            )
        yield {"GNUPGHOME": home}
