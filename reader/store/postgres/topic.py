"""Topic data: relevance scores, stories, and the texts they are computed from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import psycopg

from reader.models import ItemFilter, SortOrder, Story
from reader.store.postgres._base import text_list
from reader.store.postgres._db import to_db
from reader.store.postgres.items import ItemsMixin


class TopicMixin(ItemsMixin):
    def set_scores(self, scores: Mapping[int, tuple[float, Sequence[str]]]) -> None:
        rows = [(float(s), text_list(list(t)), int(i)) for i, (s, t) in scores.items()]

        def work(conn: psycopg.Connection) -> None:
            with conn.cursor() as cursor:
                cursor.executemany(
                    "UPDATE items SET score = %s, score_terms = %s WHERE id = %s", rows
                )

        self._db.write(work)

    def get_texts(
        self, *, ids: Sequence[int] | None = None, since: datetime | None = None
    ) -> list[tuple[int, str]]:
        sql = (
            "SELECT id, coalesce(title, '') || chr(10) || coalesce(summary, '') || chr(10)"
            " || coalesce(text, '') FROM items"
        )
        clauses: list[str] = []
        params: list[object] = []
        if ids is not None:
            clauses.append("id = ANY(%s)")
            params.append([int(i) for i in ids])
        if since is not None:
            clauses.append("sort_date >= %s")
            params.append(to_db(since))
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY id"
        return self._db.read(
            lambda conn: [(int(r[0]), str(r[1])) for r in conn.execute(sql, params)]
        )

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
