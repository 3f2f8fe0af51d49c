"""The main screen: sidebar of views, item list, reading pane, status line and footer.

It composes the widgets, binds the keys and handles the messages; what a key does runs in
the `Controller` (no Textual there), called from a thread worker so the event loop never
waits on the database or the network, and comes back as a message. Keeping the list in
step with the store is `ListingScreen`'s job.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer

from reader.exceptions import ReaderError
from reader.models import Item
from reader.tui.controller import Controller, has_story, summarize, web_link
from reader.tui.messages import (
    ItemLoaded,
    RefreshFinished,
    RefreshProgress,
    TransientLoaded,
    ViewMarkedRead,
)
from reader.tui.render import query_words
from reader.tui.screens.confirm import ConfirmScreen
from reader.tui.screens.listing import ListingScreen
from reader.tui.screens.prompt import search_prompt, tag_prompt, untag_prompt
from reader.tui.widgets.item_list import ItemList
from reader.tui.widgets.reading_pane import ReadingPane
from reader.tui.widgets.sidebar import Sidebar
from reader.tui.widgets.status_bar import StatusBar


class MainScreen(ListingScreen):
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
    ]

    def __init__(
        self, controller: Controller, clock: Callable[[], datetime], *, mark_read_on_open: bool
    ) -> None:
        super().__init__(controller, clock)
        self.mark_read_on_open = mark_read_on_open
        self.refreshing = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield Sidebar(id="sidebar")
            with Vertical(id="main"):
                yield ItemList(self.clock, id="items")
                yield ReadingPane(self.clock, id="pane")
        yield StatusBar(id="statusbar")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(ItemList).focus()
        self.start_listing()

    # -- opening ----------------------------------------------------------------------------

    @on(ItemList.Opened)
    def item_opened(self, message: ItemList.Opened) -> None:
        self.open_item(message.item)

    def open_item(self, item: Item) -> None:
        """Read the item with its body into the pane and (per settings) mark it read."""
        mark_read = self.mark_read_on_open
        self.in_worker(
            lambda: ItemLoaded(
                self.controller.open_item(item.id, mark_read=mark_read),
                opened=True,
                counts_changed=mark_read,
            ),
            group="open",
            exclusive=True,
        )

    def on_item_loaded(self, message: ItemLoaded) -> None:
        item = message.item
        self.item_list.update_item(item)
        if message.opened:
            words = query_words(self.nav.view.query) if self.nav.view is not None else []
            self.pane.show(item, words)
        else:
            self.pane.refresh_marks(item)
        if message.counts_changed:
            self.load_views()

    # -- marks and tags (written at once) ---------------------------------------------------

    def _target(self) -> Item | None:
        """The item actions apply to: the one under the cursor."""
        item = self.item_list.current_item
        if item is None:
            self.notify("No item here.", severity="warning", markup=False)
        return item

    def write(self, write: Callable[[], Item | None]) -> None:
        """Write marks or tags in a worker, then show the item's fresh state and counts."""

        def job() -> ItemLoaded | None:
            fresh = write()
            return ItemLoaded(fresh, counts_changed=True) if fresh is not None else None

        self.in_worker(job, group="marks")

    def action_toggle_read(self) -> None:
        item = self._target()
        if item is not None:
            self.write(lambda: self.controller.set_marks(item.id, read=not item.read))

    def action_toggle_star(self) -> None:
        item = self._target()
        if item is not None:
            self.write(lambda: self.controller.set_marks(item.id, starred=not item.starred))

    def action_add_tag(self) -> None:
        item = self._target()
        if item is None:
            return
        known = sorted({v.label for v in self.nav.views if v.key.startswith("tag:")}, key=str.lower)

        def added(tag: str | None) -> None:
            if tag:
                self.write(lambda: self.controller.add_tag(item.id, tag))

        self.app.push_screen(tag_prompt(item, known), added)

    def action_remove_tag(self) -> None:
        item = self._target()
        if item is None:
            return
        if not item.tags:
            self.notify("This item has no tags.", markup=False)
            return
        if len(item.tags) == 1:
            only = item.tags[0]
            self.write(lambda: self.controller.remove_tag(item.id, only))
            return

        def removed(tag: str | None) -> None:
            if tag:
                self.write(lambda: self.controller.remove_tag(item.id, tag))

        self.app.push_screen(untag_prompt(item), removed)

    def action_mark_view_read(self) -> None:
        view = self.nav.view
        if view is None:
            return
        question = Text("Mark every item in ")
        question.append(view.label, style="bold")
        question.append(f" read? ({view.unread:,} unread)")

        def answered(yes: bool | None) -> None:
            if yes:
                self.in_worker(
                    lambda: ViewMarkedRead(self.controller.mark_view_read(view)), group="marks"
                )

        self.app.push_screen(ConfirmScreen(question), answered)

    def on_view_marked_read(self, message: ViewMarkedRead) -> None:
        self.notify(f"Marked {message.changed:,} items read.", markup=False)
        self.load_views()
        self.reload_current()

    # -- search and story -------------------------------------------------------------------

    def action_search(self) -> None:
        def searched(query: str | None) -> None:
            if query:
                self.in_worker(lambda: self._search(query), group="search", exclusive=True)

        self.app.push_screen(search_prompt(), searched)

    def _search(self, query: str) -> TransientLoaded:
        listing = self.controller.search(query)
        return TransientLoaded(listing.view, listing)

    def action_show_story(self) -> None:
        item = self._target()
        if item is None:
            return
        if not has_story(item):
            self.notify("No other source reports this story.", markup=False)
            return
        self.in_worker(lambda: TransientLoaded(self.controller.story(item), None), group="search")

    # -- the outside world ------------------------------------------------------------------

    def action_full_text(self) -> None:
        item = self._target()
        if item is not None:
            self.notify("Fetching the article…", markup=False)
            self.in_worker(
                lambda: ItemLoaded(self.controller.full_text(item.id), opened=True),
                group="full-text",
                exclusive=True,
                failure="No full text: ",
            )

    def action_open_link(self) -> None:
        item = self._target()
        if item is None:
            return
        if web_link(item) is None:
            self.notify("This item has no web link.", markup=False)
            return

        def job() -> None:
            self.controller.open_in_browser(item, mark_read=False)

        self.in_worker(job, group="browser")

    def action_refresh(self) -> None:
        if self.refreshing:
            self.notify("A refresh is already running.", markup=False)
            return
        self.refreshing = True
        self.status_bar.show_progress(0, None)
        self.status_bar.show_note("Refreshing feeds…")

        def progress(done: int, total: int) -> None:
            self.post_message(RefreshProgress(done, total))

        def job() -> RefreshFinished:
            try:
                report = self.controller.refresh(progress)
            except ReaderError as exc:
                return RefreshFinished(None, str(exc))
            return RefreshFinished(report, None)

        self.in_worker(job, group="refresh", exclusive=True)

    def on_refresh_progress(self, message: RefreshProgress) -> None:
        self.status_bar.show_progress(message.done, message.total)
        self.status_bar.show_note(f"Refreshing feeds… {message.done}/{message.total}")

    def on_refresh_finished(self, message: RefreshFinished) -> None:
        self.refreshing = False
        self.status_bar.end_progress()
        if message.report is not None:
            line = summarize(message.report)
            stopped = message.report.stopped_by is not None
            self.notify(line, severity="error" if stopped else "information", markup=False)
            self.status_bar.show_note(line, "red" if stopped else "")
        else:
            self.notify(f"Refresh failed: {message.error}", severity="error", markup=False)
            self.status_bar.show_note(f"Refresh failed: {message.error}", "red")
        self.controller.changes.counter = None  # the next check takes the counter fresh
        self.load_views()
        self.reload_current()

        def take_counter() -> None:
            self.controller.changes.take()

        self.in_worker(take_counter, group="poll")
