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
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical

from reader.exceptions import ReaderError
from reader.models import Item
from reader.tui.controller import Controller, has_story, summarize, web_link
from reader.tui.layout import FOOTER_FIRST, Panes
from reader.tui.messages import (
    ItemLoaded,
    RefreshFinished,
    RefreshProgress,
    TransientLoaded,
    UnreadFound,
    ViewMarkedRead,
)
from reader.tui.pages import page_of
from reader.tui.render import query_words
from reader.tui.screens.confirm import ConfirmScreen
from reader.tui.screens.listing import ListingScreen
from reader.tui.screens.prompt import search_prompt, tag_prompt, untag_prompt
from reader.tui.widgets.item_list import ItemList
from reader.tui.widgets.key_footer import KeyFooter
from reader.tui.widgets.reading_pane import ReadingPane
from reader.tui.widgets.sidebar import Sidebar
from reader.tui.widgets.status_bar import StatusBar


class MainScreen(ListingScreen):
    """Read, tag and mark items of one view at a time."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "back", "Back", tooltip="Back to the list, or from a search or story"),
        Binding("n", "next_unread", "Unread", tooltip="Open the next unread item"),
        Binding(
            "N",
            "next_unread(False)",
            "Prev unread",
            show=False,
            tooltip="Open the previous unread item",
        ),
        Binding(
            "space",
            "page_or_next",
            "Page",
            show=False,
            tooltip="Page the article; at its end, the next unread",
        ),
        Binding("m", "toggle_read", "Read", tooltip="Toggle read/unread"),
        Binding("s", "toggle_star", "Star", tooltip="Star or unstar the item"),
        Binding("t", "add_tag", "Tag", tooltip="Add a tag to the item"),
        # The footer has room for the keys used most; every key is in help and the palette.
        Binding("u", "remove_tag", "Untag", show=False, tooltip="Remove a tag from the item"),
        Binding(
            "A",
            "mark_view_read",
            "All read",
            show=False,
            tooltip="Mark everything in this view read",
        ),
        Binding("slash", "search", "Search", key_display="/", tooltip="Full-text search"),
        Binding("z", "zoom", "Full", tooltip="The article full screen, or back to the list"),
        Binding("b", "toggle_sidebar", "Sidebar", tooltip="Show or hide the sidebar"),
        Binding(
            "o", "open_link", "Link", show=False, tooltip="Open the original link in the browser"
        ),
        Binding(
            "O",
            "open_link(True)",
            "Link, read",
            show=False,
            tooltip="Open the link in the browser and mark the item read",
        ),
        Binding(
            "f",
            "full_text",
            "Full text",
            show=False,
            tooltip="Fetch the linked article of the item",
        ),
        Binding("S", "show_story", "Story", tooltip="List every source's report of this story"),
        Binding("v", "sort", "Sort", show=False, tooltip="Sort: newest, oldest, best first"),
        Binding(
            "l",
            "hide_read",
            "Unread only",
            show=False,
            tooltip="List only unread items, or every item again",
        ),
        Binding("r", "refresh", "Refresh", tooltip="Update all feeds now"),
    ]

    def __init__(
        self, controller: Controller, clock: Callable[[], datetime], *, mark_read_on_open: bool
    ) -> None:
        super().__init__(controller, clock)
        self.mark_read_on_open = mark_read_on_open
        self.refreshing = False
        self.panes = Panes()
        self.zoom_next = False  # the item being opened goes full screen

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield Sidebar(id="sidebar")
            with Vertical(id="main"):
                yield ItemList(self.clock, id="items")
                yield ReadingPane(self.clock, id="pane")
        yield StatusBar(id="statusbar")
        yield KeyFooter(FOOTER_FIRST)

    def on_mount(self) -> None:
        self.query_one(ItemList).focus()
        self.panes.resize(self.app.size.width)
        self.apply_layout()
        self.start_listing()

    # -- layout -----------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self.panes.resize(event.size.width)
        self.apply_layout()

    def apply_layout(self) -> None:
        """Show the panes the layout asks for, and keep the focus on one that is shown."""
        for name, wanted in self.panes.classes().items():
            self.set_class(wanted, name)
        self.query_one(KeyFooter).show_only(self.panes.footer_actions())
        focused = self.focused
        if self.panes.article:
            self.pane.focus()
        elif (
            focused is None
            or focused is self.pane
            or (not self.panes.sidebar and self.sidebar in focused.ancestors_with_self)
        ):
            self.item_list.focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":  # when there is nowhere to go back to, `q` quits (the app's)
            return self.panes.article or self.nav.in_transient
        return True

    def action_back(self) -> None:
        """`q` / esc: from the full-screen article to the list, else out of a search or story."""
        if self.panes.article:
            self.panes.article = False
            self.apply_layout()
        else:
            super().action_back()

    def action_zoom(self) -> None:
        if self.panes.article:
            self.action_back()
            return
        shown = self.pane.item
        if self.panes.narrow or shown is None:  # the list is all there is: its item
            item = self._target()
            if item is None:
                return
            if shown is None or shown.id != item.id:
                self.open_item(item, zoom=True)
                return
        self.panes.article = True
        self.apply_layout()

    def action_toggle_sidebar(self) -> None:
        self.panes.toggle_sidebar()
        self.apply_layout()

    def on_reading_pane_cleared(self, message: ReadingPane.Cleared) -> None:
        if self.panes.article:  # the open item left the view: back to the list
            self.action_back()

    # -- opening ----------------------------------------------------------------------------

    @on(ItemList.Opened)
    def item_opened(self, message: ItemList.Opened) -> None:
        self.open_item(message.item)

    def open_item(self, item: Item, *, zoom: bool = False) -> None:
        """Read the item with its body into the pane (full screen when narrow or `zoom`)
        and, per settings, mark it read."""
        mark_read = self.mark_read_on_open
        self.zoom_next = zoom
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
            self.panes.open_item(zoomed=self.zoom_next)
            self.zoom_next = False
            self.apply_layout()
        else:
            self.pane.refresh_marks(item)
        if message.counts_changed:
            self.load_views()

    def action_next_unread(self, forward: bool = True) -> None:
        """Go to the next (previous) unread item of the view, loaded or not, and open it;
        an unread item under the cursor that is not open yet counts as the next."""
        view, items = self.item_list.view, self.item_list
        if view is None:
            return
        here = items.current_item
        row = items.cursor
        shown = self.pane.item if self.panes.pane else None
        unopened = here is not None and not here.read and (shown is None or shown.id != here.id)
        if forward and unopened:
            row -= 1
        generation = items.generation
        self.in_worker(
            lambda: UnreadFound(
                self.controller.next_unread(view, row, forward=forward), generation, forward=forward
            ),
            group="unread",
            exclusive=True,
        )

    def on_unread_found(self, message: UnreadFound) -> None:
        items, found = self.item_list, message.found
        if message.generation != items.generation:
            return  # the list changed meanwhile
        if found is None:
            where = "after" if message.forward else "before"
            self.notify(f"No unread item {where} this one.", markup=False)
            return
        items.add_page(message.generation, page_of(found.row), found.page)
        items.cursor = found.row
        self.open_item(found.item)

    def action_page_or_next(self) -> None:
        """space: page the open article; at its end, the next unread item."""
        if self.pane.item is None or not self.panes.pane:
            item = self._target()
            if item is not None:
                self.open_item(item)
        elif not self.pane.at_end:
            self.pane.scroll_page_down(animate=False)
        else:
            self.action_next_unread()

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

    def action_open_link(self, mark_read: bool = False) -> None:
        item = self._target()
        if item is None:
            return
        if web_link(item) is None:
            self.notify("This item has no web link.", markup=False)
            return

        def job() -> ItemLoaded | None:
            fresh = self.controller.open_in_browser(item, mark_read=mark_read)
            return ItemLoaded(fresh, counts_changed=True) if fresh is not None else None

        self.in_worker(job, group="browser")

    # -- arranging the list -----------------------------------------------------------------

    def action_sort(self) -> None:
        order = self.nav.toggle_sort()
        self.notify(f"Sorted {order.value} first.", markup=False)
        self.reload_current()

    def action_hide_read(self) -> None:
        hidden = self.nav.toggle_hide_read()
        self.notify("Unread items only." if hidden else "Every item.", markup=False)
        self.reload_current()

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
