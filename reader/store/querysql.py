"""A whole query tree (`reader.query`: words and filters) compiled to a WHERE condition over
`items i`, for either backend.

Each run of words goes to the backend's full-text index as one lookup (SQLite: an FTS5 MATCH;
PostgreSQL: a tsquery), which the backend's `Dialect` writes; filters become plain conditions
written once for both; ``-``, ``AND`` and ``OR`` become SQL's own. The condition runs wherever
a listing, a count, a mark or a rule does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from reader.exceptions import InvalidSearchQueryError
from reader.query import (
    FILTER_TYPES,
    AgeIs,
    And,
    FeedIs,
    Field,
    Not,
    Or,
    QueryNode,
    ScoreIs,
    StateIs,
    StoryIs,
    TagIs,
    has_filters,
)

IdRange = tuple[int, int] | None
"""The least and greatest item id a query is asked about, when the caller knows them."""


@dataclass(frozen=True)
class Dialect:
    """What differs between the backends in a query's SQL."""

    mark: str
    """The parameter placeholder (``?`` or ``%s``)."""
    text_match: Callable[[QueryNode, IdRange], tuple[str, list[object]]]
    """Words (no filters) to a condition over `items i` and its parameters; raises
    `InvalidSearchQueryError` for what the index cannot say in one lookup (``a OR -b``)."""
    time: Callable[[datetime], object]
    """A time as the backend stores it."""
    tag_equals: str
    """``t.name`` compared with one parameter, without case (``t.name = ?`` under NOCASE)."""

    def tag_condition(self) -> str:
        """Items tagged so, on the item or on its feed (two parameters: the name twice)."""
        return (
            "(EXISTS (SELECT 1 FROM item_tags it JOIN tags t ON t.id = it.tag_id"
            f" WHERE it.item_id = i.id AND {self.tag_equals})"
            " OR EXISTS (SELECT 1 FROM source_tags st JOIN tags t ON t.id = st.tag_id"
            f" WHERE st.source_id = i.source_id AND {self.tag_equals}))"
        )


_STATES = {
    "unread": "NOT i.read",
    "read": "i.read",
    "starred": "i.starred",
    "unstarred": "NOT i.starred",
    "hidden": "i.hidden",
    "tagged": "EXISTS (SELECT 1 FROM item_tags it WHERE it.item_id = i.id)",
}


def query_condition(
    node: QueryNode, now: datetime, dialect: Dialect, *, id_range: IdRange = None
) -> tuple[str, list[object]]:
    """The condition over `items i` that holds for the items `node` finds, and its
    parameters; `now` anchors ``newer:`` and ``older:``. With `id_range`, the full-text
    lookups may read only that stretch of the index (rules on new items cost what they
    touch)."""
    return _Compiler(now, dialect, id_range).condition(node)


@dataclass(frozen=True)
class _Compiler:
    now: datetime
    dialect: Dialect
    id_range: IdRange

    def condition(self, node: QueryNode) -> tuple[str, list[object]]:
        if not has_filters(node):
            try:
                return self.dialect.text_match(node, self.id_range)
            except InvalidSearchQueryError:
                if not isinstance(node, And | Or | Not):
                    raise
                # The index cannot say "a OR -b" in one lookup; SQL can, a part at a time.
        if isinstance(node, Not):
            inner, params = self.condition(node.query)
            return f"NOT ({inner})", params
        if isinstance(node, And):
            # Words side by side are one index lookup, filters each a condition.
            text = [p for p in node.parts if not has_filters(p)]
            rest = [p for p in node.parts if has_filters(p)]
            parts = [*([_combined(text)] if text else []), *rest]
            return self.joined(" AND ", parts)
        if isinstance(node, Or):
            return self.joined(" OR ", list(node.parts))
        if isinstance(node, Field):  # a filter inside a field: the field does not apply
            return self.condition(node.query)
        if isinstance(node, FILTER_TYPES):
            return self.filter(node)
        raise AssertionError(f"unexpected query node {node!r}")

    def joined(self, glue: str, parts: list[QueryNode]) -> tuple[str, list[object]]:
        sqls: list[str] = []
        params: list[object] = []
        for part in parts:
            sql, part_params = self.condition(part)
            sqls.append(f"({sql})")
            params += part_params
        return glue.join(sqls), params

    def filter(self, node: QueryNode) -> tuple[str, list[object]]:
        mark = self.dialect.mark
        if isinstance(node, TagIs):
            return self.dialect.tag_condition(), [node.name, node.name]
        if isinstance(node, FeedIs):
            escaped = node.name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            return (
                f"i.source_id IN (SELECT id FROM sources WHERE url = {mark}"
                f" OR lower(coalesce(user_title, title, url)) LIKE lower({mark}) ESCAPE '\\')",
                [node.name, f"%{escaped}%"],
            )
        if isinstance(node, StateIs):
            return _STATES[node.state], []
        if isinstance(node, ScoreIs):
            return f"i.score {node.operator} {mark}", [node.value]
        if isinstance(node, StoryIs):
            if node.story_id is not None:
                return f"i.story_id = {mark}", [node.story_id]
            return (
                "i.story_id IN (SELECT story_id FROM items WHERE story_id IS NOT NULL"
                f" GROUP BY story_id HAVING count(DISTINCT source_id) >= {mark})",
                [node.min_sources],
            )
        if isinstance(node, AgeIs):
            since = self.dialect.time(self.now - timedelta(seconds=node.seconds))
            return (f"i.sort_date >= {mark}" if node.newer else f"i.sort_date < {mark}"), [since]
        raise AssertionError(f"unexpected filter {node!r}")


def _combined(parts: list[QueryNode]) -> QueryNode:
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def ranked_words(node: QueryNode) -> tuple[QueryNode | None, QueryNode | None]:
    """A search split into its words (looked up and ranked by the index) and the rest
    (filters, and words mixed with them by OR), each None when empty."""
    if not has_filters(node):
        return node, None
    parts = node.parts if isinstance(node, And) else (node,)
    words = [p for p in parts if not has_filters(p)]
    rest = [p for p in parts if has_filters(p)]
    return (_combined(words) if words else None), (_combined(rest) if rest else None)
