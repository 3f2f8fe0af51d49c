"""Items: writing what an update found, listing, marking and pruning."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

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
from reader.store.querysql import query_condition
from reader.store.rows import backlog_date, pack_enclosures
from reader.store.rules import apply_rules, first_tag_id
from reader.store.sqlite._base import (
    ITEM_COLUMNS_FULL,
    ITEM_COLUMNS_LIGHT,
    item_from_row,
    pack_list,
)
from reader.store.sqlite._db import from_db, to_db
from reader.store.sqlite.feeds import FeedsMixin
from reader.store.sqlite.query import SQLITE, clamp

_ORDER = {
    SortOrder.NEWEST: "i.sort_date DESC, i.id DESC",
    SortOrder.OLDEST: "i.sort_date ASC, i.id ASC",
    # SQLite sorts NULL lowest, so unscored items come last; an index scan serves this order.
    SortOrder.RELEVANCE: "i.score DESC, i.sort_date DESC, i.id DESC",
}


def filter_sql(where: ItemFilter, now: datetime | None = None) -> tuple[str, list[object]]:
    """The WHERE clause (over `items i`) and its parameters for a filter; `now` (default:
    the clock) anchors a query's ``newer:`` and ``older:``."""
    clauses: list[str] = []
    params: list[object] = []
    if where.query is not None:
        id_range = (min(where.ids), max(where.ids)) if where.ids else None
        sql, query_params = query_condition(
            where.query, now or datetime.now(UTC), SQLITE, id_range=id_range
        )
        clauses.append(f"({sql})")
        params += query_params
    if (
        where.hidden is not None
        and where.ids is None
        and not (where.query is not None and mentions_state(where.query, "hidden"))
    ):
        clauses.append("i.hidden = 1" if where.hidden else "i.hidden = 0")
    if where.unread:
        # With `starred`, the starred index finds the few starred items: `+` keeps SQLite from
        # taking the unread index, which matches more clauses but most of the table.
        clauses.append("+i.read = 0" if where.starred else "i.read = 0")
    if where.starred:
        clauses.append("i.starred = 1")
    if where.tag is not None:
        clauses.append(SQLITE.tag_condition())
        name = " ".join(where.tag.split())
        params += [name, name]
    if where.source is not None:
        clauses.append(
            "i.source_id IN (SELECT id FROM sources WHERE url = ?"
            " OR coalesce(user_title, title) = ? COLLATE NOCASE)"
        )
        params += [where.source, where.source]
    if where.source_id is not None:
        clauses.append("i.source_id = ?")
        params.append(where.source_id)
    if where.story_id is not None:
        clauses.append("i.story_id = ?")
        params.append(where.story_id)
    if where.min_score is not None:
        clauses.append("i.score >= ?")
        params.append(where.min_score)
    if where.ids is not None:
        clauses.append(f"i.id IN ({','.join('?' * len(where.ids))})" if where.ids else "0")
        params += list(where.ids)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _last_item_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM items").fetchone()[0])


def _index_items_after(conn: sqlite3.Connection, last_id: int) -> None:
    """Add the items inserted after `last_id` to the full-text index, in one statement.

    A row id is above every id before it (`INTEGER PRIMARY KEY` picks max + 1), and this runs
    in the inserting transaction, so exactly the new rows are indexed. One statement rather
    than a trigger per row: see schema version 4.
    """
    conn.execute(
        "INSERT INTO items_fts (rowid, title, author, source, body)"
        " SELECT id, title, author, source, body FROM items_search_text WHERE id > ?",
        (last_id,),
    )


class _Unindexed:
    """The rows one write transaction inserted and has not yet added to the full-text index.

    They are indexed once per transaction, in one statement (per feed, the index cost a
    third more on a first update of 300 feeds). Until then no statement may fire a trigger
    that takes a pending row's terms out of the index (they are not in it yet): an update of
    an item of a feed with pending rows, or a change of that feed's name, indexes them first
    (`before_touching`).
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.after = _last_item_id(conn)
        """Rows above this id are this transaction's and not yet indexed."""
        self.sources: set[int] = set()
        """The feeds those rows belong to."""

    def inserted(self, source_id: int) -> None:
        self.sources.add(source_id)

    def before_touching(self, source_id: int) -> None:
        """Index the pending rows before a statement whose triggers re-index `source_id`'s."""
        if source_id in self.sources:
            self.index()

    def index(self) -> None:
        if self.sources:
            _index_items_after(self.conn, self.after)
            self.after = _last_item_id(self.conn)
            self.sources.clear()


