"""The terminal reader's reading-depth parts, through the Pilot on a real store: saved views
in the sidebar with unread counts, the Hidden view, `/` with filters, and `f` fetching the
article of the item under the cursor from a page on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from reader.config import FetchSettings, Settings
from reader.core import Reader
from reader.models import FeedUpdate, FeedWrite, ItemFilter, Rule, RuleAction, RuleActionKind
from reader.query import parse_query
from reader.store import SQLiteStore, Store
from reader.tui import ReaderApp
from reader.tui.screens.prompt import PromptScreen
from reader.tui.widgets.item_list import ItemList
from reader.tui.widgets.sidebar import Sidebar
from tests.loopback_server import LoopbackServer, loopback_server
from tests.test_tui import (
    SIZE,
    fill_store,
    fixed_clock,
    generated_items,
    go_to_view,
    main_screen,
    settle,
    static_text,
)

__all__ = ["loopback_server"]

PAGES = Path(__file__).parent / "data" / "pages"


def hide_new_item(store: Store) -> int:
    """Store one more item through a `hide` rule, as an update does; how many it hid."""
    feed = store.get_feed("https://news.example/feed.xml")
    rule = Rule("sponsored", parse_query("sponsored"), RuleAction(RuleActionKind.HIDE))
    item = generated_items(1, start=900, prefix="Sponsored")[0]
    [counts] = store.write_feeds(
        [FeedWrite(feed.id, feed.url, (item,), FeedUpdate(checked=fixed_clock()))], rules=[rule]
    )
    return len(counts.new_ids)


async def test_saved_views_and_the_hidden_view_sit_in_the_sidebar(store: Store) -> None:
    fill_store(store, seeds=False)
    hidden = hide_new_item(store)
    reader = Reader(store, Settings())
    reader.add_view("Recent reports", "title:report newer:1000d is:unread")
    app = ReaderApp(reader, clock=fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        sidebar = main_screen(pilot).query_one(Sidebar)
        saved = sidebar.views["view:recent reports"]
        expected = store.count_items(
            ItemFilter(query=parse_query("title:report newer:1000d is:unread"))
        )
        assert saved.unread == expected > 0
        assert sidebar.views["hidden"].count == hidden == 1
        await go_to_view(pilot, "view:recent reports")
        items = main_screen(pilot).query_one(ItemList)
        assert items.total == expected
        await go_to_view(pilot, "hidden")
        assert items.total == 1
        assert "Sponsored 900:" in (items.item_at(0).title or "")  # type: ignore[union-attr]
        await go_to_view(pilot, "topic")
        assert items.total == store.count_items() == store.count_items(ItemFilter(hidden=None)) - 1


async def test_slash_takes_filters_as_well_as_words(store: Store) -> None:
    fill_store(store, seeds=False)
    store.mark_items([i.id for i in store.get_items(limit=10)], read=True)
    app = ReaderApp(Reader(store, Settings()), clock=fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"japan is:read", "enter")
        await settle(pilot)
        items = main_screen(pilot).query_one(ItemList)
        assert items.total == 10
        assert all(items.item_at(n).read for n in range(10))  # type: ignore[union-attr]


async def test_f_fetches_the_article_of_the_item_on_screen(
    tmp_path: Path, loopback_server: LoopbackServer
) -> None:
    link = loopback_server.feed(
        "council.html", (PAGES / "article-council.html").read_bytes(), content_type="text/html"
    )
    settings = Settings(fetch=FetchSettings(allow=(loopback_server.authority,), timeout=5.0))
    with SQLiteStore(tmp_path / "r.db") as store:
        from reader.models import ItemWrite

        feed = store.add_feed("https://gazette.example/feed", title="Gazette")
        summary = ItemWrite("one", "Patrol plan", link, None, None, None, None, "Short.", "h")
        store.write_items(feed.id, [summary], now=fixed_clock())
        app = ReaderApp(Reader(store, settings), clock=fixed_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("f")
            await settle(pilot)
            screen = main_screen(pilot)
            body = static_text(screen.query_one("#item-body", Static))
            head = static_text(screen.query_one("#item-head", Static))
            assert "eleven countries" in body and "Comments (214)" not in body
            assert "the linked article (full text)" in head
            assert store.get_items()[0].full_text
