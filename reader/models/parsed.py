"""What the parse stage returns: a feed document's items, a web page's article."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from reader.models.items import ItemLink

if TYPE_CHECKING:
    pass


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
class ParsedArticle:
    """The main text of a web page (an item's linked article), sanitized like feed HTML."""

    url: str
    """The page's URL (after redirects)."""
    content_html: str
    """The article's sanitized HTML."""
    text: str
    """Its plain text (for search, scoring and display)."""
