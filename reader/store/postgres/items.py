"""Items: writing what an update found, listing, marking and pruning."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import psycopg

from reader.exceptions import ItemNotFoundError
from reader.models import (
    FeedUpdate,
    FeedWrite,
    Item,
    ItemFilter,
    ItemVersion,
    ItemWrite,
    Rule,
    SortOrder,
    WriteCounts,
)
from reader.query import mentions_state
from reader.store.postgres._base import (
    ITEM_COLUMNS_FULL,
    ITEM_COLUMNS_LIGHT,
    item_from_row,
    normalize_tag,
    text_list,
)
from reader.store.postgres._db import from_db, to_db
from reader.store.postgres.feeds import FeedsMixin
from reader.store.postgres.query import POSTGRES, clamp
from reader.store.querysql import query_condition
from reader.store.rows import backlog_date, pack_enclosures
from reader.store.rules import apply_rules, first_tag_id

_ORDER = {
    SortOrder.NEWEST: "i.sort_date DESC, i.id DESC",
    SortOrder.OLDEST: "i.sort_date ASC, i.id ASC",
    # Unscored items last, as SQLite sorts NULL lowest; `items_by_score_date` serves this.
    SortOrder.RELEVANCE: "i.score DESC NULLS LAST, i.sort_date DESC, i.id DESC",
}

_NEW_ITEM_COLUMNS = (
    "source_id, identity, title, link, author, published, updated, first_seen, sort_date,"
    " content_html, text, summary, source_names, content_hash, score, score_terms, enclosures,"
    " full_text"
)


def filter_sql(where: ItemFilter, now: datetime | None = None) -> tuple[str, list[object]]:
    """The WHERE clause (over `items i`) and its parameters for a filter; `now` (default:
    the clock) anchors a query's ``newer:`` and ``older:``."""
    clauses: list[str] = []
    params: list[object] = []
    if where.query is not None:
        sql, query_params = query_condition(where.query, now or datetime.now(UTC), POSTGRES)
        clauses.append(f"({sql})")
        params += query_params
    if (
        where.hidden is not None
        and where.ids is None
        and not (where.query is not None and mentions_state(where.query, "hidden"))
    ):
        clauses.append("i.hidden" if where.hidden else "NOT i.hidden")
    if where.unread:
        clauses.append("NOT i.read")
    if where.starred:
        clauses.append("i.starred")
    if where.tag is not None:
        clauses.append(POSTGRES.tag_condition())
        name = normalize_tag(where.tag)
        params += [name, name]
    if where.source is not None:
        clauses.append(
            "i.source_id IN (SELECT id FROM sources WHERE url = %s"
            " OR lower(coalesce(user_title, title)) = lower(%s))"
        )
        params += [where.source, where.source]
    if where.source_id is not None:
        clauses.append("i.source_id = %s")
        params.append(where.source_id)
    if where.story_id is not None:
        clauses.append("i.story_id = %s")
        params.append(where.story_id)
    if where.min_score is not None:
        clauses.append("i.score >= %s")
        params.append(where.min_score)
    if where.ids is not None:
        clauses.append("i.id = ANY(%s)")
        params.append(list(where.ids))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


