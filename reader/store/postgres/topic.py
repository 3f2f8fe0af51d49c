"""Topic data: relevance scores and their queues, the story index, stories, and texts.

The same contract as the SQLite store's (`reader/store/sqlite/topic.py`); a batch's key terms
travel as arrays and are joined against the index in one statement.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
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
        rows = [(float(s), text_list(list(t)), int(i)) for i, (s, t) in scores.items()]

        def work(conn: psycopg.Connection) -> None:
            with conn.cursor() as cursor:
                cursor.executemany(
                    # A rule's score change (score_adjust) is added again to every fresh score.
                    "UPDATE items SET score = greatest(0.0, least(1.0, %s + score_adjust)),"
                    " score_terms = %s WHERE id = %s",
                    rows,
                )

        self._db.write(work)

    def unscored_item_ids(self, *, limit: int) -> list[int]:
        sql = "SELECT id FROM items WHERE score IS NULL ORDER BY id LIMIT %s"
        return self._db.read(lambda conn: [int(r[0]) for r in conn.execute(sql, (limit,))])

    def item_ids_after(self, after: int, *, limit: int) -> list[int]:
        sql = "SELECT id FROM items WHERE id > %s ORDER BY id LIMIT %s"
        return self._db.read(lambda conn: [int(r[0]) for r in conn.execute(sql, (after, limit))])

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
        leads, sources, days, terms, weights = (list(column) for column in zip(*keys, strict=True))
        sql = """
            SELECT c.lead, c.item_id, i.source_id, c.day, c.similarity, i.story_id
            FROM (
                SELECT b.lead, p.item_id, p.day, sum(b.weight * p.weight) AS similarity
                FROM unnest(%s::bigint[], %s::bigint[], %s::integer[], %s::text[],
                            %s::double precision[]) AS b (lead, source, day, term, weight)
                JOIN story_postings p
                    ON p.term = b.term AND p.day BETWEEN b.day - %s AND b.day + %s
                WHERE p.source_id <> b.source
                GROUP BY b.lead, p.item_id, p.day
                HAVING sum(b.weight * p.weight) >= %s
            ) c JOIN items i ON i.id = c.item_id
        """
        params = (leads, sources, days, terms, weights, story_days, story_days, floor)
        rows = self._db.read(lambda conn: conn.execute(sql, params).fetchall())
        return [
            StoryCandidate(
                int(r[0]), int(r[1]), int(r[2]), int(r[3]), float(r[4]),
                None if r[5] is None else int(r[5]),
            )
            for r in rows
        ]  # fmt: skip

    def story_centroids(self, story_ids: Sequence[int]) -> dict[int, StoryCentroid]:
        sql = "SELECT id, centroid FROM stories WHERE id = ANY(%s) AND centroid IS NOT NULL"
        rows = self._db.read(
            lambda conn: conn.execute(sql, ([int(i) for i in story_ids],)).fetchall()
        )
        return {int(r[0]): _centroid_from_db(str(r[1])) for r in rows}

    def story_term_counts(self, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        sql = "SELECT term, items FROM story_terms WHERE term = ANY(%s)"
        wanted = sorted({"", *terms})
        rows = self._db.read(lambda conn: conn.execute(sql, (wanted,)).fetchall())
        counts = {str(r[0]): int(r[1]) for r in rows}
        return counts.pop("", 0), counts

    def apply_story_changes(self, changes: StoryChanges) -> dict[int, int]:
        def work(conn: psycopg.Connection) -> dict[int, int]:
            with conn.cursor() as cursor:
                for kept, merged in changes.merges:
                    cursor.execute(
                        "UPDATE items SET story_id = %s WHERE story_id = %s", (kept, merged)
                    )
                    cursor.execute("DELETE FROM stories WHERE id = %s", (merged,))
                if changes.joins:
                    cursor.executemany(
                        "UPDATE items SET story_id = %s WHERE id = %s",
                        [(s, i) for i, s in changes.joins],
                    )
                if changes.centroids:
                    cursor.executemany(
                        "UPDATE stories SET centroid = %s WHERE id = %s",
                        [(_centroid_to_db(c), s) for s, c in changes.centroids],
                    )
                created: dict[int, int] = {}
                for position, (title, item_ids, centroid) in enumerate(changes.new_stories):
                    row = cursor.execute(
                        "INSERT INTO stories (title, centroid) VALUES (%s, %s) RETURNING id",
                        (title, _centroid_to_db(centroid)),
                    ).fetchone()
                    assert row is not None
                    created[position] = int(row[0])
                    cursor.execute(
                        "UPDATE items SET story_id = %s WHERE id = ANY(%s)",
                        (row[0], list(item_ids)),
                    )
                if changes.postings:
                    cursor.executemany(
                        "INSERT INTO story_postings (item_id, source_id, day, term, weight)"
                        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (term, day, item_id)"
                        " DO UPDATE SET weight = excluded.weight",
                        changes.postings,
                    )
                if changes.grouped:
                    # The empty term's row counts the items (no lead term is empty).
                    cursor.executemany(
                        "INSERT INTO story_terms (term, items) VALUES (%s, %s)"
                        " ON CONFLICT (term) DO UPDATE"
                        " SET items = story_terms.items + excluded.items",
                        [("", len(changes.grouped)), *sorted(changes.terms)],
                    )
                cursor.execute(
                    "UPDATE items SET grouped = true WHERE id = ANY(%s)", (list(changes.grouped),)
                )
            return created

        return self._db.write(work)

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


def _centroid_to_db(centroid: StoryCentroid) -> str:
    return json.dumps([centroid.size, centroid.weights], ensure_ascii=False, separators=(",", ":"))


def _centroid_from_db(document: str) -> StoryCentroid:
    try:
        size, weights = json.loads(document)
        return StoryCentroid(int(size), tuple((str(t), float(w)) for t, w in weights))
    except (ValueError, TypeError):
        return StoryCentroid(0, ())
