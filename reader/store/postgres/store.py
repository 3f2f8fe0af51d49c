"""`PostgresStore`: the shared-database backend of the `Store` API."""

from __future__ import annotations

from datetime import datetime

import psycopg

from reader.models import StoreCheck, StoreStats
from reader.store.postgres._base import write_meta
from reader.store.postgres._db import Database, from_db, to_db
from reader.store.postgres.fleet import FleetMixin
from reader.store.postgres.reading import ReadingMixin
from reader.store.postgres.regroup import RegroupMixin
from reader.store.postgres.search import SearchMixin
from reader.store.postgres.tags import TagsMixin
from reader.store.postgres.topic import TopicMixin


class PostgresStore(ReadingMixin, RegroupMixin, TopicMixin, TagsMixin, SearchMixin, FleetMixin):
    """The store in one PostgreSQL database, shared by every reader and daemon pointed at it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._db = Database(url)

    @property
    def location(self) -> str:
        """The database URL without its password."""
        return self._db.display

    def close(self) -> None:
        self._db.close()

    def shared_location(self) -> str | None:
        return self.url

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get_meta(self, key: str) -> str | None:
        def work(conn: psycopg.Connection) -> str | None:
            row = conn.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
            return None if row is None else str(row[0])

        return self._db.read(work)

    def set_meta(self, key: str, value: str | None) -> None:
        self._db.write(lambda conn: write_meta(conn, key, value))

    def change_counter(self) -> int:
        def work(conn: psycopg.Connection) -> int:
            row = conn.execute("SELECT counter FROM changes").fetchone()
            assert row is not None
            return int(row[0])

        return self._db.read(work)

    def stats(self, now: datetime) -> StoreStats:
        def work(conn: psycopg.Connection) -> StoreStats:
            feeds = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE enabled),"
                " count(*) FILTER (WHERE enabled AND (next_check IS NULL OR next_check <= %s)),"
                " count(*) FILTER (WHERE error_count > 0 OR NOT enabled), max(last_checked)"
                " FROM sources WHERE kind = 'feed' AND removed IS NULL",
                (to_db(now),),
            ).fetchone()
            items = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE NOT read AND NOT hidden) FROM items"
            ).fetchone()
            assert feeds is not None and items is not None
            return StoreStats(
                feeds=int(feeds[0]),
                feeds_enabled=int(feeds[1]),
                feeds_due=int(feeds[2]),
                feeds_failing=int(feeds[3]),
                items=int(items[0]),
                unread=int(items[1]),
                last_update=from_db(feeds[4]),
            )

        return self._db.read_consistent(work)

    def integrity_check(self) -> str:
        """Every item's index entry matches its text and source name; no stray rows.

        PostgreSQL guards its own pages (checksums, WAL) and our keys (constraints); what it
        cannot know is whether the search index still says what the items say.
        """
        found = self.check()
        problems = [*found.problems, *([found.index_problem] if found.index_problem else [])]
        return "\n".join(problems) if problems else "ok"

    def check(self) -> StoreCheck:
        def work(conn: psycopg.Connection) -> tuple[list[str], str | None]:
            problems: list[str] = []
            for what, sql in _CHECKS:
                row = conn.execute(sql).fetchone()
                if row is not None and int(row[0]):
                    problems.append(f"{row[0]} {what}")
            row = conn.execute(f"SELECT count(*) FROM items i {_STALE_SEARCH}").fetchone()
            stale = int(row[0]) if row is not None else 0
            return problems, (f"{stale} items whose search index is stale" if stale else None)

        problems, index_problem = self._db.read_consistent(work)
        return StoreCheck(tuple(problems), index_problem)

    def rebuild_search_index(self) -> None:
        def work(conn: psycopg.Connection) -> None:
            conn.execute(
                f"UPDATE items SET search = {_SEARCH_OF_ITEM} WHERE id IN"
                f" (SELECT i.id FROM items i {_STALE_SEARCH})"
            )

        self._db.write(work)

    def check_writable(self) -> None:
        def work(conn: psycopg.Connection) -> None:
            # A write that needs new space (a quarter MiB), undone in the same transaction.
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (%s, repeat('x', 262144))",
                (_WRITE_PROBE_KEY,),
            )
            conn.execute("DELETE FROM meta WHERE key = %s", (_WRITE_PROBE_KEY,))

        self._db.write(work)


_WRITE_PROBE_KEY = "store.write_probe"

_SEARCH_OF_ITEM = (
    "reader_item_search(items.title, items.author, (SELECT coalesce(s.user_title, s.title,"
    " s.url) FROM sources s WHERE s.id = items.source_id), items.source_names, items.text)"
)

_STALE_SEARCH = (
    "JOIN sources s ON s.id = i.source_id WHERE i.search IS DISTINCT FROM"
    " reader_item_search(i.title, i.author, coalesce(s.user_title, s.title, s.url),"
    " i.source_names, i.text)"
)

_CHECKS = (
    (
        "items in stories that do not exist",
        "SELECT count(*) FROM items i WHERE i.story_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM stories st WHERE st.id = i.story_id)",
    ),
    (
        "items that are also tombstones",
        "SELECT count(*) FROM items i JOIN deleted_items d"
        " ON d.source_id = i.source_id AND d.identity = i.identity",
    ),
)
"""Consistency the schema's constraints cannot state: (what a count means, its query)."""
