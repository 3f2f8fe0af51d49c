"""Topic data: relevance scores and their queues, the story index, stories, and texts."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from reader.models import (
    IndexedItem,
    ItemFilter,
    RegroupWrite,
    SortOrder,
    Story,
    StoryCandidate,
    StoryCentroid,
    StoryChanges,
    StoryLead,
)
from reader.store.sqlite._base import pack_list, write_meta
from reader.store.sqlite._db import to_db
from reader.store.sqlite.items import ItemsMixin
from reader.store.sqlite.story_keys import pack_keys, unpack_keys
from reader.store.story_index import centroid_from_db, centroid_to_db, day_ranges, summed_candidates

_TEXT = (
    "coalesce(i.title, '') || char(10) || coalesce(i.summary, '') || char(10)"
    " || coalesce(i.text, '')"
)
_DAY = (
    "CAST(julianday(substr(coalesce(i.published, i.updated, i.first_seen), 1, 10))"
    " - 2440587.5 AS INTEGER)"
)
"""An item's day number (days since 1970-01-01): its own date, else when it was first seen
(not its sort date, which places an undated item among its feed's backlog)."""

_CHUNK = 500
"""Parameters per statement, well under SQLite's limit."""

_RESET_ROWS = 2000
"""Items taken out of their stories per statement when stories are cleared."""


class TopicMixin(ItemsMixin):
    # -- scores ----------------------------------------------------------------------------

    def set_scores(self, scores: Mapping[int, tuple[float, Sequence[str]]]) -> None:
        rows = [(float(s), pack_list(list(t)), int(i)) for i, (s, t) in scores.items()]
        with self._db.write() as conn:
            # A rule's score change (score_adjust) is added again to every fresh score. A row
            # whose score and terms stay is not written: a row holds the item's text, so
            # writing it costs most of re-scoring a big store, and after a profile change
            # about a third of the items still score 0 with no terms.
            conn.executemany(
                "UPDATE items SET score = max(0.0, min(1.0, ?1 + score_adjust)), score_terms = ?2"
                " WHERE id = ?3 AND (score IS NOT max(0.0, min(1.0, ?1 + score_adjust))"
                " OR score_terms IS NOT ?2)",
                rows,
            )

    def unscored_item_ids(self, *, limit: int) -> list[int]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT id FROM items WHERE score IS NULL ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        return [int(r[0]) for r in rows]

    def item_ids_after(self, after: int, *, limit: int) -> list[int]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT id FROM items WHERE id > ? ORDER BY id LIMIT ?", (after, limit)
            ).fetchall()
        return [int(r[0]) for r in rows]

    def texts_after(
        self, after: int, *, limit: int, max_chars: int, through: int | None = None
    ) -> list[tuple[int, str]]:
        last = (1 << 63) - 1 if through is None else through
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT i.id, substr({_TEXT}, 1, ?) FROM items i WHERE i.id > ? AND i.id <= ?"
                " ORDER BY i.id LIMIT ?",
                (max_chars, after, last, limit),
            ).fetchall()
        return [(int(r[0]), str(r[1])) for r in rows]

    def bulk_writes(self) -> AbstractContextManager[None]:
        return self._db.bulk()

    def get_texts(
        self,
        *,
        ids: Sequence[int] | None = None,
        since: datetime | None = None,
        max_chars: int | None = None,
    ) -> list[tuple[int, str]]:
        text = _TEXT if max_chars is None else f"substr({_TEXT}, 1, {int(max_chars)})"
        clauses: list[str] = []
        params: list[object] = []
        if since is not None:
            clauses.append("i.sort_date >= ?")
            params.append(to_db(since))
        where = (" AND " + " AND ".join(clauses)) if clauses else ""
        sql = f"SELECT i.id, {text} FROM items i WHERE 1{where}"
        with self._db.read() as conn:
            if ids is None:
                rows = conn.execute(sql + " ORDER BY i.id", params).fetchall()
            else:
                rows = []
                for start in range(0, len(ids), _CHUNK):
                    chunk = list(ids[start : start + _CHUNK])
                    marks = ",".join("?" * len(chunk))
                    rows += conn.execute(
                        f"{sql} AND i.id IN ({marks})", [*params, *chunk]
                    ).fetchall()
                rows.sort()
        return [(int(r[0]), str(r[1])) for r in rows]

    def sample_texts(self, *, limit: int, max_chars: int) -> list[str]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT substr({_TEXT}, 1, ?) FROM items i ORDER BY i.id DESC LIMIT ?",
                (max_chars, limit),
            ).fetchall()
        return [str(r[0]) for r in rows]

    # -- the story queue and index ---------------------------------------------------------

    def ungrouped_leads(self, *, limit: int, max_chars: int) -> list[StoryLead]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT i.id, i.source_id, {_DAY}, substr({_TEXT}, 1, ?) FROM items i"
                " WHERE i.grouped = 0 ORDER BY i.sort_date, i.id LIMIT ?",
                (max_chars, limit),
            ).fetchall()
        return [StoryLead(int(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in rows]

    def leads_after(
        self, after: str | None, *, limit: int, max_chars: int
    ) -> tuple[list[StoryLead], str | None]:
        where, params = "", []
        if after:
            date, _, item = after.rpartition("|")
            where, params = " WHERE (i.sort_date, i.id) > (?, ?)", [date, int(item)]
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT i.id, i.source_id, {_DAY}, substr({_TEXT}, 1, ?), i.sort_date"
                f" FROM items i{where} ORDER BY i.sort_date, i.id LIMIT ?",
                (max_chars, *params, limit),
            ).fetchall()
        leads = [StoryLead(int(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in rows]
        return leads, (f"{rows[-1][4]}|{rows[-1][0]}" if rows else None)

    def count_ungrouped(self) -> int:
        with self._db.read() as conn:
            return int(conn.execute("SELECT count(*) FROM items WHERE grouped = 0").fetchone()[0])

    def story_candidates(
        self, keys: Sequence[tuple[int, int, int, str, float]], *, story_days: int, floor: float
    ) -> list[StoryCandidate]:
        if not keys:
            return []
        # The index is read by day range (its first key), for the batch's terms only: one
        # range per cluster of the batch's days, so an item from long ago costs its own
        # window, not everything in between. Reports of the item's own source are not
        # candidates: a feed's boilerplate must not make its items one story, and the cost
        # would grow with the feed.
        wanted = {key[3] for key in keys}
        postings: dict[str, list[tuple[int, int, int, float]]] = {}
        seen: dict[int, tuple[int, int]] = {}
        with self._db.read() as conn:
            for first, last in day_ranges(sorted({key[2] for key in keys}), story_days):
                rows = conn.execute(
                    "SELECT item_id, source_id, day, terms, weights FROM story_keys"
                    " WHERE day BETWEEN ? AND ?",
                    (first - story_days, last + story_days),
                )
                for item, source, day, terms, weights in rows:
                    seen[item] = (source, day)
                    for term, weight in unpack_keys(terms, weights):
                        if term in wanted:
                            postings.setdefault(term, []).append((item, source, day, weight))
        passed = summed_candidates(keys, postings, story_days, floor)
        stories = self._story_ids(sorted({item for _, item, _ in passed}))
        return [
            StoryCandidate(lead, item, *seen[item], value, stories.get(item))
            for lead, item, value in passed
        ]

    def _story_ids(self, item_ids: Sequence[int]) -> dict[int, int]:
        """The story of each of these items that is in one."""
        if not item_ids:
            return {}
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT id, story_id FROM items WHERE id IN (SELECT value FROM json_each(?))"
                " AND story_id IS NOT NULL",
                (json.dumps(list(item_ids)),),
            ).fetchall()
        return {int(item): int(story) for item, story in rows}

    def story_centroids(self, story_ids: Sequence[int]) -> dict[int, StoryCentroid]:
        found: dict[int, StoryCentroid] = {}
        unique = sorted(set(story_ids))
        with self._db.read() as conn:
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                rows = conn.execute(
                    f"SELECT id, centroid FROM stories WHERE id IN ({','.join('?' * len(chunk))})"
                    " AND centroid IS NOT NULL",
                    chunk,
                ).fetchall()
                for story_id, document in rows:
                    found[int(story_id)] = centroid_from_db(str(document))
        return found

    def story_term_counts(self, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        document = json.dumps(sorted({"", *terms}), ensure_ascii=False)
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT term, items FROM story_terms"
                " WHERE term IN (SELECT value FROM json_each(?))",
                (document,),
            ).fetchall()
        counts = {str(term): int(items) for term, items in rows}
        return counts.pop("", 0), counts

    def apply_story_changes(self, changes: StoryChanges) -> dict[int, int]:
        with self._db.write() as conn:
            return _apply_story_changes(conn, changes)

    def reset_stories(self) -> int:
        # Items are not queued again (`grouped` stays): rewriting every row twice, to queue and
        # to unqueue it, cost more than grouping; the regroup walks the items by date instead.
        with self._db.write() as conn:
            conn.execute("DELETE FROM story_keys")
            conn.execute("DELETE FROM story_terms")
            # A few thousand rows a statement: one statement over every item in a story kept
            # the pages it rewrote in memory (90 MB at 100,000 items) in case it failed.
            while conn.execute(
                "UPDATE items SET story_id = NULL WHERE id IN"
                " (SELECT id FROM items WHERE story_id IS NOT NULL LIMIT ?)",
                (_RESET_ROWS,),
            ).rowcount:
                pass
            conn.execute("DELETE FROM stories")
            return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])

    def story_index(self, first_day: int, last_day: int) -> list[IndexedItem]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT k.item_id, k.source_id, k.day, k.terms, k.weights, i.story_id"
                " FROM story_keys k JOIN items i ON i.id = k.item_id"
                " WHERE k.day BETWEEN ? AND ? ORDER BY k.day, k.item_id",
                (first_day, last_day),
            ).fetchall()
        return [
            IndexedItem(int(item), int(source), int(day), tuple(unpack_keys(terms, weights)), story)
            for item, source, day, terms, weights, story in rows
        ]

    def story_ids(self) -> list[int]:
        with self._db.read() as conn:
            return [int(r[0]) for r in conn.execute("SELECT id FROM stories ORDER BY id")]

    def apply_regroup(self, write: RegroupWrite) -> None:
        with self._db.write() as conn:
            for kept, merged in write.merges:
                conn.execute("UPDATE items SET story_id = ? WHERE story_id = ?", (kept, merged))
                conn.execute("DELETE FROM stories WHERE id = ?", (merged,))
            conn.executemany(  # a stored story keeps its title; a made one gets its id
                "INSERT INTO stories (id, title, centroid) VALUES (?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET centroid = excluded.centroid",
                [(i, title, centroid_to_db(c)) for i, title, c in write.stories],
            )
            conn.executemany(
                "UPDATE items SET story_id = ? WHERE id = ?",
                [(story, item) for item, story in sorted(write.items)],
            )
            _write_keys(conn, write.index)
            conn.executemany(
                "INSERT INTO story_terms (term, items) VALUES (?, ?)"
                " ON CONFLICT (term) DO UPDATE SET items = excluded.items",
                write.terms,
            )
            _mark_grouped(conn, write.grouped)
            for key, value in write.meta:
                write_meta(conn, key, value)

    # -- stories ---------------------------------------------------------------------------

    def set_stories(self, stories: Sequence[tuple[str, Sequence[int]]]) -> None:
        with self._db.write() as conn:
            conn.execute("UPDATE items SET story_id = NULL WHERE story_id IS NOT NULL")
            conn.execute("DELETE FROM stories")
            for title, item_ids in stories:
                story_id = conn.execute(
                    "INSERT INTO stories (title) VALUES (?)", (title,)
                ).lastrowid
                conn.executemany(
                    "UPDATE items SET story_id = ? WHERE id = ?",
                    [(story_id, int(i)) for i in item_ids],
                )

    def get_stories(self, *, min_sources: int = 2, limit: int | None = None) -> list[Story]:
        sql = """
            SELECT st.id, st.title, count(DISTINCT i.source_id) AS sources,
                count(i.id) AS size, max(i.sort_date) AS newest
            FROM stories st JOIN items i ON i.story_id = st.id
            GROUP BY st.id HAVING sources >= ?
            ORDER BY size DESC, newest DESC LIMIT ?
        """
        with self._db.read() as conn:
            heads = conn.execute(sql, (min_sources, -1 if limit is None else limit)).fetchall()
        stories: list[Story] = []
        for story_id, title, *_ in heads:
            items = self.get_items(ItemFilter(story_id=int(story_id)), sort=SortOrder.RELEVANCE)
            stories.append(Story(id=int(story_id), title=str(title), items=tuple(items)))
        return stories


