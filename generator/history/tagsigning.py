"""Verifying the signatures of annotated tags against the keys an installation's config names.

git 2.39 has no tag signature fields in ``for-each-ref`` or ``log`` (``%G?`` is for commits),
and ``git verify-tag --raw`` with many tags writes each tag's verifier output to stderr one after
another with nothing between them (ssh-keygen's own words, or an error line for an unsigned tag),
so its output cannot be told apart per tag; one ``git verify-tag`` per tag would be a git process
per tag. Instead the tag objects are read through the one ``git cat-file --batch-command``
process the history already runs, each is split into the signed payload and the signature
exactly as git splits it (the last line starting a signature armour begins the signature), and
the signature is checked the way git checks it, with the same keys as commits:

- ssh: ``ssh-keygen -Y find-principals`` and then ``ssh-keygen -Y verify -n git -I PRINCIPAL``
  against ``signing.allowed_signers``, each with ``-Overify-time`` at the tagger date (what git
  2.39 runs, seen with GIT_TRACE); good when ssh-keygen says so for a principal, who is the
  signer, with the key fingerprint it prints;
- gpg: ``gpg --status-fd=1 --verify SIG -`` in a throwaway GnuPG home holding only
  ``signing.gpg_keyring``; good for one GOODSIG and no other signature status, the signer being
  its user id and the key the VALIDSIG fingerprint (as ``%GS``/``%GF`` give for commits);
- x509 signatures are not checked (no keys for them are configured): never good.

Only the tags that can matter are checked (release tags of changes in the period, chosen by the
reader), a few at a time, each verifier bounded in time; a verifier that cannot run is a
BuildError, never a tag taken as unsigned.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Container, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from generator.config import EnvironmentConfig, SigningConfig
from generator.errors import BuildError
from generator.history.gitio import GitRunner, OversizeError
from generator.history.model import Tag
from generator.history.releases import release_tag_version
from generator.history.signing import MAX_SIGNER_CHARS, gnupg_home, gpg_user_id
from generator.patterns import compile_pattern
from generator.timewords import utc

# The armour lines git recognises (gpg-interface.c), by signature kind.
_ARMOURS = (
    (b"-----BEGIN PGP SIGNATURE-----", "gpg"),
    (b"-----BEGIN PGP MESSAGE-----", "gpg"),
    (b"-----BEGIN SIGNED MESSAGE-----", "x509"),
    (b"-----BEGIN SSH SIGNATURE-----", "ssh"),
)
_TIMEOUT = 60  # seconds for one verifier process: it never needs the network
_WORKERS = 4
MAX_TAG_BYTES = 256 * 1024  # a tag object larger than this is no release tag of ours
_GOOD_SSH = re.compile(r'^Good "git" signature for (.+) with \S+ key (\S+)\s*$', re.MULTILINE)
_EXCLUSIVE = ("GOODSIG", "BADSIG", "ERRSIG", "EXPSIG", "EXPKEYSIG", "REVKEYSIG")

# (good, signer, key fingerprint) of one tag's signature; signer and key "" when none.
TagVerdict = tuple[bool, str, str]


def split_signed(raw: bytes) -> tuple[bytes, bytes, str] | None:
    """(payload, signature, kind) of a tag object as git splits it, None without a signature:
    the signature starts at the last line that begins with a signature armour."""
    start = None
    kind = ""
    position = 0
    while position < len(raw):
        for armour, name in _ARMOURS:
            if raw.startswith(armour, position):
                start, kind = position, name
        newline = raw.find(b"\n", position)
        position = len(raw) if newline < 0 else newline + 1
    if start is None:
        return None
    return raw[:start], raw[start:], kind


def verify_tags(runner: GitRunner, signing: SigningConfig, tags: Sequence[Tag]) -> list[Tag]:
    """The annotated `tags` with their signature read and, where there is one, verified."""
    wanted = [tag for tag in tags if tag.annotated and tag.oid]
    if not wanted:
        return list(tags)
    found = runner.blobs().read_many([tag.oid for tag in wanted], MAX_TAG_BYTES)
    signed: list[tuple[Tag, bytes, bytes, str]] = []
    result: dict[str, Tag] = {}
    for tag in wanted:
        blob = found[tag.oid]
        if isinstance(blob, OversizeError):
            raise BuildError(f"{runner.label}: tag {tag.name} is {blob}; not a release tag")
        if blob is None or blob[0] != "tag":
            runner.blobs().missing(tag.oid, f"the object of tag {tag.name}")
        parts = split_signed(blob[1])
        if parts is None:
            result[tag.name] = replace(tag, signature="none", verified=False)
        else:
            signed.append((tag, *parts))
    with (
        tempfile.TemporaryDirectory(prefix="meshcomply-tags-") as folder,
        gnupg_home(signing.gpg_keyring) as env,
        ThreadPoolExecutor(max_workers=_WORKERS) as pool,
    ):
        jobs = [
            (tag, payload, signature, kind, Path(folder) / f"{index}.sig", env)
            for index, (tag, payload, signature, kind) in enumerate(signed)
        ]
        verdicts = list(pool.map(lambda job: _verify(signing, *job), jobs))
    for (tag, _, _, kind), (good, signer, key) in zip(signed, verdicts, strict=True):
        result[tag.name] = replace(
            tag,
            signature=kind,
            verified=good,
            signer=(signer[:MAX_SIGNER_CHARS] or None) if good else None,
            signing_key=(key or None) if good else None,
        )
    return [result.get(tag.name, tag) for tag in tags]


def _verify(
    signing: SigningConfig,
    tag: Tag,
    payload: bytes,
    signature: bytes,
    kind: str,
    path: Path,
    env: dict[str, str],
) -> TagVerdict:
    path.write_bytes(signature)
    if kind == "ssh" and signing.allowed_signers is not None:
        return _verify_ssh(signing.allowed_signers, tag, payload, path)
    if kind == "gpg" and signing.gpg_keyring is not None:
        return _verify_gpg(payload, path, env)
    return False, "", ""


def _verify_ssh(allowed: Path, tag: Tag, payload: bytes, path: Path) -> TagVerdict:
    when = []
    if tag.tagged_at:  # git passes the payload's date, in UTC digits
        moment = utc(tag.tagged_at)
        when = [f"-Overify-time={moment.strftime('%Y%m%d%H%M%S')}"]
    found = _run(["ssh-keygen", "-Y", "find-principals", "-f", str(allowed), "-s", str(path),
                  *when], b"")  # fmt: skip
    if found.returncode != 0:
        return False, "", ""
    for principal in found.stdout.decode("utf-8", "replace").splitlines():
        if not principal.strip():
            continue
        verified = _run(["ssh-keygen", "-Y", "verify", "-n", "git", "-f", str(allowed), "-I",
                         principal, "-s", str(path), *when], payload)  # fmt: skip
        match = _GOOD_SSH.search(verified.stdout.decode("utf-8", "replace"))
        if verified.returncode == 0 and match:
            return True, match.group(1).strip(), match.group(2)
    return False, "", ""


def _verify_gpg(payload: bytes, path: Path, env: dict[str, str]) -> TagVerdict:
    home = env.get("GNUPGHOME", "")
    checked = _run(["gpg", "--homedir", home, "--batch", "--no-tty", "--status-fd=1",
                    "--verify", str(path), "-"], payload)  # fmt: skip
    status = [
        line[len("[GNUPG:] ") :].split(" ")
        for line in checked.stdout.decode("utf-8", "replace").splitlines()
        if line.startswith("[GNUPG:] ")
    ]
    exclusive = [fields for fields in status if fields[0] in _EXCLUSIVE]
    if len(exclusive) != 1 or exclusive[0][0] != "GOODSIG":
        return False, "", ""
    signer = gpg_user_id(" ".join(exclusive[0][2:]))
    key = next((fields[1] for fields in status if fields[0] == "VALIDSIG" and len(fields) > 1), "")
    return bool(key), signer, key


def _run(command: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            command, input=stdin, capture_output=True, timeout=_TIMEOUT, check=False,
            start_new_session=True,
        )  # fmt: skip
    except FileNotFoundError as exc:
        raise BuildError(f"{command[0]} not found: it is needed to verify tag signatures") from exc
    except subprocess.TimeoutExpired as exc:
        raise BuildError(f"{command[0]} took over {_TIMEOUT} s verifying a tag signature") from exc


def release_tags(
    environments: Sequence[EnvironmentConfig], tags: Sequence[Tag], shas: Container[str]
) -> list[Tag]:
    """The annotated tags that name a release of some environment (its ``release.tag_pattern``)
    and point to one of `shas`: the tags whose signature can evidence an approval."""
    patterns = [
        compile_pattern(env.release.tag_pattern)
        for env in environments
        if env.release is not None and env.release.tag_pattern is not None
    ]
    return [
        tag
        for tag in tags
        if tag.annotated
        and tag.sha in shas
        and any(release_tag_version(tag.name, pattern)[0] is not None for pattern in patterns)
    ]
