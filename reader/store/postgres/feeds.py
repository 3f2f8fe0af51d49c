"""Feeds and the seeds source: subscription, scheduling state, errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg

from reader.exceptions import FeedExistsError, FeedNotFoundError
from reader.models import (
    SEEDS_SOURCE_TITLE,
    SEEDS_SOURCE_URL,
    Feed,
    FeedRemoval,
    FeedUpdate,
    SourceKind,
)
from reader.store.postgres._base import FEED_COLUMNS, StoreBase, drop_unused_tags, feed_from_row
from reader.store.postgres._db import now_utc, to_db
from reader.store.rows import feed_update_sets

_DUE_ORDER = "s.next_check NULLS FIRST, s.id"


class FeedsMixin(StoreBase):
    def add_feed(
        self,
        url: str,
        *,
        title: str | None = None,
        tags: Sequence[str] = (),
        full_text: bool | None = None,
    ) -> Feed:
        def work(conn: psycopg.Connection) -> None:
            row = conn.execute(
                "INSERT INTO sources (url, kind, user_title, added, full_text)"
                " VALUES (%s, 'feed', %s, %s, %s) ON CONFLICT (url) DO NOTHING RETURNING id",
                (url, title, to_db(now_utc()), full_text),
            ).fetchone()
            if row is None:
                # Subscribing again brings a removed feed back, with the items the user kept.
                row = conn.execute(
                    "UPDATE sources SET removed = NULL, enabled = true, disabled_reason = NULL,"
                    " user_title = %s, added = %s, etag = NULL, last_modified = NULL,"
                    " body_hash = NULL, next_check = NULL, last_error = NULL, error_count = 0,"
                    " full_text = %s WHERE url = %s AND removed IS NOT NULL RETURNING id",
                    (title, to_db(now_utc()), full_text, url),
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
                " (SELECT count(*) FROM items WHERE source_id = s.id AND NOT read AND NOT hidden)"
                " FROM sources s WHERE s.url = %s AND s.removed IS NULL",
                (url,),
            ).fetchone()
            if row is None:
                raise FeedNotFoundError(url)
            return feed_from_row(row, (int(row[21]), int(row[22])))

        return self._db.read(work)

    def get_feeds(self, *, include_seeds: bool = False) -> list[Feed]:
        kinds = ["feed", "seeds"] if include_seeds else ["feed"]

        def work(conn: psycopg.Connection) -> list[Feed]:
            counts = {
                int(r[0]): (int(r[1]), int(r[2]))
                for r in conn.execute(
                    "SELECT source_id, count(*), count(*) FILTER (WHERE NOT read AND NOT hidden)"
                    " FROM items GROUP BY source_id"
                )
            }
            rows = conn.execute(
                f"SELECT {FEED_COLUMNS} FROM sources s WHERE s.kind = ANY(%s) AND s.removed IS NULL"
                " ORDER BY s.kind = 'feed',"
                ' lower(coalesce(s.user_title, s.title, s.url)) COLLATE "C"',
                (kinds,),
            ).fetchall()
            return [feed_from_row(r, counts.get(int(r[0]), (0, 0))) for r in rows]

        return self._db.read_consistent(work)

    def remove_feed(self, url: str, *, purge: bool = False) -> FeedRemoval:
        def work(conn: psycopg.Connection) -> FeedRemoval:
            source_id = self._source_id(conn, url)
            row = conn.execute(
                "SELECT count(*) FROM items WHERE source_id = %s", (source_id,)
            ).fetchone()
            total = int(row[0]) if row is not None else 0
            kept = 0 if purge else self._keep_marked_items(conn, source_id)
            if kept == 0:
                conn.execute("DELETE FROM sources WHERE id = %s", (source_id,))
            drop_unused_tags(conn)
            return FeedRemoval(deleted=total - kept, kept=kept)

        return self._db.write(work)

    def _keep_marked_items(self, conn: psycopg.Connection, source_id: int) -> int:
        """Delete a feed's items but its starred and tagged ones, and retire the feed if any
        are left; return how many were kept."""
        conn.execute(
            "DELETE FROM items WHERE source_id = %s AND NOT starred"
            " AND NOT EXISTS (SELECT 1 FROM item_tags it WHERE it.item_id = items.id)",
            (source_id,),
        )
        row = conn.execute("SELECT count(*) FROM items WHERE source_id = %s", (source_id,))
        kept = int(row.fetchone()[0])  # type: ignore[index]
        if kept:
            conn.execute("DELETE FROM source_tags WHERE source_id = %s", (source_id,))
            conn.execute("DELETE FROM deleted_items WHERE source_id = %s", (source_id,))
            conn.execute(
                "UPDATE sources SET removed = %s, enabled = false, next_check = NULL WHERE id = %s",
                (to_db(now_utc()), source_id),
            )
        return kept

    def set_feed_tags(self, url: str, tags: Sequence[str]) -> None:
        def work(conn: psycopg.Connection) -> None:
            source_id = self._source_id(conn, url)
            conn.execute("DELETE FROM source_tags WHERE source_id = %s", (source_id,))
            self._set_tags(conn, source_id, tags)
            drop_unused_tags(conn)

        self._db.write(work)

    def set_feed_title(self, url: str, title: str | None) -> None:
        # A changed display name re-indexes the feed's items (trigger `sources_renamed`).
        self._update_source(url, "user_title = %s", (title or None,))

    def set_feed_interval(self, url: str, seconds: int | None) -> None:
        self._update_source(url, "update_interval = %s", (seconds,))

    def set_feed_enabled(self, url: str, enabled: bool) -> None:
        if enabled:  # due at once, with a clean record
            self._update_source(
                url,
                "enabled = true, disabled_reason = NULL, error_count = 0, last_error = NULL,"
                " next_check = NULL",
                (),
            )
        else:
            self._update_source(
                url,
                "enabled = false,"
                " disabled_reason = coalesce(disabled_reason, 'disabled by the user')",
                (),
            )

    def _update_source(self, url: str, sets: str, params: tuple[object, ...]) -> None:
        def work(conn: psycopg.Connection) -> None:
            cursor = conn.execute(
                f"UPDATE sources SET {sets} WHERE url = %s AND removed IS NULL", (*params, url)
            )
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
        sets += ["lease_holder = NULL", "lease_until = NULL"]  # checked: its lease is over
        if update.new_url is not None and update.new_url != url:
            # Keep the feed once: never move onto an existing subscription.
            sets.append(
                "url = CASE WHEN EXISTS (SELECT 1 FROM sources WHERE url = %s) THEN url ELSE %s END"
            )
            params += [update.new_url, update.new_url]
        params.append(url)
        # A changed display name re-indexes the feed's items (trigger `sources_renamed`).
        cursor = conn.execute(
            f"UPDATE sources SET {', '.join(sets)} WHERE url = %s AND removed IS NULL", params
        )
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