def _apply_story_changes(conn: sqlite3.Connection, changes: StoryChanges) -> dict[int, int]:
    """Write one grouping batch; return the ids given to `changes.new_stories`, by position."""
    for kept, merged in changes.merges:
        conn.execute("UPDATE items SET story_id = ? WHERE story_id = ?", (kept, merged))
        conn.execute("DELETE FROM stories WHERE id = ?", (merged,))
    conn.executemany(
        "UPDATE items SET story_id = ? WHERE id = ?", [(s, i) for i, s in changes.joins]
    )
    conn.executemany(
        "UPDATE stories SET centroid = ? WHERE id = ?",
        [(centroid_to_db(c), story_id) for story_id, c in changes.centroids],
    )
    created: dict[int, int] = {}
    for position, (title, item_ids, centroid) in enumerate(changes.new_stories):
        cursor = conn.execute(
            "INSERT INTO stories (title, centroid) VALUES (?, ?)",
            (title, centroid_to_db(centroid)),
        )
        story_id = int(cursor.lastrowid or 0)
        created[position] = story_id
        conn.executemany(
            "UPDATE items SET story_id = ? WHERE id = ?", [(story_id, i) for i in item_ids]
        )
    _write_keys(conn, _keys_by_item(changes.postings))
    # The empty term's row counts the items (no lead term is empty).
    conn.executemany(
        "INSERT INTO story_terms (term, items) VALUES (?, ?)"
        " ON CONFLICT (term) DO UPDATE SET items = items + excluded.items",
        [("", len(changes.grouped)), *changes.terms] if changes.grouped else changes.terms,
    )
    _mark_grouped(conn, changes.grouped)
    return created


