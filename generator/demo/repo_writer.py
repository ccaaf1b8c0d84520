"""Write planned commits into a git repository.

Objects (blobs, trees, commits, tags) are built here and written as one pack: one
``git commit-tree`` plus one ``ssh-keygen`` process per commit would be twice the processes, and
the object format is simple and fixed. git itself only creates the repository, indexes the pack
and checks out main, always with the user's and the system's git configuration switched off, so
nothing on the machine (signing defaults, hooks, templates, hash algorithm) changes the result.
``git fsck`` in the tests checks the objects; ``git verify-commit`` checks the signatures.
"""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from generator.demo.clock import git_timestamp
from generator.demo.model import Person, PlannedCommit
from generator.demo.signing import Signer
from generator.errors import BuildError

BRANCH = "main"


def git_env() -> dict[str, str]:
    """The environment for every git call: no user/system config, no inherited GIT_* state."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_CONFIG_SYSTEM="/dev/null",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
    )
    return env


def run_git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, env=git_env(), check=False
    )
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise BuildError(f"git {' '.join(args)} failed in {repo.name}: {message}")
    return result.stdout.decode("utf-8", "replace")


_PACK_TYPES = {"commit": 1, "tree": 2, "blob": 3, "tag": 4}


class _ObjectStore:
    """Objects kept in memory, then written as one pack (thousands of loose files are slow)."""

    def __init__(self) -> None:
        self._objects: dict[str, tuple[str, bytes]] = {}
        self._blobs: dict[str, str] = {}

    def write(self, kind: str, data: bytes) -> str:
        sha = hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()
        self._objects.setdefault(sha, (kind, data))
        return sha

    def write_pack(self, git_dir: Path) -> None:
        """A version-2 pack without deltas, indexed by `git index-pack`."""
        chunks = [b"PACK", struct.pack(">II", 2, len(self._objects))]
        for kind, data in self._objects.values():
            size = len(data)
            header = bytearray([(_PACK_TYPES[kind] << 4) | (size & 0x0F)])
            size >>= 4
            while size:
                header[-1] |= 0x80
                header.append(size & 0x7F)
                size >>= 7
            chunks += [bytes(header), zlib.compress(data)]
        body = b"".join(chunks)
        checksum = hashlib.sha1(body).digest()
        pack = git_dir / "objects" / "pack" / f"pack-{checksum.hex()}.pack"
        pack.parent.mkdir(parents=True, exist_ok=True)
        pack.write_bytes(body + checksum)
        run_git(git_dir.parent, "index-pack", str(pack.relative_to(git_dir.parent)))

    def blob(self, text: str) -> str:
        sha = self._blobs.get(text)
        if sha is None:
            sha = self._blobs[text] = self.write("blob", text.encode("utf-8"))
        return sha

    def tree(self, files: dict[str, str]) -> str:
        """The root tree of a flat {path: text} snapshot."""
        entries: dict[str, str | dict] = {}
        for path, text in files.items():
            node = entries
            *folders, name = path.split("/")
            for folder in folders:
                node = node.setdefault(folder, {})  # type: ignore[assignment]
            node[name] = text
        return self._write_tree(entries)

    def _write_tree(self, entries: dict[str, str | dict]) -> str:
        rows: list[tuple[bytes, bytes]] = []
        for name, value in entries.items():
            if isinstance(value, dict):
                sha, mode, sort_name = self._write_tree(value), b"40000", name + "/"
            else:
                sha, mode, sort_name = self.blob(value), b"100644", name
            rows.append(
                (sort_name.encode(), mode + b" " + name.encode() + b"\0" + bytes.fromhex(sha))
            )
        # git orders entries by name, comparing a folder's name as if it ended in "/".
        return self.write("tree", b"".join(row for _, row in sorted(rows)))


def _ident(person: Person, moment) -> str:
    return f"{person.name} <{person.email}> {git_timestamp(moment, person.zone)}"


def _commit(
    store: _ObjectStore,
    signer: Signer | None,
    tree: str,
    parents: list[str],
    author: Person,
    committer: Person,
    moment,
    message: str,
    key_of: Person | None = None,
) -> str:
    """The commit, signed (given a signer) with the key of `key_of`, by default the committer's."""
    headers = [f"tree {tree}", *(f"parent {parent}" for parent in parents)]
    headers += [f"author {_ident(author, moment)}", f"committer {_ident(committer, moment)}"]
    payload = "\n".join(headers) + "\n\n" + message
    if signer is not None:
        email = (key_of or committer).email
        signature = signer.sign(payload.encode("utf-8"), email).rstrip("\n")
        headers.append("gpgsig " + signature.replace("\n", "\n "))
        payload = "\n".join(headers) + "\n\n" + message
    return store.write("commit", payload.encode("utf-8"))


@dataclass
class WrittenRepository:
    path: Path
    head: str
    shas: dict[str, str] = field(default_factory=dict)  # planned commit key -> sha on main
    branch_shas: dict[str, list[str]] = field(default_factory=dict)  # key -> branch commit shas
    tags: dict[str, str] = field(default_factory=dict)  # tag name -> tagged commit sha


def write_repository(path: Path, commits: list[PlannedCommit], signer: Signer) -> WrittenRepository:
    """Create the repository at `path` (which must not exist) with `commits` on main."""
    path.mkdir(parents=True)
    run_git(path, "init", "--quiet", "--template=", f"--initial-branch={BRANCH}")
    git_dir = path / ".git"
    store = _ObjectStore()
    files: dict[str, str] = {}
    head: str | None = None
    written = WrittenRepository(path, "")
    tag_refs: dict[str, str] = {}
    for planned in commits:
        sign = signer if planned.signed else None
        parents = [head] if head else []
        if planned.is_merge:
            # The branch starts at main's head; nothing lands on main until it is merged.
            branch_head = head
            branch_files = dict(files)
            written.branch_shas[planned.key] = []
            for branch_commit in planned.branch_commits:
                _apply(branch_files, branch_commit.edits)
                branch_head = _commit(
                    store, signer, store.tree(branch_files), [branch_head] if branch_head else [],
                    branch_commit.author, branch_commit.author, branch_commit.when,
                    branch_commit.message,
                )  # fmt: skip
                written.branch_shas[planned.key].append(branch_head)
            files = branch_files
            parents.append(branch_head)
        else:
            _apply(files, planned.edits)
        head = _commit(
            store, sign, store.tree(files), parents, planned.author, planned.committer,
            planned.when, planned.message, planned.signing_key_of,
        )  # fmt: skip
        written.shas[planned.key] = head
        if planned.tag is not None:
            tag = planned.tag
            body = (
                f"object {head}\ntype commit\ntag {tag.name}\n"
                f"tagger {_ident(tag.tagger, tag.when)}\n\n{tag.message}"
            )
            tag_refs[tag.name] = store.write("tag", body.encode("utf-8"))
            written.tags[tag.name] = head
    assert head is not None
    store.write_pack(git_dir)
    _write_ref(git_dir, f"refs/heads/{BRANCH}", head)
    for name, sha in tag_refs.items():
        _write_ref(git_dir, f"refs/tags/{name}", sha)
    run_git(path, "reset", "--quiet", "--hard", BRANCH)
    written.head = head
    return written


def _apply(files: dict[str, str], edits: dict[str, str | None]) -> None:
    for path, text in edits.items():
        if text is None:
            files.pop(path, None)
        else:
            files[path] = text


def _write_ref(git_dir: Path, ref: str, sha: str) -> None:
    target = git_dir / ref
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(sha + "\n")
