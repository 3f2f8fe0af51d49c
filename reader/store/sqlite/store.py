"""`SQLiteStore`: the embedded default backend of the `Store` API."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reader.models import StoreStats
from reader.store.sqlite._db import Database, from_db, to_db
from reader.store.sqlite.schema import migrate
from reader.store.sqlite.search import SearchMixin
from reader.store.sqlite.tags import TagsMixin
from reader.store.sqlite.topic import TopicMixin


class SQLiteStore(TopicMixin, TagsMixin, SearchMixin):
    """The store in one SQLite file (WAL, FTS5), safe to share between processes."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self._db = Database(path)
        try:
            migrate(self._db.conn)
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

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
            if value is None:
                conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

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
                "SELECT count(*), coalesce(sum(read = 0), 0) FROM items"
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

    def integrity_check(self) -> str:
        with self._db.read() as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
            fts = conn.execute(
                "INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)"
            )
            del fts
        return "\n".join(str(r[0]) for r in rows)
