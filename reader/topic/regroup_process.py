"""A full regroup's keys computed in processes of their own, ahead of the placing.

The placing starts the index's process (`python -m reader.topic.regroup_process FD index`,
told the store's location by environment, not argv, which any user can read), which starts
the terms' process (`... FD terms`) the same way: the terms' process walks the items in date
order from the given position and keys each batch (`RegroupTerms`), the index's process finds
its candidates (`RegroupIndex`), the placing places it. Batches go over socket pairs, each
stage at most `AHEAD` batches ahead of the next, which answers each batch it took; the placing
also tells the index's process when a checkpoint wrote the batches so far, so that it drops
only days whose entries the store holds. They serve a walk that starts from a cleared store; a
walk going on from a checkpoint keys in the caller's process.

A keying process that fails (it could not start, it died) ends the walk's use of them: the
caller writes a checkpoint of what it placed and keys the rest itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reader.topic.regroup_keys import KeyedBatch, RegroupIndex, RegroupTerms

if TYPE_CHECKING:
    from reader.store.base import Store

AHEAD = 2
"""Batches keyed ahead of the placing: enough to key while the placing places and writes, and
few enough that the days it holds stay those of the walk's last checkpoint or two."""

_LOCATION_VARIABLE = "READER_REGROUP_DB"
_WAIT_SECONDS = 2.0
# The directory holding the `reader` package, so the process imports this same code.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class KeyingProcess:
    """A keying process of one walk (the index's, which starts the terms' process, or the
    terms'); use as a context manager (closing it stops it)."""

    def __init__(
        self,
        location: str,
        *,
        story_days: int,
        after: str | None,
        limit: int,
        max_chars: int,
        role: str = "index",
    ) -> None:
        parent_end, child_end = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p
        )
        env[_LOCATION_VARIABLE] = location
        try:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "reader.topic.regroup_process",
                    str(child_end.fileno()),
                    role,
                ],
                pass_fds=(child_end.fileno(),),
                stdin=subprocess.DEVNULL,
                # Nothing it prints may reach a terminal the reader's UI is drawing on; its
                # own session, so a Ctrl-C goes to the caller alone, which stops it.
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                env=env,
            )
        except BaseException:
            parent_end.close()
            raise
        finally:
            child_end.close()
        self._conn = Connection(parent_end.detach())
        self._taken = 0
        self._conn.send(
            {"story_days": story_days, "after": after, "limit": limit, "max_chars": max_chars}
        )

    def __enter__(self) -> KeyingProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def batches(self) -> Iterator[KeyedBatch]:
        """The walk's batches, keyed, to its end; `OSError` or `EOFError` when the process
        failed (the batches taken so far are whole)."""
        while True:
            batch: KeyedBatch | None = self._conn.recv()
            if batch is None:
                return
            self._taken += 1
            self._conn.send(("took", self._taken))
            yield batch

    def written(self, keep_from: int) -> None:
        """A checkpoint wrote every batch taken so far; days before `keep_from` may go."""
        self._conn.send(("written", self._taken, keep_from))

    def kill(self) -> None:
        """End the process at once, as a crash would (for tests)."""
        self._process.kill()
        self._process.wait()

    def close(self) -> None:
        """Tell the process to exit; kill it if it has not after a moment."""
        with contextlib.suppress(OSError):
            self._conn.send(None)
        try:
            self._process.wait(_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        finally:
            self._conn.close()


def serve(conn: Connection, location: str, role: str) -> int:
    """A keying process: key batch after batch, `AHEAD` of what the next stage took, until the
    walk's end; exit when told (None) or when the pipe closes."""
    from reader.store import open_store

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the placing process stops it
    settings: dict[str, Any] = conn.recv()
    with open_store(location) as store, contextlib.ExitStack() as stack:
        batches: Iterator[KeyedBatch]
        if role == "terms":
            terms = RegroupTerms(store, cleared=True)
            index = None
            batches = _walk(store, terms, settings)
        else:
            index = RegroupIndex(store, cleared=True, story_days=int(settings["story_days"]))
            upstream = stack.enter_context(KeyingProcess(location, role="terms", **settings))
            batches = (index.find(batch) for batch in upstream.batches())
        sent = taken = 0
        done = False
        while True:
            while done or sent - taken >= AHEAD or conn.poll():
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    return 0
                if message is None:
                    return 0
                if message[0] == "took":
                    taken = int(message[1])
                elif message[0] == "written" and index is not None:
                    index.written(int(message[1]), int(message[2]))
            batch = next(batches, None)
            if batch is None:
                conn.send(None)
                done = True
                continue
            conn.send(batch)
            sent += 1


def _walk(store: Store, terms: RegroupTerms, settings: dict[str, Any]) -> Iterator[KeyedBatch]:
    """The walk's batches from the given position on, their terms keyed."""
    after: str | None = settings["after"]
    limit, max_chars = int(settings["limit"]), int(settings["max_chars"])
    while True:
        leads, last = store.leads_after(after, limit=limit, max_chars=max_chars)
        if not leads:
            return
        yield terms.key(leads, last)
        after = last


if __name__ == "__main__":
    sys.exit(serve(Connection(int(sys.argv[1])), os.environ[_LOCATION_VARIABLE], sys.argv[2]))
