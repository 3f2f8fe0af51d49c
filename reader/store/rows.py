"""What every backend shares between its rows and the models: rows to `Feed` and `Item`, and
a `FeedUpdate` to the columns it sets.

Backends select the same columns in the same order; they differ only in how they store times,
tag lists and text lists, which a `RowCodec` says.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence, Sized
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reader.models import (
    Feed,
    FeedUpdate,
    Item,
    ItemLink,
    ItemWrite,
    LinkKind,
    SourceKind,
    Validators,
)


def pack_enclosures(links: Sequence[ItemLink]) -> str | None:
    """Enclosures as both backends store them: JSON text, a list of [url, kind, media type,
    length, title]; None for none."""
    if not links:
        return None
    packed = [[li.url, li.kind.value, li.media_type, li.length, li.title] for li in links]
    return json.dumps(packed, ensure_ascii=False, separators=(",", ":"))


def unpack_enclosures(packed: str | None) -> tuple[ItemLink, ...]:
    if not packed:
        return ()
    return tuple(
        ItemLink(str(url), LinkKind(kind), media_type, length, title)
        for url, kind, media_type, length, title in json.loads(packed)
    )


@dataclass(frozen=True)
class RowCodec:
    """How one backend's stored values become model values."""

    time: Callable[[Any], datetime | None]
    """A stored time to an aware UTC datetime (None stays None)."""
    tags: Callable[[Any], tuple[str, ...]]
    """A stored tag list to tag names, sorted case-insensitively."""
    texts: Callable[[Any], tuple[str, ...]]
    """A stored list of strings (source names, score terms) to a tuple."""


def sorted_tags(names: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(sorted(names or (), key=str.casefold))


def feed_from_row(row: Sequence[Any], codec: RowCodec, counts: tuple[int, int] = (0, 0)) -> Feed:
    """A feed from the first 21 columns of a backend's `FEED_COLUMNS`."""
    (
        id_, url, kind, title, user_title, link, added, enabled, disabled_reason, etag,
        last_modified, body_hash, last_checked, last_updated, next_check, last_error,
        error_count, update_interval, ttl, tags, full_text,
    ) = row[:21]  # fmt: skip
    return Feed(
        id=int(id_),
        url=str(url),
        kind=SourceKind(kind),
        title=title,
        user_title=user_title,
        link=link,
        tags=codec.tags(tags),
        added=codec.time(added),
        enabled=bool(enabled),
        disabled_reason=disabled_reason,
        validators=Validators(etag=etag, last_modified=last_modified),
        body_hash=body_hash,
        last_checked=codec.time(last_checked),
        last_updated=codec.time(last_updated),
        next_check=codec.time(next_check),
        last_error=last_error,
        error_count=int(error_count),
        update_interval=update_interval,
        ttl=ttl,
        item_count=counts[0],
        unread_count=counts[1],
        full_text=None if full_text is None else bool(full_text),
    )


def item_from_row(row: Sequence[Any], codec: RowCodec, *, with_content: bool) -> Item:
    """An item from a backend's `ITEM_COLUMNS_LIGHT` (21) or `ITEM_COLUMNS_FULL` (25)."""
    (
        id_, source_id, source_name, identity, title, link, author, published, updated,
        first_seen, source_names, read, starred, score, score_terms, story_id, tags,
        story_size, source_removed, hidden, full_text,
    ) = row[:21]  # fmt: skip
    content_html = text = summary = None
    enclosures: tuple[ItemLink, ...] = ()
    if with_content:
        content_html, text, summary, packed = row[21:25]
        enclosures = unpack_enclosures(packed)
    return Item(
        id=int(id_),
        source_id=int(source_id),
        source=str(source_name),
        identity=str(identity),
        title=title,
        link=link,
        author=author,
        published=codec.time(published),
        updated=codec.time(updated),
        first_seen=codec.time(first_seen),
        content_html=content_html,
        text=text,
        summary=summary,
        source_names=codec.texts(source_names),
        read=bool(read),
        starred=bool(starred),
        tags=codec.tags(tags),
        score=score,
        score_terms=codec.texts(score_terms),
        story_id=story_id,
        story_size=int(story_size),
        source_removed=bool(source_removed),
        enclosures=enclosures,
        hidden=bool(hidden),
        full_text=bool(full_text),
    )


def backlog_date(items: Sequence[ItemWrite], known: Sized, deleted: Sized) -> datetime | None:
    """Where undated items of a feed's first fetch sort: the oldest date beside them.

    An undated item sorts by when it was first seen, but a feed's very first items (nothing
    known, nothing pruned) are its backlog, not news; an undated old item among them must
    not top "newest". None when this is not a first fetch or nothing in it is dated.
    """
    if len(known) or len(deleted):
        return None
    dated = [d for d in (i.published or i.updated for i in items) if d is not None]
    return min(dated) if dated else None


def feed_update_sets(
    update: FeedUpdate, *, mark: str, time: Callable[[datetime | None], object]
) -> tuple[list[str], list[object]]:
    """The ``column = value`` assignments (with `mark` as the placeholder) and parameters
    that record `update` on a feed's row; a move to a new URL is the backend's to add."""
    sets = [f"last_checked = {mark}"]
    params: list[object] = [time(update.checked)]
    if update.next_check is not None:
        sets.append(f"next_check = {mark}")
        params.append(time(update.next_check))
    for column, value in (
        ("title", update.title),
        ("link", update.link),
        ("body_hash", update.body_hash),
        ("ttl", update.ttl),
    ):
        if value is not None:
            sets.append(f"{column} = {mark}")
            params.append(value)
    if update.validators is not None:
        sets += [f"etag = {mark}", f"last_modified = {mark}"]
        params += [update.validators.etag, update.validators.last_modified]
    if update.error is None:
        sets += ["last_error = NULL", "error_count = 0"]
    else:
        sets += [f"last_error = {mark}", "error_count = error_count + 1"]
        params.append(update.error)
    if update.disable_reason is not None:
        sets += [f"enabled = {mark}", f"disabled_reason = {mark}"]
        params += [False, update.disable_reason]
    if update.updated_items:
        sets.append(f"last_updated = {mark}")
        params.append(time(update.checked))
    return sets, params
