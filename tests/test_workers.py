"""workers.run_jobs: forked jobs, results in order, every failure named, dead children reported."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from generator.errors import BuildError, InputError, Problem
from generator.workers import Job, run_jobs


def _square(n: int, delay: float = 0.0, marks: Path | None = None):
    def run() -> tuple[int, int]:
        time.sleep(delay)
        if marks is not None:
            (marks / str(n)).touch()
        return n * n, os.getpid()

    return run


def _last(marks: Path, others: int):
    def run() -> tuple[int, int]:
        while len(list(marks.iterdir())) < others:  # every other job has finished
            time.sleep(0.01)
        return 0, os.getpid()

    return run


def test_results_come_in_the_jobs_order_each_from_its_own_process(tmp_path: Path):
    # The first job finishes last, but its result stays first.
    jobs = [Job("job0", _last(tmp_path, 4))]
    jobs += [Job(f"job{n}", _square(n, marks=tmp_path)) for n in range(1, 5)]
    finished: list[str] = []
    results = run_jobs(jobs, 2, finished.append)
    assert [value for value, _ in results] == [0, 1, 4, 9, 16]
    assert len({pid for _, pid in results} | {os.getpid()}) == 6
    assert sorted(finished) == [f"job{n}" for n in range(5)]
    assert finished.index("job0") >= 3  # it ended after jobs 1-3 (job 4 may end with it)


def _fail_build(message: str):
    def run() -> None:
        raise BuildError(message)

    return run


def _fail_input(path: str):
    def run() -> None:
        raise InputError([Problem(path, 3, 1, "bad value")])

    return run


def test_every_job_runs_and_every_failure_is_named():
    jobs = [
        Job("acme", _fail_build("first line\nsecond line")),
        Job("globex", _square(2)),
        Job("initech", _fail_input("initech.yml")),
    ]
    with pytest.raises(BuildError) as caught:
        run_jobs(jobs, 3, noun="installations")
    assert str(caught.value).splitlines() == [
        "2 of 3 installations failed:",
        "acme: first line",
        "acme: second line",
        "initech: initech.yml:3:1: bad value",
    ]


def test_input_problems_alone_stay_one_located_input_error():
    jobs = [Job("b", _fail_input("b.yml")), Job("a", _fail_input("a.yml"))]
    with pytest.raises(InputError) as caught:
        run_jobs(jobs, 1)
    assert [str(p) for p in caught.value.problems] == [
        "a.yml:3:1: a: bad value",
        "b.yml:3:1: b: bad value",
    ]


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


def _exit_hard():
    os._exit(7)


def _crash():
    return {}["missing"]


def test_a_child_that_dies_or_crashes_is_a_failure():
    jobs = [Job("killed", _die), Job("exited", _exit_hard), Job("bug", _crash)]
    with pytest.raises(BuildError) as caught:
        run_jobs(jobs, 2, noun="installations")
    lines = str(caught.value).splitlines()
    assert lines[:3] == [
        "3 of 3 installations failed:",
        "killed: the worker process ended without a result: killed by SIGKILL (out of memory? "
        "see the kernel log, and lower --jobs)",
        "exited: the worker process ended without a result: exit code 7",
    ]
    assert lines[3] == "bug: internal error in a worker process:"
    assert lines[-1] == "bug: KeyError: 'missing'"


def test_an_interrupt_terminates_the_running_children(tmp_path: Path):
    def finished(name: str) -> None:
        while len(list(tmp_path.iterdir())) < 2:  # both sleepers are running
            time.sleep(0.01)
        raise KeyboardInterrupt  # as the SIGINT/SIGTERM handler raises it, while others run

    def sleeper():
        (tmp_path / str(os.getpid())).touch()
        time.sleep(600)

    jobs = [Job("quick", _square(1, 0.2)), Job("slow1", sleeper), Job("slow2", sleeper)]
    with pytest.raises(KeyboardInterrupt):
        run_jobs(jobs, 3, finished)
    pids = [int(path.name) for path in tmp_path.iterdir()]
    assert len(pids) == 2
    for pid in pids:  # terminated and reaped before run_jobs gave up
        assert not Path(f"/proc/{pid}").exists()


def _interrupted_here() -> bool:
    from generator.interrupts import stop_if_interrupted

    stop_if_interrupted()  # raises when this process holds a signal it has not acted on
    return True


def test_no_worker_starts_after_a_signal_whose_exception_python_dropped(monkeypatch):
    """The parent recorded a signal (its Interrupted dropped in an at-fork callback, say): it
    stops before forking a worker, which would otherwise inherit the record and fail with a
    traceback at its first git process (exit 1 instead of 130)."""
    from generator import interrupts, workers

    monkeypatch.setattr(interrupts, "_received", [signal.SIGTERM])
    with pytest.raises(interrupts.Interrupted):
        run_jobs([Job("a", _interrupted_here), Job("b", _interrupted_here)], 2)
    # Forked all the same (the signal came between the check and the fork): the worker leaves
    # the parent's signal to the parent.
    monkeypatch.setattr(workers, "stop_if_interrupted", lambda: None)
    assert run_jobs([Job("a", _interrupted_here), Job("b", _interrupted_here)], 2) == [True, True]
