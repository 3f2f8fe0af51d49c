"""Rules at ingest, for either backend: each rule's query run over the items just inserted,
its action applied.

This runs inside the transaction that inserted the items, so no reader ever sees a new item
before its rules did their work, and its cost follows the new items: the query is limited to
their ids (and its full-text part, where the index allows, to their id range).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from reader.models import Rule, RuleAction, RuleActionKind
from reader.store.querysql import Dialect, query_condition

_CHUNK = 500


class Connection(Protocol):
    """What both backends' connections offer here."""

    def execute(self, sql: Any, params: Sequence[Any] = ..., /) -> Any: ...


def first_tag_id(
    tag_ids: Callable[[Any, Sequence[str]], list[int]], conn: Connection, name: str
) -> int:
    """The id of the tag `name` through a store's ``_tag_ids(conn, names)`` (creating it)."""
    [found] = tag_ids(conn, [name])
    return found


def _marks(dialect: Dialect, count: int) -> str:
    return ",".join([dialect.mark] * count)


def matching_ids(
    conn: Connection, dialect: Dialect, rule: Rule, ids: Sequence[int], now: datetime
) -> list[int]:
    """Which of `ids` the rule's query finds."""
    found: list[int] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        condition, params = query_condition(
            rule.node, now, dialect, id_range=(min(chunk), max(chunk))
        )
        sql = (
            f"SELECT i.id FROM items i WHERE i.id IN ({_marks(dialect, len(chunk))})"
            f" AND ({condition})"
        )
        found += [int(r[0]) for r in conn.execute(sql, [*chunk, *params]).fetchall()]
    return found


def apply_rules(
    conn: Connection,
    dialect: Dialect,
    rules: Sequence[Rule],
    ids: Sequence[int],
    tag_id: Callable[[str], int],
    clamp: Callable[[str], str],
) -> int:
    """Apply each rule, in order, to the items of `ids` its query finds; return how many
    (item, rule) matches there were. `tag_id` gives a tag's id (creating it), `clamp` writes
    an SQL expression kept within 0 and 1. Inside an open write transaction."""
    now = datetime.now(UTC)
    hits = 0
    for rule in rules:
        matched = matching_ids(conn, dialect, rule, ids, now)
        if matched:
            apply_action(conn, dialect, rule.action, matched, tag_id, clamp)
            hits += len(matched)
    return hits


def apply_action(
    conn: Connection,
    dialect: Dialect,
    action: RuleAction,
    ids: Sequence[int],
    tag_id: Callable[[str], int],
    clamp: Callable[[str], str],
) -> None:
    """Do `action` to the items `ids` (which exist). Nothing here ever deletes."""
    mark = dialect.mark
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        where = f" WHERE id IN ({_marks(dialect, len(chunk))})"
        if action.kind is RuleActionKind.MARK_READ:
            conn.execute("UPDATE items SET read = TRUE" + where, chunk)
        elif action.kind is RuleActionKind.STAR:
            conn.execute("UPDATE items SET starred = TRUE" + where, chunk)
        elif action.kind is RuleActionKind.HIDE:
            conn.execute("UPDATE items SET hidden = TRUE" + where, chunk)
        elif action.kind is RuleActionKind.SCORE:
            # The change is kept apart (score_adjust) so a later re-scoring adds it again.
            conn.execute(
                f"UPDATE items SET score_adjust = score_adjust + {mark},"
                f" score = {clamp(f'coalesce(score, 0.0) + {mark}')}" + where,
                [action.score_delta, action.score_delta, *chunk],
            )
        elif action.kind is RuleActionKind.TAG and action.tag:
            tag = tag_id(action.tag)
            for item_id in chunk:
                conn.execute(
                    f"INSERT INTO item_tags (item_id, tag_id) VALUES ({mark}, {mark})"
                    " ON CONFLICT DO NOTHING",
                    [item_id, tag],
                )
