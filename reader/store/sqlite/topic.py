"""Topic data: relevance scores, stories, and the texts they are computed from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from reader.models import ItemFilter, SortOrder, Story
from reader.store.sqlite._base import pack_list
from reader.store.sqlite._db import to_db
from reader.store.sqlite.items import ItemsMixin


class TopicMixin(ItemsMixin):
    def set_scores(self, scores: Mapping[int, tuple[float, Sequence[str]]]) -> None:
        rows = [(float(s), pack_list(list(t)), int(i)) for i, (s, t) in scores.items()]
        with self._db.write() as conn:
            conn.executemany("UPDATE items SET score = ?, score_terms = ? WHERE id = ?", rows)

    def get_texts(
        self, *, ids: Sequence[int] | None = None, since: datetime | None = None
    ) -> list[tuple[int, str]]:
        sql = (
            "SELECT id, coalesce(title, '') || char(10) || coalesce(summary, '') || char(10)"
            " || coalesce(text, '') FROM items"
        )
        clauses: list[str] = []
        params: list[object] = []
        if ids is not None:
            clauses.append(f"id IN ({','.join('?' * len(ids))})" if ids else "0")
            params += list(ids)
        if since is not None:
            clauses.append("sort_date >= ?")
            params.append(to_db(since))
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        with self._db.read() as conn:
            return [(int(r[0]), str(r[1])) for r in conn.execute(sql + " ORDER BY id", params)]

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
