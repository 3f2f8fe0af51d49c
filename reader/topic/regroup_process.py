"""A full regroup's keys computed in a process of their own, ahead of the placing.

The keying process (`python -m reader.topic.regroup_process FD`, told the store's location by
environment, not argv, which any user can read) opens the store, walks the items in date
order from the given position and sends each batch keyed (`RegroupKeys`) over a socket pair,
at most `AHEAD` batches ahead of the placing. The placing answers each batch it took, and tells
it when a checkpoint wrote the batches so far, so the keying process drops only days whose
entries the store holds. It serves a walk that starts from a cleared store; a walk going on
from a checkpoint keys in the caller's process.

A keying process that fails (it could not start, it died) ends the walk's use of it: the caller
writes a checkpoint of what it placed and keys the rest itself.
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
from typing import Any

from reader.topic.regroup_keys import KeyedBatch, RegroupKeys

AHEAD = 2
"""Batches keyed ahead of the placing: enough to key while the placing places and writes, and
few enough that the days it holds stay those of the walk's last checkpoint or two."""

_LOCATION_VARIABLE = "READER_REGROUP_DB"
_WAIT_SECONDS = 2.0
# The directory holding the `reader` package, so the process imports this same code.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class KeyingProcess:
    """The keying process of one walk; use as a context manager (closing it stops it)."""

    def __init__(
        self, location: str, *, story_days: int, after: str | None, limit: int, max_chars: int
    ) -> None:
        parent_end, child_end = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p
        )
        env[_LOCATION_VARIABLE] = location
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "reader.topic.regroup_process", str(child_end.fileno())],
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


def serve(conn: Connection, location: str) -> int:
    """The keying process: key batch after batch, `AHEAD` of what the placing took, until the
    walk's end; exit when told (None) or when the pipe closes."""
    from reader.store import open_store

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the placing process stops it
    settings: dict[str, Any] = conn.recv()
    with open_store(location) as store:
        keys = RegroupKeys(store, cleared=True, story_days=int(settings["story_days"]))
        after: str | None = settings["after"]
        limit, max_chars = int(settings["limit"]), int(settings["max_chars"])
        taken = 0
        done = False
        while True:
            while done or keys.batches - taken >= AHEAD or conn.poll():
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    return 0
                if message is None:
                    return 0
                if message[0] == "took":
                    taken = int(message[1])
                elif message[0] == "written":
                    keys.written(int(message[1]), int(message[2]))
            leads, last = store.leads_after(after, limit=limit, max_chars=max_chars)
            if not leads:
                conn.send(None)
                done = True
                continue
            conn.send(keys.key(leads, last))
            after = last


if __name__ == "__main__":
    sys.exit(serve(Connection(int(sys.argv[1])), os.environ[_LOCATION_VARIABLE]))
