"""Feed discovery: from a site's address to the feeds it offers.

A URL that is itself a feed is used as is. Otherwise the page's ``<link rel="alternate">``
feeds are each fetched and parsed (only a link that really holds a feed counts), and when the
page names none that works, the usual places on its site (`COMMON_FEED_PATHS`) are tried.
Everything goes through the feeds' own `Fetcher`: the address guard, deadlines and size caps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from reader.config import Settings
from reader.exceptions import DiscoveryError, FeedError, PageUnreachableError
from reader.fetch import Fetcher
from reader.models import FeedLink, FetchResult
from reader.parse import parse_document
from reader.parse.webpage import (
    COMMON_FEED_PATHS,
    common_feed_urls,
    decode_html,
    feed_links,
    looks_like_html,
)
from reader.update import http_status_text


@dataclass(frozen=True)
class Discovery:
    """What `discover_feeds` found at a URL."""

    url: str
    """The URL asked about."""
    feeds: tuple[FeedLink, ...]
    """Working feeds, the page's own first (in its order), else the first common path found."""
    is_feed: bool = False
    """The URL itself is a feed."""
    tried: tuple[str, ...] = ()
    """Every URL fetched, in order."""


async def discover_feeds(settings: Settings, url: str) -> Discovery:
    """The feeds at `url`; `DiscoveryError` naming what was tried when there are none,
    `PageUnreachableError` when the URL itself could not be fetched."""
    async with Fetcher(settings.fetch, settings.fetch_allow) as fetcher:
        return await _discover(fetcher, url)


async def _discover(fetcher: Fetcher, url: str) -> Discovery:
    try:
        page = await fetcher.fetch(url)
    except FeedError as exc:
        raise PageUnreachableError(url, f"could not fetch it: {exc.message}") from None
    if not 200 <= page.status < 300 or page.body is None:
        raise PageUnreachableError(url, f"could not fetch it: {http_status_text(page.status)}")
    tried = [url]
    if not looks_like_html(page.body, page.content_type):
        title = await _feed_title(page)
        if title is not None:
            return Discovery(url, (FeedLink(url, title or None),), is_feed=True, tried=(url,))
    links = feed_links(decode_html(page.body, page.content_type), page.final_url)
    found = await _working(fetcher, links)
    tried += [link.url for link in links]
    if not found:
        # One at a time, in order: the first common path that holds a feed is the one.
        for candidate in common_feed_urls(page.final_url):
            if candidate in tried:
                continue
            tried.append(candidate)
            found = await _working(fetcher, [FeedLink(candidate)])
            if found:
                break
    if not found:
        named = (
            f"the {len(links)} feed link(s) it names did not work, nor"
            if links
            else 'it names no feed (<link rel="alternate">), nor is there one at'
        )
        raise DiscoveryError(
            url, f"no feed found: {named} {', '.join(COMMON_FEED_PATHS)} on its site"
        )
    return Discovery(url, tuple(found), tried=tuple(tried))


async def _working(fetcher: Fetcher, links: Sequence[FeedLink]) -> list[FeedLink]:
    """The links that lead to a parsable feed, each titled (the link's, else the feed's)."""

    async def check(link: FeedLink) -> FeedLink | None:
        try:
            result = await fetcher.fetch(link.url)
        except FeedError:
            return None
        if not 200 <= result.status < 300 or result.body is None:
            return None
        title = await _feed_title(result)
        if title is None:
            return None
        return FeedLink(link.url, link.title or title or None, link.type)

    checked = await asyncio.gather(*(check(link) for link in links))
    return [link for link in checked if link is not None]


async def _feed_title(result: FetchResult) -> str | None:
    """The feed's title ("" when it has none) if `result` is a feed; None if it is not."""
    try:
        parsed = await asyncio.to_thread(
            parse_document,
            result.body or b"",
            url=result.final_url,
            content_type=result.content_type,
            max_items=1,
        )
    except FeedError:
        return None
    return parsed.title or ""
