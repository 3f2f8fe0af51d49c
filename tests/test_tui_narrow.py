"""The terminal reader at 80x24, through the Pilot on a real SQLite file: the list fills the
screen, opening shows the article full screen, the sidebar hides and comes back, the footer
keeps help and quit, help scrolls; Newsboat's keys (n / N, space, q / Q); the way back from a
search or story; the pane never showing an item of another view; the theme kept between runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.widget import Widget

from reader.config import ReaderSettings, Settings
from reader.config.ui_state import ui_state_file
from reader.core import Reader
from reader.models import ItemFilter, SortOrder
from reader.store import SQLiteStore
from reader.tui import ReaderApp
from reader.tui._textual_compat import footer_key_action
from reader.tui.layout import NARROW, Panes
from reader.tui.screens.help import HelpScreen
from reader.tui.screens.main import MainScreen
from reader.tui.widgets.item_list import ItemList
from reader.tui.widgets.key_footer import KeyFooter
from reader.tui.widgets.reading_pane import ReadingPane
from reader.tui.widgets.sidebar import Sidebar
from tests.test_tui import fill_store, fixed_clock, go_to_view, main_screen, news_key, settle

SMALL = (80, 24)
WIDE = (120, 36)


@pytest.fixture
def filled(db_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(db_path) as store:
        fill_store(store)
        yield store


def make_app(store: SQLiteStore, opened: list[str] | None = None) -> ReaderApp:
    def open_link(url: str) -> bool:
        if opened is not None:
            opened.append(url)
        return True

    settings = Settings(reader=ReaderSettings())
    return ReaderApp(Reader(store, settings), clock=fixed_clock, open_link=open_link)


def shown(widget: Widget) -> bool:
    """Whether the widget takes room on the screen now."""
    return widget.display and widget.region.area > 0


def footer_keys(screen: MainScreen) -> list[tuple[str, Region]]:
    """The footer's keys in order: (action, where it is drawn)."""
    footer = screen.query_one(KeyFooter)
    return [(footer_key_action(w) or "", w.region) for w in footer.children if footer_key_action(w)]


# -- the layout at 80x24 ------------------------------------------------------------------------


def test_the_panes_follow_the_width_and_the_users_sidebar_choice() -> None:
    panes = Panes(width=80)
    assert panes.narrow and not panes.sidebar and not panes.pane
    panes.toggle_sidebar()
    assert panes.sidebar
    panes.open_item()
    assert panes.article and not panes.sidebar and panes.pane
    panes.article = False
    panes.resize(NARROW)  # crossing the line gives the sidebar back to the width
    assert panes.sidebar and panes.pane and panes.footer_actions() is None
    panes.toggle_sidebar()
    panes.resize(NARROW + 20)  # not crossing it keeps the choice
    assert not panes.sidebar
    panes.open_item()
    assert not panes.article  # wide: the pane beside the list
    panes.open_item(zoomed=True)
    assert panes.article


async def test_at_80x24_the_list_fills_the_screen_and_the_footer_keeps_help_and_quit(
    filled: SQLiteStore,
) -> None:
    app = make_app(filled)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = main_screen(pilot)
        items = screen.query_one(ItemList)
        assert not shown(screen.query_one(Sidebar)) and not shown(screen.query_one(ReadingPane))
        assert items.region.width == 80 and items.region.height == 22
        assert app.focused is items
        keys = footer_keys(screen)
        assert [action for action, _ in keys[:2]] == ["help", "quit"]
        screen_region = Region(0, 0, *SMALL)
        for action, region in keys:
            assert screen_region.contains_region(region), f"{action} is cut off at {region}"
        assert {"open", "next_unread", "search"} <= {action for action, _ in keys}


