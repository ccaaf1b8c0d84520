"""git processes: stderr kept for the message, git's own words on one line.

A git command's stderr goes to a temporary file rather than a pipe, so git never blocks on it and
no thread has to read it; when git fails, the first MAX_STDERR_BYTES hold its reason, which
``git_message`` turns into one line.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import tempfile
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows: pipes keep their default size
    fcntl = None  # type: ignore[assignment]

from generator.errors import BuildError
from generator.interrupts import stop_if_interrupted
from generator.textcheck import escape_controls

MAX_STDERR_BYTES = 64 * 1024  # of git's error output, kept for the message
MAX_MESSAGE_CHARS = 600  # of git's words in one error line
CHUNK = 1 << 20
# What to do when the repository lacks objects its history names.
REPAIR_HINT = (
    "the repository is damaged or incomplete: `git fsck` lists what is missing; fetch it again "
    "(or clone it anew; a partial clone needs its promisor remote reachable)"
)
# git's words for objects it cannot read (missing, corrupt, or not fetchable from a promisor).
DAMAGE = re.compile(
    r"could not read|missing|bad object|bad tree|corrupt|unable to read|promisor|"
    r"failed to traverse|invalid object|does not point to a valid object",
    re.IGNORECASE,
)


class GitProcess:
    """A running git command whose stderr goes to a temporary file: git never blocks on a full
    stderr pipe (and no thread has to read one), and when it fails its own message (the first
    MAX_STDERR_BYTES) is at hand."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], *, stdin: bool = False):
        """`env` is the whole environment (gitenv.git_environment)."""
        stop_if_interrupted()  # a build interrupted while Python dropped the signal stops here
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        try:
            self.proc = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._errors,
            )
        except FileNotFoundError:
            self._errors.close()
            raise BuildError("git is not installed or not on PATH") from None
        self.stdout: IO[bytes] = self.proc.stdout

    def finish(self) -> int:
        """Wait for git to end (its input closed first); its exit status."""
        if self.proc.stdin:
            with contextlib.suppress(OSError, ValueError):
                self.proc.stdin.close()
        return self.proc.wait()

    def stderr(self) -> bytes:
        self._errors.seek(0)
        return self._errors.read(MAX_STDERR_BYTES)

    def close(self) -> None:
        """End git if it still runs (a stream abandoned half-read) and free the pipes."""
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.kill()
        self.finish()
        for stream in (self.proc.stdout, self._errors):
            with contextlib.suppress(OSError, ValueError):
                stream.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


def widen_pipe(pipe: IO[bytes]) -> None:
    """Let git write up to a chunk ahead of the parser (Linux pipes hold 64 KiB by default)."""
    with contextlib.suppress(AttributeError, OSError, ValueError):  # other systems; a low limit
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, CHUNK)


def command_name(args: tuple[str, ...] | list[str]) -> str:
    """The git subcommand among the arguments (after any ``-c key=value`` options)."""
    index = 0
    while index < len(args) and args[index] == "-c":
        index += 2
    return args[index] if index < len(args) else "command"


def as_text(stderr: bytes | str | None) -> str:
    return stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr or ""


def git_message(stderr: bytes | str | None) -> str:
    """git's own words on one line: its error and fatal lines (advice left out), else its last
    line; control characters escaped as every message line has them (``\\x1b``), at most
    MAX_MESSAGE_CHARS."""
    lines = [line.strip() for line in as_text(stderr).splitlines() if line.strip()]
    chosen = [
        line.split(":", 1)[1].strip() for line in lines if line.startswith(("fatal:", "error:"))
    ]
    chosen = list(dict.fromkeys(chosen)) or lines[-1:] or ["git gave no error message"]
    text = escape_controls("; ".join(chosen), one_line=True)
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[: MAX_MESSAGE_CHARS - 1] + "…"
    return text
