"""Full-text search over title, source, author and body (tsvector, GIN, ts_rank, ts_headline)."""

from __future__ import annotations

from typing import Any

import psycopg

from reader.exceptions import InvalidSearchQueryError
from reader.models import SearchHit
from reader.store.postgres._base import ITEM_COLUMNS_LIGHT, StoreBase, item_from_row
from reader.store.postgres.tsquery import compile_query

# ts_rank's weights are {D, C, B, A}: body 1, author 2, source 2, title 10, as SQLite's bm25.
_WEIGHTS = "{0.1, 0.2, 0.2, 1.0}"
# Markers no stored text holds (control characters are stripped on the way in); the caller's
# own markers replace them afterwards, so they need no quoting inside ts_headline's options.
_OPEN, _CLOSE = "\x02", "\x03"
_HEADLINE = (
    f'StartSel="{_OPEN}", StopSel="{_CLOSE}", MaxWords=24, MinWords=12, ShortWord=0,'
    ' MaxFragments=1, FragmentDelimiter=" … "'
)

_SQL = f"""
    WITH q AS (SELECT to_tsquery('reader_english', %(query)s) AS query),
    hits AS (
        SELECT i.id, ts_rank(%(weights)s, i.search, q.query, 1) AS rank
        FROM items i, q
        WHERE i.search @@ q.query
        ORDER BY rank DESC, i.id DESC
        LIMIT %(limit)s
    )
    SELECT {ITEM_COLUMNS_LIGHT},
        ts_headline('reader_english',
            coalesce(i.title, '') || ' — ' || coalesce(i.text, ''), q.query, %(headline)s),
        -h.rank
    FROM hits h JOIN items i ON i.id = h.id JOIN sources s ON s.id = i.source_id, q
    ORDER BY h.rank DESC, i.id DESC
"""


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
        params = {
            "query": compile_query(query),
            "weights": _WEIGHTS,
            "limit": limit,
            "headline": _HEADLINE,
        }

        def work(conn: psycopg.Connection) -> list[Any]:
            try:
                return conn.execute(_SQL, params).fetchall()
            except psycopg.errors.SyntaxError as exc:  # to_tsquery refused what we compiled
                raise InvalidSearchQueryError(query, str(exc).splitlines()[0]) from None

        rows = self._db.read(work)
        start, end = highlight
        return [
            SearchHit(
                item=item_from_row(r, with_content=False),
                snippet=str(r[-2]).replace(_OPEN, start).replace(_CLOSE, end),
                rank=float(r[-1]),
            )
            for r in rows
        ]
