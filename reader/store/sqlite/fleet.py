"""The daemon's side of the store on SQLite, where one daemon runs per file.

The file lock (`reader.core.lock`) keeps a second daemon away, so a claim is simply the due
feeds. A once-only piece of work (`exclusive`) holds an `flock` on a file beside the
database, as the daemon's lock does, because the command line can run it while the daemon
does. The running daemon is recorded in `meta` so `reader status` lists it as it lists
PostgreSQL's.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reader.models import DaemonInfo, Feed
from reader.store.sqlite._db import from_db, now_utc, to_db
from reader.store.sqlite.feeds import FeedsMixin

DAEMON_KEY = "daemon"
"""Meta key holding the running daemon as JSON."""


class FleetMixin(FeedsMixin):
    def claim_due_feeds(
        self, now: datetime, *, holder: str, limit: int, lease: timedelta
    ) -> list[Feed]:
        return self.get_due_feeds(now, limit=limit)

    def renew_daemon(self, daemon: DaemonInfo, *, lease: timedelta) -> None:
        record = {
            "holder": daemon.holder,
            "host": daemon.host,
            "pid": daemon.pid,
            "started": to_db(daemon.started),
            "last_beat": to_db(now_utc()),
        }
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (DAEMON_KEY, json.dumps(record)),
            )

    def release_leases(self, holder: str, feed_ids: Sequence[int]) -> None:
        return None  # no leases on SQLite

    def release_daemon(self, holder: str) -> None:
        with self._db.write() as conn:
            conn.execute(
                "DELETE FROM meta WHERE key = ? AND json_extract(value, '$.holder') = ?",
                (DAEMON_KEY, holder),
            )

    def get_daemons(self) -> list[DaemonInfo]:
        with self._db.read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (DAEMON_KEY,)).fetchone()
        if row is None:
            return []
        record = json.loads(row[0])
        return [
            DaemonInfo(
                holder=str(record["holder"]),
                host=str(record["host"]),
                pid=int(record["pid"]),
                started=from_db(record["started"]) or datetime.now(UTC),
                last_beat=from_db(record["last_beat"]) or datetime.now(UTC),
            )
        ]

    @contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        if str(self._db.path) == ":memory:":  # no other process can open it
            yield True
            return
        # The kernel drops an flock when its holder dies, even on kill -9: nothing goes stale.
        db = Path(self._db.path).expanduser().resolve()
        fd = os.open(db.with_name(f"{db.name}.{name}.lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                with contextlib.suppress(OSError):
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