async def test_opening_at_80x24_shows_the_article_full_screen_and_q_goes_back_then_quits(
    filled: SQLiteStore,
) -> None:
    app = make_app(filled)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await go_to_view(pilot, "seeds")  # long articles, to scroll
        screen = main_screen(pilot)
        items, pane = screen.query_one(ItemList), screen.query_one(ReadingPane)
        await pilot.press("j", "enter")
        await settle(pilot)
        assert pane.item is not None and pane.item.id == items.current_item.id  # type: ignore[union-attr]
        assert shown(pane) and pane.region.width == 80 and not shown(items)
        assert app.focused is pane
        assert [action for action, _ in footer_keys(screen)[:2]] == ["help", "back"]
        assert pane.max_scroll_y > 0
        await pilot.press("j", "j")
        assert pane.scroll_y == 2
        await pilot.press("k")
        assert pane.scroll_y == 1
        await pilot.press("q")
        await pilot.pause()
        assert shown(items) and not shown(pane) and app.focused is items
        assert items.cursor == 1
        assert [action for action, _ in footer_keys(screen)[:2]] == ["help", "quit"]
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running


async def test_escape_also_leaves_the_article_and_capital_q_quits_from_it(
    filled: SQLiteStore,
) -> None:
    app = make_app(filled)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = main_screen(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.panes.article
        await pilot.press("escape")
        await pilot.pause()
        assert not screen.panes.article and app.is_running
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("Q")
        await pilot.pause()
    assert not app.is_running


async def test_b_shows_and_hides_the_sidebar_and_widening_brings_it_back(
    filled: SQLiteStore,
) -> None:
    app = make_app(filled)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = main_screen(pilot)
        sidebar, items = screen.query_one(Sidebar), screen.query_one(ItemList)
        await pilot.press("b")
        await pilot.pause()
        assert shown(sidebar) and items.region.width < 80
        await pilot.press("tab")  # the focus goes to the sidebar, where j moves
        await pilot.pause()
        assert app.focused is not None and sidebar in app.focused.ancestors_with_self
        await pilot.press("j")
        await settle(pilot)
        assert screen.view is not None and screen.view.key == "unread"
        await pilot.press("b")
        await pilot.pause()
        assert not shown(sidebar) and app.focused is items  # not left on a hidden pane
        await pilot.resize_terminal(*WIDE)
        await settle(pilot)
        assert shown(sidebar) and shown(screen.query_one(ReadingPane))
        assert screen.query_one(KeyFooter).only is None  # every key again
        await pilot.press("b")
        await pilot.pause()
        assert not shown(sidebar) and items.region.width == WIDE[0]
        await pilot.resize_terminal(*SMALL)
        await settle(pilot)
        assert not shown(sidebar)


async def test_z_shows_the_open_article_full_screen_at_any_width(filled: SQLiteStore) -> None:
    app = make_app(filled)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        screen = main_screen(pilot)
        pane = screen.query_one(ReadingPane)
        await pilot.press("enter")
        await settle(pilot)
        assert not screen.panes.article and shown(screen.query_one(Sidebar))
        await pilot.press("z")
        await pilot.pause()
        assert pane.region.width == WIDE[0] and not shown(screen.query_one(ItemList))
        assert not shown(screen.query_one(Sidebar))
        await pilot.press("z")
        await pilot.pause()
        assert shown(screen.query_one(ItemList)) and shown(screen.query_one(Sidebar))


async def test_help_fits_80x24_and_scrolls_with_j_k_and_the_page_keys(
    filled: SQLiteStore,
) -> None:
    app = make_app(filled)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        dialog = app.screen.query_one("#dialog", VerticalScroll)
        assert Region(0, 0, *SMALL).contains_region(dialog.region)
        assert dialog.max_scroll_y > 0  # more keys than fit: scrolling is needed
        await pilot.press("j", "j", "j")
        assert dialog.scroll_y == 3
        await pilot.press("k")
        assert dialog.scroll_y == 2
        await pilot.press("down", "up", "up")
        assert dialog.scroll_y == 1
        await pilot.press("pagedown")
        assert dialog.scroll_y > 10
        await pilot.press("pageup")
        assert dialog.scroll_y == 1
        await pilot.press("G")
        assert dialog.scroll_y == dialog.max_scroll_y
        await pilot.press("g")
        assert dialog.scroll_y == 0
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.is_running


# -- Newsboat's keys ----------------------------------------------------------------------------


async def test_n_opens_the_next_unread_past_the_loaded_pages_and_capital_n_the_previous(
    filled: SQLiteStore,
) -> None:
    news = filled.get_feed("https://news.example/feed.xml")
    rows = filled.get_items(ItemFilter(source_id=news.id), sort=SortOrder.NEWEST)
    filled.mark_items([item.id for item in rows[1:150]], read=True)
    app = make_app(filled)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await go_to_view(pilot, news_key(filled))
        screen = main_screen(pilot)
        items, pane = screen.query_one(ItemList), screen.query_one(ReadingPane)
        await pilot.press("n")  # the unread item under the cursor comes first
        await settle(pilot)
        assert pane.item is not None and pane.item.id == rows[0].id and screen.panes.article
        await pilot.press("n")  # rows 1-149 are read; row 150 is on a page not loaded
        await settle(pilot)
        assert items.cursor == 150 and pane.item.id == rows[150].id
        assert filled.get_item(rows[150].id).read  # opened, so read
        await pilot.press("N")  # row 0 was read when opened: nothing before
        await settle(pilot)
        assert items.cursor == 150
        assert any("No unread item before" in str(n.message) for n in app._notifications)
        await pilot.press("n")
        await settle(pilot)
        assert items.cursor == 151 and pane.item.id == rows[151].id


async def test_space_pages_the_article_then_opens_the_next_unread(filled: SQLiteStore) -> None:
    app = make_app(filled)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await go_to_view(pilot, "seeds")
        screen = main_screen(pilot)
        pane = screen.query_one(ReadingPane)
        await pilot.press("space")  # nothing open: opens the item under the cursor
        await settle(pilot)
        first = pane.item
        assert first is not None and pane.max_scroll_y > 0
        pages = 0
        while not pane.at_end:
            await pilot.press("space")
            await pilot.pause()
            pages += 1
            assert pane.item is not None and pane.item.id == first.id
        assert pages >= 1 and pane.scroll_y == pane.max_scroll_y
        await pilot.press("space")
        await settle(pilot)
        assert pane.item is not None and pane.item.id != first.id
        assert screen.query_one(ItemList).cursor == 1 and pane.scroll_y == 0


async def test_capital_o_opens_the_link_and_marks_the_item_read(filled: SQLiteStore) -> None:
    opened: list[str] = []
    app = make_app(filled, opened)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        item = main_screen(pilot).query_one(ItemList).current_item
        assert item is not None and not item.read
        await pilot.press("o")
        await settle(pilot)
        assert opened == [item.link] and not filled.get_item(item.id).read
        await pilot.press("O")
        await settle(pilot)
        assert opened == [item.link, item.link] and filled.get_item(item.id).read
        current = main_screen(pilot).query_one(ItemList).current_item
        assert current is not None and current.read  # the row shows it


async def test_v_sorts_every_list_and_l_lists_only_unread_items(filled: SQLiteStore) -> None:
    news = filled.get_feed("https://news.example/feed.xml")
    newest = filled.get_items(ItemFilter(source_id=news.id), sort=SortOrder.NEWEST)
    filled.mark_items([newest[0].id, newest[1].id], read=True)
    app = make_app(filled)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await go_to_view(pilot, news_key(filled))
        screen = main_screen(pilot)
        items = screen.query_one(ItemList)
        assert items.current_item is not None and items.current_item.id == newest[0].id
        await pilot.press("v")  # newest (the feed's own order) -> oldest
        await settle(pilot)
        await pilot.press("g")
        assert items.current_item is not None and items.current_item.id == newest[-1].id
        await pilot.press("l")
        await settle(pilot)
        assert items.total == len(newest) - 2
        assert items.loaded_items() and not any(item.read for item in items.loaded_items())
        await pilot.press("l")
        await settle(pilot)
        assert items.total == len(newest)


# -- the way back, and the pane -----------------------------------------------------------------


@pytest.mark.parametrize("size", [SMALL, WIDE], ids=["80x24", "120x36"])
@pytest.mark.parametrize("leave", ["escape", "q"])
async def test_leaving_a_search_puts_the_cursor_back_on_its_item(
    filled: SQLiteStore, size: tuple[int, int], leave: str
) -> None:
    app = make_app(filled)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await go_to_view(pilot, news_key(filled))
        screen = main_screen(pilot)
        items = screen.query_one(ItemList)
        for _ in range(30):  # past the first screen, so the list scrolled too
            await pilot.press("j")
        before = items.current_item
        assert before is not None
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"wolf", "enter")
        await settle(pilot)
        assert screen.view is not None and screen.view.key == "search"
        await pilot.press("j", leave)
        await settle(pilot)
        assert screen.view is not None and screen.view.key == news_key(filled)
        assert items.cursor == 30
        assert items.current_item is not None and items.current_item.id == before.id
        assert app.is_running


