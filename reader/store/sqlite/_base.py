"""What every part of the SQLite store shares: the database and row conversions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from reader.models import Feed, Item, SourceKind, Validators
from reader.store.sqlite._db import Database, from_db

# Tags are packed into one column with a separator no tag can hold (unit separator).
TAG_SEP = "\x1f"

FEED_COLUMNS = """
    s.id, s.url, s.kind, s.title, s.user_title, s.link, s.added, s.enabled,
    s.disabled_reason, s.etag, s.last_modified, s.body_hash, s.last_checked,
    s.last_updated, s.next_check, s.last_error, s.error_count, s.update_interval, s.ttl,
    (SELECT group_concat(t.name, char(31)) FROM source_tags st JOIN tags t ON t.id = st.tag_id
        WHERE st.source_id = s.id) AS tags
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
    s.removed IS NOT NULL AS source_removed
"""

ITEM_COLUMNS_FULL = ITEM_COLUMNS_LIGHT + ", i.content_html, i.text, i.summary"


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


def feed_from_row(row: Sequence[Any], counts: tuple[int, int] = (0, 0)) -> Feed:
    (
        id_,
        url,
        kind,
        title,
        user_title,
        link,
        added,
        enabled,
        disabled_reason,
        etag,
        last_modified,
        body_hash,
        last_checked,
        last_updated,
        next_check,
        last_error,
        error_count,
        update_interval,
        ttl,
        tags,
    ) = row[:20]
    return Feed(
        id=int(id_),
        url=str(url),
        kind=SourceKind(kind),
        title=title,
        user_title=user_title,
        link=link,
        tags=split_tags(tags),
        added=from_db(added),
        enabled=bool(enabled),
        disabled_reason=disabled_reason,
        validators=Validators(etag=etag, last_modified=last_modified),
        body_hash=body_hash,
        last_checked=from_db(last_checked),
        last_updated=from_db(last_updated),
        next_check=from_db(next_check),
        last_error=last_error,
        error_count=int(error_count),
        update_interval=update_interval,
        ttl=ttl,
        item_count=counts[0],
        unread_count=counts[1],
    )


def item_from_row(row: Sequence[Any], *, with_content: bool) -> Item:
    (
        id_,
        source_id,
        source_name,
        identity,
        title,
        link,
        author,
        published,
        updated,
        first_seen,
        source_names,
        read,
        starred,
        score,
        score_terms,
        story_id,
        tags,
        story_size,
        source_removed,
    ) = row[:19]
    content_html = text = summary = None
    if with_content:
        content_html, text, summary = row[19:22]
    return Item(
        id=int(id_),
        source_id=int(source_id),
        source=str(source_name),
        identity=str(identity),
        title=title,
        link=link,
        author=author,
        published=from_db(published),
        updated=from_db(updated),
        first_seen=from_db(first_seen),
        content_html=content_html,
        text=text,
        summary=summary,
        source_names=json_list(source_names),
        read=bool(read),
        starred=bool(starred),
        tags=split_tags(tags),
        score=score,
        score_terms=json_list(score_terms),
        story_id=story_id,
        story_size=int(story_size),
        source_removed=bool(source_removed),
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
