"""What every part of the PostgreSQL store shares: the database and row conversions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from reader.exceptions import FeedNotFoundError
from reader.models import Feed, Item, SourceKind, Validators
from reader.store.postgres._db import Database, from_db

FEED_COLUMNS = """
    s.id, s.url, s.kind, s.title, s.user_title, s.link, s.added, s.enabled,
    s.disabled_reason, s.etag, s.last_modified, s.body_hash, s.last_checked,
    s.last_updated, s.next_check, s.last_error, s.error_count, s.update_interval, s.ttl,
    ARRAY(SELECT t.name FROM source_tags st JOIN tags t ON t.id = st.tag_id
        WHERE st.source_id = s.id) AS tags
"""

ITEM_COLUMNS_LIGHT = """
    i.id, i.source_id, coalesce(s.user_title, s.title, s.url) AS source_name, i.identity,
    i.title, i.link, i.author, i.published, i.updated, i.first_seen, i.source_names,
    i.read, i.starred, i.score, i.score_terms, i.story_id,
    ARRAY(SELECT t.name FROM item_tags it JOIN tags t ON t.id = it.tag_id
        WHERE it.item_id = i.id) AS tags,
    CASE WHEN i.story_id IS NULL THEN 0 ELSE
        (SELECT count(DISTINCT i2.source_id) FROM items i2 WHERE i2.story_id = i.story_id)
    END AS story_size
"""

ITEM_COLUMNS_FULL = ITEM_COLUMNS_LIGHT + ", i.content_html, i.text, i.summary"


def sorted_tags(names: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(sorted(names or (), key=str.casefold))


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
        tags=sorted_tags(tags),
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
    ) = row[:18]
    content_html = text = summary = None
    if with_content:
        content_html, text, summary = row[18:21]
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
        source_names=tuple(source_names or ()),
        read=bool(read),
        starred=bool(starred),
        tags=sorted_tags(tags),
        score=score,
        score_terms=tuple(score_terms or ()),
        story_id=story_id,
        story_size=int(story_size),
    )


def text_list(values: Sequence[str]) -> list[str] | None:
    """A list column's value: None when empty, as SQLite stores it."""
    return list(values) if values else None


def normalize_tag(name: str) -> str:
    """Tags are trimmed, inner whitespace folded; case is kept but compared insensitively."""
    return " ".join(name.split())


class StoreBase:
    """Holds the database; the domain mixins build on it."""

    _db: Database

    def _tag_ids(self, conn: psycopg.Connection, names: Sequence[str]) -> list[int]:
        """Ids for tag names, creating missing tags (inside a write transaction)."""
        ids: list[int] = []
        for raw in names:
            name = normalize_tag(raw)
            if not name:
                continue
            conn.execute(
                "INSERT INTO tags (name) VALUES (%s) ON CONFLICT (lower(name)) DO NOTHING",
                (name,),
            )
            row = conn.execute("SELECT id FROM tags WHERE lower(name) = lower(%s)", (name,))
            ids.append(int(_one(row)[0]))
        return ids

    def _source_id(self, conn: psycopg.Connection, url: str, *, lock: bool = False) -> int:
        sql = "SELECT id FROM sources WHERE url = %s" + (" FOR UPDATE" if lock else "")
        row = conn.execute(sql, (url,)).fetchone()
        if row is None:
            raise FeedNotFoundError(url)
        return int(row[0])


def _one(cursor: psycopg.Cursor[Any]) -> Sequence[Any]:
    row: Sequence[Any] | None = cursor.fetchone()
    assert row is not None
    return row