async def test_leaving_a_story_puts_the_cursor_back_on_its_item(filled: SQLiteStore) -> None:
    news = filled.get_items(ItemFilter(source="Example News"), sort=SortOrder.NEWEST)
    seed = filled.get_items(ItemFilter(source_id=filled.seeds_source().id))[0]
    filled.set_stories([("NATO office in Tokyo", [news[12].id, seed.id])])
    app = make_app(filled)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await go_to_view(pilot, news_key(filled))
        screen = main_screen(pilot)
        items = screen.query_one(ItemList)
        for _ in range(12):
            await pilot.press("j")
        assert items.current_item is not None and items.current_item.id == news[12].id
        await pilot.press("S")
        await settle(pilot)
        assert screen.view is not None and screen.view.key == "story" and items.total == 2
        await pilot.press("q")
        await settle(pilot)
        assert items.cursor == 12 and items.current_item.id == news[12].id


async def test_the_pane_never_shows_an_item_of_another_view(filled: SQLiteStore) -> None:
    app = make_app(filled)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await go_to_view(pilot, news_key(filled))
        screen = main_screen(pilot)
        pane = screen.query_one(ReadingPane)
        await pilot.press("enter", "s")
        await settle(pilot)
        opened = pane.item
        assert opened is not None
        await go_to_view(pilot, "starred")  # it is listed there: it stays
        assert pane.item is not None and pane.item.id == opened.id
        await go_to_view(pilot, "seeds")  # not one of the seeds
        assert pane.item is None
        await go_to_view(pilot, news_key(filled))
        await pilot.press("enter")
        await settle(pilot)
        assert pane.item is not None
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"wolf", "enter")  # the search does not find it
        await settle(pilot)
        assert pane.item is None
        await pilot.press("escape")
        await settle(pilot)
        assert pane.item is None


