"""Full-text search over title, author, source and body (FTS5)."""

from __future__ import annotations

import sqlite3

from reader.exceptions import InvalidSearchQueryError, StorageError
from reader.models import SearchHit
from reader.store.sqlite._base import ITEM_COLUMNS_LIGHT, StoreBase, item_from_row


class SearchMixin(StoreBase):
    def search(
        self,
        query: str,
        *,
        limit: int = 50,
        highlight: tuple[str, str] = ("[", "]"),
    ) -> list[SearchHit]:
        if not query.strip():
            raise InvalidSearchQueryError(query, "the query is empty")
        # Title hits weigh most, then source and author, then body text.
        sql = f"""
            SELECT {ITEM_COLUMNS_LIGHT},
                snippet(items_fts, -1, ?, ?, '…', 24) AS snippet,
                bm25(items_fts, 10.0, 2.0, 2.0, 1.0) AS rank
            FROM items_fts
            JOIN items i ON i.id = items_fts.rowid
            JOIN sources s ON s.id = i.source_id
            WHERE items_fts MATCH ?
            ORDER BY rank
            LIMIT ?
        """
        try:
            with self._db.lock:
                rows = self._db.conn.execute(
                    sql, (highlight[0], highlight[1], query, limit)
                ).fetchall()
        except sqlite3.OperationalError as exc:
            message = str(exc)
            if "locked" in message or "busy" in message or "disk" in message:
                raise StorageError(f"search failed: {message}") from exc
            # Anything else MATCH rejects is the query's fault: say so plainly.
            raise InvalidSearchQueryError(query, message.removeprefix("fts5: ")) from None
        return [
            SearchHit(
                item=item_from_row(r, with_content=False), snippet=str(r[-2]), rank=float(r[-1])
            )
            for r in rows
        ]
