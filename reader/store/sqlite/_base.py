"""What every part of the SQLite store shares: the database and row conversions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from reader.models import Feed, Item
from reader.store import rows
from reader.store.sqlite._db import Database, from_db

# Tags are packed into one column with a separator no tag can hold (unit separator).
TAG_SEP = "\x1f"

FEED_COLUMNS = """
    s.id, s.url, s.kind, s.title, s.user_title, s.link, s.added, s.enabled,
    s.disabled_reason, s.etag, s.last_modified, s.body_hash, s.last_checked,
    s.last_updated, s.next_check, s.last_error, s.error_count, s.update_interval, s.ttl,
    (SELECT group_concat(t.name, char(31)) FROM source_tags st JOIN tags t ON t.id = st.tag_id
        WHERE st.source_id = s.id) AS tags,
    s.full_text
"""

ITEM_COLUMNS_LIGHT = """
    i.id, i.source_id, coalesce(s.user_title, s.title, s.url) AS source_name, i.identity,
    i.title, i.link, i.author, i.published, i.updated, i.first_seen, i.source_names,
    i.read, i.starred, i.score, i.score_terms, i.story_id,
    (SELECT group_concat(t.name, char(31)) FROM item_tags it JOIN tags t ON t.id = it.tag_id
        WHERE it.item_id = i.id) AS tags,
    CASE WHEN i.story_id IS NULL THEN 0 ELSE
        (SELECT count(DISTINCT i2.source_id) FROM items i2 WHERE i2.story_id = i.story_id)
    END AS story_size,
    s.removed IS NOT NULL AS source_removed,
    i.hidden, i.full_text
"""

ITEM_COLUMNS_FULL = ITEM_COLUMNS_LIGHT + ", i.content_html, i.text, i.summary, i.enclosures"


def split_tags(packed: str | None) -> tuple[str, ...]:
    if not packed:
        return ()
    return tuple(sorted(packed.split(TAG_SEP), key=str.casefold))


def json_list(packed: str | None) -> tuple[str, ...]:
    if not packed:
        return ()
    value = json.loads(packed)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def pack_list(values: Sequence[str]) -> str | None:
    return json.dumps(list(values), ensure_ascii=False) if values else None


_CODEC = rows.RowCodec(time=from_db, tags=split_tags, texts=json_list)


def feed_from_row(row: Sequence[Any], counts: tuple[int, int] = (0, 0)) -> Feed:
    return rows.feed_from_row(row, _CODEC, counts)


def item_from_row(row: Sequence[Any], *, with_content: bool) -> Item:
    return rows.item_from_row(row, _CODEC, with_content=with_content)


def write_meta(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    """Set (or, with None, remove) one meta value inside a write."""
    if value is None:
        conn.execute("DELETE FROM meta WHERE key = ?", (key,))
    else:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def normalize_tag(name: str) -> str:
    """Tags are trimmed, inner whitespace folded; case is kept but compared insensitively."""
    return " ".join(name.split())


class StoreBase:
    """Holds the database; the domain mixins build on it."""

    _db: Database

    def _tag_ids(self, conn: sqlite3.Connection, names: Sequence[str]) -> list[int]:
        """Ids for tag names, creating missing tags (inside a write transaction)."""
        ids: list[int] = []
        for raw in names:
            name = normalize_tag(raw)
            if not name:
                continue
            conn.execute(
                "INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING", (name,)
            )
            row = conn.execute("SELECT id FROM tags WHERE name = ?", (name,)).fetchone()
            ids.append(int(row[0]))
        return ids

    def _drop_unused_tags(self, conn: sqlite3.Connection) -> None:
        """A tag nothing carries any more is gone, so completion never offers it."""
        conn.execute(
            "DELETE FROM tags WHERE NOT EXISTS (SELECT 1 FROM item_tags WHERE tag_id = tags.id)"
            " AND NOT EXISTS (SELECT 1 FROM source_tags WHERE tag_id = tags.id)"
        )

    def _source_id(self, conn: sqlite3.Connection, url: str) -> int:
        """The id of the subscribed (not removed) source with this URL, or `FeedNotFoundError`."""
        from reader.exceptions import FeedNotFoundError

        row = conn.execute(
            "SELECT id FROM sources WHERE url = ? AND removed IS NULL", (url,)
        ).fetchone()
        if row is None:
            raise FeedNotFoundError(url)
        return int(row[0])
