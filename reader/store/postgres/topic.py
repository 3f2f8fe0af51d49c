"""Topic data: relevance scores and their queues, the story index, stories, and texts.

The same contract and the same story index as the SQLite store's
(`reader/store/sqlite/topic.py`): postings keyed by day, term and item, read by day range.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

import psycopg

from reader.models import (
    ItemFilter,
    SortOrder,
    Story,
    StoryCandidate,
    StoryCentroid,
    StoryChanges,
    StoryLead,
)
from reader.store.postgres._base import text_list
from reader.store.postgres._db import to_db
from reader.store.postgres.items import ItemsMixin
from reader.store.story_index import centroid_from_db, centroid_to_db, day_ranges, summed_candidates

_TEXT = (
    "coalesce(i.title, '') || chr(10) || coalesce(i.summary, '') || chr(10) || coalesce(i.text, '')"
)
_DAY = (
    "((coalesce(i.published, i.updated, i.first_seen) AT TIME ZONE 'UTC')::date"
    " - DATE '1970-01-01')"
)
"""An item's day number (days since 1970-01-01, UTC): its own date, else when it was first
seen (not its sort date, which places an undated item among its feed's backlog)."""


class TopicMixin(ItemsMixin):
    def set_scores(self, scores: Mapping[int, tuple[float, Sequence[str]]]) -> None:
        rows = [
            {"score": float(s), "terms": text_list(list(t)), "id": int(i)}
            for i, (s, t) in scores.items()
        ]

        def work(conn: psycopg.Connection) -> None:
            with conn.cursor() as cursor:
                cursor.executemany(
                    # A rule's score change (score_adjust) is added again to every fresh score.
                    # A row whose score and terms stay is not written (no dead row version).
                    "UPDATE items SET score = greatest(0.0, least(1.0, %(score)s + score_adjust)),"
                    " score_terms = %(terms)s WHERE id = %(id)s"
                    " AND (score IS DISTINCT FROM"
                    " greatest(0.0, least(1.0, %(score)s + score_adjust))"
                    " OR score_terms IS DISTINCT FROM %(terms)s)",
                    rows,
                )

        self._db.write(work)

    def unscored_item_ids(self, *, limit: int) -> list[int]:
        sql = "SELECT id FROM items WHERE score IS NULL ORDER BY id LIMIT %s"
        return self._db.read(lambda conn: [int(r[0]) for r in conn.execute(sql, (limit,))])

    def item_ids_after(self, after: int, *, limit: int) -> list[int]:
        sql = "SELECT id FROM items WHERE id > %s ORDER BY id LIMIT %s"
        return self._db.read(lambda conn: [int(r[0]) for r in conn.execute(sql, (after, limit))])

    def texts_after(
        self, after: int, *, limit: int, max_chars: int, through: int | None = None
    ) -> list[tuple[int, str]]:
        last = (1 << 63) - 1 if through is None else through
        sql = (
            f"SELECT i.id, left({_TEXT}, %s) FROM items i WHERE i.id > %s AND i.id <= %s"
            " ORDER BY i.id LIMIT %s"
        )
        return self._db.read(
            lambda conn: [
                (int(r[0]), str(r[1])) for r in conn.execute(sql, (max_chars, after, last, limit))
            ]
        )

    def bulk_writes(self) -> AbstractContextManager[None]:
        # Each write is its own transaction here too; PostgreSQL needs nothing held apart.
        return contextlib.nullcontext()

    def get_texts(
        self,
        *,
        ids: Sequence[int] | None = None,
        since: datetime | None = None,
        max_chars: int | None = None,
    ) -> list[tuple[int, str]]:
        text = _TEXT if max_chars is None else f"left({_TEXT}, {int(max_chars)})"
        sql = f"SELECT i.id, {text} FROM items i"
        clauses: list[str] = []
        params: list[object] = []
        if ids is not None:
            clauses.append("i.id = ANY(%s)")
            params.append([int(i) for i in ids])
        if since is not None:
            clauses.append("i.sort_date >= %s")
            params.append(to_db(since))
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY i.id"
        return self._db.read(
            lambda conn: [(int(r[0]), str(r[1])) for r in conn.execute(sql, params)]
        )

    def sample_texts(self, *, limit: int, max_chars: int) -> list[str]:
        sql = f"SELECT left({_TEXT}, %s) FROM items i ORDER BY i.id DESC LIMIT %s"
        return self._db.read(
            lambda conn: [str(r[0]) for r in conn.execute(sql, (max_chars, limit))]
        )

    # -- the story queue and index ---------------------------------------------------------

    def ungrouped_leads(self, *, limit: int, max_chars: int) -> list[StoryLead]:
        sql = (
            f"SELECT i.id, i.source_id, {_DAY}, left({_TEXT}, %s) FROM items i"
            " WHERE NOT i.grouped ORDER BY i.sort_date, i.id LIMIT %s"
        )
        return self._db.read(
            lambda conn: [
                StoryLead(int(r[0]), int(r[1]), int(r[2]), str(r[3]))
                for r in conn.execute(sql, (max_chars, limit))
            ]
        )

    def leads_after(
        self, after: str | None, *, limit: int, max_chars: int
    ) -> tuple[list[StoryLead], str | None]:
        where, params = "", []
        if after:
            date, _, item = after.rpartition("|")
            where, params = " WHERE (i.sort_date, i.id) > (%s::timestamptz, %s)", [date, int(item)]
        sql = (
            f"SELECT i.id, i.source_id, {_DAY}, left({_TEXT}, %s), i.sort_date FROM items i"
            f"{where} ORDER BY i.sort_date, i.id LIMIT %s"
        )
        rows = self._db.read(lambda conn: conn.execute(sql, (max_chars, *params, limit)).fetchall())
        leads = [StoryLead(int(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in rows]
        return leads, (f"{rows[-1][4].isoformat()}|{rows[-1][0]}" if rows else None)

    def count_ungrouped(self) -> int:
        row = self._db.read(
            lambda conn: conn.execute("SELECT count(*) FROM items WHERE NOT grouped").fetchone()
        )
        return int(row[0]) if row else 0

    def story_candidates(
        self, keys: Sequence[tuple[int, int, int, str, float]], *, story_days: int, floor: float
    ) -> list[StoryCandidate]:
        if not keys:
            return []
        # As in SQLite: the index is read by day range (its first key), for the batch's terms
        # only, one range per cluster of the batch's days, and the dot products are summed
        # here as the rows come (a join summing them on the server probed the index once per
        # key, all over it). Rows come in index order, as SQLite's do, so both backends sum
        # and list candidates in one order and group alike.
        terms = sorted({key[3] for key in keys})
        ranges = day_ranges(sorted({key[2] for key in keys}), story_days)
        sql = (
            "SELECT p.term, p.item_id, p.source_id, p.day, p.weight FROM story_postings p"
            " WHERE p.day BETWEEN %s AND %s AND p.term = ANY(%s::text[])"
            " ORDER BY p.day, p.term, p.item_id"
        )

        def read(conn: psycopg.Connection) -> list[list[tuple[str, int, int, int, float]]]:
            return [
                conn.execute(sql, (first - story_days, last + story_days, terms)).fetchall()
                for first, last in ranges
            ]

        postings: dict[str, list[tuple[int, int, int, float]]] = {}
        seen: dict[int, tuple[int, int]] = {}
        for rows in self._db.read(read):
            for term, item, source, day, weight in rows:
                postings.setdefault(term, []).append((item, source, day, weight))
                seen[item] = (source, day)
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
        sql = "SELECT id, story_id FROM items WHERE id = ANY(%s) AND story_id IS NOT NULL"
        rows = self._db.read(lambda conn: conn.execute(sql, (list(item_ids),)).fetchall())
        return {int(item): int(story) for item, story in rows}

    def story_centroids(self, story_ids: Sequence[int]) -> dict[int, StoryCentroid]:
        sql = "SELECT id, centroid FROM stories WHERE id = ANY(%s) AND centroid IS NOT NULL"
        rows = self._db.read(
            lambda conn: conn.execute(sql, ([int(i) for i in story_ids],)).fetchall()
        )
        return {int(r[0]): centroid_from_db(str(r[1])) for r in rows}

    def story_term_counts(self, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        sql = "SELECT term, items FROM story_terms WHERE term = ANY(%s)"
        wanted = sorted({"", *terms})
        rows = self._db.read(lambda conn: conn.execute(sql, (wanted,)).fetchall())
        counts = {str(r[0]): int(r[1]) for r in rows}
        return counts.pop("", 0), counts

    def apply_story_changes(self, changes: StoryChanges) -> dict[int, int]:
        return self._db.write(lambda conn: _apply_story_changes(conn, changes))

    def reset_stories(self) -> int:
        def work(conn: psycopg.Connection) -> int:
            conn.execute("DELETE FROM story_postings")
            conn.execute("DELETE FROM story_terms")
            conn.execute("UPDATE items SET story_id = NULL WHERE story_id IS NOT NULL")
            conn.execute("DELETE FROM stories")
            row = conn.execute("SELECT count(*) FROM items").fetchone()
            return int(row[0]) if row else 0

        return self._db.write(work)

    # -- stories ---------------------------------------------------------------------------

    def set_stories(self, stories: Sequence[tuple[str, Sequence[int]]]) -> None:
        def work(conn: psycopg.Connection) -> None:
            conn.execute("UPDATE items SET story_id = NULL WHERE story_id IS NOT NULL")
            conn.execute("DELETE FROM stories")
            for title, item_ids in stories:
                row = conn.execute(
                    "INSERT INTO stories (title) VALUES (%s) RETURNING id", (title,)
                ).fetchone()
                assert row is not None
                conn.execute(
                    "UPDATE items SET story_id = %s WHERE id = ANY(%s)",
                    (row[0], [int(i) for i in item_ids]),
                )

        self._db.write(work)

    def get_stories(self, *, min_sources: int = 2, limit: int | None = None) -> list[Story]:
        sql = """
            SELECT st.id, st.title, count(DISTINCT i.source_id) AS sources,
                count(i.id) AS size, max(i.sort_date) AS newest
            FROM stories st JOIN items i ON i.story_id = st.id
            GROUP BY st.id, st.title HAVING count(DISTINCT i.source_id) >= %s
            ORDER BY size DESC, newest DESC LIMIT %s
        """
        heads = self._db.read(lambda conn: conn.execute(sql, (min_sources, limit)).fetchall())
        stories: list[Story] = []
        for story_id, title, *_ in heads:
            items = self.get_items(ItemFilter(story_id=int(story_id)), sort=SortOrder.RELEVANCE)
            stories.append(Story(id=int(story_id), title=str(title), items=tuple(items)))
        return stories


def _apply_story_changes(conn: psycopg.Connection, changes: StoryChanges) -> dict[int, int]:
    """Write one grouping batch; return the ids given to `changes.new_stories`, by position.

    Rows travel as arrays, one statement per table: a batch of 1,000 items writes about
    20,000 postings, and a statement per row (even pipelined) cost seconds.
    """
    for kept, merged in changes.merges:
        conn.execute("UPDATE items SET story_id = %s WHERE story_id = %s", (kept, merged))
        conn.execute("DELETE FROM stories WHERE id = %s", (merged,))
    created: dict[int, int] = {}
    if changes.new_stories:
        # Ids drawn first, in order, so each new story's items are set with the rest.
        ids = sorted(
            int(r[0])
            for r in conn.execute(
                "SELECT nextval(pg_get_serial_sequence('stories', 'id'))"
                " FROM generate_series(1, %s)",
                (len(changes.new_stories),),
            )
        )
        created = dict(enumerate(ids))
        conn.execute(
            "INSERT INTO stories (id, title, centroid)"
            " SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[])",
            (
                ids,
                [title for title, _, _ in changes.new_stories],
                [centroid_to_db(centroid) for _, _, centroid in changes.new_stories],
            ),
        )
    centroids = {story: centroid_to_db(c) for story, c in changes.centroids}
    if centroids:
        conn.execute(
            "UPDATE stories SET centroid = v.centroid FROM unnest(%s::bigint[], %s::text[])"
            " AS v (story, centroid) WHERE stories.id = v.story",
            (list(centroids), list(centroids.values())),
        )
    if changes.postings:
        # New reports' days are the last few, so the index is written in a few adjacent pages.
        write_postings(
            conn,
            (
                (day, term, item, source, weight)
                for item, source, day, term, weight in changes.postings
            ),
        )
    if changes.grouped:
        # The empty term's row counts the items (no lead term is empty).
        counts = {"": len(changes.grouped)}
        for term, items in changes.terms:
            counts[term] = counts.get(term, 0) + items
        terms = sorted(counts)
        conn.execute(
            "INSERT INTO story_terms (term, items)"
            " SELECT * FROM unnest(%s::text[], %s::bigint[])"
            " ON CONFLICT (term) DO UPDATE SET items = story_terms.items + excluded.items",
            (terms, [counts[t] for t in terms]),
        )
    # Each item row is written once, its story and its leaving the queue together (a row
    # version costs an entry in every index of items), and not at all when neither changes
    # (a full regroup's walk leaves rows grouped already). An item set twice keeps the last
    # story, as statements in order would.
    story_of: dict[int, int | None] = dict.fromkeys(changes.grouped)
    story_of.update(changes.joins)
    for position, (_, item_ids, _) in enumerate(changes.new_stories):
        story_of.update(dict.fromkeys(item_ids, created[position]))
    if story_of:
        conn.execute(
            "UPDATE items SET story_id = coalesce(v.story, items.story_id), grouped = true"
            " FROM unnest(%s::bigint[], %s::bigint[]) AS v (item, story)"
            " WHERE items.id = v.item AND (NOT items.grouped"
            " OR (v.story IS NOT NULL AND v.story IS DISTINCT FROM items.story_id))",
            (list(story_of), list(story_of.values())),
        )
    return created


def write_postings(
    conn: psycopg.Connection, postings: Iterable[tuple[int, str, int, int, float]]
) -> None:
    """Write (day, term, item, source, weight) postings in one statement, in index order; a
    posting given twice keeps the last (a statement may not write a row twice)."""
    latest = {(day, term, item): (source, weight) for day, term, item, source, weight in postings}
    rows = [(*key, *latest[key]) for key in sorted(latest)]
    if not rows:
        return
    conn.execute(
        "INSERT INTO story_postings (day, term, item_id, source_id, weight)"
        " SELECT * FROM unnest(%s::integer[], %s::text[], %s::bigint[], %s::bigint[],"
        " %s::double precision[])"
        " ON CONFLICT (day, term, item_id)"
        " DO UPDATE SET source_id = excluded.source_id, weight = excluded.weight",
        tuple(list(column) for column in zip(*rows, strict=True)),
    )
