"""The project's data types, in one place, named by where they flow.

- What the parser returns: `ParsedFeed`, `ParsedItem` (with `ItemLink`s).
- What the updater asks the store to write: `ItemWrite`, `FeedUpdate`.
- What the store hands back: `Feed`, `Item`, `ItemVersion`, `TagCount`, `SearchHit`,
  `Story`, `StoreStats`, `FeedRemoval`.
- How callers ask for items: `ItemFilter`.
- What story grouping reads and writes: `StoryLead`, `StoryCandidate`, `StoryChanges`.

All are frozen dataclasses (one named tuple); times are timezone-aware UTC `datetime`s.
"""

from __future__ import annotations

import enum
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from reader.query.nodes import QueryNode

SEEDS_SOURCE_URL = "seeds:"
"""The URL of the built-in source that holds the seed articles."""

SEEDS_SOURCE_TITLE = "seeds"
"""The display name of the built-in seeds source."""


class SourceKind(enum.StrEnum):
    """Where a source's items come from."""

    FEED = "feed"
    SEEDS = "seeds"


class LinkKind(enum.StrEnum):
    """What a link of an item is."""

    ENCLOSURE = "enclosure"
    """A file the item carries: a podcast's audio, a video, an image (RSS `<enclosure>`,
    Atom `rel="enclosure"`, Media RSS `<media:content>`, JSON Feed attachments)."""
    THUMBNAIL = "thumbnail"
    """A picture for the item (`<media:thumbnail>`, JSON Feed `image`)."""
    LINK = "link"
    """A link in the item's text."""
    IMAGE = "image"
    """An image in the item's text."""


@dataclass(frozen=True)
class ItemLink:
    """One of an item's links: a file it carries, or a link or image in its text."""

    url: str
    """Absolute http(s) URL (``mailto:`` for a text link)."""
    kind: LinkKind = LinkKind.LINK
    media_type: str | None = None
    """The MIME type the feed gives (``audio/mpeg``), if any."""
    length: int | None = None
    """The size in bytes the feed gives, if any."""
    title: str | None = None
    """A title the feed gives (JSON Feed attachments), if any."""

    @property
    def is_enclosure(self) -> bool:
        return self.kind in (LinkKind.ENCLOSURE, LinkKind.THUMBNAIL)


# The cleaner (nh3) writes every attribute in double quotes with `"` and `&` escaped and every
# href/src absolute, so a pattern reads a stored body's links exactly.
_TEXT_LINK = re.compile(r'<(a|img)\s[^>]*?\b(?:href|src)="([^"\s]*)"')
_IMAGE_URL = ("https://", "http://")
_TEXT_URL = ("https://", "http://", "mailto:")


