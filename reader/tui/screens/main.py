"""The main screen: sidebar of views, item list, reading pane, status line and footer.

It owns the store conversation: every read and write runs in a thread worker and comes
back as a message, so the event loop never waits on the database or the network.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static
from textual.worker import get_current_worker

from reader.core import Reader
from reader.exceptions import InvalidSearchQueryError, ReaderError, SearchTimeoutError
from reader.models import FeedResult, Item, ItemFilter, UpdateReport
from reader.textsafe import plain
from reader.tui.messages import (
    ItemLoaded,
    PageLoaded,
    Problem,
    RefreshFinished,
    RefreshProgress,
    StoreChanged,
    ViewLoaded,
    ViewsLoaded,
)
from reader.tui.pages import PAGE_SIZE, count_view, fetch_page, find_row, page_of
from reader.tui.render import query_words
from reader.tui.screens.confirm import ConfirmScreen
from reader.tui.screens.prompt import PromptScreen
from reader.tui.views import View, ViewKind, build_views, search_view, story_view
from reader.tui.widgets.item_list import ItemList
from reader.tui.widgets.reading_pane import ReadingPane
from reader.tui.widgets.sidebar import Sidebar

SEARCH_LIMIT = 500
"""Most search results listed."""

TRANSIENT = ("search", "story")
"""Keys of the views that exist only while in use."""

FIXED_KINDS = (ViewKind.TOPIC, ViewKind.UNREAD, ViewKind.STARRED, ViewKind.SEEDS, ViewKind.HIDDEN)
"""The views at the top of the sidebar, before saved views, tags and feeds."""


def summarize(report: UpdateReport) -> str:
    """One status line for a finished refresh."""
    line = f"Refreshed {report.checked} feeds: {report.new} new, {report.updated} updated"
    if report.errors:
        line += f", {len(report.errors)} failed"
    if report.stopped_by is not None:
        line += f"; stopped: {report.stopped_by}"
    return line


class MainScreen(Screen[None]):
    """Read, tag and mark items of one view at a time."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m,space", "toggle_read", "Read", key_display="m", tooltip="Toggle read/unread"),
        Binding("s", "toggle_star", "Star", tooltip="Star or unstar the item"),
        Binding("t", "add_tag", "Tag", tooltip="Add a tag to the item"),
        Binding("u", "remove_tag", "Untag", tooltip="Remove a tag from the item"),
        Binding("A", "mark_view_read", "All read", tooltip="Mark everything in this view read"),
        Binding("slash", "search", "Search", key_display="/", tooltip="Full-text search"),
        Binding("o", "open_link", "Link", tooltip="Open the original link in the browser"),
        Binding(
            "f",
            "full_text",
            "Full text",
            show=False,  # the footer is full; the help screen and the palette list it
            tooltip="Fetch the linked article of the item",
        ),
        Binding("S", "show_story", "Story", tooltip="List every source's report of this story"),
        Binding("r", "refresh", "Refresh", tooltip="Update all feeds now"),
        Binding("escape", "back", "Back", show=False, tooltip="Back from a search or story"),
    ]

    def __init__(self, reader: Reader, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.reader = reader
        self.settings = reader.settings
        self.clock = clock
        self.views: list[View] = []
        self.view: View | None = None
        self.previous_view: View | None = None
        self.generation = 0
        self.counter: int | None = None
        self.refreshing = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield Sidebar(id="sidebar")
            with Vertical(id="main"):
                yield ItemList(self.clock, id="items")
                yield ReadingPane(self.clock, id="pane")
        with Horizontal(id="statusbar"):
            yield Static(Text("Loading…"), id="status")
            yield Static(Text(), id="note")
            yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="progress")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#progress", ProgressBar).display = False
        self.query_one(ItemList).focus()
        self.load_views(first=True)
        every = self.settings.reader.refresh_every
        if every > 0:
            self.set_interval(every, self.check_for_changes)

    # -- small helpers ----------------------------------------------------------------------

    @property
    def item_list(self) -> ItemList:
        return self.query_one(ItemList)

    @property
    def pane(self) -> ReadingPane:
        return self.query_one(ReadingPane)

    def set_status(self, text: str) -> None:
        """The left of the status line: where the user is."""
        self.query_one("#status", Static).update(Text(plain(text)))

    def set_note(self, text: str, style: str = "") -> None:
        """The right of the status line: how the last long action (a refresh) went."""
        self.query_one("#note", Static).update(Text(plain(text), style=style))

    def describe_position(self) -> None:
        """The status line: which view, how many items, where the cursor is."""
        if self.view is None:
            return
        items = self.item_list
        where = f"{items.cursor + 1:,}/{items.total:,}" if items.total else "empty"
        self.set_status(f"{self.view.label} · {where} · {self.view.unread:,} unread")

    # -- loading (workers) ------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="views")
    def load_views(self, first: bool = False) -> None:
        """Read the sidebar's views and counts; the first time, list the Topic view too."""
        try:
            counter = self.reader.change_counter()
            views = build_views(self.reader)
        except ReaderError as exc:
            self.post_message(Problem(str(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(ViewsLoaded(views, counter if first else None, first=first))

    def load_view(self, view: View, *, keep_item: int | None = None, near: int = 0) -> None:
        """List `view`; on a reload keep the cursor on `keep_item` (else near row `near`)."""
        self.view = view  # the view being listed, even before its rows arrive
        self.generation += 1
        self._load_view(view, self.generation, keep_item, near)

    @work(thread=True, exclusive=True, group="view")
    def _load_view(self, view: View, generation: int, keep_item: int | None, near: int) -> None:
        try:
            total = count_view(self.reader, view)
            cursor = min(near, max(0, total - 1))
            pages: dict[int, list[Item]] = {}
            if keep_item is not None:
                found = find_row(self.reader, view, keep_item, near, total)
                if found is not None:
                    cursor, pages = found
            page = page_of(cursor)
            if page not in pages:
                pages[page] = fetch_page(self.reader, view, page)
        except ReaderError as exc:
            self.post_message(Problem(str(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(ViewLoaded(view, total, pages, cursor, generation))

    @work(thread=True, group="pages")
    def load_page(self, view: View, generation: int, page: int) -> None:
        try:
            items = fetch_page(self.reader, view, page)
        except ReaderError as exc:
            self.post_message(Problem(str(exc)))
            return
        self.post_message(PageLoaded(generation, page, items))

    @work(thread=True, exclusive=True, group="poll")
    def check_for_changes(self) -> None:
        """The cheap periodic check: has any process changed the store since we looked?"""
        try:
            counter = self.reader.change_counter()
        except ReaderError:
            return  # a busy or vanished database: the next check tries again
        if self.counter is not None and counter != self.counter:
            self.post_message(StoreChanged(counter))

    def reload_views(self) -> None:
        """From a worker thread: read the sidebar's counts again (workers start on the loop)."""
        self.app.call_from_thread(self.load_views)

    def note_own_write(self) -> None:
        """After one write of ours, accept the counter it made, so it causes no reload.

        A write bumps the counter by exactly one; anything more means another process
        wrote too, and the next check reloads as usual. Runs in the writing worker.
        """
        counter = self.reader.change_counter()
        if self.counter is not None and counter == self.counter + 1:
            self.counter = counter

    # -- results coming back (messages up) --------------------------------------------------

    def on_views_loaded(self, message: ViewsLoaded) -> None:
        if message.counter is not None:
            self.counter = message.counter
        self.views = message.views
        sidebar = self.query_one(Sidebar)
        if message.first and message.views:
            sidebar.current = message.views[0].key
            self.load_view(message.views[0])
        extra: list[View] = []
        if self.view is not None:
            fresh = {v.key: v for v in message.views}
            if self.view.key in fresh:
                self.view = fresh[self.view.key]
            elif self.view.key in TRANSIENT:
                extra = [self.view]
        # The highlight stays where the user put it (sidebar.current), even mid-switch.
        sidebar.set_views(self._with_transient(message.views + extra))
        self.describe_position()

    def _with_transient(self, views: list[View]) -> list[View]:
        """Search and story views stay in the sidebar (after the fixed views) while in use."""
        transient = [v for v in views if v.key in TRANSIENT]
        others = [v for v in views if v.key not in TRANSIENT]
        fixed = sum(v.kind in FIXED_KINDS for v in others)
        return others[:fixed] + transient + others[fixed:]

    def on_view_loaded(self, message: ViewLoaded) -> None:
        if message.generation != self.generation:
            return
        # The sidebar's copy of a view may carry fresher counts than the one loaded.
        self.view = next((v for v in self.views if v.key == message.view.key), message.view)
        self.item_list.show(
            message.view, message.total, message.pages, message.cursor, message.generation
        )
        self.describe_position()

    def on_page_loaded(self, message: PageLoaded) -> None:
        self.item_list.add_page(message.generation, message.page, message.items)

    def on_item_list_page_needed(self, message: ItemList.PageNeeded) -> None:
        if self.view is not None and message.generation == self.generation:
            self.load_page(self.view, message.generation, message.page)

    def on_item_list_highlighted(self, message: ItemList.Highlighted) -> None:
        self.describe_position()

    def on_store_changed(self, message: StoreChanged) -> None:
        """New items (or marks) from another process: refresh counts and the list in place."""
        self.counter = message.counter
        self.load_views()
        self.reload_current()

    def reload_current(self) -> None:
        """Read the listed view again, keeping the cursor on the same item."""
        if self.view is None:
            return
        items = self.item_list
        current = items.current_item
        if items.view is None or items.view.key != self.view.key:
            current = None  # the list still shows the view being left
        self.load_view(
            self.view,
            keep_item=current.id if current is not None else None,
            near=items.cursor if current is not None else 0,
        )

    def on_problem(self, message: Problem) -> None:
        self.notify(message.text, severity="error", markup=False)

    @on(Sidebar.ViewChosen)
    def view_chosen(self, message: Sidebar.ViewChosen) -> None:
        if self.view is None or message.view.key != self.view.key:
            self.load_view(message.view)

    @on(Sidebar.ViewSelected)
    def view_selected(self, message: Sidebar.ViewSelected) -> None:
        self.item_list.focus()

    # -- opening ----------------------------------------------------------------------------

    @on(ItemList.Opened)
    def item_opened(self, message: ItemList.Opened) -> None:
        self.open_item(message.item.id, self.settings.reader.mark_read_on_open)

    @work(thread=True, exclusive=True, group="open")
    def open_item(self, item_id: int, mark_read: bool) -> None:
        """Read the item with its body and (per settings) mark it read."""
        try:
            if mark_read:
                self.reader.mark_items([item_id], read=True)
                self.note_own_write()
            item = self.reader.get_item(item_id)
        except ReaderError as exc:
            self.post_message(Problem(str(exc)))
            return
        self.post_message(ItemLoaded(item, opened=True))
        if mark_read:
            self.reload_views()

    def on_item_loaded(self, message: ItemLoaded) -> None:
        item = message.item
        self.item_list.update_item(item)
        if message.opened:
            words = query_words(self.view.query) if self.view is not None else []
            self.pane.show(item, words)
        else:
            self.pane.refresh_marks(item)

    # -- marks and tags (written at once) ---------------------------------------------------

    def _target(self) -> Item | None:
        """The item actions apply to: the one under the cursor."""
        item = self.item_list.current_item
        if item is None:
            self.notify("No item here.", severity="warning", markup=False)
        return item

    def action_toggle_read(self) -> None:
        item = self._target()
        if item is not None:
            self.write_marks(item, read=not item.read)

    def action_toggle_star(self) -> None:
        item = self._target()
        if item is not None:
            self.write_marks(item, starred=not item.starred)

    @work(thread=True, group="marks")
    def write_marks(
        self, item: Item, *, read: bool | None = None, starred: bool | None = None
    ) -> None:
        self._write_then_show(
            item, lambda: self.reader.mark_items([item.id], read=read, starred=starred)
        )

    def action_add_tag(self) -> None:
        item = self._target()
        if item is None:
            return
        known = sorted({v.label for v in self.views if v.key.startswith("tag:")}, key=str.lower)

        def added(tag: str | None) -> None:
            if tag:
                self.write_tags(item, add=tag)

        self.app.push_screen(
            PromptScreen(
                f"Tag “{plain(item.title or '(untitled)')[:60]}” with:",
                placeholder="tag name",
                suggestions=known,
                hint="→ completes an existing tag · enter adds · esc cancels",
            ),
            added,
        )

    def action_remove_tag(self) -> None:
        item = self._target()
        if item is None:
            return
        if not item.tags:
            self.notify("This item has no tags.", markup=False)
            return
        if len(item.tags) == 1:
            self.write_tags(item, remove=item.tags[0])
            return

        def removed(tag: str | None) -> None:
            if tag:
                self.write_tags(item, remove=tag)

        self.app.push_screen(
            PromptScreen(
                "Remove which tag? " + ", ".join(plain(t) for t in item.tags),
                placeholder="tag name",
                suggestions=list(item.tags),
            ),
            removed,
        )

    @work(thread=True, group="marks")
    def write_tags(self, item: Item, *, add: str | None = None, remove: str | None = None) -> None:
        def write() -> None:
            if add is not None:
                self.reader.add_tags(item.id, [add])
            if remove is not None:
                self.reader.remove_tags(item.id, [remove])

        self._write_then_show(item, write)

    def _write_then_show(self, item: Item, write: Callable[[], object]) -> None:
        """In a worker: write marks or tags, then show the item's fresh state and counts."""
        try:
            write()
            self.note_own_write()
            fresh = self.reader.get_items(ItemFilter(ids=(item.id,)))
        except ReaderError as exc:
            self.post_message(Problem(str(exc)))
            return
        if fresh:
            self.post_message(ItemLoaded(fresh[0]))
        self.reload_views()

    def action_mark_view_read(self) -> None:
        view = self.view
        if view is None:
            return
        question = Text("Mark every item in ")
        question.append(view.label, style="bold")
        question.append(f" read? ({view.unread:,} unread)")

        def answered(yes: bool | None) -> None:
            if yes:
                self.mark_view_read(view)

        self.app.push_screen(ConfirmScreen(question), answered)

    @work(thread=True, group="marks")
    def mark_view_read(self, view: View) -> None:
        try:
            changed = self.reader.mark_all_read(view.where)
        except ReaderError as exc:
            self.post_message(Problem(str(exc)))
            return
        self.app.call_from_thread(self.notify, f"Marked {changed:,} items read.", markup=False)
        self.reload_views()
        self.app.call_from_thread(self.reload_current)

    # -- search and story -------------------------------------------------------------------

    def action_search(self) -> None:
        def searched(query: str | None) -> None:
            if query:
                self.run_search(query)

        self.app.push_screen(
            PromptScreen(
                "Search",
                placeholder='words, "a phrase", nato OR aukus, tag:x is:unread newer:7d',
                hint="words search the text; tag: feed: is: score> story: newer: older: filter",
            ),
            searched,
        )

    @work(thread=True, exclusive=True, group="search")
    def run_search(self, query: str) -> None:
        try:
            hits = self.reader.search(query, limit=SEARCH_LIMIT)
        except (InvalidSearchQueryError, SearchTimeoutError) as exc:
            self.post_message(Problem(str(exc)))
            return
        found = [hit.item for hit in hits]
        view = search_view(query, tuple(item.id for item in found), sum(not i.read for i in found))
        # The hits already hold the rows: list them without reading them again.
        pages = {
            page: found[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
            for page in range(page_of(max(0, len(found) - 1)) + 1)
        }
        self.app.call_from_thread(self.show_transient, view, pages)

    def action_show_story(self) -> None:
        item = self._target()
        if item is None:
            return
        if item.story_id is None or item.story_size < 2:
            self.notify("No other source reports this story.", markup=False)
            return
        self.load_story(item)

    @work(thread=True, group="search")
    def load_story(self, item: Item) -> None:
        assert item.story_id is not None
        try:
            unread = self.reader.count_items(ItemFilter(story_id=item.story_id, unread=True))
        except ReaderError as exc:
            self.post_message(Problem(str(exc)))
            return
        view = story_view(item.story_id, item.title or "(untitled)", unread)
        self.app.call_from_thread(self.show_transient, view)

    def show_transient(self, view: View, pages: dict[int, list[Item]] | None = None) -> None:
        """List a search or story view (`pages` when its rows are at hand) in the sidebar."""
        if self.view is not None and self.view.key not in TRANSIENT:
            self.previous_view = self.view
        self.view = view
        views = [v for v in self.views if v.key != view.key] + [view]
        sidebar = self.query_one(Sidebar)
        sidebar.current = view.key
        sidebar.set_views(self._with_transient(views))
        if pages is None:
            self.load_view(view)
        else:
            self.generation += 1
            total = sum(len(rows) for rows in pages.values())
            self.post_message(ViewLoaded(view, total, pages, 0, self.generation))
        self.item_list.focus()

    def action_back(self) -> None:
        """Leave a search or story view for the view listed before it."""
        if self.view is not None and self.view.key in TRANSIENT:
            target = self.previous_view or (self.views[0] if self.views else None)
            if target is not None:
                self.query_one(Sidebar).choose(target.key)
                self.load_view(target)

    # -- the outside world ------------------------------------------------------------------

    def action_full_text(self) -> None:
        item = self._target()
        if item is not None:
            self.notify("Fetching the article…", markup=False)
            self.fetch_full_text(item.id)

    @work(thread=True, exclusive=True, group="full-text")
    def fetch_full_text(self, item_id: int) -> None:
        """Fetch and keep the item's article (network and extraction: never on the loop)."""
        try:
            item = self.reader.fetch_full_text(item_id)
            self.note_own_write()
        except ReaderError as exc:
            self.post_message(Problem(f"No full text: {exc}"))
            return
        self.post_message(ItemLoaded(item, opened=True))

    def action_open_link(self) -> None:
        item = self._target()
        if item is None:
            return
        link = item.link or ""
        if not link.startswith(("http://", "https://")):
            self.notify("This item has no web link.", markup=False)
            return
        self.open_in_browser(link)

    @work(thread=True, group="browser")
    def open_in_browser(self, link: str) -> None:
        # `webbrowser` starts the browser without a shell, with the URL as one argument.
        opened = webbrowser.open(link, new=2)
        if not opened:
            self.post_message(Problem(f"No browser could open {plain(link)}"))

    def action_refresh(self) -> None:
        if self.refreshing:
            self.notify("A refresh is already running.", markup=False)
            return
        self.refreshing = True
        self.query_one("#progress", ProgressBar).display = True
        self.set_note("Refreshing feeds…")
        self.run_refresh()

    @work(thread=True, exclusive=True, group="refresh")
    def run_refresh(self) -> None:
        done = 0

        def one_done(result: FeedResult) -> None:
            nonlocal done
            done += 1
            self.post_message(RefreshProgress(done, len(feeds)))

        try:
            feeds = self.reader.feeds_to_update(due_only=False)
            self.post_message(RefreshProgress(0, len(feeds)))
            report = self.reader.update_feeds(feeds, on_result=one_done)
        except ReaderError as exc:
            self.post_message(RefreshFinished(None, str(exc)))
            return
        self.post_message(RefreshFinished(report, None))

    def on_refresh_progress(self, message: RefreshProgress) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(1, message.total), progress=message.done)
        self.set_note(f"Refreshing feeds… {message.done}/{message.total}")

    def on_refresh_finished(self, message: RefreshFinished) -> None:
        self.refreshing = False
        self.query_one("#progress", ProgressBar).display = False
        if message.report is not None:
            line = summarize(message.report)
            stopped = message.report.stopped_by is not None
            self.notify(line, severity="error" if stopped else "information", markup=False)
            self.set_note(line, "red" if stopped else "")
        else:
            self.notify(f"Refresh failed: {message.error}", severity="error", markup=False)
            self.set_note(f"Refresh failed: {message.error}", "red")
        self.counter = None  # forget the counter so the next check takes it fresh
        self.load_views(first=False)
        self.reload_current()
        self._take_counter()

    @work(thread=True, group="poll")
    def _take_counter(self) -> None:
        counter = self.reader.change_counter()
        self.app.call_from_thread(setattr, self, "counter", counter)
