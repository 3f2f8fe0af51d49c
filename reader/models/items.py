"""Items as the store hands them out, what they carry and their tags, and how listings ask for
them. (An item's body and every link of its text: `reader.models.body`.)"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reader.query.nodes import QueryNode


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


class SortOrder(enum.StrEnum):
    """How item listings are ordered."""

    NEWEST = "newest"
    OLDEST = "oldest"
    RELEVANCE = "relevance"


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
class SavedView:
    """A query saved under a name (`reader views add`), listed in the reader's sidebar."""

    name: str
    query: str
    """The query as the user wrote it (`reader.query` syntax)."""
