"""The terminal reader, driven through Textual's Pilot on a real store (seeds + generated items)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static
from textual.worker import WorkerCancelled

from reader.config import FetchSettings, ReaderSettings, Settings, TopicSettings
from reader.core import Reader
from reader.models import Body, FeedUpdate, ItemFilter, ItemWrite
from reader.parse.blocks import html_blocks
from reader.sources.seeds import import_seeds
from reader.store import SQLiteStore, open_store
from reader.tui import ReaderApp
from reader.tui.render import body_text, item_row, relative_date
from reader.tui.screens.confirm import ConfirmScreen
from reader.tui.screens.help import HelpScreen
from reader.tui.screens.main import MainScreen
from reader.tui.screens.prompt import PromptScreen
from reader.tui.widgets import item_list
from reader.tui.widgets.item_list import ItemList
from reader.tui.widgets.reading_pane import ReadingPane
from reader.tui.widgets.sidebar import Sidebar
from tests.conftest import SEEDS_DIR
from tests.loopback_server import LoopbackServer

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
"""The reader's clock in these tests: every generated item is older."""
DAY_BEFORE = NOW - timedelta(days=1)
GENERATED = 250
"""Items of the generated feed (more than two pages of the list)."""
SIZE = (120, 36)
HOSTILE_TITLE = "[bold]Boom[/bold] [@click=app.quit]x[/] \x1b]0;owned\x07\x1b[2J\x9b31m end"
"""A title with markup and terminal escapes: it must be drawn literally, minus the controls."""


def fixed_clock() -> datetime:
    return NOW


def generated_items(
    count: int, *, start: int = 0, prefix: str = "Report", newest: datetime = DAY_BEFORE
) -> list[ItemWrite]:
    """Items one hour apart, the last one at `newest`."""
    return [
        ItemWrite(
            identity=f"{prefix}-{n}",
            title=f"{prefix} {n}: NATO and Japan in the Pacific",
            link=f"https://news.example/{prefix}/{n}",
            author="Desk",
            published=newest - timedelta(hours=count + start - 1 - n),
            updated=None,
            content_html=f"<p>Paragraph one of {prefix.lower()} {n}.</p><ul><li>a</li></ul>",
            text=f"Paragraph one of {prefix.lower()} {n}. a",
            content_hash=f"{prefix}-{n}",
        )
        for n in range(start, start + count)
    ]


def fill_store(store: SQLiteStore, *, seeds: bool = True) -> None:
    """The real seeds, a generated feed, a failing feed and an item with hostile text."""
    if seeds:
        report = import_seeds(store, SEEDS_DIR, now=NOW - timedelta(days=30))
        assert not report.errors
    news = store.add_feed("https://news.example/feed.xml", title="Example News")
    store.write_items(news.id, generated_items(GENERATED), now=NOW - timedelta(days=2))
    broken = store.add_feed("https://broken.example/feed.xml", title="Broken [red]Feed")
    store.update_feed(broken.url, FeedUpdate(checked=NOW, error="HTTP 500 \x1b[31mserver error"))
    hostile = ItemWrite(
        identity="hostile",
        title=HOSTILE_TITLE,
        link="https://broken.example/x",
        author="[i]Mallory\x07",
        published=NOW - timedelta(days=400),
        updated=None,
        content_html="<p>Body [bold]not markup[/bold] \x1b]8;;https://evil\x07link\x1b]8;;\x07</p>",
        text="Body",
        content_hash="h",
    )
    store.write_items(broken.id, [hostile], now=NOW - timedelta(days=3))


@pytest.fixture
def filled(store: SQLiteStore) -> SQLiteStore:
    fill_store(store)
    return store


def make_app(store: SQLiteStore, **reader: object) -> ReaderApp:
    settings = Settings(reader=replace(ReaderSettings(), **reader))  # type: ignore[arg-type]
    return ReaderApp(Reader(store, settings), clock=fixed_clock)


