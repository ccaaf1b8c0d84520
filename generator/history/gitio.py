"""Running git: streamed output and one blob reader.

Per-commit GitPython objects are 60-250x slower than parsing git's own output, so everything here
runs a plain git command and hands back bytes. Every command runs as gitenv.py says: none of the
caller's GIT_* variables, no replace refs or grafts, no global or system configuration, the
settings our parsing rests on pinned.

Every failure is a BuildError carrying git's own message (gitproc.py). An object the repository
should have but lacks (a damaged store, a partial clone whose promisor cannot be reached) is
always an error naming it, never taken for an absent file.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

from generator.errors import BuildError
from generator.history.gitenv import git_command, git_environment
from generator.history.gitproc import (
    CHUNK,
    DAMAGE,
    REPAIR_HINT,
    GitProcess,
    as_text,
    command_name,
    git_message,
    widen_pipe,
)

MAX_TEXT_BYTES = 1024 * 1024  # configuration files larger than this are never read as text
_FOUND = re.compile(rb"([0-9a-f]{40}(?:[0-9a-f]{24})?) (\S+) ([0-9]+)\n")


class OversizeError(Exception):
    """A blob too large to be a configuration file."""

    def __init__(self, size: int):
        super().__init__(f"{size} bytes, over the {MAX_TEXT_BYTES // 1024} KiB limit")
        self.size = size


# What reading an object gave: (type, content), None (no such object), or the reason not to read.
Blob = tuple[str, bytes] | OversizeError | None


class GitRunner:
    """Git commands against one repository, failures turned into BuildError naming it."""

    def __init__(self, repo_path: Path, label: str, env: dict[str, str] | None = None):
        self.repo_path = repo_path
        self.label = label  # how users know the repository: installation name and repo as written
        self.env = git_environment(env)
        self._batch: BlobReader | None = None

    def command(self, *args: str) -> list[str]:
        return git_command(*args)

    def process(
        self, args: tuple[str, ...], *, env: dict[str, str] | None = None, stdin: bool = False
    ) -> GitProcess:
        """A git command started in the repository (see GitProcess)."""
        return GitProcess(self.command(*args), self.repo_path, {**self.env, **(env or {})},
                          stdin=stdin)  # fmt: skip

    def version(self) -> tuple[int, ...]:
        """git's version numbers, as many as it gives ("git version 2.39.5" -> (2, 39, 5))."""
        words = self.run("version").split()
        numbers = words[2].split(".") if len(words) > 2 else []
        return tuple(int(n) for n in numbers[:3] if n.isdigit())

    def run(self, *args: str, check: bool = True) -> str:
        """Run a git command; its stdout (decoded leniently), or BuildError on failure."""
        status, out, err = self.status(*args)
        if check and status != 0:
            self.fail(args, err)
        return out if status == 0 else ""

    def status(self, *args: str) -> tuple[int, str, str]:
        """(exit status, stdout, stderr) of a git command, whatever the status."""
        process = self.process(args)
        try:
            out = process.stdout.read()
            return process.finish(), out.decode("utf-8", "replace"), as_text(process.stderr())
        finally:
            process.close()

    def fail(
        self, args: tuple[str, ...] | list[str], stderr: bytes | str | None, doing: str = ""
    ) -> NoReturn:
        """Raise the BuildError for a failed git command, in git's own words."""
        message = git_message(stderr)
        hint = f"; {REPAIR_HINT}" if DAMAGE.search(message) else ""
        raise BuildError(f"{self.label}: git {command_name(args)} failed{doing}: {message}{hint}")

    def run_many(self, commands: list[tuple[str, ...]]) -> list[str]:
        """Run independent git commands at the same time; their outputs, in order."""
        processes = [self.process(args) for args in commands]
        try:
            outputs = []
            for args, process in zip(commands, processes, strict=True):
                out = process.stdout.read()
                if process.finish() != 0:
                    self.fail(args, process.stderr())
                outputs.append(out.decode("utf-8", "replace"))
            return outputs
        finally:
            for process in processes:
                process.close()

    def ok(self, *args: str) -> bool:
        """Whether a git command succeeds (for questions like merge-base --is-ancestor)."""
        return self.status(*args)[0] == 0

    def stream(self, *args: str, env: dict[str, str] | None = None) -> Iterator[bytes]:
        """The NUL-separated tokens of a command's output, read as they are produced."""
        process = self.process(args, env=env)
        try:
            stdout = process.stdout
            widen_pipe(stdout)
            rest = b""
            # read1 hands over what git has written so far: parsing overlaps with git producing
            # the rest, where read() would wait for a full chunk while git blocks on a full pipe.
            while chunk := stdout.read1(CHUNK):
                parts = (rest + chunk).split(b"\0")
                rest = parts.pop()
                yield from parts
            # The last token waits for git's status: a failing git's output ends in an error,
            # never in a token that looks complete.
            if process.finish() != 0:
                self.fail(args, process.stderr())
            if rest:
                yield rest
        finally:
            process.close()

    def blobs(self) -> BlobReader:
        if self._batch is None:
            self._batch = BlobReader(self)
        return self._batch

    def close(self) -> None:
        if self._batch is not None:
            self._batch.close()
            self._batch = None