class ItemsMixin(FeedsMixin):
    def get_item_versions(self, source_id: int) -> dict[str, ItemVersion]:
        def work(conn: psycopg.Connection) -> dict[str, ItemVersion]:
            versions = {
                str(identity): ItemVersion(str(identity), content_hash, from_db(updated))
                for identity, content_hash, updated in conn.execute(
                    "SELECT identity, content_hash, updated FROM items WHERE source_id = %s",
                    (source_id,),
                )
            }
            for (identity,) in conn.execute(
                "SELECT identity FROM deleted_items WHERE source_id = %s", (source_id,)
            ):
                versions[str(identity)] = ItemVersion(str(identity), None, None, deleted=True)
            return versions

        return self._db.read_consistent(work)

    def write_items(
        self,
        source_id: int,
        items: Sequence[ItemWrite],
        *,
        now: datetime,
        feed_url: str | None = None,
        feed_update: FeedUpdate | None = None,
    ) -> WriteCounts:
        return self._db.write(
            lambda conn: self._write_items_in(conn, source_id, items, now, feed_url, feed_update)
        )

    def write_feeds(
        self, writes: Sequence[FeedWrite], *, rules: Sequence[Rule] = ()
    ) -> list[WriteCounts]:
        def work(conn: psycopg.Connection) -> list[WriteCounts]:
            counts = [
                self._write_items_in(
                    conn, w.source_id, w.items, w.feed_update.checked, w.feed_url, w.feed_update
                )
                for w in writes
            ]
            new_ids = [i for c in counts for i in c.new_ids]
            if rules and new_ids:
                tag_id = functools.partial(first_tag_id, self._tag_ids, conn)
                apply_rules(conn, POSTGRES, rules, new_ids, tag_id, clamp)
            return counts

        return self._db.write(work)

    def _write_items_in(
        self,
        conn: psycopg.Connection,
        source_id: int,
        items: Sequence[ItemWrite],
        now: datetime,
        feed_url: str | None,
        feed_update: FeedUpdate | None,
    ) -> WriteCounts:
        """`write_items` inside an open write transaction."""
        if not items:  # only the feed's own state changes (a 304, an error)
            if feed_update is not None and feed_url is not None:
                self._apply_feed_update(conn, feed_url, feed_update)
            return WriteCounts()
        # The feed's row lock makes writers of one feed take turns (and keeps it from being
        # removed under us), so reading its hashes here never duplicates or loses an update.
        conn.execute("SELECT 1 FROM sources WHERE id = %s FOR UPDATE", (source_id,))
        if feed_update is not None and feed_update.title is not None:
            self._set_source_title(conn, source_id, feed_update.title)
        known: dict[str, str | None] = dict(
            conn.execute(
                "SELECT identity, content_hash FROM items WHERE source_id = %s", (source_id,)
            ).fetchall()
        )
        deleted = {
            str(r[0])
            for r in conn.execute(
                "SELECT identity FROM deleted_items WHERE source_id = %s", (source_id,)
            )
        }
        seen = to_db(now)
        backlog = to_db(backlog_date(items, known, deleted))
        pending: list[tuple[Any, ...]] = []
        new = updated = 0
        new_ids: list[int] = []

        def flush() -> None:
            # COPY is PostgreSQL's fastest way in; the row trigger indexes each item.
            if pending:
                with conn.cursor().copy(f"COPY items ({_NEW_ITEM_COLUMNS}) FROM STDIN") as copy:
                    for row in pending:
                        copy.write_row(row)
                # COPY returns no ids: read them back by identity, in document order.
                identities = [str(row[1]) for row in pending]
                found: dict[str, int] = {
                    str(identity): int(id_)
                    for identity, id_ in conn.execute(
                        "SELECT identity, id FROM items WHERE source_id = %s"
                        " AND identity = ANY(%s)",
                        (source_id, identities),
                    )
                }
                new_ids.extend(int(found[identity]) for identity in identities)
                pending.clear()

        for item in items:
            if item.identity in deleted:
                continue
            published, updated_at = to_db(item.published), to_db(item.updated)
            if item.identity not in known:
                pending.append(
                    (
                        source_id,
                        item.identity,
                        item.title,
                        item.link,
                        item.author,
                        published,
                        updated_at,
                        seen,
                        published or updated_at or backlog or seen,
                        item.content_html,
                        item.text,
                        item.summary,
                        text_list(item.source_names),
                        item.content_hash,
                        item.score,
                        text_list(item.score_terms),
                        pack_enclosures(item.enclosures),
                        item.full_text,
                    )
                )
                known[item.identity] = item.content_hash
                new += 1
            elif known[item.identity] != item.content_hash:
                # Changed upstream: new content in place; read, starred and tags stay.
                flush()  # an identity repeated in `items` may be waiting to be inserted
                conn.execute(
                    "UPDATE items SET title = %s, link = %s, author = %s, published = %s,"
                    " updated = %s, sort_date = coalesce(%s, %s, sort_date),"
                    " content_html = %s, text = %s, summary = %s, source_names = %s,"
                    " content_hash = %s, full_text = %s,"
                    " score = coalesce(greatest(0.0, least(1.0, %s + score_adjust)), score),"
                    " score_terms = coalesce(%s, score_terms), enclosures = %s"
                    " WHERE source_id = %s AND identity = %s",
                    (
                        item.title,
                        item.link,
                        item.author,
                        published,
                        updated_at,
                        published,
                        updated_at,
                        item.content_html,
                        item.text,
                        item.summary,
                        text_list(item.source_names),
                        item.content_hash,
                        item.full_text,
                        item.score,
                        text_list(item.score_terms),
                        pack_enclosures(item.enclosures),
                        source_id,
                        item.identity,
                    ),
                )
                known[item.identity] = item.content_hash
                updated += 1
        flush()
        if feed_update is not None and feed_url is not None:
            if new or updated:
                feed_update = replace(feed_update, updated_items=True)
            self._apply_feed_update(conn, feed_url, feed_update)
        return WriteCounts(new=new, updated=updated, new_ids=tuple(new_ids))

    def get_item(self, item_id: int) -> Item:
        def work(conn: psycopg.Connection) -> Item:
            row = conn.execute(
                f"SELECT {ITEM_COLUMNS_FULL} FROM items i JOIN sources s ON s.id = i.source_id"
                " WHERE i.id = %s",
                (item_id,),
            ).fetchone()
            if row is None:
                raise ItemNotFoundError(item_id)
            return item_from_row(row, with_content=True)

        return self._db.read(work)

    def get_items(
        self,
        where: ItemFilter = ItemFilter(),
        *,
        sort: SortOrder = SortOrder.NEWEST,
        limit: int | None = None,
        offset: int = 0,
        with_content: bool = False,
    ) -> list[Item]:
        clause, params = filter_sql(where)
        columns = ITEM_COLUMNS_FULL if with_content else ITEM_COLUMNS_LIGHT
        sql = (
            f"SELECT {columns} FROM items i JOIN sources s ON s.id = i.source_id{clause}"
            f" ORDER BY {_ORDER[sort]} LIMIT %s OFFSET %s"
        )
        params += [limit, offset]
        return self._db.read(
            lambda conn: [
                item_from_row(r, with_content=with_content) for r in conn.execute(sql, params)
            ]
        )

    def count_items(self, where: ItemFilter = ItemFilter()) -> int:
        clause, params = filter_sql(where)
        sql = f"SELECT count(*) FROM items i{clause}"
        return self._db.read(lambda conn: int(_scalar(conn.execute(sql, params))))

    def get_item_ids(self, source_id: int) -> dict[str, int]:
        return self._db.read(
            lambda conn: {
                str(identity): int(id_)
                for id_, identity in conn.execute(
                    "SELECT id, identity FROM items WHERE source_id = %s", (source_id,)
                )
            }
        )

    def mark_items(
        self, ids: Iterable[int], *, read: bool | None = None, starred: bool | None = None
    ) -> int:
        id_list = list(dict.fromkeys(int(i) for i in ids))
        if not id_list:
            return 0
        sets: list[str] = []
        params: list[object] = []
        if read is not None:
            sets.append("read = %s")
            params.append(read)
        if starred is not None:
            sets.append("starred = %s")
            params.append(starred)

        sql = (
            f"UPDATE items SET {', '.join(sets)} WHERE id = ANY(%s) RETURNING id"
            if sets
            else "SELECT id FROM items WHERE id = ANY(%s)"
        )

        def work(conn: psycopg.Connection) -> int:
            found = {int(r[0]) for r in conn.execute(sql, (*params, id_list))}
            missing = [i for i in id_list if i not in found]
            if missing:  # raised inside the transaction: nothing is changed
                raise ItemNotFoundError(*missing)
            return len(found)

        return self._db.write(work)

    def mark_all_read(self, where: ItemFilter = ItemFilter()) -> int:
        clause, params = filter_sql(where)
        clause = (clause + " AND NOT i.read") if clause else " WHERE NOT i.read"
        sql = f"UPDATE items SET read = true WHERE id IN (SELECT i.id FROM items i{clause})"
        return self._db.write(lambda conn: int(conn.execute(sql, params).rowcount))

    def delete_items(self, source_id: int, identities: Sequence[str]) -> int:
        return self._db.write(
            lambda conn: int(
                conn.execute(
                    "DELETE FROM items WHERE source_id = %s AND identity = ANY(%s)",
                    (source_id, list(identities)),
                ).rowcount
            )
        )

    def prune_items(
        self, before: datetime, *, keep_per_feed: int = 0, limit: int | None = None
    ) -> int:
        sql = """
            WITH candidates AS (
                SELECT id, source_id, identity FROM (
                    SELECT i.id, i.source_id, i.identity, i.read, i.starred, i.first_seen,
                        i.sort_date,
                        row_number() OVER (
                            PARTITION BY i.source_id ORDER BY i.sort_date DESC) AS n
                    FROM items i JOIN sources s ON s.id = i.source_id WHERE s.kind = 'feed'
                ) ranked
                WHERE n > %(keep)s AND read AND NOT starred AND first_seen < %(before)s
                  AND NOT EXISTS (SELECT 1 FROM item_tags it WHERE it.item_id = ranked.id)
                ORDER BY sort_date, id
                LIMIT %(limit)s
            ),
            tombstones AS (
                INSERT INTO deleted_items (source_id, identity, deleted)
                SELECT source_id, identity, %(before)s FROM candidates
                ON CONFLICT DO NOTHING
            )
            DELETE FROM items WHERE id IN (SELECT id FROM candidates)
        """
        params = {"keep": keep_per_feed, "before": to_db(before), "limit": limit}
        return self._db.write(lambda conn: int(conn.execute(sql, params).rowcount))


def _scalar(cursor: psycopg.Cursor[Any]) -> Any:
    row = cursor.fetchone()
    assert row is not None
    return row[0]