class SortOrder(enum.StrEnum):
    """How item listings are ordered."""

    NEWEST = "newest"
    OLDEST = "oldest"
    RELEVANCE = "relevance"


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
class ParsedItem:
    """One entry of a parsed feed document, normalized and sanitized."""

    identity: str
    """Stable id within its feed: guid/id, else link, else a content hash."""
    title: str | None = None
    """Plain-text title."""
    link: str | None = None
    """Absolute http(s) link to the original."""
    author: str | None = None
    """Plain-text author name(s)."""
    published: datetime | None = None
    """Publication time in UTC, None when absent or implausible."""
    updated: datetime | None = None
    """Last update time in UTC, None when absent or implausible."""
    content_html: str | None = None
    """Sanitized HTML body (content, else summary)."""
    text: str | None = None
    """Plain text of the body, for search, scoring and display."""
    summary: str | None = None
    """Plain-text summary, when the feed gives one apart from the content."""
    source_names: tuple[str, ...] = ()
    """Outlets the item names as its sources (seeds' `Sources include:`)."""
    enclosures: tuple[ItemLink, ...] = ()
    """Enclosures, then media contents, then thumbnails, as the feed lists them."""


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed document: its own metadata and its items."""

    url: str
    """The URL the document was fetched from (after redirects)."""
    title: str | None = None
    """The feed's title."""
    link: str | None = None
    """The site the feed belongs to."""
    items: tuple[ParsedItem, ...] = ()
    """The entries, in document order, identities unique."""
    ttl: int | None = None
    """RSS `<ttl>` in seconds, if given."""
    version: str | None = None
    """The format, e.g. ``rss20``, ``atom10``, ``json11``."""
    warnings: tuple[str, ...] = ()
    """Non-fatal problems (feedparser's bozo on a usable document)."""


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
class Item:
    """An item as the store hands it out, with the user's marks."""

    id: int
    """Store-assigned id, stable for the item's life."""
    source_id: int
    """The id of the feed (or seeds source) it came from."""
    source: str
    """The display name of its source."""
    identity: str
    """Stable id within its source."""
    title: str | None = None
    link: str | None = None
    author: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    first_seen: datetime | None = None
    """When the store first saw it."""
    content_html: str | None = None
    text: str | None = None
    summary: str | None = None
    source_names: tuple[str, ...] = ()
    read: bool = False
    starred: bool = False
    tags: tuple[str, ...] = ()
    """The user's tags on this item, sorted."""
    score: float | None = None
    """Relevance to the topic in [0, 1]; None until scored."""
    score_terms: tuple[str, ...] = ()
    """The top terms that made the score."""
    story_id: int | None = None
    """The story (cluster of reports on one event) it belongs to."""
    story_size: int = 0
    """How many sources report the item's story (0 when it has none)."""
    source_removed: bool = False
    """Its feed was removed; the item was kept because it is starred or tagged."""
    enclosures: tuple[ItemLink, ...] = ()
    """What the item carries: podcast audio, video, images, thumbnails. Like the body, only
    filled when the item is read with its content (`get_item`, `with_content=True`)."""

    @property
    def links(self) -> tuple[ItemLink, ...]:
        """Everything the item links to, numbered as `reader items show` lists it: what it
        carries, then each link and image of its text (read from the cleaned body, whose
        links are absolute), each URL once."""
        found = list(self.enclosures)
        seen = {link.url for link in found}
        for tag, url in _TEXT_LINK.findall(self.content_html or ""):
            url = html.unescape(url)
            is_image = tag == "img"
            if url in seen or not url.startswith(_IMAGE_URL if is_image else _TEXT_URL):
                continue
            seen.add(url)
            found.append(ItemLink(url, LinkKind.IMAGE if is_image else LinkKind.LINK))
        return tuple(found)

    hidden: bool = False
    """A rule hid it: kept, but listed only in the Hidden view."""
    full_text: bool = False
    """`text` and `content_html` are the linked page's article, not the feed's summary."""

    @property
    def date(self) -> datetime | None:
        """The item's date: published, else updated, else when it was first seen."""
        return self.published or self.updated or self.first_seen

    @property
    def dated(self) -> bool:
        """Whether the feed gave a date; if not, `date` is when the store first saw it."""
        return (self.published or self.updated) is not None


@dataclass(frozen=True)
class ItemFilter:
    """Which items a listing wants. Empty means everything."""

    unread: bool = False
    starred: bool = False
    tag: str | None = None
    """Items with this tag, on the item or on its feed."""
    source: str | None = None
    """Items of the source with this name or URL."""
    source_id: int | None = None
    story_id: int | None = None
    min_score: float | None = None
    ids: tuple[int, ...] | None = None
    """Only these items (search results)."""
    query: QueryNode | None = None
    """Only items the query finds (`reader.query`: words and filters such as ``tag:``)."""
    hidden: bool | None = False
    """Hidden items (a rule's ``hide``): False leaves them out, True lists only them, None
    both. Ignored with `ids`, and when `query` says ``is:hidden`` itself."""


@dataclass(frozen=True)
class FeedRemoval:
    """What removing a feed did to its items."""

    deleted: int
    """Items deleted with the feed."""
    kept: int
    """Starred or tagged items kept (readable, marked as from a removed feed)."""


def tag_key(name: str) -> str:
    """How tags compare: inner whitespace folded, any case (``Asia  desk`` is ``asia desk``)."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class TagCount:
    """A tag and how many items carry it."""

    name: str
    items: int
    unread: int


@dataclass(frozen=True)
class SearchHit:
    """A full-text search result."""

    item: Item
    snippet: str
    """Matching text with the hits between the markers given to `search`."""
    rank: float
    """Lower is better (FTS5 bm25)."""


@dataclass(frozen=True)
class Story:
    """Items from several sources that report the same event."""

    id: int
    title: str
    items: tuple[Item, ...]
    """Best-scored first."""

    @property
    def sources(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for item in self.items:
            seen.setdefault(item.source, None)
        return tuple(seen)

    @property
    def newest(self) -> datetime | None:
        dates = [d for d in (i.date for i in self.items) if d is not None]
        return max(dates) if dates else None


@dataclass(frozen=True)
class DaemonInfo:
    """A daemon attached to the store, as `reader status` lists it."""

    holder: str
    """Its unique name in leases: host, PID and a random token."""
    host: str
    """The machine it runs on."""
    pid: int
    """Its process id there."""
    started: datetime
    """When it started."""
    last_beat: datetime
    """When it last said it was alive (and renewed its leases)."""
    leases: int = 0
    """Feeds it holds now: claimed, not yet written back."""


@dataclass(frozen=True)
class StoreStats:
    """Counts for `reader status`."""

    feeds: int
    feeds_enabled: int
    feeds_due: int
    feeds_failing: int
    items: int
    unread: int
    last_update: datetime | None


@dataclass(frozen=True)
class StoreCheck:
    """What `reader db check` found."""

    problems: tuple[str, ...]
    """The database's own consistency problems (SQLite's integrity check); none when sound."""
    index_problem: str | None
    """Why the full-text index does not match the items; None when it does."""

    @property
    def ok(self) -> bool:
        return not self.problems and self.index_problem is None


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
class StoryLead:
    """What story grouping reads of an item waiting to be grouped."""

    id: int
    source_id: int
    """Reports from one source never count as two sources of a story."""
    day: int
    """The item's day (its published, updated or first-seen date, as days since 1970-01-01)."""
    text: str
    """Its title and the start of its summary or body, title first."""


