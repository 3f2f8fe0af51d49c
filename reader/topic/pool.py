"""Scoring in worker processes, for the walks that re-score a whole store.

Each worker is a plain `python -m reader.topic.pool FD` process (as the parser's workers:
nothing of the caller's main module or threads is re-run or forked) that opens the store
itself (its location by environment, as a URL may hold a password), is sent the model once,
as JSON, then ranges of item ids over a socket pair; it reads each range's texts, scores them
and answers with the ids and their scores, in order. The texts never cross the pipe: sending
them (110 MB at 100,000 items) cost the caller a third of a long walk, waiting for the
workers to take them. Each worker is handed a few ranges ahead, so it reads and scores while
the caller writes the last ones' scores: a long walk uses every core.
A worker that fails (it died, it could not start or open the store) leaves the pool: what it
held, and what is left, is read and scored in the caller's process, so a walk never fails for
the pool's sake.
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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from reader.topic.profile import TopicModel

Scores = list[tuple[float, tuple[str, ...]]]
"""What `TopicModel.score` answers for a batch of texts."""

Range = tuple[int, int]
"""Item ids above the first and up to the second: one batch of a walk."""

Read = Callable[[int, int], list[tuple[int, str]]]
"""Reads a range's (item id, text) pairs, by id: what the caller scores itself."""

DEPTH = 8
"""Ranges handed to each worker ahead: enough to keep it busy while the caller writes."""

_WAIT_SECONDS = 2.0
_LOCATION_VARIABLE = "READER_SCORING_STORE"
# The directory holding the `reader` package, so a worker imports this same code.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection


class ScoringPool:
    """`workers` processes scoring ranges of the store at `location` with `model`, reading
    `max_chars` of each text; `read` reads a range in the caller (what a failed worker held).
    Use as a context manager (closing it stops the workers) and feed it with `score`."""

    def __init__(
        self, model: TopicModel, workers: int, location: str, max_chars: int, read: Read
    ) -> None:
        self._model = model
        self._read = read
        setup = (model.to_json(), max_chars)
        self._workers: list[_Worker] = []
        for _ in range(workers):
            with contextlib.suppress(OSError):
                worker = _spawn(location)
                self._workers.append(worker)
                worker.conn.send(setup)

    def __enter__(self) -> ScoringPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def worker_pids(self) -> tuple[int, ...]:
        """The process ids of the workers still in the pool (for tests)."""
        return tuple(worker.process.pid for worker in self._workers)

    def score(self, ranges: Iterable[Range]) -> Iterator[tuple[Range, list[int], Scores]]:
        """Each range with the ids found in it and their scores, in the order of `ranges`,
        which is read up to `DEPTH` ranges a worker ahead (the caller's writing overlaps the
        workers' reading and scoring)."""
        pending: deque[tuple[_Worker | None, Range]] = deque()
        source = iter(ranges)
        sent = 0

        def fill() -> None:
            nonlocal sent
            while len(pending) < DEPTH * max(len(self._workers), 1):
                span = next(source, None)
                if span is None:
                    return
                workers = self._workers
                worker = workers[sent % len(workers)] if workers else None
                pending.append((self._send(worker, span), span))
                sent += 1

        fill()
        while pending:
            worker, span = pending.popleft()
            ids, scores = self._receive(worker, span)
            fill()
            yield span, ids, scores

    def _send(self, worker: _Worker | None, span: Range) -> _Worker | None:
        """Hand `span` to `worker`; None (the caller's process scores it) when it failed."""
        if worker is None:
            return None
        try:
            worker.conn.send(span)
        except OSError:
            self._drop(worker)
            return None
        return worker

    def _receive(self, worker: _Worker | None, span: Range) -> tuple[list[int], Scores]:
        """The ids and scores of the range `worker` holds (read and scored here if it has
        none or fails)."""
        if worker is not None and worker in self._workers:
            try:
                answer = worker.conn.recv()
            except (EOFError, OSError):
                self._drop(worker)
            else:
                if isinstance(answer, tuple) and len(answer) == 2:
                    ids, scores = answer
                    if (
                        isinstance(ids, list)
                        and isinstance(scores, list)
                        and len(ids) == len(scores)
                    ):
                        return ids, scores
                self._drop(worker)
        pairs = self._read(*span)
        return [item_id for item_id, _ in pairs], self._model.score([text for _, text in pairs])

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


def _spawn(location: str) -> _Worker:
    parent_end, child_end = socket.socketpair()
    env = dict(os.environ)
    env[_LOCATION_VARIABLE] = location  # not argv, which any user can read
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


def serve(conn: Connection, location: str) -> int:
    """A worker's loop: the model (JSON) and how much of each text to read, then ranges of
    item ids until None or a closed pipe; each answered with the ids read and their scores.

    A thread takes ranges off the pipe as they come; told to stop (or its pipe closed), the
    process ends at once, whatever it still holds. A store that fails ends the process: the
    caller scores what it held."""
    from reader.store import open_store

    document, max_chars = conn.recv()
    model = TopicModel.from_json(document)
    if model is None:
        return 1
    inbox: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()

    def receive() -> None:
        while True:
            try:
                span: tuple[int, int] | None = conn.recv()
            except (EOFError, OSError):
                span = None
            if span is None:
                os._exit(0)
            inbox.put(span)

    with open_store(location) as store:
        threading.Thread(target=receive, daemon=True).start()
        while True:
            after, through = inbox.get()
            pairs = store.texts_after(
                after, limit=through - after, max_chars=max_chars, through=through
            )
            texts = [text for _, text in pairs]
            conn.send(([item_id for item_id, _ in pairs], model.score(texts)))


if __name__ == "__main__":
    sys.exit(serve(Connection(int(sys.argv[1])), os.environ.pop(_LOCATION_VARIABLE, "")))
