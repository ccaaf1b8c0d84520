"""Independent jobs in worker processes, at most N at a time, the results in the jobs' order.

Each job runs in a child process of its own, forked from this one: it sees what this process has
loaded (the config, the control library, the renderers) without pickling any of it, and the memory
it used goes back to the system when it ends, so N workers cost at most N jobs' peaks. Only the
job's result (small, plain data) is sent back.

Every job runs even when an earlier one failed, so one run reports every failure; each failure
is named by its job. A child that dies without a result (killed, out of memory) is a failure too.
When this process is interrupted (Ctrl-C, SIGTERM, any exception) while jobs run, every child is
terminated with the processes it started (each child leads a process group of its own) and
waited for before the exception goes on, so no child writes anything afterwards. Children ignore
SIGINT (this process decides), die at once on SIGTERM, and are sent SIGTERM if this process dies
first (Linux, where each also names itself `meshcomply:JOB` for top and ps).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

from generator.errors import BuildError, InputError, Problem
from generator.interrupts import forget, stop_if_interrupted

T = TypeVar("T")
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_PR_SET_NAME = 15


@dataclass(frozen=True)
class Job(Generic[T]):
    name: str  # names the job in failures, e.g. the installation
    run: Callable[[], T]


@dataclass(frozen=True)
class _Failure:
    name: str
    problems: tuple[Problem, ...] = ()  # an InputError's
    message: str = ""  # anything else

    def lines(self) -> list[str]:
        texts = [str(p) for p in self.problems] or self.message.splitlines() or ["failed"]
        return [f"{self.name}: {text}" for text in texts]


def run_jobs(
    jobs: Sequence[Job[T]],
    workers: int,
    finished: Callable[[str], None] = lambda name: None,
    noun: str = "jobs",
) -> list[T]:
    """Run every job in a forked child, `workers` at a time; their results in the jobs' order.

    ``finished(name)`` is called in this process as each job ends. When jobs failed: one
    InputError with every problem if all failures were input problems, else one BuildError
    ("2 of 5 {noun} failed") listing each failed job's lines; every line starts with its job's
    name.
    """
    context = multiprocessing.get_context("fork")
    pending = list(enumerate(jobs))
    running: dict[int, tuple[BaseProcess, Connection]] = {}
    outcomes: dict[int, tuple[str, Any]] = {}
    try:
        while pending or running:
            while pending and len(running) < max(workers, 1):
                index, job = pending.pop(0)
                running[index] = _start(context, job)
            ready = wait([conn for _, conn in running.values()])
            for index in [i for i, (_, conn) in running.items() if conn in ready]:
                process, conn = running.pop(index)
                outcomes[index] = _collect(process, conn)
                finished(jobs[index].name)
    except BaseException:
        _stop(list(running.values()))
        raise
    failures = [
        _failure(jobs[i].name, kind, value)
        for i, (kind, value) in sorted(outcomes.items())
        if kind != "ok"
    ]
    if failures:
        _raise(failures, len(jobs), noun)
    return [outcomes[index][1] for index in range(len(jobs))]


def _start(context: Any, job: Job[Any]) -> tuple[BaseProcess, Connection]:
    stop_if_interrupted()  # no worker is started after a signal, however it was handled
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(job, sender), name=f"meshcomply {job.name}")
    process.start()
    with contextlib.suppress(OSError):  # also in the child: whichever runs first
        os.setpgid(process.pid, process.pid)
    sender.close()  # the child holds the only writing end: its exit ends our wait
    return process, receiver


def _child(job: Job[Any], sender: Connection) -> None:
    # A process group of its own: stopping the worker stops the git processes it started too.
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    forget()  # a signal the parent handled before forking is the parent's to act on
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
        # `top` and `ps -o comm` show which job a worker runs (15 bytes at most).
        libc.prctl(_PR_SET_NAME, f"meshcomply:{job.name}".encode()[:15])
    try:
        outcome: tuple[str, Any] = ("ok", job.run())
    except InputError as exc:
        outcome = ("problems", tuple(exc.problems))
    except BuildError as exc:
        outcome = ("error", str(exc))
    except Exception:  # a bug: its traceback is what the report needs
        outcome = ("error", f"internal error in a worker process:\n{traceback.format_exc()}")
    sender.send(outcome)
    sender.close()


def _collect(process: BaseProcess, conn: Connection) -> tuple[str, Any]:
    try:
        outcome = conn.recv()
    except EOFError:  # closed without a result: the child died
        outcome = None
    finally:
        conn.close()
    process.join()
    if outcome is not None:
        return outcome
    code = process.exitcode or 0
    if code < 0:
        reason = f"killed by {signal.Signals(-code).name}"
        if -code == signal.SIGKILL:
            reason += " (out of memory? see the kernel log, and lower --jobs)"
    else:
        reason = f"exit code {code}"
    return ("error", f"the worker process ended without a result: {reason}")


def _failure(name: str, kind: str, value: Any) -> _Failure:
    if kind == "problems":
        return _Failure(name, problems=tuple(value))
    return _Failure(name, message=str(value))


def _raise(failures: list[_Failure], total: int, noun: str) -> None:
    if all(failure.problems for failure in failures):
        raise InputError(
            Problem(p.path, p.line, p.col, f"{failure.name}: {p.message}")
            for failure in failures
            for p in failure.problems
        )
    lines = [line for failure in failures for line in failure.lines()]
    raise BuildError(f"{len(failures)} of {total} {noun} failed:\n" + "\n".join(lines))


def _stop(children: list[tuple[BaseProcess, Connection]]) -> None:
    processes = [process for process, _ in children]
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGTERM)  # the worker and its git processes
        except OSError:
            with contextlib.suppress(OSError):
                process.terminate()
    for process in processes:
        process.join()
    for _, conn in children:
        conn.close()
