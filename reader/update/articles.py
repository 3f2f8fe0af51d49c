"""Full articles: for feeds that give only a summary, each new item's linked page, extracted.

The page is fetched by the update's own `Fetcher` (the same address guard, deadline and size
cap as feeds) and its article extracted in a parser worker process (`reader.parse.article`)
under ``[fetch] extract_timeout``, so neither the event loop nor the store thread ever waits
on it. Any failure keeps the feed's summary: a missing article never fails the feed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from reader.config import Settings
from reader.exceptions import FeedError
from reader.fetch import ACCEPT_PAGE, Fetcher
from reader.models import Feed, ItemWrite, ParsedArticle
from reader.parse.webpage import looks_like_html
from reader.textsafe import plain

log = logging.getLogger("reader.articles")

SUMMARY_MAX_CHARS = 1500
"""An item whose text is shorter than this is taken for a summary; a longer one is already the
article (most summaries are a paragraph or two; most articles are several thousand characters)."""


class ArticleExtractor(Protocol):
    async def extract_article(
        self,
        body: bytes,
        *,
        url: str,
        content_type: str | None = None,
        max_chars: int = 200_000,
        deadline: float | None = None,
    ) -> ParsedArticle | None: ...


def wants_full_text(feed: Feed, settings: Settings) -> bool:
    """The feed's own switch, else ``[fetch] full_text``."""
    return settings.fetch.full_text if feed.full_text is None else feed.full_text


def needs_article(item: ItemWrite) -> bool:
    """An item with a web link whose feed text looks like a summary."""
    link = item.link or ""
    return link.startswith(("http://", "https://")) and len(item.text or "") < SUMMARY_MAX_CHARS


async def fetch_article(
    url: str, *, fetcher: Fetcher, extractor: ArticleExtractor, settings: Settings
) -> ParsedArticle | None:
    """The article at `url`, or None (not a web page, no article in it). `FeedError`s (the
    fetch or the extraction failed) are the caller's to keep or log."""
    result = await fetcher.fetch(url, accept=ACCEPT_PAGE)
    if not 200 <= result.status < 300 or not result.body:
        raise FeedError(url, f"HTTP {result.status}")
    if not looks_like_html(result.body, result.content_type):
        return None
    return await extractor.extract_article(
        result.body,
        url=result.final_url,
        content_type=result.content_type,
        max_chars=settings.fetch.max_field_chars,
        deadline=settings.fetch.extract_timeout,
    )


def with_article(item: ItemWrite, article: ParsedArticle) -> ItemWrite:
    """The item with the article as its body, and the feed's text kept as its summary."""
    if len(article.text) <= len(item.text or ""):
        return item  # the feed said more than the page
    return replace(
        item,
        content_html=article.content_html,
        text=article.text,
        summary=item.summary or item.text,
        full_text=True,
    )


async def with_articles(
    items: Sequence[ItemWrite],
    *,
    fetcher: Fetcher,
    extractor: ArticleExtractor,
    settings: Settings,
) -> tuple[ItemWrite, ...]:
    """`items` with the summaries among them replaced by their linked articles, fetched
    concurrently (the fetcher's per-host limit keeps one site from being hammered)."""

    async def one(item: ItemWrite) -> ItemWrite:
        if not needs_article(item):
            return item
        assert item.link is not None
        try:
            article = await fetch_article(
                item.link, fetcher=fetcher, extractor=extractor, settings=settings
            )
        except FeedError as exc:
            log.info("article %s: kept the summary: %s", plain(item.link), plain(exc.message))
            return item
        return item if article is None else with_article(item, article)

    return tuple(await asyncio.gather(*(one(item) for item in items)))
