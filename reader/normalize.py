"""From a parsed feed to what the store writes: `ItemWrite`s with content hashes.

The content hash covers exactly the fields a reader would notice changing (title, link, author,
dates, body, summary), so the updater can tell a changed item from one the feed merely repeated.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from json.encoder import encode_basestring as _json_string

from reader.models import ItemWrite, ParsedFeed, ParsedItem

_HASH_VERSION = "1"
"""Bumped if the hashed fields change, so old hashes simply read as 'changed' once."""


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def content_hash(item: ParsedItem) -> str:
    """A stable hash of the fields that matter to a reader (hex, 32 characters)."""
    fields: list[str | None] = [
        _HASH_VERSION,
        item.title,
        item.link,
        item.author,
        _iso(item.published),
        _iso(item.updated),
        item.content_html,
        item.summary,
    ]
    # What the item carries counts too, but only when it carries something: items without
    # enclosures keep the hashes they had before enclosures were stored.
    fields += [link.url for link in item.enclosures]
    # Exactly `json.dumps(fields, ensure_ascii=False, separators=(",", ":"))`, written out:
    # the same C string escaper without building an encoder per call (a third faster).
    encoded = "[" + ",".join("null" if f is None else _json_string(f) for f in fields) + "]"
    return hashlib.blake2b(encoded.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def to_item_writes(parsed: ParsedFeed) -> list[ItemWrite]:
    """One `ItemWrite` per parsed item, in document order, identities unique.

    The parser already makes identities unique; a repeat here (a ParsedFeed built elsewhere)
    keeps the first occurrence rather than writing two rows under one identity.
    """
    writes: list[ItemWrite] = []
    seen: set[str] = set()
    for item in parsed.items:
        if item.identity in seen:
            continue
        seen.add(item.identity)
        writes.append(
            ItemWrite(
                identity=item.identity,
                title=item.title,
                link=item.link,
                author=item.author,
                published=item.published,
                updated=item.updated,
                content_html=item.content_html,
                text=item.text,
                content_hash=content_hash(item),
                summary=item.summary,
                source_names=item.source_names,
                enclosures=item.enclosures,
            )
        )
    return writes


def body_hash(body: bytes) -> str:
    """A hash of the raw response body, so identical bytes are not parsed again (hex, 64)."""
    return hashlib.sha256(body).hexdigest()
