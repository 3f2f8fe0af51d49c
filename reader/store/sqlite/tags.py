"""Tags on items (many-to-many; names trimmed and case-insensitive)."""

from __future__ import annotations

from collections.abc import Sequence

from reader.exceptions import ItemNotFoundError
from reader.models import TagCount
from reader.store.sqlite._base import StoreBase, normalize_tag


class TagsMixin(StoreBase):
    def add_tags(self, item_id: int, tags: Sequence[str]) -> None:
        with self._db.write() as conn:
            if conn.execute("SELECT 1 FROM items WHERE id = ?", (item_id,)).fetchone() is None:
                raise ItemNotFoundError(item_id)
            for tag_id in self._tag_ids(conn, tags):
                conn.execute(
                    "INSERT OR IGNORE INTO item_tags (item_id, tag_id) VALUES (?, ?)",
                    (item_id, tag_id),
                )

    def remove_tags(self, item_id: int, tags: Sequence[str]) -> None:
        names = [n for n in (normalize_tag(t) for t in tags) if n]
        with self._db.write() as conn:
            if conn.execute("SELECT 1 FROM items WHERE id = ?", (item_id,)).fetchone() is None:
                raise ItemNotFoundError(item_id)
            for name in names:
                conn.execute(
                    "DELETE FROM item_tags WHERE item_id = ?"
                    " AND tag_id = (SELECT id FROM tags WHERE name = ?)",
                    (item_id, name),
                )
            self._drop_unused_tags(conn)

    def get_tags(self) -> list[TagCount]:
        sql = """
            SELECT t.name, count(i.id), coalesce(sum(i.read = 0 AND i.hidden = 0), 0)
            FROM tags t
            LEFT JOIN items i ON i.id IN (
                SELECT it.item_id FROM item_tags it WHERE it.tag_id = t.id
                UNION
                SELECT i2.id FROM items i2 JOIN source_tags st ON st.source_id = i2.source_id
                WHERE st.tag_id = t.id
            )
            GROUP BY t.id
            ORDER BY lower(t.name)
        """
        with self._db.read() as conn:
            rows = conn.execute(sql).fetchall()
        return [TagCount(name=str(r[0]), items=int(r[1]), unread=int(r[2])) for r in rows]
