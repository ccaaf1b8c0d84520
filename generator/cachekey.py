"""The key every cache file is sealed with, so a build reads only what a holder of the key wrote.

A cache folder may come from elsewhere: a CI system's restored cache, a copied home folder. The
restricted unpickler (cachefiles) keeps a forged file from running code, but a forged file that
fits the repository could still state other authors, dates, files, populations or file values,
and the evidence would be wrong. So every cache file is sealed: a header (MAGIC and FORMAT), the
key's id, an HMAC-SHA256 tag of the file's name and payload under the key, then the payload. A
file is used only when its tag is right; anything else is a missing cache, never an error.

The key: ``MESHCOMPLY_CACHE_KEY`` when set (a secret of the CI system, at least MIN_LENGTH
characters; the folder's key file is then neither read nor written, so a folder restored from a
CI cache store is trusted only by a job that holds the secret). Set but empty (a secret the job
does not get, as in a pull request from a fork): no cache is read or written. Unset: 32 random
bytes in ``<cache dir>/cache.key``, made at first use with mode 0600 and never replaced, so a
local folder is trusted as a whole, its key living with it.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import os
import secrets
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import BinaryIO, NamedTuple

from generator.errors import BuildError

ENV = "MESHCOMPLY_CACHE_KEY"
KEY_FILE = "cache.key"
MIN_LENGTH = 32  # characters of MESHCOMPLY_CACHE_KEY: 128 bits as hex
KEY_BYTES = 32  # of a key file
MAGIC = b"meshcomply cache"
FORMAT = 1
HEADER = MAGIC + bytes((FORMAT,))
ID_SIZE = 8  # a digest of the key, to tell "another key" from "damaged"
TAG_SIZE = hashlib.sha256().digest_size
PREFIX = len(HEADER) + ID_SIZE + TAG_SIZE  # where the payload starts

# Why a sealed read gave nothing (Sealed.problem; "" when the tag is right).
MISSING = "missing"
UNSEALED = "unsealed"  # not a sealed file: written before sealing, by another format or by hand
ANOTHER_KEY = "another key"
DAMAGED = "damaged"  # a wrong tag: altered, truncated, or forged without the key
NO_KEY = "no key"  # this build has none (an empty MESHCOMPLY_CACHE_KEY, no key file)

_log = logging.getLogger(__name__)


class CacheKeyError(BuildError):
    """MESHCOMPLY_CACHE_KEY is set to something that cannot be a secret."""


class Sealed(NamedTuple):
    """A sealed file as read: its bytes when its tag is right, else why not."""

    data: bytes  # the whole file; the payload starts at PREFIX
    problem: str

    def payload(self) -> BinaryIO:
        """The payload as a stream (the file's bytes shared, not copied)."""
        stream = io.BytesIO(self.data)
        stream.seek(PREFIX)
        return stream


class CacheKey:
    """One cache folder's key as this build has it (read at first use, at most once)."""

    def __init__(self, cache_dir: Path):
        self.file = cache_dir / KEY_FILE
        self.given = os.environ.get(ENV)
        if self.given and len(self.given) < MIN_LENGTH:
            raise CacheKeyError(
                f"{ENV} has {len(self.given)} characters; a cache key needs at least "
                f"{MIN_LENGTH} (make one with `openssl rand -hex 32`), or leave it unset to "
                f"use the key file in the cache folder"
            )
        self._secret: bytes | None = None
        self._resolved = False
        self._warned: set[Path] = set()

    @property
    def source(self) -> str:
        return ENV if self.given is not None else str(self.file)

    def secret(self) -> bytes | None:
        if not self._resolved:
            self._resolved = True
            if self.given is None:
                self._secret = _folder_key(self.file)
            elif self.given:
                self._secret = self.given.encode("utf-8", "surrogateescape")
            else:
                _warn_once(
                    f"warning: {ENV} is set but empty (a CI secret this job does not get?): no "
                    "cache is read or written, the build reads everything from git"
                )
        return self._secret

    def write_sealed(self, out: BinaryIO, file: Path, write: Callable[[BinaryIO], object]) -> None:
        """Seal what `write` writes to `out` (a new, seekable file) as the payload of `file`.
        OSError when this build has no key: nothing is written."""
        secret = self.secret()
        if secret is None:
            raise OSError(f"no cache key ({self.source}): the cache is not written")
        mac = _mac(secret, file)
        out.write(HEADER + _key_id(secret) + bytes(TAG_SIZE))
        write(_Tagging(out, mac))
        out.seek(len(HEADER) + ID_SIZE)
        out.write(mac.digest())

    def read_sealed(self, file: Path) -> Sealed:
        """The file's bytes when this key sealed them for this file's name."""
        try:
            data = file.read_bytes()
        except OSError:
            return Sealed(b"", MISSING)
        if not data.startswith(MAGIC[: len(data)]) or data[len(MAGIC) : len(HEADER)] not in (
            HEADER[len(MAGIC) :],
            b"",
        ):
            return Sealed(b"", UNSEALED)  # or sealed in another format
        if len(data) < PREFIX:
            return Sealed(b"", DAMAGED)  # cut short
        secret = self.secret()
        if secret is None:
            return Sealed(b"", NO_KEY)
        if data[len(HEADER) : len(HEADER) + ID_SIZE] != _key_id(secret):
            if file.parent not in self._warned:  # once per cache, not per file
                self._warned.add(file.parent)
                _log.warning(
                    "warning: the cache in %s was written with another cache key than this "
                    "build's (%s); it is not used: what it held is read from git or parsed "
                    "again, and cached anew with this key",
                    file.parent,
                    self.source,
                )
            return Sealed(b"", ANOTHER_KEY)
        mac = _mac(secret, file)
        mac.update(memoryview(data)[PREFIX:])
        if not hmac.compare_digest(mac.digest(), data[PREFIX - TAG_SIZE : PREFIX]):
            return Sealed(b"", DAMAGED)
        return Sealed(data, "")


class _Tagging:
    """A file that adds what is written to it to a tag as well."""

    def __init__(self, out: BinaryIO, mac: hmac.HMAC):
        self.out, self.mac = out, mac

    def write(self, data: bytes) -> int:
        self.mac.update(data)
        return self.out.write(data)


def _mac(secret: bytes, file: Path) -> hmac.HMAC:
    # The name (the cache's folder and the file) is sealed too: a sealed file moved to another
    # name (another repository's cache, another chunk) is not that file.
    name = f"{file.parent.name}/{file.name}".encode("utf-8", "surrogateescape")
    return hmac.new(secret, HEADER + _key_id(secret) + name + b"\0", hashlib.sha256)


@cache
def _key_id(secret: bytes) -> bytes:
    return hmac.new(secret, b"meshcomply cache key id", hashlib.sha256).digest()[:ID_SIZE]


def _folder_key(file: Path) -> bytes | None:
    """The key file's key, made first if there is none; None when it cannot be had (an
    unwritable folder: caches then only cost time, as before)."""
    if not file.exists():
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=file.parent, prefix=".cache.key.")  # mode 0600
        except OSError:
            return None
        secret = secrets.token_bytes(KEY_BYTES)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(secret)
            # A complete file appears under the name or nothing does; a build that loses the
            # race to make it uses the winner's.
            os.link(temp, file)
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: made in place, never over another
            try:
                with open(file, "xb", opener=_private) as out:
                    out.write(secret)
            except FileExistsError:
                pass
            except OSError:
                return None
        finally:
            Path(temp).unlink(missing_ok=True)
    try:
        secret = file.read_bytes()
    except OSError:
        return None
    if len(secret) != KEY_BYTES:
        _warn_once(
            f"warning: the cache key file {file} is not one meshcomply made ({len(secret)} "
            "bytes); no cache is read or written (delete it to start the cache anew)"
        )
        return None
    return secret


def _private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


@cache
def _warn_once(message: str) -> None:
    _log.warning("%s", message)
