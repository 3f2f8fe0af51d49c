"""A full regroup's reads and checkpoints (the contract of `reader/store/sqlite/topic.py`'s
`story_index`, `story_ids` and `apply_regroup`), over this backend's story index of one row
per key term."""

from __future__ import annotations

import psycopg

from reader.models import IndexedItem, RegroupWrite
from reader.store.postgres._base import write_meta
from reader.store.postgres.topic import TopicMixin, write_postings
from reader.store.story_index import centroid_to_db


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
        self._db.write(lambda conn: _apply_regroup(conn, write))


def _apply_regroup(conn: psycopg.Connection, write: RegroupWrite) -> None:
    """One checkpoint in one transaction; rows travel as arrays, one statement per table (a
    checkpoint of 5,000 items writes about 100,000 postings)."""
    for kept, merged in write.merges:
        conn.execute("UPDATE items SET story_id = %s WHERE story_id = %s", (kept, merged))
        conn.execute("DELETE FROM stories WHERE id = %s", (merged,))
    if write.stories:
        conn.execute(
            "INSERT INTO stories (id, title, centroid)"
            " SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[])"
            " ON CONFLICT (id) DO UPDATE SET centroid = excluded.centroid",
            (
                [story for story, _, _ in write.stories],
                [title for _, title, _ in write.stories],
                [centroid_to_db(centroid) for _, _, centroid in write.stories],
            ),
        )
        # Stories made here carry their ids: later ones are numbered above them.
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('stories', 'id'),"
            " greatest((SELECT max(id) FROM stories), 1))"
        )
    if write.items:
        moved = sorted(write.items)
        conn.execute(
            "UPDATE items SET story_id = v.story FROM unnest(%s::bigint[], %s::bigint[])"
            " AS v (item, story) WHERE items.id = v.item",
            ([item for item, _ in moved], [story for _, story in moved]),
        )
    write_postings(
        conn,
        (
            (e.day, term, e.item_id, e.source_id, weight)
            for e in write.index
            for term, weight in e.keys
        ),
    )
    if write.terms:
        conn.execute(
            "INSERT INTO story_terms (term, items) SELECT * FROM unnest(%s::text[], %s::bigint[])"
            " ON CONFLICT (term) DO UPDATE SET items = excluded.items",
            ([term for term, _ in write.terms], [items for _, items in write.terms]),
        )
    if write.grouped:
        conn.execute(
            "UPDATE items SET grouped = true WHERE id = ANY(%s) AND NOT grouped",
            (list(write.grouped),),
        )
    for key, value in write.meta:
        write_meta(conn, key, value)
