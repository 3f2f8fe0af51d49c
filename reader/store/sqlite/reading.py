"""Reading depth: saved views, full articles, and the alerts already sent."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from reader.exceptions import ItemNotFoundError, ViewExistsError, ViewNotFoundError
from reader.models import Item, SavedView
from reader.store.sqlite._base import ITEM_COLUMNS_FULL, item_from_row
from reader.store.sqlite._db import now_utc, to_db
from reader.store.sqlite.items import ItemsMixin


class ReadingMixin(ItemsMixin):
    # -- saved views -------------------------------------------------------------------------

    def get_views(self) -> list[SavedView]:
        with self._db.read() as conn:
            rows = conn.execute("SELECT name, query FROM views ORDER BY lower(name)").fetchall()
        return [SavedView(str(name), str(query)) for name, query in rows]

    def add_view(self, name: str, query: str) -> SavedView:
        with self._db.write() as conn:
            try:
                conn.execute(
                    "INSERT INTO views (name, query, added) VALUES (?, ?, ?)",
                    (name, query, to_db(now_utc())),
                )
            except sqlite3.IntegrityError:
                raise ViewExistsError(name) from None
        return SavedView(name, query)

    def remove_view(self, name: str) -> None:
        with self._db.write() as conn:
            if conn.execute("DELETE FROM views WHERE name = ?", (name,)).rowcount == 0:
                raise ViewNotFoundError(name)

    # -- full articles -----------------------------------------------------------------------

    def set_full_text(self, item_id: int, *, content_html: str, text: str) -> None:
        with self._db.write() as conn:
            # The feed's own text stays as the summary, so the reader can still show it.
            cursor = conn.execute(
                "UPDATE items SET summary = coalesce(summary, text), content_html = ?, text = ?,"
                " full_text = 1 WHERE id = ?",
                (content_html, text, item_id),
            )
            if cursor.rowcount == 0:
                raise ItemNotFoundError(item_id)

    # -- alerts ------------------------------------------------------------------------------

    def get_alert_candidates(self, after_id: int, *, min_score: float | None) -> list[Item]:
        sql = (
            f"SELECT {ITEM_COLUMNS_FULL} FROM items i JOIN sources s ON s.id = i.source_id"
            " WHERE i.id > ? AND i.hidden = 0 AND s.kind = 'feed'"
            " AND NOT EXISTS (SELECT 1 FROM alerts_sent a WHERE a.item_id = i.id)"
        )
        params: list[object] = [after_id]
        if min_score is not None:
            sql += " AND i.score >= ?"
            params.append(min_score)
        with self._db.read() as conn:
            rows = conn.execute(sql + " ORDER BY i.score DESC, i.id", params).fetchall()
        return [item_from_row(r, with_content=True) for r in rows]

    def alerted_stories(self, story_ids: Sequence[int]) -> set[int]:
        if not story_ids:
            return set()
        marks = ",".join("?" * len(story_ids))
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT DISTINCT i.story_id FROM alerts_sent a JOIN items i ON i.id = a.item_id"
                f" WHERE i.story_id IN ({marks})",
                list(story_ids),
            ).fetchall()
        return {int(r[0]) for r in rows}

    def record_alerts(self, item_ids: Sequence[int], when: datetime) -> None:
        with self._db.write() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO alerts_sent (item_id, sent) VALUES (?, ?)",
                [(int(i), to_db(when)) for i in item_ids],
            )

    def last_item_id(self) -> int:
        with self._db.read() as conn:
            return int(conn.execute("SELECT coalesce(max(id), 0) FROM items").fetchone()[0])