class StoryCandidate(NamedTuple):
    """A grouped item that shares key terms with an item being grouped, and how similar.

    A named tuple rather than a dataclass: a batch reads thousands of them.
    """

    lead_id: int
    """The item being grouped."""
    item_id: int
    """The grouped item found through the story index."""
    source_id: int
    day: int
    similarity: float
    """Cosine of the two items' key vectors."""
    story_id: int | None
    """The found item's story, if it has one."""


@dataclass(frozen=True)
class StoryChanges:
    """What one grouping batch asks the store to write, in one transaction."""

    grouped: tuple[int, ...]
    """Items now grouped: they leave the queue of items waiting to be grouped."""
    postings: tuple[tuple[int, int, int, str, float], ...]
    """(item id, source id, day, term, weight) index entries of the grouped items."""
    merges: tuple[tuple[int, int], ...] = ()
    """(kept story id, merged story id): the second story's items move to the first."""
    joins: tuple[tuple[int, int], ...] = ()
    """(item id, story id): items joining an existing story."""
    new_stories: tuple[tuple[str, tuple[int, ...], StoryCentroid], ...] = ()
    """(title, item ids, centroid) of stories to create."""
    centroids: tuple[tuple[int, StoryCentroid], ...] = ()
    """(story id, centroid) of existing stories that grew or merged."""


@dataclass(frozen=True)
class StoryCentroid:
    """What a story is about: the sum of its members' key vectors (strongest terms only)."""

    size: int
    """Members summed."""
    weights: tuple[tuple[str, float], ...]
    """(term, summed weight), strongest first."""


@dataclass(frozen=True)
class SavedView:
    """A query saved under a name (`reader views add`), listed in the reader's sidebar."""

    name: str
    query: str
    """The query as the user wrote it (`reader.query` syntax)."""


class RuleActionKind(enum.StrEnum):
    """What a rule does to the new items its query finds (never deleting anything)."""

    MARK_READ = "mark-read"
    STAR = "star"
    TAG = "tag"
    HIDE = "hide"
    SCORE = "score"


@dataclass(frozen=True)
class RuleAction:
    """One rule's action: a kind, with the tag name or the score change it needs."""

    kind: RuleActionKind
    tag: str | None = None
    """For ``tag:NAME``."""
    score_delta: float = 0.0
    """For ``score+0.2`` / ``score-0.2``: added to the topic score (kept within 0 to 1)."""

    def __str__(self) -> str:
        if self.kind is RuleActionKind.TAG:
            return f"tag:{self.tag}"
        if self.kind is RuleActionKind.SCORE:
            return f"score{self.score_delta:+g}"
        return self.kind.value


@dataclass(frozen=True)
class Rule:
    """A ``[[rules]]`` table: items its query finds get its action when they are stored."""

    query: str
    """The query as written in the settings."""
    node: QueryNode
    """The query parsed (`reader.query.parse_query`)."""
    action: RuleAction
    name: str = ""
    """What to call the rule in listings (default: its query and action)."""

    @property
    def label(self) -> str:
        return self.name or f"{self.query} -> {self.action}"


@dataclass(frozen=True)
class ParsedArticle:
    """The main text of a web page (an item's linked article), sanitized like feed HTML."""

    url: str
    """The page's URL (after redirects)."""
    content_html: str
    """The article's sanitized HTML."""
    text: str
    """Its plain text (for search, scoring and display)."""


@dataclass(frozen=True)
class FeedLink:
    """A feed a web page points to (``<link rel="alternate">``) or one found at a common path."""

    url: str
    title: str | None = None
    type: str | None = None
    """The MIME type the page declared (``application/rss+xml``...)."""
