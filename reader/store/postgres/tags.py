"""Tags on items (many-to-many; names trimmed and case-insensitive)."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from reader.exceptions import ItemNotFoundError
from reader.models import TagCount
from reader.store.postgres._base import StoreBase, drop_unused_tags, normalize_tag


class TagsMixin(StoreBase):
    def add_tags(self, item_id: int, tags: Sequence[str]) -> None:
        def work(conn: psycopg.Connection) -> None:
            self._lock_item(conn, item_id)
            for tag_id in self._tag_ids(conn, tags):
                conn.execute(
                    "INSERT INTO item_tags (item_id, tag_id) VALUES (%s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (item_id, tag_id),
                )

        self._db.write(work)

    def remove_tags(self, item_id: int, tags: Sequence[str]) -> None:
        names = [n.lower() for n in (normalize_tag(t) for t in tags) if n]

        def work(conn: psycopg.Connection) -> None:
            self._lock_item(conn, item_id)
            conn.execute(
                "DELETE FROM item_tags WHERE item_id = %s AND tag_id IN"
                " (SELECT id FROM tags WHERE lower(name) = ANY(%s))",
                (item_id, names),
            )
            drop_unused_tags(conn)

        self._db.write(work)

    def _lock_item(self, conn: psycopg.Connection, item_id: int) -> None:
        row = conn.execute("SELECT 1 FROM items WHERE id = %s FOR SHARE", (item_id,)).fetchone()
        if row is None:
            raise ItemNotFoundError(item_id)

    def get_tags(self) -> list[TagCount]:
        sql = """
            SELECT t.name, count(i.id), count(i.id) FILTER (WHERE NOT i.read AND NOT i.hidden)
            FROM tags t
            LEFT JOIN items i ON i.id IN (
                SELECT it.item_id FROM item_tags it WHERE it.tag_id = t.id
                UNION
                SELECT i2.id FROM items i2 JOIN source_tags st ON st.source_id = i2.source_id
                WHERE st.tag_id = t.id
            )
            GROUP BY t.id, t.name
            ORDER BY lower(t.name) COLLATE "C"
        """
        return self._db.read(
            lambda conn: [
                TagCount(name=str(r[0]), items=int(r[1]), unread=int(r[2]))
                for r in conn.execute(sql)
            ]
        )