async def test_a_search_from_the_full_screen_article_clears_it_and_shows_the_results(
    filled: SQLiteStore,
) -> None:
    app = make_app(filled)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = main_screen(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.panes.article
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"wolf", "enter")
        await settle(pilot)
        assert screen.query_one(ReadingPane).item is None and not screen.panes.article
        assert shown(screen.query_one(ItemList)) and app.focused is screen.query_one(ItemList)


# -- the theme ----------------------------------------------------------------------------------


async def test_the_theme_chosen_in_the_palette_is_kept_for_the_next_run(
    filled: SQLiteStore,
) -> None:
    app = make_app(filled)
    default = app.theme
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"theme")
        await pilot.pause(0.3)
        await pilot.press("enter")  # "Theme": the list of themes
        await pilot.pause(0.3)
        await pilot.press(*"nord")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.theme == "nord" != default
    assert json.loads(ui_state_file().read_text(encoding="utf-8")) == {"theme": "nord"}
    again = make_app(filled)
    async with again.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert again.theme == "nord"


@pytest.mark.parametrize("kept", ["{not json", '{"theme": "no-such-theme"}', '["nord"]'])
async def test_a_broken_or_unknown_kept_theme_is_the_default(
    filled: SQLiteStore, kept: str
) -> None:
    ui_state_file().parent.mkdir(parents=True, exist_ok=True)
    ui_state_file().write_text(kept, encoding="utf-8")
    app = make_app(filled)
    default = app.theme
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert app.theme == default and app.is_running


async def test_a_theme_that_cannot_be_kept_is_said_and_the_reader_goes_on(
    filled: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))  # the state folder cannot be made
    app = make_app(filled)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.theme = "nord"
        await settle(pilot)
        assert any("theme is not kept" in str(n.message) for n in app._notifications)
        assert app.is_running and app.theme == "nord"