class BlobReader:
    """One ``git cat-file --batch-command --buffer`` process answering object questions.

    ``info`` comes before ``contents`` so an oversized blob is never transferred at all. Every
    batch of questions ends with ``flush``: git then writes its answers in large blocks rather
    than one write per answer, which matters when a rule reads a hundred thousand versions. For
    ``<commit>:<path>`` git answers "missing" both when the path is not in the commit's tree and
    when the tree names an object the repository lacks; the trees along the path tell the two
    apart (``_absent``), so only the first is ever an absent file.
    """

    def __init__(self, runner: GitRunner):
        self.runner = runner
        self.process = runner.process(("cat-file", "--batch-command", "--buffer"), stdin=True)
        self._broken = False  # a write found git gone; the reads say why

    def _ask(self, command: str, name: str) -> bytes:
        self._check([name])
        self._send([f"{command} {name}"])
        return self._readline(name)

    def _check(self, names: list[str]) -> None:
        for name in names:
            if "\n" in name:
                raise BuildError(f"{self.runner.label}: object name with a line break: {name!r}")

    def _send(self, lines: list[str]) -> None:
        stdin = self.process.proc.stdin
        try:
            stdin.write("".join(f"{line}\n" for line in [*lines, "flush"]).encode())
            stdin.flush()
        except (OSError, ValueError):  # git ended (a broken pipe): its stderr says why
            self._broken = True

    def _send_in_background(self, lines: list[str]) -> threading.Thread:
        """Write requests from a thread while answers are read, so neither pipe fills up."""
        writer = threading.Thread(target=self._send, args=(lines,), daemon=True)
        writer.start()
        return writer

    def _readline(self, name: str) -> bytes:
        """The answer line for the question about `name` (answers come in order)."""
        line = self.process.stdout.readline()
        if not line.endswith(b"\n"):
            self._failed(name)
        return line

    def _content(self, size: int, name: str) -> bytes:
        data = self.process.stdout.read(size + 1)  # the content and the newline after it
        if len(data) != size + 1:
            self._failed(name)
        return data[:size]

    def _failed(self, name: str) -> NoReturn:
        """git ended without answering about `name`: raise its own reason."""
        self.process.finish()
        message = self.process.stderr()
        self.process.close()
        self.runner.fail(("cat-file",), message, f" reading {_needed(name)}")

    def read_many(self, names: list[str], limit: int = MAX_TEXT_BYTES) -> dict[str, Blob]:
        """Like `read` for many objects, pipelined: two round trips instead of two per object.

        Contents are asked for by object id, once per distinct object: versions that are the same
        blob (a revert, a file copied between folders) are transferred once and share one bytes
        object in the answer.
        """
        self._check(names)
        writer = self._send_in_background([f"info {name}" for name in names])
        found: dict[str, tuple[str, str, int] | None] = {}
        for name in names:
            found[name] = _answer(self._readline(name))
        writer.join()
        result: dict[str, Blob] = {}
        wanted: dict[str, str] = {}  # object id -> the first name that led to it
        for name, info in found.items():
            if info is None:
                result[name] = self._absent(name)
            elif info[2] > limit:
                result[name] = OversizeError(info[2])
            else:
                wanted.setdefault(info[0], name)
        writer = self._send_in_background([f"contents {oid}" for oid in wanted])
        contents: dict[str, tuple[str, int, bytes] | None] = {}
        for oid, name in wanted.items():
            header = _header(self._readline(name))
            contents[oid] = (*header, self._content(header[1], name)) if header else None
        writer.join()
        for name, info in found.items():
            if info is None or info[2] > limit:
                continue
            content = contents[info[0]]
            # None: the object vanished between the two questions (gc); as `read` tells.
            result[name] = (content[0], content[2]) if content else self._absent(name)
        return result

    def read_blobs(self, needed: dict[str, str], limit: int = MAX_TEXT_BYTES) -> dict[str, Blob]:
        """(type, content) of each object id in `needed`, OversizeError over `limit` bytes;
        pipelined like `read_many`, but by id, so git resolves no path. `needed` says what each
        id is needed for ("<path> at commit <sha>"): an object the repository lacks is a
        BuildError naming it, never an absent file (the caller only asks for ids a tree names).
        """
        oids = list(needed)
        self._check(oids)
        writer = self._send_in_background([f"info {oid}" for oid in oids])
        sizes = [_header(self._readline(oid)) for oid in oids]
        writer.join()
        result: dict[str, Blob] = {}
        wanted = []
        for oid, info in zip(oids, sizes, strict=True):
            if info is None:
                self.missing(oid, needed[oid])
            if info[1] > limit:
                result[oid] = OversizeError(info[1])
            else:
                wanted.append(oid)
        writer = self._send_in_background([f"contents {oid}" for oid in wanted])
        for oid in wanted:
            header = _header(self._readline(oid))
            if header is None:  # gone between the two questions (gc): lacking all the same
                writer.join()
                self.missing(oid, needed[oid])
            result[oid] = (header[0], self._content(header[1], oid))
        writer.join()
        return result

    def info(self, name: str) -> tuple[str, int] | None:
        """(type, size) of an object ("<sha>" or "<sha>:<path>"), None if git has none by that
        name (for "<sha>:<path>", see `read`)."""
        return _header(self._ask("info", name))

    def read(self, name: str, limit: int = MAX_TEXT_BYTES) -> tuple[str, bytes] | None:
        """(type, content) of an object, OversizeError over `limit` bytes. None if missing: for
        "<commit>:<path>" only when the path is not in the commit's tree; BuildError when the
        repository lacks an object the commit's trees name."""
        found = self._read(name, limit)
        return self._absent(name) if found is None else found

    def _read(self, name: str, limit: int | None) -> tuple[str, bytes] | None:
        info = self.info(name)
        if info is None:
            return None
        if limit is not None and info[1] > limit:
            raise OversizeError(info[1])
        header = _header(self._ask("contents", name))
        if header is None:  # the object vanished between the two questions (gc)
            return None
        return header[0], self._content(header[1], name)

    def _absent(self, name: str) -> None:
        """None when "<commit>:<path>" names no entry of the commit's trees; BuildError naming
        the object when the repository lacks the commit, a tree on the way or the file itself."""
        commit, colon, path = name.partition(":")
        if not colon or not path:
            return None
        needed = _needed(name)
        found = self._read(commit, None)
        if found is None or found[0] != "commit":
            self.missing(commit, f"commit {commit} (needed for {path})")
        tree = found[1].split(b"\n", 1)[0].removeprefix(b"tree ").decode("ascii", "replace")
        parts = path.split("/")
        for depth, part in enumerate(parts):
            listing = self._read(tree, None)
            if listing is None or listing[0] != "tree":
                folder = "/".join(parts[:depth]) or "the root folder"
                self.missing(tree, f"the tree of {folder} (needed for {needed})")
            entry = _tree_entry(listing[1], part.encode(), len(tree) // 2)
            if entry is None:
                return None  # not in the tree: absent
            mode, oid = entry
            if depth == len(parts) - 1:
                if mode == b"160000":
                    return None  # a submodule's commit lives in another repository
                self.missing(oid, needed)
            if mode != b"40000":
                return None  # a file where the path needs a folder
            tree = oid
        return None

    def missing(self, oid: str, needed_for: str) -> NoReturn:
        """Raise the error for an object the repository should have and lacks."""
        raise BuildError(
            f"{self.runner.label}: object {oid} is missing from the repository "
            f"({needed_for}); {REPAIR_HINT}"
        )

    def close(self) -> None:
        self.process.close()


def _header(line: bytes) -> tuple[str, int] | None:
    """(type, size) from an answer "<oid> <type> <size>"; None for "<name> missing" (and for
    "ambiguous", which a name can be too)."""
    match = _FOUND.fullmatch(line)
    return (match.group(2).decode(), int(match.group(3))) if match else None


def _answer(line: bytes) -> tuple[str, str, int] | None:
    """(object id, type, size) from an answer line, None as for `_header`."""
    match = _FOUND.fullmatch(line)
    if match is None:
        return None
    return match.group(1).decode(), match.group(2).decode(), int(match.group(3))


def _tree_entry(data: bytes, name: bytes, oid_bytes: int) -> tuple[bytes, str] | None:
    """(mode, object id) of one entry of a raw tree object, None when it has none by `name`."""
    position = 0
    while position < len(data):
        space = data.index(b" ", position)
        nul = data.index(b"\0", space)
        end = nul + 1 + oid_bytes
        if data[space + 1 : nul] == name:
            return data[position:space], data[nul + 1 : end].hex()
        position = end
    return None


def _needed(name: str) -> str:
    """What an object name stands for, in words: "<path> at commit <sha>" or the name."""
    commit, colon, path = name.partition(":")
    return f"{path} at commit {commit}" if colon else name
