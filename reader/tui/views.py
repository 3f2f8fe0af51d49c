"""The views the sidebar offers (Topic, Unread, Starred, Seeds, Hidden, saved views, tags,
feeds, search, story).

A view is data: a label, the filter and order its items are listed in, and its counts.
Building the list reads the store, so it runs in a worker, never on the event loop.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from reader.core import HIDDEN_FILTER, Reader, topic_filter
from reader.exceptions import InvalidSearchQueryError
from reader.models import SEEDS_SOURCE_URL, Feed, ItemFilter, SortOrder
from reader.textsafe import plain


class ViewKind(enum.StrEnum):
    """What a view lists."""

    TOPIC = "topic"
    UNREAD = "unread"
    STARRED = "starred"
    SEEDS = "seeds"
    TAG = "tag"
    FEED = "feed"
    SEARCH = "search"
    STORY = "story"
    SAVED = "saved"
    HIDDEN = "hidden"


@dataclass(frozen=True)
class View:
    """One entry of the sidebar: what to list and how many of those are unread."""

    key: str
    """Unique id of the view in the sidebar (``topic``, ``tag:NAME``, ``feed:ID``...)."""
    kind: ViewKind
    """What the view lists."""
    label: str
    """The name shown, already made plain text."""
    where: ItemFilter
    """Which items the view lists."""
    sort: SortOrder = SortOrder.NEWEST
    """How the items are ordered (ignored when `ids` fixes the order)."""
    ids: tuple[int, ...] | None = None
    """A fixed list of items in this order (search results, best first)."""
    unread: int = 0
    """Unread items in the view."""
    error: str | None = None
    """For a failing or disabled feed: why, as one plain line."""
    query: str | None = None
    """For a search or saved view: the query, to highlight its words."""
    count: int | None = None
    """For views counted by all their items rather than the unread (Hidden)."""


def build_views(reader: Reader) -> list[View]:
    """The sidebar's fixed views, then one per tag and one per feed, with unread counts."""
    topic = topic_filter(reader.settings)
    feeds = reader.get_feeds(include_seeds=True)
    seeds = next((f for f in feeds if f.is_seeds), None)
    views = [
        View(
            "topic",
            ViewKind.TOPIC,
            "Topic",
            topic,
            SortOrder.RELEVANCE,
            unread=reader.count_items(replace(topic, unread=True)),
        ),
        View(
            "unread",
            ViewKind.UNREAD,
            "Unread",
            ItemFilter(unread=True),
            unread=reader.count_items(ItemFilter(unread=True)),
        ),
        View(
            "starred",
            ViewKind.STARRED,
            "Starred",
            ItemFilter(starred=True),
            unread=reader.count_items(ItemFilter(starred=True, unread=True)),
        ),
        View(
            "seeds",
            ViewKind.SEEDS,
            "Seeds",
            ItemFilter(source_id=seeds.id) if seeds else ItemFilter(source=SEEDS_SOURCE_URL),
            SortOrder.RELEVANCE,
            unread=seeds.unread_count if seeds else 0,
        ),
    ]
    hidden = reader.count_items(HIDDEN_FILTER)
    if hidden:  # shown only when a rule has hidden something
        views.append(
            View("hidden", ViewKind.HIDDEN, "Hidden", HIDDEN_FILTER, unread=0, count=hidden)
        )
    views += saved_views(reader)
    views += [
        View(
            f"tag:{tag.name}",
            ViewKind.TAG,
            plain(tag.name),
            ItemFilter(tag=tag.name),
            unread=tag.unread,
        )
        for tag in reader.get_tags()
    ]
    views += [feed_view(feed) for feed in feeds if not feed.is_seeds]
    return views


def saved_views(reader: Reader) -> list[View]:
    """The saved queries (`reader views add`), each with its unread count; a view whose query
    no longer parses (saved by a newer version) says why instead of failing the sidebar."""
    views: list[View] = []
    for saved in reader.get_views():
        key = f"view:{saved.name.casefold()}"
        try:
            where = reader.query_filter(saved.query)
        except InvalidSearchQueryError as exc:
            views.append(
                View(key, ViewKind.SAVED, plain(saved.name), ItemFilter(ids=()), error=exc.hint)
            )
            continue
        unread = reader.count_items(replace(where, unread=True))
        views.append(
            View(key, ViewKind.SAVED, plain(saved.name), where, unread=unread, query=saved.query)
        )
    return views


def feed_view(feed: Feed) -> View:
    """The view of one feed; a failing or disabled feed carries why."""
    error = feed.last_error if feed.last_error else None
    if not feed.enabled:
        error = f"disabled: {feed.disabled_reason or 'by the user'}"
    return View(
        f"feed:{feed.id}",
        ViewKind.FEED,
        plain(feed.name),
        ItemFilter(source_id=feed.id),
        unread=feed.unread_count,
        error=plain(error) if error else None,
    )


def search_view(query: str, ids: tuple[int, ...], unread: int) -> View:
    """The results of a full-text search, best first."""
    return View(
        "search",
        ViewKind.SEARCH,
        f"Search: {plain(query)}",
        ItemFilter(ids=ids),
        ids=ids,
        unread=unread,
        query=query,
    )


def story_view(story_id: int, title: str, unread: int) -> View:
    """Every source's report of one story."""
    return View(
        "story",
        ViewKind.STORY,
        f"Story: {plain(title)}",
        ItemFilter(story_id=story_id),
        SortOrder.RELEVANCE,
        unread=unread,
    )