async def settle(pilot: Pilot[None]) -> None:
    """Wait until the workers (which start one another) are done and messages handled."""
    for _ in range(6):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:  # an exclusive worker replaced by a newer one: wait again
            continue
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            break


def main_screen(pilot: Pilot[None]) -> MainScreen:
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def go_to_view(pilot: Pilot[None], key: str) -> None:
    """Highlight a view in the sidebar, as a user moving through it does."""
    options = pilot.app.screen.query_one("#views", OptionList)
    options.highlighted = options.get_option_index(key)
    await settle(pilot)


def drawn_rows(items: ItemList) -> list[str]:
    """The item list's visible rows as the terminal receives them."""
    rows = []
    for y in range(items.scrollable_content_region.height):
        rows.append("".join(segment.text for segment in items.render_line(y)))
    return rows


def news_key(store: SQLiteStore) -> str:
    return f"feed:{store.get_feed('https://news.example/feed.xml').id}"


def static_text(widget: Static) -> str:
    content = widget.render()
    assert isinstance(content, Content)
    return content.plain


# -- navigation and opening ---------------------------------------------------------------------


async def test_topic_view_lists_every_item_and_sidebar_counts_unread(filled: SQLiteStore) -> None:
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(pilot)
        items = screen.query_one(ItemList)
        assert items.total == filled.count_items()
        sidebar = screen.query_one(Sidebar)
        assert [v.label for v in list(sidebar.views.values())[:4]] == [
            "Topic",
            "Unread",
            "Starred",
            "Seeds",
        ]
        assert sidebar.views["unread"].unread == filled.count_items(ItemFilter(unread=True))
        assert sidebar.views["seeds"].unread == 5
        broken = next(v for v in sidebar.views.values() if v.label.startswith("Broken"))
        assert broken.error == "HTTP 500 [31mserver error"  # ESC gone, text kept


