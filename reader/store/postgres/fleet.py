"""Several daemons on one database: leases on due feeds, the daemon list, once-only jobs.

A daemon claims due feeds in batches with ``SELECT ... FOR UPDATE SKIP LOCKED``: two daemons
claiming at once skip each other's rows instead of waiting, and each feed gets a lease (who
holds it, until when) on the database's clock, so machines need not agree on the time. A
lease ends when the feed's state is written (`_apply_feed_update`), when its daemon leaves, or
when it runs out because the daemon stopped renewing it (it died): then the others take it.
Once-only jobs hold a session advisory lock, which the server drops with the connection.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

import psycopg

from reader.models import DaemonInfo, Feed
from reader.store.postgres._base import FEED_COLUMNS, StoreBase, feed_from_row
from reader.store.postgres._db import from_db, to_db

_CLAIM = f"""
    WITH due AS (
        SELECT id FROM sources
        WHERE kind = 'feed' AND enabled AND removed IS NULL
          AND (next_check IS NULL OR next_check <= %(now)s)
          AND (lease_until IS NULL OR lease_until <= clock_timestamp())
        ORDER BY next_check NULLS FIRST, id
        LIMIT %(limit)s
        FOR UPDATE SKIP LOCKED
    )
    UPDATE sources s SET lease_holder = %(holder)s, lease_until = clock_timestamp() + %(lease)s
    FROM due WHERE s.id = due.id
    RETURNING {FEED_COLUMNS}
"""


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for a job name."""
    return int.from_bytes(
        hashlib.sha256(f"reader:{name}".encode()).digest()[:8], "big", signed=True
    )


class FleetMixin(StoreBase):
    def claim_due_feeds(
        self, now: datetime, *, holder: str, limit: int, lease: timedelta
    ) -> list[Feed]:
        params = {"now": to_db(now), "holder": holder, "limit": limit, "lease": lease}
        rows = self._db.write(lambda conn: conn.execute(_CLAIM, params).fetchall())
        feeds = [feed_from_row(r) for r in rows]
        return sorted(feeds, key=lambda f: (f.next_check is not None, f.next_check or now, f.id))

    def renew_daemon(self, daemon: DaemonInfo, *, lease: timedelta) -> None:
        def work(conn: psycopg.Connection) -> None:
            conn.execute(
                "INSERT INTO daemons (holder, host, pid, started, last_beat)"
                " VALUES (%s, %s, %s, %s, clock_timestamp())"
                " ON CONFLICT (holder) DO UPDATE SET last_beat = excluded.last_beat",
                (daemon.holder, daemon.host, daemon.pid, to_db(daemon.started)),
            )
            conn.execute(
                "UPDATE sources SET lease_until = clock_timestamp() + %s WHERE lease_holder = %s",
                (lease, daemon.holder),
            )
            # Daemons silent for a day are gone for good (their leases ran out long ago).
            conn.execute(
                "DELETE FROM daemons WHERE last_beat < clock_timestamp() - interval '1 day'"
            )

        self._db.write(work)

    def release_leases(self, holder: str, feed_ids: Sequence[int]) -> None:
        self._db.write(
            lambda conn: conn.execute(
                "UPDATE sources SET lease_holder = NULL, lease_until = NULL"
                " WHERE lease_holder = %s AND id = ANY(%s)",
                (holder, list(feed_ids)),
            )
        )

    def release_daemon(self, holder: str) -> None:
        def work(conn: psycopg.Connection) -> None:
            conn.execute(
                "UPDATE sources SET lease_holder = NULL, lease_until = NULL"
                " WHERE lease_holder = %s",
                (holder,),
            )
            conn.execute("DELETE FROM daemons WHERE holder = %s", (holder,))

        self._db.write(work)

    def get_daemons(self) -> list[DaemonInfo]:
        sql = """
            SELECT d.holder, d.host, d.pid, d.started, d.last_beat,
                (SELECT count(*) FROM sources s
                 WHERE s.lease_holder = d.holder AND s.lease_until > clock_timestamp())
            FROM daemons d ORDER BY d.host, d.pid, d.holder
        """
        return self._db.read(
            lambda conn: [
                DaemonInfo(
                    holder=str(r[0]),
                    host=str(r[1]),
                    pid=int(r[2]),
                    started=from_db(r[3]) or r[3],
                    last_beat=from_db(r[4]) or r[4],
                    leases=int(r[5]),
                )
                for r in conn.execute(sql)
            ]
        )

    @contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        with self._db.pool.connection() as conn:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(name),)).fetchone()
            mine = bool(row and row[0])
            try:
                yield mine
            finally:
                if mine and not conn.closed and not conn.broken:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(name),))
