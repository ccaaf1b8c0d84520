"""Running git through GitPython's command interface: streamed output and one blob reader.

Per-commit GitPython objects are 60-250x slower than parsing git's own output, so everything here
runs a plain git command and hands back bytes. The user's git configuration is honoured except
for the few settings that would change the output we parse.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows: pipes keep their default size
    fcntl = None  # type: ignore[assignment]

from git.cmd import Git
from git.exc import GitCommandError, GitCommandNotFound

from generator.errors import BuildError

MAX_TEXT_BYTES = 1024 * 1024  # configuration files larger than this are never read as text
_CHUNK = 1 << 20
# Settings that would change the bytes we parse, whatever the user configured.
_FIXED_CONFIG = (
    "-c", "log.showSignature=false",
    "-c", "log.mailmap=false",
    "-c", "core.quotePath=false",
    "-c", "diff.renames=true",
    "-c", "color.ui=false",
)  # fmt: skip


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
        self.env = {"GIT_TERMINAL_PROMPT": "0", **(env or {})}
        self.git = Git(str(repo_path))
        self._batch: BlobReader | None = None

    def command(self, *args: str) -> list[str]:
        return ["git", *_FIXED_CONFIG, *args]

    def run(self, *args: str, check: bool = True) -> str:
        """Run a git command; its stdout (decoded leniently), or BuildError on failure."""
        try:
            status, out, err = self.git.execute(
                self.command(*args),
                env=self.env,
                with_extended_output=True,
                with_exceptions=False,
                stdout_as_string=False,
            )
        except GitCommandNotFound:
            raise BuildError("git is not installed or not on PATH") from None
        if check and status != 0:
            raise BuildError(f"{self.label}: git {args[0]} failed: {_last_line(err)}")
        return out.decode("utf-8", "replace") if status == 0 else ""

    def run_many(self, commands: list[tuple[str, ...]]) -> list[str]:
        """Run independent git commands at the same time; their outputs, in order."""
        processes = [
            self.git.execute(self.command(*args), env=self.env, as_process=True)
            for args in commands
        ]
        outputs = []
        for args, process in zip(commands, processes, strict=True):
            out = process.proc.stdout.read()
            try:
                process.wait()
            except GitCommandError as exc:
                message = _last_line(exc.stderr)
                raise BuildError(f"{self.label}: git {args[0]} failed: {message}") from None
            outputs.append(out.decode("utf-8", "replace"))
        return outputs

    def ok(self, *args: str) -> bool:
        """Whether a git command succeeds (for questions like merge-base --is-ancestor)."""
        status, _out, _err = self.git.execute(
            self.command(*args), env=self.env, with_extended_output=True, with_exceptions=False
        )
        return status == 0

    def stream(self, *args: str, env: dict[str, str] | None = None) -> Iterator[bytes]:
        """The NUL-separated tokens of a command's output, read as they are produced."""
        process = self.git.execute(
            self.command(*args), env={**self.env, **(env or {})}, as_process=True
        )
        stdout: IO[bytes] = process.proc.stdout
        _widen_pipe(stdout)
        rest = b""
        # read1 hands over what git has written so far: parsing overlaps with git producing the
        # rest, where read() would wait for a full chunk while git blocks on a full pipe.
        while chunk := stdout.read1(_CHUNK):
            parts = (rest + chunk).split(b"\0")
            rest = parts.pop()
            yield from parts
        if rest:
            yield rest
        try:
            process.wait()
        except GitCommandError as exc:
            raise BuildError(
                f"{self.label}: git {args[0]} failed: {_last_line(exc.stderr)}"
            ) from None

    def blobs(self) -> BlobReader:
        if self._batch is None:
            self._batch = BlobReader(self)
        return self._batch

    def close(self) -> None:
        if self._batch is not None:
            self._batch.close()
            self._batch = None


class BlobReader:
    """One ``git cat-file --batch-command`` process answering object questions in turn.

    ``info`` comes before ``contents`` so an oversized blob is never transferred at all.
    """

    def __init__(self, runner: GitRunner):
        self.runner = runner
        self.process = runner.git.execute(
            runner.command("cat-file", "--batch-command"),
            env=runner.env,
            as_process=True,
            istream=subprocess.PIPE,
        )

    def _ask(self, command: str, name: str) -> bytes:
        self._check([name])
        self._send([f"{command} {name}"])
        return self.process.proc.stdout.readline()

    def _check(self, names: list[str]) -> None:
        for name in names:
            if "\n" in name:
                raise BuildError(f"{self.runner.label}: object name with a line break: {name!r}")

    def _send(self, lines: list[str]) -> None:
        stdin = self.process.proc.stdin
        stdin.write("".join(f"{line}\n" for line in lines).encode())
        stdin.flush()

    def _send_in_background(self, lines: list[str]) -> threading.Thread:
        """Write requests from a thread while answers are read, so neither pipe fills up."""
        writer = threading.Thread(target=self._send, args=(lines,), daemon=True)
        writer.start()
        return writer

    def read_many(self, names: list[str], limit: int = MAX_TEXT_BYTES) -> dict[str, Blob]:
        """Like `read` for many objects, pipelined: two round trips instead of two per object."""
        self._check(names)
        stdout = self.process.proc.stdout
        writer = self._send_in_background([f"info {name}" for name in names])
        sizes: dict[str, tuple[str, int] | None] = {}
        for name in names:
            header = stdout.readline().split()
            found = len(header) == 3 and header[-1] not in (b"missing", b"ambiguous")
            sizes[name] = (header[1].decode(), int(header[2])) if found else None
        writer.join()
        result: dict[str, Blob] = {}
        wanted = []
        for name, info in sizes.items():
            if info is None:
                result[name] = None
            elif info[1] > limit:
                result[name] = OversizeError(info[1])
            else:
                wanted.append(name)
        writer = self._send_in_background([f"contents {name}" for name in wanted])
        for name in wanted:
            header = stdout.readline().split()
            if len(header) != 3:
                result[name] = None
                continue
            data = stdout.read(int(header[2]))
            stdout.read(1)
            result[name] = (header[1].decode(), data)
        writer.join()
        return result

    def info(self, name: str) -> tuple[str, int] | None:
        """(type, size) of an object ("<sha>" or "<sha>:<path>"), None if it does not exist."""
        header = self._ask("info", name).split()
        if len(header) != 3 or header[-1] in (b"missing", b"ambiguous"):
            return None
        return header[1].decode(), int(header[2])

    def read(self, name: str, limit: int = MAX_TEXT_BYTES) -> tuple[str, bytes] | None:
        """(type, content) of an object, None if missing; OversizeError over `limit` bytes."""
        info = self.info(name)
        if info is None:
            return None
        kind, size = info
        if size > limit:
            raise OversizeError(size)
        header = self._ask("contents", name).split()
        if len(header) != 3:  # the object vanished between the two questions (gc)
            return None
        stdout = self.process.proc.stdout
        data = stdout.read(int(header[2]))
        stdout.read(1)  # the newline after the content
        return kind, data

    def close(self) -> None:
        proc = self.process.proc
        if proc.stdin:
            proc.stdin.close()
        proc.wait()


def _widen_pipe(pipe: IO[bytes]) -> None:
    """Let git write up to a chunk ahead of the parser (Linux pipes hold 64 KiB by default)."""
    with contextlib.suppress(AttributeError, OSError, ValueError):  # other systems; a low limit
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, _CHUNK)


def _last_line(stderr: bytes | str | None) -> str:
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    text = lines[-1] if lines else "no error message"
    return text.removeprefix("stderr:").strip().strip("'").strip()
