"""The PostgreSQL side of query compiling (`reader.store.querysql`): words as one tsquery."""

from __future__ import annotations

from reader.query import QueryNode
from reader.store.postgres._db import to_db
from reader.store.postgres.tsquery import compile_tsquery
from reader.store.querysql import Dialect, IdRange


def _text_match(node: QueryNode, id_range: IdRange) -> tuple[str, list[object]]:
    # The GIN index answers the words; an id range needs no help here (the caller's id list
    # already narrows the rows).
    del id_range
    compiled = compile_tsquery(node, repr(node))
    negate = "NOT " if compiled.excluding else ""
    return f"{negate}(i.search @@ to_tsquery('reader_english', %s))", [compiled.expression]


POSTGRES = Dialect(
    mark="%s", text_match=_text_match, time=to_db, tag_equals="lower(t.name) = lower(%s)"
)


def clamp(expression: str) -> str:
    """`expression` kept within 0 and 1."""
    return f"greatest(0.0, least(1.0, {expression}))"
