"""A full regroup's keys computed in processes of their own, ahead of the placing.

The placing starts two processes (`python -m reader.topic.regroup_process ROLE FD FD`, told
the store's location by environment, not argv, which any user can read), joined by socket
pairs: the terms' process walks the items in date order from the given position, keys each
batch (`RegroupTerms`) and sends its key vectors to the index's process and the batch to the
placing; the index's process finds the batch's candidates (`RegroupIndex`) and sends them to
the placing. The terms' process keeps at most `AHEAD` batches ahead of what the placing took;
the placing tells the index's process when a checkpoint wrote the batches so far, so that it
drops only days whose entries the store holds. They serve a walk that starts from a cleared
store; a walk going on from a checkpoint keys in the caller's process.

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
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reader.topic.regroup_keys import Found, KeyedBatch, RegroupIndex, RegroupTerms

if TYPE_CHECKING:
    from reader.store.base import Store

AHEAD = 2
"""Batches keyed ahead of the placing: enough to key while the placing places and writes, and
few enough that the days the index holds stay those of the walk's last checkpoint or two."""

_LOCATION_VARIABLE = "READER_REGROUP_DB"
_WAIT_SECONDS = 2.0
# The directory holding the `reader` package, so the processes import this same code.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])

_Vectors = tuple[list[tuple[int, int, int]], dict[int, dict[str, float]]]
"""What the index's process is sent of a batch: its items (id, source id, day) and their key
vectors."""


class KeyingProcesses:
    """The terms' and the index's processes of one walk; use as a context manager (closing it
    stops them)."""

    def __init__(
        self, location: str, *, story_days: int, after: str | None, limit: int, max_chars: int
    ) -> None:
        to_terms, terms_end = socket.socketpair()
        to_index, index_end = socket.socketpair()
        terms_peer, index_peer = socket.socketpair()
        ends = (terms_end, index_end, terms_peer, index_peer)
        self._processes: list[subprocess.Popen[bytes]] = []
        try:
            self._processes.append(_spawn(location, "terms", terms_end, terms_peer))
            self._processes.append(_spawn(location, "index", index_end, index_peer))
        except BaseException:
            for process in self._processes:
                process.kill()
                process.wait()
            to_terms.close()
            to_index.close()
            raise
        finally:
            for end in ends:
                end.close()
        self._terms = Connection(to_terms.detach())
        self._index = Connection(to_index.detach())
        self._taken = 0
        self._terms.send({"after": after, "limit": limit, "max_chars": max_chars})
        self._index.send({"story_days": story_days})

    def __enter__(self) -> KeyingProcesses:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def batches(self) -> Iterator[KeyedBatch]:
        """The walk's batches, keyed, to its end; `OSError` or `EOFError` when a process
        failed (the batches taken so far are whole)."""
        while True:
            batch: KeyedBatch | None = self._terms.recv()
            if batch is None:
                return
            self._taken += 1
            self._terms.send(("took", self._taken))
            found: list[Found] = self._index.recv()
            yield replace(batch, found=found)

    def written(self, keep_from: int) -> None:
        """A checkpoint wrote every batch taken so far; days before `keep_from` may go."""
        self._index.send(("written", self._taken, keep_from))

    def kill(self) -> None:
        """End the processes at once, as a crash would (for tests)."""
        for process in self._processes:
            process.kill()
            process.wait()

    def close(self) -> None:
        """Tell the processes to exit; kill those that have not after a moment."""
        for conn in (self._terms, self._index):
            with contextlib.suppress(OSError):
                conn.send(None)
        for process in self._processes:
            try:
                process.wait(_WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._terms.close()
        self._index.close()


def _spawn(
    location: str, role: str, end: socket.socket, peer: socket.socket
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
    env[_LOCATION_VARIABLE] = location
    fds = (end.fileno(), peer.fileno())
    return subprocess.Popen(
        [sys.executable, "-m", "reader.topic.regroup_process", role, *map(str, fds)],
        pass_fds=fds,
        stdin=subprocess.DEVNULL,
        # Nothing they print may reach a terminal the reader's UI is drawing on; their own
        # session, so a Ctrl-C goes to the caller alone, which stops them.
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )


def serve_terms(placing: Connection, index: Connection, store: Store) -> None:
    """The terms' process: key batch after batch, `AHEAD` of what the placing took, sending
    the key vectors to the index's process and the batch to the placing; then wait to be told
    to exit (None) or for the pipe to close."""
    settings: dict[str, Any] = placing.recv()
    terms = RegroupTerms(store, cleared=True)
    after: str | None = settings["after"]
    limit, max_chars = int(settings["limit"]), int(settings["max_chars"])
    sent = taken = 0
    while True:
        while sent - taken >= AHEAD or placing.poll():
            message = placing.recv()
            if message is None:
                return
            taken = int(message[1])
        leads, last = store.leads_after(after, limit=limit, max_chars=max_chars)
        if not leads:
            break
        batch = terms.key(leads, last)
        vectors: _Vectors = ([(i.id, i.source_id, i.day) for i in leads], batch.keyed.vectors)
        index.send(vectors)
        placing.send(replace(batch, keyed=replace(batch.keyed, keys=[])))
        sent += 1
        after = last
    index.send(None)
    placing.send(None)
    while placing.recv() is not None:
        pass


def serve_index(placing: Connection, terms: Connection, store: Store) -> None:
    """The index's process: the candidates of each batch the terms' process sends, to the
    placing, until that process ends; then wait to be told to exit (None) or for the pipe to
    close."""
    settings: dict[str, Any] = placing.recv()
    index = RegroupIndex(store, cleared=True, story_days=int(settings["story_days"]))
    done = False
    while True:
        while done or placing.poll():
            message = placing.recv()
            if message is None:
                return
            index.written(int(message[1]), int(message[2]))
        batch: _Vectors | None = terms.recv()
        if batch is None:
            done = True
            continue
        placing.send(index.found(*batch))


def main(role: str, placing_fd: int, peer_fd: int) -> int:
    from reader.store import open_store

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the placing process stops it
    placing, peer = Connection(placing_fd), Connection(peer_fd)
    with (
        contextlib.suppress(EOFError, OSError),
        open_store(os.environ[_LOCATION_VARIABLE]) as store,
    ):
        (serve_terms if role == "terms" else serve_index)(placing, peer, store)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
