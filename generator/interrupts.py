"""Ctrl-C and SIGTERM: a command stops the way Ctrl-C stops it, whenever the signal comes.

The handler raises Interrupted (a KeyboardInterrupt) in the main thread, so every cleanup runs
and the CLI prints one line and exits 130. Python drops an exception raised while it runs a
callback for C code, printing "Exception ignored in ...": an ``os.register_at_fork`` hook (logging
registers one, run each time subprocess starts git), a weakref callback of importlib's module
locks, a ``__del__``. A signal handled at that moment would be lost and the build would go on and
exit 0. So the handler also records the signal, and ``stop_if_interrupted`` raises it again
where a command must not go on after one: when a git process or a worker is started, before
outputs are put in place or a file is replaced, and when the command returns.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

# Exit status after Ctrl-C or SIGTERM: what a shell reports for a command stopped by Ctrl-C.
EXIT_INTERRUPTED = 130

_received: list[int] = []  # the signals handled in this process, oldest first
_installed: list[bool] = []  # whether install() set the handlers (not in a test's process)


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM: stops the command the way Ctrl-C does, running every cleanup."""

    def __init__(self, signum: int):
        self.signal_name = signal.Signals(signum).name
        super().__init__(self.signal_name)


def interrupted_line(exc: KeyboardInterrupt) -> str:
    """The one line a command stopped by ``exc`` prints (a plain KeyboardInterrupt is Ctrl-C)."""
    name = exc.signal_name if isinstance(exc, Interrupted) else "SIGINT"
    return f"meshcomply: interrupted by {name}"


def _handle(signum: int, frame: object) -> None:
    _received.append(signum)
    raise Interrupted(signum)


def install() -> None:
    """Make SIGINT and SIGTERM stop the command (main thread only, as Python requires)."""
    _received.clear()
    _installed[:] = [True]
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _handle)
    previous = sys.unraisablehook

    def quiet(unraisable: Any) -> None:
        # An Interrupted Python dropped is raised again by stop_if_interrupted: no traceback.
        if not isinstance(unraisable.exc_value, Interrupted):
            previous(unraisable)

    sys.unraisablehook = quiet


def stop_if_interrupted() -> None:
    """Raise Interrupted again for a signal already handled whose exception Python dropped."""
    if _received:
        raise Interrupted(_received[0])


def finished() -> None:
    """The command has done its work: raise Interrupted for a signal Python dropped; from now
    on a signal ends the process the operating system's way (killed by it), since a handler's
    exception raised while Python exits is dropped too and the exit status would be 0."""
    if _installed:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
    stop_if_interrupted()


def forget() -> None:
    """In a forked worker: the signals its parent handled are the parent's to act on (a worker
    forked just after one would otherwise stop at its first git process with a traceback)."""
    _received.clear()
