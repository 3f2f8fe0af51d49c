"""The terminal reader's use cases without Textual: the `Controller` and `Navigation` driven
directly on a real SQLite file (seeds + generated items), as the screen's workers call them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.config import FetchSettings, Settings
from reader.core import Reader
from reader.exceptions import InvalidSearchQueryError, ItemNotFoundError
from reader.models import ItemFilter, SortOrder
from reader.store import SQLiteStore, open_store
from reader.tui.controller import Controller, NoBrowserError, has_story, web_link
from reader.tui.navigation import Navigation, Place
from reader.tui.pages import PAGE_SIZE
from reader.tui.views import View, ViewKind
from tests.loopback_server import LoopbackServer, loopback_server
from tests.test_tui import GENERATED, NOW, fill_store, generated_items

__all__ = ["loopback_server"]


@pytest.fixture
def filled(db_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(db_path) as store:
        fill_store(store)
        yield store


def controller_on(store: SQLiteStore, **options: object) -> Controller:
    return Controller(Reader(store, Settings()), **options)  # type: ignore[arg-type]


def view_of(controller: Controller, key: str) -> View:
    return next(v for v in controller.read_views() if v.key == key)


def news_view(controller: Controller, store: SQLiteStore) -> View:
    return view_of(controller, f"feed:{store.get_feed('https://news.example/feed.xml').id}")


# -- listing ------------------------------------------------------------------------------------


def test_the_first_view_is_the_topic_listed_with_its_size_and_first_page(
    filled: SQLiteStore,
) -> None:
    controller = controller_on(filled)
    views = controller.read_views()
    assert [v.key for v in views[:4]] == ["topic", "unread", "starred", "seeds"]
    listing = controller.list_view(views[0])
    assert listing.total == filled.count_items()
    assert list(listing.pages) == [0] and len(listing.pages[0]) == PAGE_SIZE
    assert listing.cursor == 0 and listing.keeps_open


def test_a_reload_keeps_the_cursor_on_its_item_when_new_items_arrive_above(
    filled: SQLiteStore,
) -> None:
    controller = controller_on(filled)
    view = news_view(controller, filled)
    before = controller.list_view(view)
    kept = before.pages[0][3]
    feed = filled.get_feed("https://news.example/feed.xml")
    filled.write_items(feed.id, generated_items(5, start=500, prefix="Late", newest=NOW), now=NOW)
    after = controller.list_view(view, keep_item=kept.id, near=3)
    assert after.total == before.total + 5
    assert after.cursor == 3 + 5
    assert after.pages[0][8].id == kept.id


def test_pages_beyond_the_first_are_read_on_demand_in_the_views_order(
    filled: SQLiteStore,
) -> None:
    controller = controller_on(filled)
    view = news_view(controller, filled)
    second = controller.page(view, 1)
    everything = filled.get_items(view.where, sort=view.sort)
    assert [i.id for i in second] == [i.id for i in everything[PAGE_SIZE : 2 * PAGE_SIZE]]


def test_a_listing_says_when_the_open_item_is_not_in_the_view(filled: SQLiteStore) -> None:
    controller = controller_on(filled)
    seeds = view_of(controller, "seeds")
    news = news_view(controller, filled)
    in_news = controller.list_view(news).pages[0][150 % PAGE_SIZE]
    assert not controller.list_view(seeds, open_item=in_news.id).keeps_open
    assert controller.list_view(news, open_item=in_news.id).keeps_open
    far = filled.get_items(news.where, sort=news.sort)[-1]  # in the view, on no page read
    assert controller.list_view(news, open_item=far.id).keeps_open


def test_the_item_open_in_an_unread_view_stays_open_once_read(filled: SQLiteStore) -> None:
    controller = controller_on(filled)
    unread = view_of(controller, "unread")
    first = controller.list_view(unread).pages[0][0]
    controller.open_item(first.id, mark_read=True)
    listing = controller.list_view(unread, open_item=first.id)
    assert all(item.id != first.id for item in listing.pages[0])  # no longer listed
    assert listing.keeps_open  # but not taken from the pane
    seeds = view_of(controller, "seeds")
    assert not controller.list_view(seeds, open_item=first.id).keeps_open


# -- next and previous unread ---------------------------------------------------------------


def test_next_unread_is_found_past_the_loaded_pages_and_previous_goes_back(
    filled: SQLiteStore,
) -> None:
    controller = controller_on(filled)
    view = news_view(controller, filled)
    rows = filled.get_items(view.where, sort=view.sort)
    filled.mark_items([item.id for item in rows[:230]], read=True)  # beyond two pages
    found = controller.next_unread(view, 0)
    assert found is not None and found.row == 230 and found.item.id == rows[230].id
    assert found.page[found.row % PAGE_SIZE].id == rows[230].id  # the page the row is on
    assert controller.next_unread(view, 230) is not None
    assert controller.next_unread(view, 230).row == 231  # type: ignore[union-attr]
    assert controller.next_unread(view, 230, forward=False) is None
    filled.mark_items([rows[10].id], read=False)
    back = controller.next_unread(view, 230, forward=False)
    assert back is not None and back.row == 10


def test_next_unread_is_none_when_everything_is_read(filled: SQLiteStore) -> None:
    controller = controller_on(filled)
    view = news_view(controller, filled)
    controller.mark_view_read(view)
    assert controller.next_unread(view, 0) is None
    assert controller.next_unread(view, GENERATED - 1, forward=False) is None


# -- reading, marks and tags ----------------------------------------------------------------


def test_opening_an_item_reads_its_body_and_marks_it_read_only_when_asked(
    filled: SQLiteStore,
) -> None:
    controller = controller_on(filled)
    first, second = controller.list_view(news_view(controller, filled)).pages[0][:2]
    opened = controller.open_item(first.id, mark_read=True)
    assert opened.read and opened.content_html and "Paragraph one" in opened.content_html
    assert not controller.open_item(second.id, mark_read=False).read
    assert not filled.get_item(second.id).read


def test_marks_and_tags_are_written_and_the_fresh_item_returned(filled: SQLiteStore) -> None:
    controller = controller_on(filled)
    item = controller.list_view(news_view(controller, filled)).pages[0][0]
    starred = controller.set_marks(item.id, read=True, starred=True)
    assert starred is not None and starred.read and starred.starred
    tagged = controller.add_tag(item.id, "japan-policy")
    assert tagged is not None and tagged.tags == ("japan-policy",)
    untagged = controller.remove_tag(item.id, "japan-policy")
    assert untagged is not None and untagged.tags == ()
    assert filled.get_item(item.id).starred


def test_marking_an_item_deleted_meanwhile_raises_a_reader_error(filled: SQLiteStore) -> None:
    controller = controller_on(filled)
    item = controller.list_view(news_view(controller, filled)).pages[0][0]
    filled.delete_items(item.source_id, [item.identity])
    with pytest.raises(ItemNotFoundError):
        controller.add_tag(item.id, "gone")


def test_marking_a_view_read_marks_only_that_view(filled: SQLiteStore) -> None:
    controller = controller_on(filled)
    assert controller.mark_view_read(view_of(controller, "seeds")) == 5
    assert filled.count_items(ItemFilter(unread=True)) == GENERATED + 1


def test_own_writes_are_not_changes_but_another_process_writes_are(
    filled: SQLiteStore, db_path: Path
) -> None:
    controller = controller_on(filled)
    controller.changes.take()
    item = controller.list_view(news_view(controller, filled)).pages[0][0]
    controller.set_marks(item.id, starred=True)
    controller.open_item(item.id, mark_read=True)
    assert controller.changes.changed() is None
    with open_store(db_path) as daemon:
        daemon.mark_items([item.id], read=False)
    assert controller.changes.changed() is not None


# -- search, story, the browser ---------------------------------------------------------------


def test_a_search_lists_its_results_best_first_with_the_rows_at_hand(
    filled: SQLiteStore,
) -> None:
    controller = controller_on(filled)
    listing = controller.search("wolf")
    hits = filled.search("wolf", limit=500)
    assert listing.view.kind is ViewKind.SEARCH and listing.total == len(hits) > 0
    listed = [item.id for rows in listing.pages.values() for item in rows]
    assert listed == [hit.item.id for hit in hits] == list(listing.view.ids or ())


def test_a_search_that_cannot_run_raises_its_hint(filled: SQLiteStore) -> None:
    with pytest.raises(InvalidSearchQueryError, match="nothing to search for"):
        controller_on(filled).search("AND")


def test_hiding_read_items_of_a_search_keeps_its_order(filled: SQLiteStore) -> None:
    controller = controller_on(filled)
    view = controller.search("japan").view
    ids = view.ids or ()
    filled.mark_items(list(ids[::2]), read=True)
    arranged = controller.arrange(view, hide_read=True)
    assert arranged.ids == ids[1::2]
    assert controller.list_view(arranged).total == len(ids[1::2])
    assert controller.arrange(view, hide_read=False) is view


def test_a_story_view_lists_every_source_of_the_story(filled: SQLiteStore) -> None:
    seeds = filled.get_items(ItemFilter(source_id=filled.seeds_source().id))
    news = filled.get_items(ItemFilter(source="Example News"), limit=2)
    filled.set_stories([("NATO office in Tokyo", [seeds[0].id, news[0].id, news[1].id])])
    controller = controller_on(filled)
    item = filled.get_item(seeds[0].id)
    alone = filled.get_items(ItemFilter(source="Example News"), limit=3)[2]
    assert has_story(item) and not has_story(alone)
    story = controller.story(item)
    assert story.kind is ViewKind.STORY
    assert controller.list_view(story).total == 3


def test_the_browser_gets_the_link_and_the_item_is_marked_read_when_asked(
    filled: SQLiteStore,
) -> None:
    opened: list[str] = []
    controller = controller_on(filled, open_link=lambda url: opened.append(url) or True)
    item = controller.list_view(news_view(controller, filled)).pages[0][0]
    assert web_link(item) == item.link
    assert controller.open_in_browser(item, mark_read=False) is None
    assert not filled.get_item(item.id).read
    fresh = controller.open_in_browser(item, mark_read=True)
    assert fresh is not None and fresh.read and filled.get_item(item.id).read
    assert opened == [item.link, item.link]


def test_no_browser_is_an_error_and_marks_nothing(filled: SQLiteStore) -> None:
    controller = controller_on(filled, open_link=lambda url: False)
    item = controller.list_view(news_view(controller, filled)).pages[0][0]
    with pytest.raises(NoBrowserError, match=r"No browser could open https://news\.example"):
        controller.open_in_browser(item, mark_read=True)
    assert not filled.get_item(item.id).read


# -- refresh ----------------------------------------------------------------------------------


def test_a_refresh_updates_every_feed_and_reports_progress(
    db_path: Path, loopback_server: LoopbackServer
) -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Loop</title>'
        b"<item><guid>1</guid><title>Fresh NATO report</title>"
        b"<link>https://example.org/1</link></item></channel></rss>"
    )
    settings = Settings(
        fetch=FetchSettings(allow=(loopback_server.authority,), timeout=5.0, parse_workers=1)
    )
    with SQLiteStore(db_path) as store:
        store.add_feed(loopback_server.feed("a.xml", body))
        store.add_feed(loopback_server.feed("b.xml", body.replace(b"<guid>1", b"<guid>2")))
        progress: list[tuple[int, int]] = []
        report = Controller(Reader(store, settings)).refresh(
            lambda done, total: progress.append((done, total))
        )
        assert report.checked == 2 and report.new == 2
        assert progress[0] == (0, 2) and progress[-1] == (2, 2)


# -- navigation (no store at all) -----------------------------------------------------------


def plain_view(key: str, kind: ViewKind = ViewKind.FEED) -> View:
    return View(key, kind, key.title(), ItemFilter())


def test_leaving_a_search_returns_to_the_view_and_item_it_was_entered_from() -> None:
    nav = Navigation()
    topic, feed = plain_view("topic", ViewKind.TOPIC), plain_view("feed:1")
    nav.accept_views([topic, feed])
    nav.begin(feed)
    nav.enter_transient(plain_view("search", ViewKind.SEARCH), Place(feed, 42, 7))
    nav.enter_transient(plain_view("search", ViewKind.SEARCH), Place(topic, 1, 0))  # a 2nd
    assert [v.key for v in nav.sidebar_views()] == ["topic", "search", "feed:1"]
    assert nav.leave_transient() == Place(feed, 42, 7)
    assert nav.leave_transient() is None  # not in a search any more


def test_a_stale_listing_is_told_apart_by_its_generation() -> None:
    nav = Navigation()
    old = nav.begin(plain_view("topic", ViewKind.TOPIC))
    new = nav.begin(plain_view("feed:1"))
    assert not nav.is_current(old) and nav.is_current(new)


def test_the_sort_key_cycles_orders_and_hide_read_lists_only_unread() -> None:
    nav = Navigation()
    view = View("topic", ViewKind.TOPIC, "Topic", ItemFilter(), SortOrder.RELEVANCE)
    nav.begin(view)
    assert nav.arranged(view) is view
    assert nav.toggle_sort() is SortOrder.NEWEST
    assert nav.toggle_sort() is SortOrder.OLDEST
    assert nav.toggle_hide_read()
    arranged = nav.arranged(view)
    assert arranged.sort is SortOrder.OLDEST and arranged.where.unread
    assert nav.arrangement() == "oldest first · unread only"
