"""Reading depth: saved views, full articles, and the alerts already sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg

from reader.exceptions import ItemNotFoundError, ViewExistsError, ViewNotFoundError
from reader.models import Item, SavedView
from reader.store.postgres._base import ITEM_COLUMNS_FULL, item_from_row
from reader.store.postgres._db import now_utc, to_db
from reader.store.postgres.items import ItemsMixin


class ReadingMixin(ItemsMixin):
    # -- per-feed full articles --------------------------------------------------------------

    def set_feed_full_text(self, url: str, full_text: bool | None) -> None:
        def work(conn: psycopg.Connection) -> None:
            source_id = self._source_id(conn, url)
            conn.execute("UPDATE sources SET full_text = %s WHERE id = %s", (full_text, source_id))

        self._db.write(work)

    # -- saved views -------------------------------------------------------------------------

    def get_views(self) -> list[SavedView]:
        return self._db.read(
            lambda conn: [
                SavedView(str(name), str(query))
                for name, query in conn.execute(
                    "SELECT name, query FROM views ORDER BY lower(name)"
                )
            ]
        )

    def add_view(self, name: str, query: str) -> SavedView:
        def work(conn: psycopg.Connection) -> None:
            row = conn.execute(
                "INSERT INTO views (name, query, added) VALUES (%s, %s, %s)"
                " ON CONFLICT (lower(name)) DO NOTHING RETURNING name",
                (name, query, to_db(now_utc())),
            ).fetchone()
            if row is None:
                raise ViewExistsError(name)

        self._db.write(work)
        return SavedView(name, query)

    def remove_view(self, name: str) -> None:
        def work(conn: psycopg.Connection) -> None:
            gone = conn.execute("DELETE FROM views WHERE lower(name) = lower(%s)", (name,))
            if gone.rowcount == 0:
                raise ViewNotFoundError(name)

        self._db.write(work)

    # -- full articles -----------------------------------------------------------------------

    def set_full_text(self, item_id: int, *, content_html: str, text: str) -> None:
        def work(conn: psycopg.Connection) -> None:
            # The feed's own text stays as the summary, so the reader can still show it.
            cursor = conn.execute(
                "UPDATE items SET summary = coalesce(summary, text), content_html = %s,"
                " text = %s, full_text = true WHERE id = %s",
                (content_html, text, item_id),
            )
            if cursor.rowcount == 0:
                raise ItemNotFoundError(item_id)

        self._db.write(work)

    # -- alerts ------------------------------------------------------------------------------

    def get_alert_candidates(self, after_id: int, *, min_score: float | None) -> list[Item]:
        sql = (
            f"SELECT {ITEM_COLUMNS_FULL} FROM items i JOIN sources s ON s.id = i.source_id"
            " WHERE i.id > %s AND NOT i.hidden AND s.kind = 'feed'"
            " AND NOT EXISTS (SELECT 1 FROM alerts_sent a WHERE a.item_id = i.id)"
        )
        params: list[object] = [after_id]
        if min_score is not None:
            sql += " AND i.score >= %s"
            params.append(min_score)
        sql += " ORDER BY i.score DESC NULLS LAST, i.id"
        return self._db.read(
            lambda conn: [item_from_row(r, with_content=True) for r in conn.execute(sql, params)]
        )

    def alerted_stories(self, story_ids: Sequence[int]) -> set[int]:
        if not story_ids:
            return set()
        return self._db.read(
            lambda conn: {
                int(r[0])
                for r in conn.execute(
                    "SELECT DISTINCT i.story_id FROM alerts_sent a JOIN items i"
                    " ON i.id = a.item_id WHERE i.story_id = ANY(%s)",
                    (list(story_ids),),
                )
            }
        )

    def record_alerts(self, item_ids: Sequence[int], when: datetime) -> None:
        def work(conn: psycopg.Connection) -> None:
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO alerts_sent (item_id, sent) VALUES (%s, %s)"
                    " ON CONFLICT DO NOTHING",
                    [(int(i), to_db(when)) for i in item_ids],
                )

        self._db.write(work)

    def last_item_id(self) -> int:
        def work(conn: psycopg.Connection) -> int:
            row = conn.execute("SELECT coalesce(max(id), 0) FROM items").fetchone()
            assert row is not None
            return int(row[0])

        return self._db.read(work)
