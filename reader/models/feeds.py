"""Feeds: a subscribed source as the store knows it, and what is learned about one."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


SEEDS_SOURCE_URL = "seeds:"
"""The URL of the built-in source that holds the seed articles."""


SEEDS_SOURCE_TITLE = "seeds"
"""The display name of the built-in seeds source."""


class SourceKind(enum.StrEnum):
    """Where a source's items come from."""

    FEED = "feed"
    SEEDS = "seeds"


@dataclass(frozen=True)
class Validators:
    """HTTP caching validators, saved after a fetch and sent back on the next one."""

    etag: str | None = None
    """The `ETag` response header, sent back as `If-None-Match`."""
    last_modified: str | None = None
    """The `Last-Modified` response header, sent back as `If-Modified-Since`."""


@dataclass(frozen=True)
class Feed:
    """A source of items as the store knows it: a subscribed feed or the built-in seeds."""

    id: int
    """Store-assigned id."""
    url: str
    """The feed's URL (``seeds:`` for the seeds source)."""
    kind: SourceKind = SourceKind.FEED
    """A fetched feed or the local seeds."""
    title: str | None = None
    """The title the feed gives itself."""
    user_title: str | None = None
    """A title the user chose; wins over `title`."""
    link: str | None = None
    """The site the feed belongs to."""
    tags: tuple[str, ...] = ()
    """Feed-level tags (OPML folders, `feeds add --tag`)."""
    added: datetime | None = None
    """When the feed was added."""
    enabled: bool = True
    """Disabled feeds are never fetched (410 Gone disables a feed)."""
    disabled_reason: str | None = None
    """Why the feed was disabled, for the user."""
    validators: Validators = field(default_factory=Validators)
    """Caching validators from the last successful fetch."""
    body_hash: str | None = None
    """Hash of the last parsed body, so identical bytes are not parsed again."""
    last_checked: datetime | None = None
    """When the feed was last fetched (successfully or not)."""
    last_updated: datetime | None = None
    """When the feed last brought new or changed items."""
    next_check: datetime | None = None
    """When the feed is next due; None means now."""
    last_error: str | None = None
    """The last fetch or parse error, cleared by a successful update."""
    error_count: int = 0
    """Consecutive failed updates (drives backoff)."""
    update_interval: int | None = None
    """Per-feed override of the default check interval, in seconds."""
    ttl: int | None = None
    """The feed's own hint of how long to cache it, in seconds (RSS ttl, max-age)."""
    item_count: int = 0
    """Items from this source in the store."""
    unread_count: int = 0
    """Unread items from this source."""
    full_text: bool | None = None
    """Fetch each new item's linked article; None follows ``[fetch] full_text``."""

    @property
    def name(self) -> str:
        """What to call the feed in listings."""
        return self.user_title or self.title or self.url

    @property
    def is_seeds(self) -> bool:
        return self.kind is SourceKind.SEEDS


@dataclass(frozen=True)
class FeedRemoval:
    """What removing a feed did to its items."""

    deleted: int
    """Items deleted with the feed."""
    kept: int
    """Starred or tagged items kept (readable, marked as from a removed feed)."""


@dataclass(frozen=True)
class FeedLink:
    """A feed a web page points to (``<link rel="alternate">``) or one found at a common path."""

    url: str
    title: str | None = None
    type: str | None = None
    """The MIME type the page declared (``application/rss+xml``...)."""
