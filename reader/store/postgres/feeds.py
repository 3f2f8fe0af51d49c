"""Feeds and the seeds source: subscription, scheduling state, errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg

from reader.exceptions import FeedExistsError, FeedNotFoundError
from reader.models import SEEDS_SOURCE_TITLE, SEEDS_SOURCE_URL, Feed, FeedUpdate, SourceKind
from reader.store.postgres._base import FEED_COLUMNS, StoreBase, feed_from_row
from reader.store.postgres._db import now_utc, to_db
from reader.store.rows import feed_update_sets

_DUE_ORDER = "s.next_check NULLS FIRST, s.id"


class FeedsMixin(StoreBase):
    def add_feed(self, url: str, *, title: str | None = None, tags: Sequence[str] = ()) -> Feed:
        def work(conn: psycopg.Connection) -> None:
            row = conn.execute(
                "INSERT INTO sources (url, kind, user_title, added) VALUES (%s, 'feed', %s, %s)"
                " ON CONFLICT (url) DO NOTHING RETURNING id",
                (url, title, to_db(now_utc())),
            ).fetchone()
            if row is None:
                raise FeedExistsError(url)
            self._set_tags(conn, int(row[0]), tags)

        self._db.write(work)
        return self.get_feed(url)

    def _set_tags(self, conn: psycopg.Connection, source_id: int, tags: Sequence[str]) -> None:
        for tag_id in self._tag_ids(conn, tags):
            conn.execute(
                "INSERT INTO source_tags (source_id, tag_id) VALUES (%s, %s)"
                " ON CONFLICT DO NOTHING",
                (source_id, tag_id),
            )

    def get_feed(self, url: str) -> Feed:
        def work(conn: psycopg.Connection) -> Feed:
            row = conn.execute(
                f"SELECT {FEED_COLUMNS}, (SELECT count(*) FROM items WHERE source_id = s.id),"
                " (SELECT count(*) FROM items WHERE source_id = s.id AND NOT read)"
                " FROM sources s WHERE s.url = %s",
                (url,),
            ).fetchone()
            if row is None:
                raise FeedNotFoundError(url)
            return feed_from_row(row, (int(row[20]), int(row[21])))

        return self._db.read(work)

    def get_feeds(self, *, include_seeds: bool = False) -> list[Feed]:
        kinds = ["feed", "seeds"] if include_seeds else ["feed"]

        def work(conn: psycopg.Connection) -> list[Feed]:
            counts = {
                int(r[0]): (int(r[1]), int(r[2]))
                for r in conn.execute(
                    "SELECT source_id, count(*), count(*) FILTER (WHERE NOT read)"
                    " FROM items GROUP BY source_id"
                )
            }
            rows = conn.execute(
                f"SELECT {FEED_COLUMNS} FROM sources s WHERE s.kind = ANY(%s)"
                " ORDER BY s.kind = 'feed',"
                ' lower(coalesce(s.user_title, s.title, s.url)) COLLATE "C"',
                (kinds,),
            ).fetchall()
            return [feed_from_row(r, counts.get(int(r[0]), (0, 0))) for r in rows]

        return self._db.read_consistent(work)

    def remove_feed(self, url: str) -> None:
        def work(conn: psycopg.Connection) -> None:
            if conn.execute("DELETE FROM sources WHERE url = %s", (url,)).rowcount == 0:
                raise FeedNotFoundError(url)

        self._db.write(work)

    def set_feed_tags(self, url: str, tags: Sequence[str]) -> None:
        def work(conn: psycopg.Connection) -> None:
            source_id = self._source_id(conn, url)
            conn.execute("DELETE FROM source_tags WHERE source_id = %s", (source_id,))
            self._set_tags(conn, source_id, tags)

        self._db.write(work)

    def set_feed_interval(self, url: str, seconds: int | None) -> None:
        self._update_source(url, "update_interval = %s", (seconds,))

    def set_feed_enabled(self, url: str, enabled: bool) -> None:
        self._update_source(
            url,
            "enabled = %s, disabled_reason = CASE WHEN %s THEN NULL ELSE disabled_reason END,"
            " error_count = CASE WHEN %s THEN 0 ELSE error_count END",
            (enabled, enabled, enabled),
        )

    def _update_source(self, url: str, sets: str, params: tuple[object, ...]) -> None:
        def work(conn: psycopg.Connection) -> None:
            cursor = conn.execute(f"UPDATE sources SET {sets} WHERE url = %s", (*params, url))
            if cursor.rowcount == 0:
                raise FeedNotFoundError(url)

        self._db.write(work)

    def get_due_feeds(self, now: datetime, *, limit: int | None = None) -> list[Feed]:
        sql = (
            f"SELECT {FEED_COLUMNS} FROM sources s WHERE s.kind = 'feed' AND s.enabled"
            f" AND (s.next_check IS NULL OR s.next_check <= %s) ORDER BY {_DUE_ORDER} LIMIT %s"
        )
        return self._db.read(
            lambda conn: [feed_from_row(r) for r in conn.execute(sql, (to_db(now), limit))]
        )

    def get_scheduled_feeds(self, *, limit: int) -> list[Feed]:
        sql = (
            f"SELECT {FEED_COLUMNS} FROM sources s WHERE s.kind = 'feed' AND s.enabled"
            f" ORDER BY {_DUE_ORDER} LIMIT %s"
        )
        return self._db.read(lambda conn: [feed_from_row(r) for r in conn.execute(sql, (limit,))])

    def update_feed(self, url: str, update: FeedUpdate) -> None:
        self._db.write(lambda conn: self._apply_feed_update(conn, url, update))

    def _apply_feed_update(self, conn: psycopg.Connection, url: str, update: FeedUpdate) -> None:
        sets, params = feed_update_sets(update, mark="%s", time=to_db)
        if update.new_url is not None and update.new_url != url:
            # Keep the feed once: never move onto an existing subscription.
            sets.append(
                "url = CASE WHEN EXISTS (SELECT 1 FROM sources WHERE url = %s) THEN url ELSE %s END"
            )
            params += [update.new_url, update.new_url]
        params.append(url)
        # A changed display name re-indexes the feed's items (trigger `sources_renamed`).
        cursor = conn.execute(f"UPDATE sources SET {', '.join(sets)} WHERE url = %s", params)
        if cursor.rowcount == 0:
            raise FeedNotFoundError(url)

    def _set_source_title(self, conn: psycopg.Connection, source_id: int, title: str) -> None:
        """Set a feed's title ahead of writing its items, so they are indexed once under it."""
        conn.execute(
            "UPDATE sources SET title = %s WHERE id = %s AND title IS DISTINCT FROM %s",
            (title, source_id, title),
        )

    def seeds_source(self) -> Feed:
        try:
            return self.get_feed(SEEDS_SOURCE_URL)
        except FeedNotFoundError:
            pass
        self._db.write(
            lambda conn: conn.execute(
                "INSERT INTO sources (url, kind, title, added, enabled)"
                " VALUES (%s, %s, %s, %s, false) ON CONFLICT (url) DO NOTHING",
                (SEEDS_SOURCE_URL, SourceKind.SEEDS.value, SEEDS_SOURCE_TITLE, to_db(now_utc())),
            )
        )
        return self.get_feed(SEEDS_SOURCE_URL)
