"""Full-text search over title, author, source and body (FTS5)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from reader.exceptions import DatabaseError, InvalidSearchQueryError, SearchTimeoutError
from reader.models import SearchHit
from reader.query import UNRUNNABLE, QueryNode, mentions_state, parse_query
from reader.store.querysql import query_condition, ranked_words
from reader.store.sqlite._base import ITEM_COLUMNS_LIGHT, StoreBase, item_from_row
from reader.store.sqlite.fts import compile_match
from reader.store.sqlite.query import SQLITE

_SNIPPET_CHARS = 160

_PROGRESS_STEPS = 10_000
"""SQLite virtual machine steps between deadline checks (a few milliseconds of work)."""


@contextmanager
def _deadline(conn: sqlite3.Connection, seconds: float | None) -> Iterator[None]:
    """Interrupt the statements run inside after `seconds` (SQLITE_INTERRUPT)."""
    if not seconds:
        yield
        return
    ends = time.monotonic() + seconds
    conn.set_progress_handler(lambda: time.monotonic() > ends, _PROGRESS_STEPS)
    try:
        yield
    finally:
        conn.set_progress_handler(None, _PROGRESS_STEPS)


class SearchMixin(StoreBase):
    def search(
        self,
        query: str | QueryNode,
        *,
        limit: int = 50,
        highlight: tuple[str, str] = ("[", "]"),
        timeout: float | None = None,
    ) -> list[SearchHit]:
        text = query if isinstance(query, str) else repr(query)
        node = parse_query(query) if isinstance(query, str) else query
        # Hidden items (a rule's `hide`) are found only when the query asks for them.
        where = "" if mentions_state(node, "hidden") else " AND i.hidden = 0"
        params: tuple[object, ...]
        ranked, rest = ranked_words(node)
        if rest is not None:
            condition, extra = query_condition(rest, datetime.now(UTC), SQLITE)
            where += f" AND ({condition})"
        else:
            extra = []
        match = compile_match(ranked, text) if ranked is not None else None
        if match is None or match.excluding:
            # Only exclusions or filters (`NOT nato`, `is:starred`): every item they let
            # through, newest first, with its text's start.
            if match is not None:
                where += " AND i.id NOT IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)"
                extra = [*extra, match.expression]
            sql = f"""
                SELECT {ITEM_COLUMNS_LIGHT},
                    substr(coalesce(i.summary, i.text, ''), 1, {_SNIPPET_CHARS}) AS snippet,
                    0.0 AS rank
                FROM items i JOIN sources s ON s.id = i.source_id
                WHERE 1{where}
                ORDER BY i.sort_date DESC, i.id DESC
                LIMIT ?
            """
            params = (*extra, limit)
        else:
            # Title hits weigh most, then source and author, then body text.
            sql = f"""
                SELECT {ITEM_COLUMNS_LIGHT},
                    snippet(items_fts, -1, ?, ?, '…', 24) AS snippet,
                    bm25(items_fts, 10.0, 2.0, 2.0, 1.0) AS rank
                FROM items_fts
                JOIN items i ON i.id = items_fts.rowid
                JOIN sources s ON s.id = i.source_id
                WHERE items_fts MATCH ?{where}
                ORDER BY rank
                LIMIT ?
            """
            params = (highlight[0], highlight[1], match.expression, *extra, limit)
        try:
            with self._db.lock, _deadline(self._db.conn, timeout):
                rows = self._db.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT and timeout:
                raise SearchTimeoutError(text, timeout) from None
            error = self._db.error(exc)
            if isinstance(error, DatabaseError):
                raise error from exc
            # The compiled expression is always valid FTS5; should it ever not be, the user
            # gets a hint, not the database's message.
            raise InvalidSearchQueryError(text, UNRUNNABLE) from None
        return [
            SearchHit(
                item=item_from_row(r, with_content=False), snippet=str(r[-2]), rank=float(r[-1])
            )
            for r in rows
        ]