async def test_j_and_k_move_the_cursor_and_pages_load_on_demand(
    filled: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(item_list, "MAX_PAGES", 1)  # far pages are dropped, read again later
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        items = main_screen(pilot).query_one(ItemList)
        await pilot.press("j", "j", "j", "k")
        assert items.cursor == 2
        await pilot.press("end")
        await settle(pilot)
        assert items.cursor == items.total - 1
        assert items.current_item is not None  # the last page was fetched when shown
        assert all(row.strip() not in ("…", "") for row in drawn_rows(items))
        assert items.item_at(0) is None  # the first page was dropped for the last
        await pilot.press("home")
        await settle(pilot)
        assert items.current_item is not None and items.cursor == 0


async def test_enter_opens_the_item_in_the_pane_and_marks_it_read(filled: SQLiteStore) -> None:
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await go_to_view(pilot, news_key(filled))
        screen = main_screen(pilot)
        item = screen.query_one(ItemList).current_item
        assert item is not None and not item.read
        await pilot.press("enter")
        await settle(pilot)
        pane = screen.query_one(ReadingPane)
        assert pane.item is not None and pane.item.id == item.id
        head = static_text(screen.query_one("#item-head", Static))
        body = static_text(screen.query_one("#item-body", Static))
        assert f"Report {GENERATED - 1}: NATO and Japan" in head
        assert "Example News" in head and "https://news.example/Report/249" in head
        assert "Paragraph one of report 249." in body and "• a" in body
        assert filled.get_item(item.id).read


async def test_opening_keeps_the_item_unread_when_the_setting_is_off(filled: SQLiteStore) -> None:
    app = make_app(filled, mark_read_on_open=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item = main_screen(pilot).query_one(ItemList).current_item
        assert item is not None
        await pilot.press("enter")
        await settle(pilot)
        assert not filled.get_item(item.id).read


async def test_topic_lists_best_scored_first_hides_low_scores_and_shows_why(
    filled: SQLiteStore,
) -> None:
    news = filled.get_items(ItemFilter(source="Example News"), limit=3)
    filled.set_scores(
        {
            news[2].id: (0.9, ["nato", "japan"]),
            news[1].id: (0.6, ["pacific"]),
            news[0].id: (0.1, []),
        }
    )
    settings = Settings(topic=TopicSettings(hide_below=0.5))
    app = ReaderApp(Reader(filled, settings), clock=fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(pilot)
        items = screen.query_one(ItemList)
        assert screen.view is not None and screen.view.key == "topic"
        assert items.total == 2
        listed = [items.item_at(row) for row in range(2)]
        assert [item.id for item in listed if item] == [news[2].id, news[1].id]
        await pilot.press("enter")
        await settle(pilot)
        head = static_text(screen.query_one("#item-head", Static))
        assert "Score   0.90\nWhy     nato, japan\n" in head


# -- marks and tags -----------------------------------------------------------------------------


async def test_m_and_s_toggle_read_and_star_in_the_store(filled: SQLiteStore) -> None:
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        items = main_screen(pilot).query_one(ItemList)
        await pilot.press("j")
        item = items.current_item
        assert item is not None
        await pilot.press("m")
        await settle(pilot)
        assert filled.get_item(item.id).read
        await pilot.press("m")
        await settle(pilot)
        assert not filled.get_item(item.id).read
        await pilot.press("s")
        await settle(pilot)
        assert filled.get_item(item.id).starred
        current = items.current_item
        assert current is not None and current.starred  # the row shows the new mark
        assert "★" in drawn_rows(items)[1]
        sidebar = main_screen(pilot).query_one(Sidebar)
        assert sidebar.views["starred"].unread == 1


async def test_t_tags_with_completion_and_u_removes_the_tag(filled: SQLiteStore) -> None:
    first = filled.get_items(limit=1)[0]
    filled.add_tags(first.id, ["japan-policy"])
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        items = main_screen(pilot).query_one(ItemList)
        await pilot.press("j", "j")
        item = items.current_item
        assert item is not None
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("j", "a", "right")  # → takes the suggested existing tag
        assert app.screen.query_one(Input).value == "japan-policy"
        await pilot.press("enter")
        await settle(pilot)
        assert filled.get_item(item.id).tags == ("japan-policy",)
        assert "tag:japan-policy" in main_screen(pilot).query_one(Sidebar).views
        await pilot.press("u")  # one tag: removed without asking
        await settle(pilot)
        assert filled.get_item(item.id).tags == ()


async def test_mark_all_read_asks_first_and_marks_only_the_view(filled: SQLiteStore) -> None:
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await go_to_view(pilot, "seeds")
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        seeds_id = filled.seeds_source().id
        assert filled.count_items(ItemFilter(source_id=seeds_id, unread=True)) == 5
        await pilot.press("A")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert filled.count_items(ItemFilter(source_id=seeds_id, unread=True)) == 0
        assert filled.count_items(ItemFilter(unread=True)) == GENERATED + 1
        assert main_screen(pilot).query_one(Sidebar).views["seeds"].unread == 0


async def test_tagging_an_item_deleted_meanwhile_reports_it_and_keeps_running(
    filled: SQLiteStore,
) -> None:
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await go_to_view(pilot, news_key(filled))
        item = main_screen(pilot).query_one(ItemList).current_item
        assert item is not None
        filled.delete_items(item.source_id, [item.identity])
        await pilot.press("t")
        await pilot.pause()
        await pilot.press(*"gone", "enter")
        await settle(pilot)
        assert any(f"no such item: {item.id}" in str(n.message) for n in app._notifications)
        assert app.is_running and "gone" not in {t.name for t in filled.get_tags()}


# -- search and story ---------------------------------------------------------------------------


async def test_slash_searches_and_lists_results_with_the_query_highlighted(
    filled: SQLiteStore,
) -> None:
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"wolf", "enter")
        await settle(pilot)
        screen = main_screen(pilot)
        view = screen.view
        assert view is not None and view.key == "search" and view.query == "wolf"
        hits = filled.search("wolf", limit=500)
        items = screen.query_one(ItemList)
        assert items.total == len(hits) > 0
        assert [items.item_at(n).id for n in range(items.total)] == [  # type: ignore[union-attr]
            h.item.id for h in hits
        ]
        await pilot.press("enter")
        await settle(pilot)
        body = screen.query_one("#item-body", Static).render()
        assert isinstance(body, Content)
        highlighted = {body.plain[s.start : s.end].lower() for s in body.spans if s.style}
        assert "wolf" in highlighted
        await pilot.press("escape")  # back to the view listed before the search
        await settle(pilot)
        assert screen.view is not None and screen.view.key == "topic"


async def test_a_bad_search_query_is_reported_and_changes_nothing(filled: SQLiteStore) -> None:
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"AND", "enter")  # plain text always runs; this has no words
        await settle(pilot)
        screen = main_screen(pilot)
        assert screen.view is not None and screen.view.key == "topic"
        assert any("nothing to search for" in str(n.message) for n in app._notifications)


async def test_story_key_lists_every_source_of_the_story(filled: SQLiteStore) -> None:
    seeds = filled.get_items(ItemFilter(source_id=filled.seeds_source().id))
    news = filled.get_items(ItemFilter(source="Example News"), limit=2)
    filled.set_stories([("NATO office in Tokyo", [seeds[0].id, news[0].id, news[1].id])])
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await go_to_view(pilot, "seeds")
        screen = main_screen(pilot)
        items = screen.query_one(ItemList)
        while items.current_item is not None and items.current_item.id != seeds[0].id:
            await pilot.press("j")
        await pilot.press("enter")
        await settle(pilot)
        assert "2 sources" in static_text(screen.query_one("#item-head", Static))
        await pilot.press("S")
        await settle(pilot)
        assert screen.view is not None and screen.view.key == "story"
        assert items.total == 3


# -- what is drawn is safe ----------------------------------------------------------------------


async def test_markup_and_control_characters_from_the_network_are_drawn_inert(
    filled: SQLiteStore,
) -> None:
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(pilot)
        broken = next(k for k, v in screen.query_one(Sidebar).views.items() if v.error)
        await go_to_view(pilot, broken)
        items = screen.query_one(ItemList)
        row = drawn_rows(items)[0]
        assert "[bold]Boom[/bold] [@click=app.quit]x[/]" in row
        details = static_text(screen.query_one("#view-details", Static))
        assert details == "HTTP 500 [31mserver error"
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running  # the [@click=app.quit] title did nothing
        head = static_text(screen.query_one("#item-head", Static))
        body = static_text(screen.query_one("#item-body", Static))
        assert "[bold]Boom[/bold]" in head and "[i]Mallory" in head
        assert "[bold]not markup[/bold]" in body
        shown = "".join(drawn_rows(items)) + head + body
        shown += "".join(str(o.prompt) for o in screen.query_one("#views", OptionList).options)
        assert "Broken [red]Feed" in shown
        for control in ("\x1b", "\x07", "\x9b"):
            assert control not in shown
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\x07" not in svg


# -- keeping up with the store ------------------------------------------------------------------


async def test_items_stored_by_another_process_appear_and_the_cursor_stays_put(
    filled: SQLiteStore, store_location: Path | str
) -> None:
    app = make_app(filled, refresh_every=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(pilot)
        await go_to_view(pilot, news_key(filled))
        items = screen.query_one(ItemList)
        await pilot.press("j", "j", "j")
        before = items.current_item
        total = items.total
        assert before is not None
        with open_store(store_location) as daemon:  # a second connection, as the daemon has
            news = daemon.get_feed("https://news.example/feed.xml")
            daemon.write_items(
                news.id, generated_items(7, start=1000, prefix="Late", newest=NOW), now=NOW
            )
        for _ in range(30):
            await pilot.pause(0.05)
            await settle(pilot)
            if items.total != total:
                break
        assert items.total == total + 7
        after = items.current_item
        assert after is not None and after.id == before.id
        assert items.cursor == 3 + 7


async def test_r_refreshes_feeds_in_a_worker_and_shows_the_outcome(
    store: SQLiteStore,
) -> None:
    with LoopbackServer() as server:
        body = (
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>Loop</title>'
            b"<item><guid>1</guid><title>Fresh NATO report</title>"
            b"<link>https://example.org/1</link></item></channel></rss>"
        )
        store.add_feed(server.feed("a.xml", body))
        settings = Settings(
            fetch=FetchSettings(allow=(server.authority,), timeout=5.0, parse_workers=1)
        )
        app = ReaderApp(Reader(store, settings), clock=fixed_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("r")
            for _ in range(100):
                await pilot.pause(0.1)
                if not main_screen(pilot).refreshing:
                    break
            await settle(pilot)
            screen = main_screen(pilot)
            assert "Refreshed 1 feeds: 1 new" in static_text(screen.query_one("#note", Static))
            assert screen.query_one(ItemList).total == 1
    assert store.get_items()[0].title == "Fresh NATO report"


# -- help, palette, quitting --------------------------------------------------------------------


async def test_help_lists_every_key_and_the_palette_offers_every_action(
    filled: SQLiteStore,
) -> None:
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(pilot)
        titles = {command.title for command in app.get_system_commands(screen)}
        for action in (
            "Star or unstar the item",
            "Full-text search",
            "Next item",
            "Mark everything in this view read",
            "Update all feeds now",
        ):
            assert action in titles
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = [row[0] for _, rows in app.screen.groups for row in rows]
        for key in (
            "j / ↓",
            "k / ↑",
            "enter",
            "m",
            "space",
            "n",
            "N",
            "z",
            "b",
            "O",
            "v",
            "l",
            "s",
            "t",
            "u",
            "A",
            "/",
            "o",
            "S",
            "r",
            "q",
            "Q",
            "?",
        ):
            assert key in keys
        await pilot.press("escape")
        await pilot.pause()
        item = screen.query_one(ItemList).current_item
        assert item is not None and not item.starred
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Star or unstar")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert filled.get_item(item.id).starred
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running


# -- pieces -------------------------------------------------------------------------------------


def test_html_becomes_paragraphs_lists_quotes_and_listed_links() -> None:
    blocks = html_blocks(
        "<p>One <b>bold</b>\n  line.</p><ul><li>first</li><li>second</li></ul>"
        '<blockquote><p>Quoted</p></blockquote><p><a href="https://a.example/x">here</a></p>'
        "<script>alert(1)</script>"
    )
    text = body_text(Body.of(blocks)).plain
    assert text.startswith("One bold line.\n\n• first\n• second\n\n▌ Quoted\n\nhere[1]")
    assert text.rstrip().endswith("[1] https://a.example/x")
    assert "alert" not in text


def test_relative_dates_for_the_last_week_then_days() -> None:
    assert relative_date(NOW - timedelta(minutes=5), NOW) == "5m ago"
    assert relative_date(NOW - timedelta(hours=3), NOW) == "3h ago"
    assert relative_date(NOW - timedelta(days=2), NOW) == "2d ago"
    assert relative_date(NOW - timedelta(days=30), NOW) == "2025-01-30"
    assert relative_date(None, NOW) == ""


def test_an_item_row_fills_exactly_the_width(filled: SQLiteStore) -> None:
    for item in filled.get_items(limit=20):
        for width in (60, 90, 120):
            assert item_row(item, width, NOW).cell_len == width


def test_reader_tui_is_a_command_and_the_default_one() -> None:
    from click.testing import CliRunner

    from reader.cli.main import cli

    assert "tui" in CliRunner().invoke(cli, ["--help"]).output
    assert cli.get_command(None, "tui") is not None  # type: ignore[arg-type]
