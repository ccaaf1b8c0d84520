"""Worker processes laying out part documents: ``python -m generator.render.pdf.workers``.

Plain subprocesses rather than ``multiprocessing``: spawned and fork-server children re-import
the parent's ``__main__`` (breaking any script without a main guard), and forked children inherit
whatever the parent holds. A worker reads length-prefixed HTML on stdin and answers each with a
length-prefixed pickle of its ``PartResult`` on the stdout it was started with; anything else the
worker prints goes to stderr, so it cannot corrupt the answers.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from generator.errors import BuildError

_ROOT = Path(__file__).resolve().parents[3]  # so a source checkout works without installing


def _send(stream: IO[bytes], data: bytes) -> None:
    stream.write(len(data).to_bytes(8, "big"))
    stream.write(data)
    stream.flush()


def _receive(stream: IO[bytes]) -> bytes | None:
    header = stream.read(8)
    if len(header) < 8:
        return None
    return stream.read(int.from_bytes(header, "big"))


def serve() -> None:
    """The worker's loop: lay out each HTML part received until stdin closes."""
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints (and C libraries writing to fd 1) go to stderr
    sys.stdout = sys.stderr
    from generator.render.pdf.partlayout import lay_out_part

    while (request := _receive(sys.stdin.buffer)) is not None:
        try:
            answer: tuple[str, Any] = ("ok", lay_out_part(request.decode("utf-8")))
        except BuildError as exc:
            answer = ("error", str(exc))
        except Exception as exc:  # reported to the parent, which fails the build with it
            answer = ("error", f"{type(exc).__name__}: {exc}")
        _send(answers, pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))


class _Worker:
    def __init__(self) -> None:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        path = os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator.render.pdf.workers"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env={**os.environ, "PYTHONPATH": path},
        )

    def lay_out(self, html: str) -> Any:
        assert self.process.stdin and self.process.stdout
        try:
            _send(self.process.stdin, html.encode("utf-8"))
            data = _receive(self.process.stdout)
        except OSError:
            data = None
        if data is None:
            self.log.seek(0)
            tail = self.log.read()[-2000:].decode("utf-8", "replace").strip()
            raise BuildError(f"PDF worker process ended unexpectedly: {tail or 'no output'}")
        status, value = pickle.loads(data)  # from our own child process
        if status != "ok":
            raise BuildError(f"PDF rendering failed: {value}")
        return value

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def lay_out_all(
    documents: list[str], workers: int, meanwhile: Callable[[], None] | None = None
) -> list[Any]:
    """Every document laid out by ``workers`` processes, results in the documents' order.

    ``meanwhile`` runs in this process while the workers work.
    """
    results: list[Any] = [None] * len(documents)
    errors: list[BaseException] = []
    lock = threading.Lock()
    pending = iter(range(len(documents)))

    def drive(worker: _Worker) -> None:
        while True:
            with lock:
                index = next(pending, None)
                if index is None or errors:
                    return
            try:
                results[index] = worker.lay_out(documents[index])
            except BaseException as exc:
                with lock:
                    errors.append(exc)
                return

    pool = [_Worker() for _ in range(max(1, min(workers, len(documents))))]
    try:
        threads = [threading.Thread(target=drive, args=(w,), daemon=True) for w in pool]
        for thread in threads:
            thread.start()
        if meanwhile is not None:
            meanwhile()
        for thread in threads:
            thread.join()
    finally:
        for worker in pool:
            worker.close()
    if errors:
        raise errors[0]
    return results


if __name__ == "__main__":
    serve()
