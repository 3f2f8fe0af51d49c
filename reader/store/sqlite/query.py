"""The SQLite side of query compiling (`reader.store.querysql`): words as one FTS5 MATCH."""

from __future__ import annotations

from reader.query import QueryNode
from reader.store.querysql import Dialect, IdRange
from reader.store.sqlite._db import to_db
from reader.store.sqlite.fts import compile_match

_MATCH = "i.id {negate}IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?{bounded})"


def _text_match(node: QueryNode, id_range: IdRange) -> tuple[str, list[object]]:
    match = compile_match(node, repr(node))
    negate = "NOT " if match.excluding else ""
    if id_range is None:
        return _MATCH.format(negate=negate, bounded=""), [match.expression]
    # FTS5 seeks to a rowid range instead of reading the whole doclist of a common word.
    sql = _MATCH.format(negate=negate, bounded=" AND rowid BETWEEN ? AND ?")
    return sql, [match.expression, id_range[0], id_range[1]]


SQLITE = Dialect(mark="?", text_match=_text_match, time=to_db, tag_equals="t.name = ?")
"""Tag names are `COLLATE NOCASE` in SQLite: plain `=` compares without case."""


def clamp(expression: str) -> str:
    """`expression` kept within 0 and 1 (SQLite's scalar max and min)."""
    return f"max(0.0, min(1.0, {expression}))"
