"""A full regroup's reads and checkpoints (the contract of `reader/store/sqlite/topic.py`'s
`story_index`, `story_ids` and `apply_regroup`), over this backend's story index of one row
per key term."""

from __future__ import annotations

import psycopg

from reader.models import IndexedItem, RegroupWrite
from reader.store.postgres.topic import TopicMixin, _centroid_to_db


class RegroupMixin(TopicMixin):
    def story_index(self, first_day: int, last_day: int) -> list[IndexedItem]:
        sql = (
            "SELECT p.item_id, p.source_id, p.day, p.term, p.weight, i.story_id"
            " FROM story_postings p JOIN items i ON i.id = p.item_id"
            " WHERE p.day BETWEEN %s AND %s ORDER BY p.day, p.item_id, p.weight DESC, p.term"
        )
        rows = self._db.read(lambda conn: conn.execute(sql, (first_day, last_day)).fetchall())
        entries: dict[int, tuple[int, int, int | None, list[tuple[str, float]]]] = {}
        for item, source, day, term, weight, story in rows:
            found = entries.setdefault(
                int(item), (int(source), int(day), None if story is None else int(story), [])
            )
            found[3].append((str(term), float(weight)))
        return [
            IndexedItem(item, source, day, tuple(keys), story)
            for item, (source, day, story, keys) in entries.items()
        ]

    def story_ids(self) -> list[int]:
        rows = self._db.read(
            lambda conn: conn.execute("SELECT id FROM stories ORDER BY id").fetchall()
        )
        return [int(r[0]) for r in rows]

    def apply_regroup(self, write: RegroupWrite) -> None:
        def work(conn: psycopg.Connection) -> None:
            with conn.cursor() as cursor:
                for kept, merged in write.merges:
                    cursor.execute(
                        "UPDATE items SET story_id = %s WHERE story_id = %s", (kept, merged)
                    )
                    cursor.execute("DELETE FROM stories WHERE id = %s", (merged,))
                if write.stories:
                    cursor.executemany(
                        "INSERT INTO stories (id, title, centroid) VALUES (%s, %s, %s)"
                        " ON CONFLICT (id) DO UPDATE SET centroid = excluded.centroid",
                        [(i, title, _centroid_to_db(c)) for i, title, c in write.stories],
                    )
                    # Stories made here carry their ids: later ones are numbered above them.
                    cursor.execute(
                        "SELECT setval(pg_get_serial_sequence('stories', 'id'),"
                        " greatest((SELECT max(id) FROM stories), 1))"
                    )
                if write.items:
                    cursor.executemany(
                        "UPDATE items SET story_id = %s WHERE id = %s",
                        [(story, item) for item, story in sorted(write.items)],
                    )
                postings = [
                    (e.item_id, e.source_id, e.day, term, weight)
                    for e in write.index
                    for term, weight in e.keys
                ]
                if postings:
                    cursor.executemany(
                        "INSERT INTO story_postings (item_id, source_id, day, term, weight)"
                        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (term, day, item_id)"
                        " DO UPDATE SET weight = excluded.weight",
                        postings,
                    )
                if write.terms:
                    cursor.executemany(
                        "INSERT INTO story_terms (term, items) VALUES (%s, %s)"
                        " ON CONFLICT (term) DO UPDATE SET items = excluded.items",
                        write.terms,
                    )
                if write.grouped:
                    cursor.execute(
                        "UPDATE items SET grouped = true WHERE id = ANY(%s) AND NOT grouped",
                        (list(write.grouped),),
                    )
                for key, value in write.meta:
                    if value is None:
                        cursor.execute("DELETE FROM meta WHERE key = %s", (key,))
                    else:
                        cursor.execute(
                            "INSERT INTO meta (key, value) VALUES (%s, %s)"
                            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                            (key, value),
                        )

        self._db.write(work)
