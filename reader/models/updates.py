"""One update's data, in the order it flows: fetched, decided, written, reported."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from reader.models.feeds import Validators
from reader.models.items import ItemLink

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class FetchResult:
    """What the fetcher got for one feed: data, not decisions."""

    url: str
    """The URL that was asked for."""
    final_url: str
    """Where the redirects (if any) ended."""
    status: int
    """The final HTTP status (304 when not modified)."""
    body: bytes | None
    """The decoded body; None on 304."""
    content_type: str | None = None
    """The `Content-Type` header."""
    validators: Validators = field(default_factory=Validators)
    """Caching validators the server sent."""
    permanent_url: str | None = None
    """Set when only permanent redirects (301/308) led to the feed: its new address."""
    retry_after: int | None = None
    """Seconds from `Retry-After` (429/503)."""
    max_age: int | None = None
    """Seconds from `Cache-Control: max-age`."""
    expires: datetime | None = None
    """The `Expires` header."""
    elapsed: float = 0.0
    """Seconds the exchange took."""


@dataclass(frozen=True)
class CheckOutcome:
    """What one check of a feed showed, as the scheduler needs it."""

    checked: datetime
    """When the check happened."""
    error_count: int = 0
    """Consecutive failed checks including this one (0 after a success)."""
    not_modified: bool = False
    retry_after: int | None = None
    """Seconds the server asked us to wait (429/503)."""
    ttl: int | None = None
    """RSS `<ttl>`, in seconds."""
    max_age: int | None = None
    """`Cache-Control: max-age`, in seconds."""
    expires: datetime | None = None
    """The `Expires` header."""
    item_dates: tuple[datetime, ...] = ()
    """Publication dates of the feed's recent items, for its posting rhythm."""


@dataclass(frozen=True)
class ItemWrite:
    """An item the updater asks the store to insert or update (marks are left alone)."""

    identity: str
    """Stable id within its source."""
    title: str | None
    link: str | None
    author: str | None
    published: datetime | None
    updated: datetime | None
    content_html: str | None
    text: str | None
    content_hash: str
    """Hash of the item's content, to tell a changed item from an unchanged one."""
    summary: str | None = None
    source_names: tuple[str, ...] = ()
    score: float | None = None
    """Relevance to the topic in [0, 1], when the updater scored it."""
    score_terms: tuple[str, ...] = ()
    """The terms that made the score (why it matched)."""
    enclosures: tuple[ItemLink, ...] = ()
    """What the item carries (enclosures and thumbnails)."""
    full_text: bool = False
    """`text` and `content_html` are the linked page's article (the feed's text is the
    summary)."""


@dataclass(frozen=True)
class ItemVersion:
    """What the store remembers of an item, to tell new, changed and unchanged apart."""

    identity: str
    content_hash: str | None
    updated: datetime | None
    deleted: bool = False
    """True for an item pruned by retention: it must not come back."""


@dataclass(frozen=True)
class WriteCounts:
    """What a write of items did."""

    new: int = 0
    updated: int = 0
    new_ids: tuple[int, ...] = field(default=(), compare=False)
    """The store ids of the new items, in document order (counts compare by the numbers)."""


@dataclass(frozen=True)
class FeedUpdate:
    """What an update learned about a feed; None fields are left as they are."""

    checked: datetime
    """When the fetch happened."""
    next_check: datetime | None = None
    """When the feed is next due."""
    title: str | None = None
    link: str | None = None
    validators: Validators | None = None
    """New caching validators (saved with the items they describe)."""
    body_hash: str | None = None
    ttl: int | None = None
    new_url: str | None = None
    """Where a permanent redirect moved the feed."""
    error: str | None = None
    """A one-line error; None means the update succeeded and clears the last error."""
    disable_reason: str | None = None
    """Set to disable the feed (410 Gone)."""
    updated_items: bool = False
    """True when the update brought new or changed items."""


@dataclass(frozen=True)
class FeedWrite:
    """One feed's share of a batched store write: its items and what its update learned."""

    source_id: int
    """The feed's store id."""
    feed_url: str
    """The feed's URL as stored (before any move)."""
    items: tuple[ItemWrite, ...]
    """New and changed items to insert or update."""
    feed_update: FeedUpdate
    """Applied in the same transaction as the items (validators never without their items)."""


@dataclass(frozen=True)
class FeedResult:
    """How the update of one feed went."""

    url: str
    """The feed's URL (before any move)."""
    new: int = 0
    updated: int = 0
    not_modified: bool = False
    """304, or the same bytes as last time."""
    error: str | None = None
    """One line; None on success."""
    moved_to: str | None = None
    """The new URL after a permanent redirect."""
    disabled: bool = False
    """The feed was disabled (410 Gone)."""
    duration: float = 0.0
    """Seconds the feed's update took."""


@dataclass(frozen=True)
class UpdateReport:
    """The outcome of an update of many feeds."""

    results: tuple[FeedResult, ...]
    started: datetime
    finished: datetime
    stopped_by: str | None = None
    """Why the update stopped before every feed was done: the database failed (a full disk, a
    damaged file), in one line naming it. None when the update ran to its end."""
    not_done: int = 0
    """Feeds left out because the update stopped; they stay due."""

    @property
    def checked(self) -> int:
        return len(self.results)

    @property
    def new(self) -> int:
        return sum(r.new for r in self.results)

    @property
    def updated(self) -> int:
        return sum(r.updated for r in self.results)

    @property
    def not_modified(self) -> int:
        return sum(r.not_modified for r in self.results)

    @property
    def errors(self) -> tuple[FeedResult, ...]:
        return tuple(r for r in self.results if r.error is not None)
