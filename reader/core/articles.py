"""The full article of one item, on demand (the reader's key): fetched, extracted, kept.

The same path as an update's full articles (`reader.update.articles`): the feeds' guarded
`Fetcher`, extraction in a parser worker under ``[fetch] extract_timeout``. The item is then
scored again on the article's text, as a new item would be.
"""

from __future__ import annotations

from collections.abc import Callable

from reader.config import Settings
from reader.exceptions import FeedError
from reader.fetch import Fetcher
from reader.models import Item
from reader.parse.pool import ParserPool
from reader.store.base import Store
from reader.update import Scorer
from reader.update.articles import fetch_article


class NoArticleError(FeedError):
    """The item's page could not be had, or holds no article."""


async def fetch_item_article(
    store: Store, settings: Settings, item_id: int, scorer: Callable[[], Scorer | None]
) -> Item:
    """Fetch the item's linked article and keep it as the item's body; the item as it now
    is. `NoArticleError` (the item keeps its text) when there is no link, no page or no
    article in it; `ItemNotFoundError` for an unknown item."""
    item = store.get_item(item_id)
    link = item.link or ""
    if not link.startswith(("http://", "https://")):
        raise NoArticleError(link or f"item {item_id}", "the item has no web link")
    async with (
        Fetcher(settings.fetch, settings.fetch_allow) as fetcher,
        ParserPool(workers=1, deadline=settings.fetch.extract_timeout) as pool,
    ):
        try:
            article = await fetch_article(link, fetcher=fetcher, extractor=pool, settings=settings)
        except FeedError as exc:
            raise NoArticleError(link, exc.message) from None
    if article is None:
        raise NoArticleError(link, "the page holds no article text")
    store.set_full_text(item_id, content_html=article.content_html, text=article.text)
    score = scorer()
    if score is not None:
        fresh = store.get_item(item_id)
        text = "\n".join(p for p in (fresh.title, fresh.summary, fresh.text) if p)
        [(value, terms)] = score([text])
        store.set_scores({item_id: (float(value), tuple(terms))})
    return store.get_item(item_id)
