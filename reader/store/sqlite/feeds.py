"""Feeds and the seeds source: subscription, scheduling state, errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from reader.exceptions import FeedExistsError, FeedNotFoundError
from reader.models import (
    SEEDS_SOURCE_TITLE,
    SEEDS_SOURCE_URL,
    Feed,
    FeedRemoval,
    FeedUpdate,
    SourceKind,
)
from reader.store.rows import feed_update_sets
from reader.store.sqlite._base import FEED_COLUMNS, StoreBase, feed_from_row
from reader.store.sqlite._db import now_utc, to_db


class FeedsMixin(StoreBase):
    def add_feed(
        self,
        url: str,
        *,
        title: str | None = None,
        tags: Sequence[str] = (),
        full_text: bool | None = None,
    ) -> Feed:
        switch = None if full_text is None else int(full_text)
        with self._db.write() as conn:
            removed = conn.execute(
                "SELECT id FROM sources WHERE url = ? AND removed IS NOT NULL", (url,)
            ).fetchone()
            if removed is not None:
                # Subscribing again brings the feed back, with the items the user kept.
                source_id = int(removed[0])
                conn.execute(
                    "UPDATE sources SET removed = NULL, enabled = 1, disabled_reason = NULL,"
                    " user_title = ?, added = ?, etag = NULL, last_modified = NULL,"
                    " body_hash = NULL, next_check = NULL, last_error = NULL, error_count = 0,"
                    " full_text = ? WHERE id = ?",
                    (title, to_db(now_utc()), switch, source_id),
                )
            else:
                try:
                    cursor = conn.execute(
                        "INSERT INTO sources (url, kind, user_title, added, full_text)"
                        " VALUES (?, 'feed', ?, ?, ?)",
                        (url, title, to_db(now_utc()), switch),
                    )
                except sqlite3.IntegrityError:
                    raise FeedExistsError(url) from None
                source_id = int(cursor.lastrowid or 0)
            self._link_tags(conn, source_id, tags)
        return self.get_feed(url)

    def _link_tags(self, conn: sqlite3.Connection, source_id: int, tags: Sequence[str]) -> None:
        for tag_id in self._tag_ids(conn, tags):
            conn.execute(
                "INSERT OR IGNORE INTO source_tags (source_id, tag_id) VALUES (?, ?)",
                (source_id, tag_id),
            )

    def get_feed(self, url: str) -> Feed:
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {FEED_COLUMNS} FROM sources s WHERE s.url = ? AND s.removed IS NULL",
                (url,),
            ).fetchone()
            if row is None:
                raise FeedNotFoundError(url)
            counts = conn.execute(
                "SELECT count(*), coalesce(sum(read = 0 AND hidden = 0), 0) FROM items"
                " WHERE source_id = ?",
                (row[0],),
            ).fetchone()
        return feed_from_row(row, (int(counts[0]), int(counts[1])))

    def get_feeds(self, *, include_seeds: bool = False) -> list[Feed]:
        kinds = "('feed', 'seeds')" if include_seeds else "('feed')"
        with self._db.read() as conn:
            counts = {
                int(r[0]): (int(r[1]), int(r[2]))
                for r in conn.execute(
                    "SELECT source_id, count(*), sum(read = 0 AND hidden = 0) FROM items"
                    " GROUP BY source_id"
                )
            }
            rows = conn.execute(
                f"SELECT {FEED_COLUMNS} FROM sources s"
                f" WHERE s.kind IN {kinds} AND s.removed IS NULL"
                " ORDER BY s.kind = 'feed', lower(coalesce(s.user_title, s.title, s.url))"
            ).fetchall()
        return [feed_from_row(r, counts.get(int(r[0]), (0, 0))) for r in rows]

    def remove_feed(self, url: str, *, purge: bool = False) -> FeedRemoval:
        with self._db.write() as conn:
            source_id = self._source_id(conn, url)
            total = int(
                conn.execute(
                    "SELECT count(*) FROM items WHERE source_id = ?", (source_id,)
                ).fetchone()[0]
            )
            kept = 0 if purge else self._keep_marked_items(conn, source_id)
            if kept == 0:
                conn.execute("DELETE FROM sources WHERE id = ?", (source_id,))
            self._drop_unused_tags(conn)
        return FeedRemoval(deleted=total - kept, kept=kept)

    def _keep_marked_items(self, conn: sqlite3.Connection, source_id: int) -> int:
        """Delete a feed's items but its starred and tagged ones, and retire the feed if any
        are left; return how many were kept."""
        conn.execute(
            "DELETE FROM items WHERE source_id = ? AND starred = 0"
            " AND NOT EXISTS (SELECT 1 FROM item_tags it WHERE it.item_id = items.id)",
            (source_id,),
        )
        kept = int(
            conn.execute("SELECT count(*) FROM items WHERE source_id = ?", (source_id,)).fetchone()[
                0
            ]
        )
        if kept:
            conn.execute("DELETE FROM source_tags WHERE source_id = ?", (source_id,))
            conn.execute("DELETE FROM deleted_items WHERE source_id = ?", (source_id,))
            conn.execute(
                "UPDATE sources SET removed = ?, enabled = 0, next_check = NULL WHERE id = ?",
                (to_db(now_utc()), source_id),
            )
        return kept

    def set_feed_tags(self, url: str, tags: Sequence[str]) -> None:
        with self._db.write() as conn:
            source_id = self._source_id(conn, url)
            conn.execute("DELETE FROM source_tags WHERE source_id = ?", (source_id,))
            self._link_tags(conn, source_id, tags)
            self._drop_unused_tags(conn)

    def set_feed_title(self, url: str, title: str | None) -> None:
        with self._db.write() as conn:
            source_id = self._source_id(conn, url)
            # A changed display name re-indexes the feed's items (trigger `sources_fts_rename`).
            conn.execute(
                "UPDATE sources SET user_title = ? WHERE id = ?", (title or None, source_id)
            )

    def set_feed_full_text(self, url: str, full_text: bool | None) -> None:
        with self._db.write() as conn:
            source_id = self._source_id(conn, url)
            value = None if full_text is None else int(full_text)
            conn.execute("UPDATE sources SET full_text = ? WHERE id = ?", (value, source_id))

    def set_feed_interval(self, url: str, seconds: int | None) -> None:
        with self._db.write() as conn:
            source_id = self._source_id(conn, url)
            conn.execute(
                "UPDATE sources SET update_interval = ? WHERE id = ?", (seconds, source_id)
            )

    def set_feed_enabled(self, url: str, enabled: bool) -> None:
        with self._db.write() as conn:
            source_id = self._source_id(conn, url)
            if enabled:  # due at once, with a clean record
                conn.execute(
                    "UPDATE sources SET enabled = 1, disabled_reason = NULL, error_count = 0,"
                    " last_error = NULL, next_check = NULL WHERE id = ?",
                    (source_id,),
                )
            else:
                conn.execute(
                    "UPDATE sources SET enabled = 0,"
                    " disabled_reason = coalesce(disabled_reason, 'disabled by the user')"
                    " WHERE id = ?",
                    (source_id,),
                )

    def get_due_feeds(self, now: datetime, *, limit: int | None = None) -> list[Feed]:
        sql = (
            f"SELECT {FEED_COLUMNS} FROM sources s WHERE s.kind = 'feed' AND s.enabled = 1"
            " AND (s.next_check IS NULL OR s.next_check <= ?)"
            " ORDER BY s.next_check IS NOT NULL, s.next_check, s.id"
        )
        params: list[object] = [to_db(now)]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._db.read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [feed_from_row(r) for r in rows]

    def get_scheduled_feeds(self, *, limit: int) -> list[Feed]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {FEED_COLUMNS} FROM sources s WHERE s.kind = 'feed' AND s.enabled = 1"
                " ORDER BY s.next_check IS NOT NULL, s.next_check, s.id LIMIT ?",
                (limit,),
            ).fetchall()
        return [feed_from_row(r) for r in rows]

    def update_feed(self, url: str, update: FeedUpdate) -> None:
        with self._db.write() as conn:
            self._apply_feed_update(conn, url, update)

    def _apply_feed_update(self, conn: sqlite3.Connection, url: str, update: FeedUpdate) -> None:
        source_id = self._source_id(conn, url)
        sets, params = feed_update_sets(update, mark="?", time=to_db)
        if update.new_url is not None and update.new_url != url:
            taken = conn.execute(
                "SELECT 1 FROM sources WHERE url = ?", (update.new_url,)
            ).fetchone()
            if taken is None:  # keep the feed once: never move onto an existing subscription
                sets.append("url = ?")
                params.append(update.new_url)
        params.append(source_id)
        # A changed display name re-indexes the feed's items (trigger `sources_fts_rename`).
        conn.execute(f"UPDATE sources SET {', '.join(sets)} WHERE id = ?", params)

    def _set_source_title(self, conn: sqlite3.Connection, source_id: int, title: str) -> None:
        """Set a feed's title ahead of writing its items, so their index rows are written
        once under the new name rather than re-indexed after (a feed's first update)."""
        conn.execute("UPDATE sources SET title = ? WHERE id = ?", (title, source_id))

    def seeds_source(self) -> Feed:
        try:
            return self.get_feed(SEEDS_SOURCE_URL)
        except FeedNotFoundError:
            pass
        with self._db.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO sources (url, kind, title, added, enabled)"
                " VALUES (?, ?, ?, ?, 0)",
                (SEEDS_SOURCE_URL, SourceKind.SEEDS.value, SEEDS_SOURCE_TITLE, to_db(now_utc())),
            )
        return self.get_feed(SEEDS_SOURCE_URL)
