"""`SQLiteStore`: the embedded default backend of the `Store` API."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from reader.exceptions import DiskFullError
from reader.models import StoreCheck, StoreStats
from reader.store.sqlite._base import write_meta
from reader.store.sqlite._db import Database, free_bytes, from_db, location_of, to_db
from reader.store.sqlite.fleet import FleetMixin
from reader.store.sqlite.reading import ReadingMixin
from reader.store.sqlite.schema import migrate
from reader.store.sqlite.search import SearchMixin
from reader.store.sqlite.tags import TagsMixin
from reader.store.sqlite.topic import TopicMixin

_PROBLEMS_SHOWN = 20
"""Most problems `check` lists (a damaged file can have thousands)."""

WRITABLE_FREE_BYTES = 1024 * 1024
"""`check_writable` wants this much free space on the database's disk."""

_WRITE_PROBE_KEY = "store.write_probe"


class SQLiteStore(ReadingMixin, TopicMixin, TagsMixin, SearchMixin, FleetMixin):
    """The store in one SQLite file (WAL, FTS5), safe to share between processes."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self._db = Database(path)
        try:
            self.created = migrate(self._db.conn) == 0
            """True when this open made the database (a new or empty file)."""
        except BaseException as exc:
            self._db.close()
            if isinstance(exc, sqlite3.Error):
                raise self._db.error(exc) from exc
            raise

    def close(self) -> None:
        self._db.close()

    def shared_location(self) -> str | None:
        return None if str(self.path) == ":memory:" else location_of(self.path)

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get_meta(self, key: str) -> str | None:
        with self._db.read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        with self._db.write() as conn:
            write_meta(conn, key, value)

    def change_counter(self) -> int:
        with self._db.read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'changes'").fetchone()
        return int(row[0])

    def stats(self, now: datetime) -> StoreStats:
        with self._db.read() as conn:
            feeds = conn.execute(
                "SELECT count(*), coalesce(sum(enabled), 0),"
                " coalesce(sum(enabled AND (next_check IS NULL OR next_check <= ?)), 0),"
                " coalesce(sum(error_count > 0 OR enabled = 0), 0), max(last_checked)"
                " FROM sources WHERE kind = 'feed' AND removed IS NULL",
                (to_db(now),),
            ).fetchone()
            items = conn.execute(
                "SELECT count(*), coalesce(sum(read = 0 AND hidden = 0), 0) FROM items"
            ).fetchone()
        return StoreStats(
            feeds=int(feeds[0]),
            feeds_enabled=int(feeds[1]),
            feeds_due=int(feeds[2]),
            feeds_failing=int(feeds[3]),
            items=int(items[0]),
            unread=int(items[1]),
            last_update=from_db(feeds[4]),
        )

    def check_writable(self) -> None:
        # A write that must take new pages, undone before the commit: a full database fails
        # it. SQLite reuses its files' space, so a nearly full disk may still take a small
        # write; the free space on the disk is checked too.
        free = free_bytes(self.path)
        if free is not None and free < WRITABLE_FREE_BYTES:
            raise DiskFullError(location_of(self.path), f"disk full ({free // 1024} KiB free)")
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, zeroblob(?))",
                (_WRITE_PROBE_KEY, WRITABLE_FREE_BYTES // 4),
            )
            conn.execute("DELETE FROM meta WHERE key = ?", (_WRITE_PROBE_KEY,))

    def check(self) -> StoreCheck:
        problems: list[str] = []
        index_problem: str | None = None
        with self._db.lock:
            try:
                rows = self._db.conn.execute(f"PRAGMA integrity_check({_PROBLEMS_SHOWN})")
                # One row may hold several lines, under a "*** in database main ***" head.
                problems = [
                    line.strip()
                    for row in rows
                    for line in str(row[0]).splitlines()
                    if line.strip() and line.strip() != "ok" and not line.startswith("***")
                ]
            except sqlite3.Error as exc:  # damaged where the check itself starts
                problems = [str(exc)]
            try:
                # With rank 1, FTS5 also compares the index with the items' text.
                self._db.conn.execute(
                    "INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)"
                )
            except sqlite3.Error as exc:
                index_problem = str(exc)
        return StoreCheck(tuple(problems), index_problem)

    def rebuild_search_index(self) -> None:
        with self._db.write() as conn:
            conn.execute("INSERT INTO items_fts (items_fts) VALUES ('rebuild')")

    def integrity_check(self) -> str:
        with self._db.read() as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
            fts = conn.execute(
                "INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)"
            )
            del fts
        return "\n".join(str(r[0]) for r in rows)
