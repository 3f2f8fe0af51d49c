"""Parsing off the event loop, in worker processes bounded in time and memory.

Each worker is a long-lived `python -m reader.parse` process (a plain subprocess, not
multiprocessing: nothing of the caller's main module or threads is re-run or forked) that caps
its own address space (RLIMIT_AS) before its first job. The pool hands a worker one document at
a time over a socket pair and waits at most `deadline` seconds: a worker that overruns is killed
and replaced, and only that document fails. A worker that dies (out of memory inside C code, a
crash) is replaced the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

from reader.exceptions import ParseError
from reader.models import ItemWrite, ParsedArticle, ParsedFeed
from reader.parse.worker import READY, Job

_WAIT_SECONDS = 2.0
_STARTUP_SECONDS = 60.0
# The directory holding the `reader` package, so the worker imports this same code.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection
    ready: bool = False


def _exchange(conn: Connection, job: Job) -> tuple[str, Any]:
    """Send one job and wait for its outcome (runs in a thread; the process may be killed)."""
    conn.send(job)
    outcome: tuple[str, Any] = conn.recv()
    return outcome


def _await_ready(conn: Connection) -> None:
    """Block until a new worker says it has imported the parser (runs in a thread)."""
    if not conn.poll(_STARTUP_SECONDS):
        raise OSError("parser worker did not start")
    message = conn.recv()
    if message != READY:
        raise OSError(f"parser worker sent {message!r} instead of ready")


class ParserPool:
    """Parse documents in worker processes, bounded in time and memory.

    Use as `async with ParserPool() as pool: feed = await pool.parse(body, url=url)`.
    `workers=0` means one per CPU. A document that takes longer than `deadline` seconds or needs
    more than `memory_limit_mb` fails with `ParseError`; the stuck worker is killed and
    replaced, and other documents go on.
    """

    def __init__(
        self, workers: int = 0, *, deadline: float = 20.0, memory_limit_mb: int = 512
    ) -> None:
        if workers < 0:
            raise ValueError("workers must be >= 0")
        if deadline <= 0:
            raise ValueError("deadline must be positive")
        self.workers = workers or os.cpu_count() or 1
        self.deadline = deadline
        self.memory_limit_mb = memory_limit_mb
        self._idle: asyncio.Queue[_Worker] | None = None
        self._all: set[_Worker] = set()
        self._threads: ThreadPoolExecutor | None = None
        self._early: list[_Worker] = []

    @property
    def worker_pids(self) -> tuple[int, ...]:
        """The process ids of the running workers (for monitoring and tests)."""
        return tuple(sorted(worker.process.pid for worker in self._all))

    def _spawn(self) -> _Worker:
        parent_end, child_end = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p
        )
        try:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "reader.parse",
                    str(child_end.fileno()),
                    str(self.memory_limit_mb),
                ],
                pass_fds=(child_end.fileno(),),
                stdin=subprocess.DEVNULL,
                # Nothing a worker prints may reach a terminal the reader's UI is drawing on;
                # every failure comes back as a ParseError instead.
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                # Its own session: a Ctrl-C in the terminal goes to the reader's process group
                # only (the reader decides how to stop; workers must not print tracebacks). The
                # pool still kills a worker by pid on a deadline, and a worker exits when its
                # pipe closes, so none outlives the reader.
                start_new_session=True,
                env=env,
            )
        finally:
            child_end.close()
        worker = _Worker(process=process, conn=Connection(parent_end.detach()))
        self._all.add(worker)
        return worker

    def _stop(self, worker: _Worker) -> None:
        """Kill a worker's process and wait for it (its pipe is closed by the caller)."""
        self._all.discard(worker)
        if worker.process.poll() is None:
            worker.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.process.wait(_WAIT_SECONDS)

    def _retire(self, worker: _Worker, future: asyncio.Future[Any]) -> None:
        """Kill a worker whose job went wrong; close its pipe once the waiting thread let go."""
        self._stop(worker)

        def release(done: asyncio.Future[Any]) -> None:
            if not done.cancelled():
                done.exception()  # retrieved: the EOFError of the killed worker is expected
            worker.conn.close()

        # Closing the pipe while a thread still reads it could hand its descriptor number to
        # the replacement's pipe under that thread; so close only when the thread is done.
        future.add_done_callback(release)

    def spawn(self) -> None:
        """Start the worker processes now, before the pool is entered (no event loop needed):
        their interpreter start and imports then overlap whatever the caller does first.
        Entering the pool takes them; closing it stops them either way."""
        if self._idle is None and not self._early:
            self._early = [self._spawn() for _ in range(self.workers)]

    async def __aenter__(self) -> ParserPool:
        if self._idle is not None:
            raise RuntimeError("ParserPool is already started")
        self._threads = ThreadPoolExecutor(self.workers, thread_name_prefix="reader-parse")
        self._idle = asyncio.Queue()
        early, self._early = self._early, []
        for worker in early or [self._spawn() for _ in range(self.workers)]:
            self._idle.put_nowait(worker)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self, wait: float = _WAIT_SECONDS) -> None:
        """Ask every worker to stop, kill the ones still running after `wait` seconds in all,
        and release the threads."""
        workers = list(self._all)
        self._idle = None
        self._early = []
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._stop_all, workers, time.monotonic() + wait)
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
            self._threads = None

    def _stop_all(self, workers: list[_Worker], deadline: float) -> None:
        # One deadline for all workers, so closing a pool never takes more than `wait` seconds
        # (plus the kills) however many workers it has.
        for worker in workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.process.wait(max(0.0, deadline - time.monotonic()))
            self._stop(worker)
            worker.conn.close()

    async def parse(
        self,
        body: bytes,
        *,
        url: str,
        content_type: str | None = None,
        max_items: int = 1000,
        max_field_chars: int = 200_000,
    ) -> ParsedFeed:
        """Parse one document in a worker; ParseError on a bad document, timeout or memory."""
        job = Job(body, url, content_type, max_items, max_field_chars)
        payload = await self._run(job)
        if isinstance(payload, ParsedFeed):
            return payload
        raise ParseError(url, f"parser process answered {type(payload).__name__}")

    async def parse_for_store(
        self,
        body: bytes,
        *,
        url: str,
        content_type: str | None = None,
        max_items: int = 1000,
        max_field_chars: int = 200_000,
    ) -> tuple[ParsedFeed, list[ItemWrite]]:
        """`parse`, plus the items as the store writes them (`reader.normalize.to_item_writes`),
        computed in the worker so the caller's process (event loop, store thread) is spared."""
        job = Job(body, url, content_type, max_items, max_field_chars, normalize=True)
        payload = await self._run(job)
        match payload:
            case (ParsedFeed() as parsed, list() as writes):
                return parsed, writes
        raise ParseError(url, f"parser process answered {type(payload).__name__}")

    async def extract_article(
        self,
        body: bytes,
        *,
        url: str,
        content_type: str | None = None,
        max_chars: int = 200_000,
        deadline: float | None = None,
    ) -> ParsedArticle | None:
        """The article of a web page (`reader.parse.article`), extracted in a worker within
        `deadline` seconds (default: the pool's); None when the page holds no article.
        ParseError on a timeout, a crash or the memory limit."""
        job = Job(body, url, content_type, 0, max_chars, article=True)
        payload = await self._run(job, deadline)
        if payload is None or isinstance(payload, ParsedArticle):
            return payload
        raise ParseError(url, f"parser process answered {type(payload).__name__}")

    async def _run(self, job: Job, deadline: float | None = None) -> Any:
        """Run one job in a worker; its payload, or ParseError (bad document, timeout, memory)."""
        deadline = self.deadline if deadline is None else deadline
        url = job.url
        idle = self._idle
        threads = self._threads
        if idle is None or threads is None:
            raise RuntimeError("ParserPool is not started (use `async with ParserPool() as pool`)")
        worker = await idle.get()
        loop = asyncio.get_running_loop()
        healthy = False
        future: asyncio.Future[Any] | None = None
        try:
            if not worker.ready:
                # A new worker's start-up (interpreter and imports) does not count against the
                # document's deadline.
                future = loop.run_in_executor(threads, _await_ready, worker.conn)
                try:
                    await future
                except (EOFError, OSError) as exc:
                    raise ParseError(url, f"parser process failed to start: {exc}") from None
                worker.ready = True
            # asyncio.wait, not wait_for: the thread holds the pipe until it returns.
            future = loop.run_in_executor(threads, _exchange, worker.conn, job)
            done, _pending = await asyncio.wait({future}, timeout=deadline)
            if not done:
                raise ParseError(url, f"parsing took longer than the {deadline:g} s deadline")
            try:
                status, payload = future.result()
            except (EOFError, OSError):
                raise ParseError(
                    url,
                    f"parser process died (over the {self.memory_limit_mb} MiB memory limit?)",
                ) from None
            healthy = True
        finally:
            if not healthy:
                # Timed out, died, or the caller was cancelled mid-job: the worker's pipe may
                # still carry a late answer, so it is never reused.
                if future is None:
                    self._stop(worker)
                    worker.conn.close()
                else:
                    self._retire(worker, future)
                if self._idle is idle:  # not closing: keep the pool at full strength
                    idle.put_nowait(self._spawn())
            elif self._idle is idle:
                idle.put_nowait(worker)
            else:
                self._stop(worker)
                worker.conn.close()
        if status == "ok":
            return payload
        raise ParseError(url, str(payload))
