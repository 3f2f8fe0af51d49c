"""Scoring in worker processes, for the walks that re-score a whole store.

Each worker is a plain `python -m reader.topic.pool FD` process (as the parser's workers:
nothing of the caller's main module or threads is re-run or forked), sent the model once, as
JSON, then batches of texts over a socket pair; it answers each with the batch's scores, in
order. Each worker is handed a few batches ahead, so it scores while the caller reads the next
batches and writes the last ones' scores: a long walk uses every core.
A worker that fails (it died, it could not start) leaves the pool: what it held, and what is
left, is scored in the caller's process, so a walk never fails for the pool's sake.
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Generic, TypeVar

from reader.topic.profile import TopicModel

Scores = list[tuple[float, tuple[str, ...]]]
"""What `TopicModel.score` answers for a batch of texts."""

Key = TypeVar("Key")

DEPTH = 8
"""Batches handed to each worker ahead: enough to keep it busy while the caller writes."""

_WAIT_SECONDS = 2.0
# The directory holding the `reader` package, so a worker imports this same code.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection


class ScoringPool(Generic[Key]):
    """`workers` processes scoring batches with `model`; use as a context manager (closing it
    stops the workers) and feed it with `score`."""

    def __init__(self, model: TopicModel, workers: int) -> None:
        self._model = model
        document = model.to_json()
        self._workers: list[_Worker] = []
        for _ in range(workers):
            with contextlib.suppress(OSError):
                worker = _spawn()
                self._workers.append(worker)
                worker.conn.send(document)

    def __enter__(self) -> ScoringPool[Key]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def worker_pids(self) -> tuple[int, ...]:
        """The process ids of the workers still in the pool (for tests)."""
        return tuple(worker.process.pid for worker in self._workers)

    def score(self, batches: Iterable[tuple[Key, Sequence[str]]]) -> Iterator[tuple[Key, Scores]]:
        """Each batch's key and scores, in the order of `batches`, which is read up to `DEPTH`
        batches a worker ahead (the caller's reading and writing overlap their scoring)."""
        pending: deque[tuple[_Worker | None, Key, Sequence[str]]] = deque()
        source = iter(batches)
        sent = 0

        def fill() -> None:
            nonlocal sent
            while len(pending) < DEPTH * max(len(self._workers), 1):
                batch = next(source, None)
                if batch is None:
                    return
                workers = self._workers
                worker = workers[sent % len(workers)] if workers else None
                pending.append((self._send(worker, batch[1]), *batch))
                sent += 1

        fill()
        while pending:
            worker, key, texts = pending.popleft()
            scores = self._receive(worker, texts)
            fill()
            yield key, scores

    def _send(self, worker: _Worker | None, texts: Sequence[str]) -> _Worker | None:
        """Hand `texts` to `worker`; None (the caller's process scores them) when it failed."""
        if worker is None:
            return None
        try:
            worker.conn.send(list(texts))
        except OSError:
            self._drop(worker)
            return None
        return worker

    def _receive(self, worker: _Worker | None, texts: Sequence[str]) -> Scores:
        """The scores of the batch `worker` holds (scored here if it has none or fails)."""
        if worker is not None and worker in self._workers:
            try:
                scores: Scores = worker.conn.recv()
            except (EOFError, OSError):
                self._drop(worker)
            else:
                if isinstance(scores, list) and len(scores) == len(texts):
                    return scores
                self._drop(worker)
        return self._model.score(texts)

    def _drop(self, worker: _Worker) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
        _stop(worker)

    def close(self) -> None:
        """Stop the workers (told to exit; killed if they have not after a moment)."""
        workers, self._workers = self._workers, []
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        for worker in workers:
            _stop(worker)


def _spawn() -> _Worker:
    parent_end, child_end = socket.socketpair()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "reader.topic.pool", str(child_end.fileno())],
            pass_fds=(child_end.fileno(),),
            stdin=subprocess.DEVNULL,
            # Nothing a worker prints may reach a terminal the reader's UI is drawing on; a
            # failure shows as a worker leaving the pool.
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own session: a Ctrl-C goes to the caller, which stops the pool; a worker
            # whose pipe closes exits, so none outlives its caller.
            start_new_session=True,
            env=env,
        )
    except BaseException:
        parent_end.close()
        raise
    finally:
        child_end.close()
    return _Worker(process, Connection(parent_end.detach()))


def _stop(worker: _Worker) -> None:
    """Wait a moment for a worker told to exit (or whose pipe broke), then kill it."""
    try:
        worker.process.wait(_WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait()
    finally:
        worker.conn.close()


def serve(conn: Connection) -> int:
    """A worker's loop: the model (JSON), then batches of texts until None or a closed pipe.

    A thread takes batches off the pipe as they come, so the caller never waits to hand one
    over while this process scores; told to stop (or its pipe closed), the process ends at
    once, whatever it still holds."""
    model = TopicModel.from_json(conn.recv())
    if model is None:
        return 1
    inbox: queue.SimpleQueue[list[str]] = queue.SimpleQueue()

    def receive() -> None:
        while True:
            try:
                texts: list[str] | None = conn.recv()
            except (EOFError, OSError):
                texts = None
            if texts is None:
                os._exit(0)
            inbox.put(texts)

    threading.Thread(target=receive, daemon=True).start()
    while True:
        conn.send(model.score(inbox.get()))


if __name__ == "__main__":
    sys.exit(serve(Connection(int(sys.argv[1]))))
