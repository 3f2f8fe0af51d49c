"""Full-text search over title, source, author and body (tsvector, GIN, ts_rank, ts_headline)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg

from reader.exceptions import InvalidSearchQueryError, SearchTimeoutError
from reader.models import SearchHit
from reader.query import UNRUNNABLE, QueryNode, mentions_state, parse_query
from reader.store.base import SEARCH_BODY_CHARS
from reader.store.postgres._base import ITEM_COLUMNS_LIGHT, StoreBase, item_from_row
from reader.store.postgres.query import POSTGRES
from reader.store.postgres.tsquery import compile_tsquery
from reader.store.querysql import query_condition, ranked_words

# ts_rank's weights are {D, C, B, A}: body 1, author 2, source 2, title 10, as SQLite's bm25.
_WEIGHTS = "{0.1, 0.2, 0.2, 1.0}"
# Markers no stored text holds (control characters are stripped on the way in); the caller's
# own markers replace them afterwards, so they need no quoting inside ts_headline's options.
_OPEN, _CLOSE = "\x02", "\x03"
_HEADLINE = (
    f'StartSel="{_OPEN}", StopSel="{_CLOSE}", MaxWords=24, MinWords=12, ShortWord=0,'
    ' MaxFragments=1, FragmentDelimiter=" … "'
)
_SNIPPET_CHARS = 160

# `{where}` holds more conditions over `items i` (hidden items, a query's filters).
_MATCHING = f"""
    WITH q AS (SELECT to_tsquery('reader_english', %s) AS query),
    hits AS (
        SELECT i.id, ts_rank(%s, i.search, q.query, 1) AS rank
        FROM items i, q
        WHERE i.search @@ q.query{{where}}
        ORDER BY rank DESC, i.id DESC
        LIMIT %s
    )
    SELECT {ITEM_COLUMNS_LIGHT},
        ts_headline('reader_english',
            coalesce(i.title, '') || ' — ' || left(coalesce(i.text, ''), {SEARCH_BODY_CHARS}),
            q.query, %s),
        -h.rank
    FROM hits h JOIN items i ON i.id = h.id JOIN sources s ON s.id = i.source_id, q
    ORDER BY h.rank DESC, i.id DESC
"""

# Only exclusions or filters (`NOT nato`, `is:starred`): every item they let through, newest
# first, its text's start.
_LISTING = f"""
    SELECT {ITEM_COLUMNS_LIGHT},
        substr(coalesce(i.summary, i.text, ''), 1, {_SNIPPET_CHARS}), 0.0
    FROM items i JOIN sources s ON s.id = i.source_id
    WHERE TRUE{{where}}
    ORDER BY i.sort_date DESC, i.id DESC
    LIMIT %s
"""


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
        where = "" if mentions_state(node, "hidden") else " AND NOT i.hidden"
        extra: list[object] = []
        ranked, rest = ranked_words(node)
        if rest is not None:
            condition, extra = query_condition(rest, datetime.now(UTC), POSTGRES)
            where += f" AND ({condition})"
        compiled = compile_tsquery(ranked, text) if ranked is not None else None
        sql: str
        params: list[object]
        if compiled is None or compiled.excluding:
            if compiled is not None:
                where += " AND NOT (i.search @@ to_tsquery('reader_english', %s))"
                extra = [*extra, compiled.expression]
            sql, params = _LISTING.format(where=where), [*extra, limit]
        else:
            sql = _MATCHING.format(where=where)
            params = [compiled.expression, _WEIGHTS, *extra, limit, _HEADLINE]

        def work(conn: psycopg.Connection) -> list[Any]:
            try:
                with conn.transaction():
                    if timeout:  # the server cancels the statement: SQLSTATE 57014
                        conn.execute(
                            "SELECT set_config('statement_timeout', %s, true)",
                            (str(max(1, round(timeout * 1000))),),
                        )
                    return conn.execute(sql, params).fetchall()
            except psycopg.errors.QueryCanceled:
                raise SearchTimeoutError(text, timeout or 0.0) from None
            except psycopg.errors.SyntaxError:
                # The compiled text is always valid tsquery; should it ever not be, the user
                # gets a hint, not the database's message.
                raise InvalidSearchQueryError(text, UNRUNNABLE) from None

        start, end = highlight
        return [
            SearchHit(
                item=item_from_row(r, with_content=False),
                snippet=str(r[-2]).replace(_OPEN, start).replace(_CLOSE, end),
                rank=float(r[-1]),
            )
            for r in self._db.read(work)
        ]