def _keys_by_item(postings: Sequence[tuple[int, int, int, str, float]]) -> list[IndexedItem]:
    """Index entries (item, source, day, term, weight) as one entry per item."""
    items: dict[int, tuple[int, int, list[tuple[str, float]]]] = {}
    for item, source, day, term, weight in postings:
        items.setdefault(item, (source, day, []))[2].append((term, weight))
    return [IndexedItem(i, source, day, tuple(keys)) for i, (source, day, keys) in items.items()]


def _write_keys(conn: sqlite3.Connection, entries: Sequence[IndexedItem]) -> None:
    # In index order (day, item): new reports' days are the last few, so the B-tree is written
    # in a few adjacent pages.
    conn.executemany(
        "INSERT OR REPLACE INTO story_keys (day, item_id, source_id, terms, weights)"
        " VALUES (?, ?, ?, ?, ?)",
        sorted((e.day, e.item_id, e.source_id, *pack_keys(e.keys)) for e in entries),
    )


def _mark_grouped(conn: sqlite3.Connection, item_ids: Sequence[int]) -> None:
    for start in range(0, len(item_ids), _CHUNK):
        chunk = item_ids[start : start + _CHUNK]
        conn.execute(  # rows grouped already (a full regroup's walk) are left unwritten
            f"UPDATE items SET grouped = 1 WHERE id IN ({','.join('?' * len(chunk))})"
            " AND grouped = 0",
            chunk,
        )