class ItemsMixin(FeedsMixin):
    def get_item_versions(self, source_id: int) -> dict[str, ItemVersion]:
        with self._db.read() as conn:
            versions = {
                str(identity): ItemVersion(str(identity), content_hash, from_db(updated))
                for identity, content_hash, updated in conn.execute(
                    "SELECT identity, content_hash, updated FROM items WHERE source_id = ?",
                    (source_id,),
                )
            }
            for (identity,) in conn.execute(
                "SELECT identity FROM deleted_items WHERE source_id = ?", (source_id,)
            ):
                versions[str(identity)] = ItemVersion(str(identity), None, None, deleted=True)
        return versions

    def write_items(
        self,
        source_id: int,
        items: Sequence[ItemWrite],
        *,
        now: datetime,
        feed_url: str | None = None,
        feed_update: FeedUpdate | None = None,
    ) -> WriteCounts:
        with self._db.write() as conn:
            unindexed = _Unindexed(conn)
            counts = self._write_items_in(
                conn, unindexed, source_id, items, now, feed_url, feed_update
            )
            unindexed.index()
            return counts

    def write_feeds(
        self, writes: Sequence[FeedWrite], *, rules: Sequence[Rule] = ()
    ) -> list[WriteCounts]:
        with self._db.write() as conn:
            unindexed = _Unindexed(conn)
            counts = [
                self._write_items_in(
                    conn,
                    unindexed,
                    w.source_id,
                    w.items,
                    w.feed_update.checked,
                    w.feed_url,
                    w.feed_update,
                )
                for w in writes
            ]
            unindexed.index()
            new_ids = [i for c in counts for i in c.new_ids]
            if rules and new_ids:
                tag_id = functools.partial(first_tag_id, self._tag_ids, conn)
                apply_rules(conn, SQLITE, rules, new_ids, tag_id, clamp)
            return counts

    def _write_items_in(
        self,
        conn: sqlite3.Connection,
        unindexed: _Unindexed,
        source_id: int,
        items: Sequence[ItemWrite],
        now: datetime,
        feed_url: str | None,
        feed_update: FeedUpdate | None,
    ) -> WriteCounts:
        """`write_items` inside an open write transaction; the rows it inserts are left to
        `unindexed` to index."""
        new = updated = 0
        new_ids: list[int] = []
        seen = to_db(now)
        if not items:  # only the feed's own state changes (a 304, an error)
            if feed_update is not None and feed_url is not None:
                unindexed.before_touching(source_id)
                self._apply_feed_update(conn, feed_url, feed_update)
            return WriteCounts()
        if feed_update is not None and feed_update.title is not None:
            unindexed.before_touching(source_id)
            self._set_source_title(conn, source_id, feed_update.title)
        # Read the current hashes inside the write transaction, so two writers racing on
        # one feed (two daemons) still never duplicate or lose an update.
        known = dict(
            conn.execute(
                "SELECT identity, content_hash FROM items WHERE source_id = ?", (source_id,)
            ).fetchall()
        )
        deleted = {
            r[0]
            for r in conn.execute(
                "SELECT identity FROM deleted_items WHERE source_id = ?", (source_id,)
            )
        }
        backlog = to_db(backlog_date(items, known, deleted))
        # New rows go in with one executemany per feed (in document order, as before):
        # per-statement overhead was a visible share of the store thread's time.
        pending: list[tuple[object, ...]] = []

        def flush() -> None:
            if pending:
                last_id = _last_item_id(conn)
                conn.executemany(
                    "INSERT INTO items (source_id, identity, title, link, author, published,"
                    " updated, first_seen, sort_date, content_html, text, summary,"
                    " source_names, content_hash, score, score_terms, enclosures, full_text)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    pending,
                )
                pending.clear()
                unindexed.inserted(source_id)
                new_ids.extend(
                    int(r[0])
                    for r in conn.execute(
                        "SELECT id FROM items WHERE id > ? ORDER BY id", (last_id,)
                    )
                )

        for item in items:
            if item.identity in deleted:
                continue
            published, updated_at = to_db(item.published), to_db(item.updated)
            sort_date = published or updated_at or backlog or seen
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
                        sort_date,
                        item.content_html,
                        item.text,
                        item.summary,
                        pack_list(item.source_names),
                        item.content_hash,
                        item.score,
                        pack_list(item.score_terms),
                        pack_enclosures(item.enclosures),
                        int(item.full_text),
                    )
                )
                known[item.identity] = item.content_hash
                new += 1
            elif known[item.identity] != item.content_hash:
                # Changed upstream: new content in place; read, starred and tags stay.
                flush()  # an identity repeated in `items` may be waiting to be inserted
                # Indexed before it is updated: the update trigger removes the row's old terms
                # from the index, which must be there.
                unindexed.before_touching(source_id)
                conn.execute(
                    "UPDATE items SET title = ?, link = ?, author = ?, published = ?,"
                    " updated = ?, sort_date = coalesce(?, ?, sort_date),"
                    " content_html = ?, text = ?, summary = ?, source_names = ?,"
                    " content_hash = ?, full_text = ?,"
                    " score = coalesce(max(0.0, min(1.0, ? + score_adjust)), score),"
                    " score_terms = coalesce(?, score_terms), enclosures = ?"
                    " WHERE source_id = ? AND identity = ?",
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
                        pack_list(item.source_names),
                        item.content_hash,
                        int(item.full_text),
                        item.score,
                        pack_list(item.score_terms),
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
                feed_update = _with_updated(feed_update)
            if feed_update.new_url is not None:
                # A move may change the feed's name (a feed without a title goes by its URL),
                # which re-indexes its rows; its title was set before they were inserted.
                unindexed.before_touching(source_id)
            self._apply_feed_update(conn, feed_url, feed_update)
        return WriteCounts(new=new, updated=updated, new_ids=tuple(new_ids))

    def get_item(self, item_id: int) -> Item:
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {ITEM_COLUMNS_FULL} FROM items i JOIN sources s ON s.id = i.source_id"
                " WHERE i.id = ?",
                (item_id,),
            ).fetchone()
        if row is None:
            raise ItemNotFoundError(item_id)
        return item_from_row(row, with_content=True)

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
            f" ORDER BY {_ORDER[sort]} LIMIT ? OFFSET ?"
        )
        params += [-1 if limit is None else limit, offset]
        with self._db.read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [item_from_row(r, with_content=with_content) for r in rows]

    def count_items(self, where: ItemFilter = ItemFilter()) -> int:
        clause, params = filter_sql(where)
        with self._db.read() as conn:
            row = conn.execute(f"SELECT count(*) FROM items i{clause}", params).fetchone()
        return int(row[0])

    def get_item_ids(self, source_id: int) -> dict[str, int]:
        with self._db.read() as conn:
            return {
                str(identity): int(id_)
                for id_, identity in conn.execute(
                    "SELECT id, identity FROM items WHERE source_id = ?", (source_id,)
                )
            }

    def mark_items(
        self, ids: Iterable[int], *, read: bool | None = None, starred: bool | None = None
    ) -> int:
        ids = list(dict.fromkeys(ids))
        sets: list[str] = []
        params: list[object] = []
        if read is not None:
            sets.append("read = ?")
            params.append(int(read))
        if starred is not None:
            sets.append("starred = ?")
            params.append(int(starred))
        if not ids:
            return 0
        with self._db.write() as conn:
            found: set[int] = set()
            for chunk in _chunks(ids, 500):
                marks = ",".join("?" * len(chunk))
                found.update(
                    int(r[0])
                    for r in conn.execute(f"SELECT id FROM items WHERE id IN ({marks})", chunk)
                )
                if sets:
                    conn.execute(
                        f"UPDATE items SET {', '.join(sets)} WHERE id IN ({marks})",
                        params + list(chunk),
                    )
            missing = [i for i in ids if i not in found]
            if missing:  # raised inside the transaction: nothing is changed
                raise ItemNotFoundError(*missing)
        return len(found)

    def mark_all_read(self, where: ItemFilter = ItemFilter()) -> int:
        clause, params = filter_sql(where)
        clause = (clause + " AND i.read = 0") if clause else " WHERE i.read = 0"
        with self._db.write() as conn:
            cursor = conn.execute(
                f"UPDATE items SET read = 1 WHERE id IN (SELECT i.id FROM items i{clause})",
                params,
            )
        return int(cursor.rowcount)

    def delete_items(self, source_id: int, identities: Sequence[str]) -> int:
        removed = 0
        with self._db.write() as conn:
            for chunk in _chunks(list(identities), 500):
                cursor = conn.execute(
                    f"DELETE FROM items WHERE source_id = ? AND identity IN"
                    f" ({','.join('?' * len(chunk))})",
                    [source_id, *chunk],
                )
                removed += int(cursor.rowcount)
        return removed

    def prune_items(
        self, before: datetime, *, keep_per_feed: int = 0, limit: int | None = None
    ) -> int:
        # Oldest first, so a batch (`limit`) takes what has waited longest; the marks are
        # read inside the write transaction, so an item starred meanwhile is never pruned.
        candidates = """
            SELECT id, source_id, identity FROM (
                SELECT i.id, i.source_id, i.identity, i.read, i.starred, i.first_seen,
                    i.sort_date,
                    row_number() OVER (PARTITION BY i.source_id ORDER BY i.sort_date DESC) AS n
                FROM items i JOIN sources s ON s.id = i.source_id WHERE s.kind = 'feed'
            )
            WHERE n > ? AND read = 1 AND starred = 0 AND first_seen < ?
              AND NOT EXISTS (SELECT 1 FROM item_tags it WHERE it.item_id = id)
            ORDER BY sort_date, id
            LIMIT ?
        """
        stamp = to_db(before)
        with self._db.write() as conn:
            rows = conn.execute(
                candidates, (keep_per_feed, stamp, -1 if limit is None else limit)
            ).fetchall()
            conn.executemany(
                "INSERT OR IGNORE INTO deleted_items (source_id, identity, deleted)"
                " VALUES (?, ?, ?)",
                [(r[1], r[2], stamp) for r in rows],
            )
            for chunk in _chunks([int(r[0]) for r in rows], 500):
                conn.execute(f"DELETE FROM items WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        return len(rows)


def _with_updated(update: FeedUpdate) -> FeedUpdate:
    return replace(update, updated_items=True)


def _chunks(values: Sequence[int] | Sequence[str], size: int) -> Iterable[list[object]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])
