"""The list side of the main screen: keeps the sidebar, the item list and the reading pane in
step with the store and with each other (which view is listed, its pages, search and story
views and the way back from them, changes made by other processes).

What it reads runs in the `Controller`, called from thread workers; results come back as
messages. `MainScreen` adds the keys that act on items and the layout.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.worker import get_current_worker

from reader.exceptions import ReaderError
from reader.tui.controller import Controller
from reader.tui.messages import (
    PageLoaded,
    Problem,
    StoreChanged,
    TransientLoaded,
    ViewLoaded,
    ViewsLoaded,
)
from reader.tui.navigation import Navigation, Place
from reader.tui.views import View
from reader.tui.widgets.item_list import ItemList
from reader.tui.widgets.reading_pane import ReadingPane
from reader.tui.widgets.sidebar import Sidebar
from reader.tui.widgets.status_bar import StatusBar


class ListingScreen(Screen[None]):
    """Lists one view at a time and keeps what is shown fresh; the widgets are composed by
    the subclass (`MainScreen`)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "back",
            "Back",
            show=False,
            tooltip="Back from an article, a search or a story",
        ),
    ]

    def __init__(self, controller: Controller, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.controller = controller
        self.clock = clock
        self.nav = Navigation()

    def start_listing(self) -> None:
        """Read the views, list the first one, and watch the store for other writers."""
        self.load_views(first=True)
        every = self.controller.settings.reader.refresh_every
        if every > 0:
            self.set_interval(every, self.check_for_changes)

    # -- small helpers ----------------------------------------------------------------------

    @property
    def view(self) -> View | None:
        """The view being listed."""
        return self.nav.view

    @property
    def item_list(self) -> ItemList:
        return self.query_one(ItemList)

    @property
    def pane(self) -> ReadingPane:
        return self.query_one(ReadingPane)

    @property
    def sidebar(self) -> Sidebar:
        return self.query_one(Sidebar)

    def in_worker(
        self,
        job: Callable[[], Message | None],
        *,
        group: str,
        exclusive: bool = False,
        failure: str = "",
    ) -> None:
        """Run `job` (a controller call) in a thread worker and post the message it returns;
        a `ReaderError` becomes a `Problem` (one line, `failure` before it)."""

        def run() -> None:
            try:
                message = job()
            except ReaderError as exc:
                self.post_message(Problem(failure + str(exc)))
                return
            if message is not None and not get_current_worker().is_cancelled:
                self.post_message(message)

        self.run_worker(run, name=group, group=group, exclusive=exclusive, thread=True)

    @property
    def status_bar(self) -> StatusBar:
        return self.query_one(StatusBar)

    def describe_position(self) -> None:
        """The status line: which view, how many items, where the cursor is."""
        view = self.nav.view
        if view is None:
            return
        items = self.item_list
        where = f"{items.cursor + 1:,}/{items.total:,}" if items.total else "empty"
        arranged = self.nav.arrangement()
        self.status_bar.show_place(
            f"{view.label} · {where} · {view.unread:,} unread"
            + (f" · {arranged}" if arranged else "")
        )

    def here(self) -> Place | None:
        """Where the cursor is, to come back to."""
        if self.nav.view is None:
            return None
        item = self.item_list.current_item
        return Place(self.nav.view, item.id if item else None, self.item_list.cursor)

    # -- loading ----------------------------------------------------------------------------

    def load_views(self, first: bool = False) -> None:
        """Read the sidebar's views and counts; the first time, list the Topic view too."""

        def job() -> ViewsLoaded:
            if first:
                self.controller.changes.take()
            return ViewsLoaded(self.controller.read_views(), first=first)

        self.in_worker(job, group="views", exclusive=True)

    def load_view(self, view: View, *, keep_item: int | None = None, near: int = 0) -> None:
        """List `view`; on a reload keep the cursor on `keep_item` (else near row `near`)."""
        generation = self.nav.begin(view)
        arranged = self.nav.arranged(view)
        hide_read = self.nav.hide_read
        open_item = self.pane.item.id if self.pane.item is not None else None

        def job() -> ViewLoaded:
            shown = self.controller.arrange(arranged, hide_read=hide_read)
            listing = self.controller.list_view(
                shown, keep_item=keep_item, near=near, open_item=open_item
            )
            return ViewLoaded(listing, generation)

        self.in_worker(job, group="view", exclusive=True)

    def reload_current(self) -> None:
        """Read the listed view again, keeping the cursor on the same item."""
        view = self.nav.view
        if view is None:
            return
        items = self.item_list
        current = items.current_item
        if items.view is None or items.view.key != view.key:
            current = None  # the list still shows the view being left
        self.load_view(
            view,
            keep_item=current.id if current is not None else None,
            near=items.cursor if current is not None else 0,
        )

    def check_for_changes(self) -> None:
        """The cheap periodic check: has any process changed the store since we looked?"""

        def job() -> StoreChanged | None:
            try:
                counter = self.controller.changes.changed()
            except ReaderError:
                return None  # a busy or vanished database: the next check tries again
            return StoreChanged(counter) if counter is not None else None

        self.in_worker(job, group="poll", exclusive=True)

    # -- results coming back (messages up) --------------------------------------------------

    def on_views_loaded(self, message: ViewsLoaded) -> None:
        self.nav.accept_views(message.views)
        if message.first and message.views:
            self.sidebar.current = message.views[0].key
            self.load_view(message.views[0])
        # The highlight stays where the user put it (sidebar.current), even mid-switch.
        self.sidebar.set_views(self.nav.sidebar_views())
        self.describe_position()

    def on_view_loaded(self, message: ViewLoaded) -> None:
        if not self.nav.is_current(message.generation):
            return
        listing = message.listing
        self.item_list.show(
            listing.view, listing.total, listing.pages, listing.cursor, message.generation
        )
        if not listing.keeps_open:
            self.pane.clear()
        self.describe_position()

    def on_page_loaded(self, message: PageLoaded) -> None:
        self.item_list.add_page(message.generation, message.page, message.items)

    def on_item_list_page_needed(self, message: ItemList.PageNeeded) -> None:
        view = self.item_list.view
        if view is not None and self.nav.is_current(message.generation):
            generation, page = message.generation, message.page
            self.in_worker(
                lambda: PageLoaded(generation, page, self.controller.page(view, page)),
                group="pages",
            )

    def on_item_list_highlighted(self, message: ItemList.Highlighted) -> None:
        self.describe_position()

    def on_store_changed(self, message: StoreChanged) -> None:
        """New items (or marks) from another process: refresh counts and the list in place."""
        self.controller.changes.counter = message.counter
        self.load_views()
        self.reload_current()

    def on_problem(self, message: Problem) -> None:
        self.notify(message.text, severity="error", markup=False)

    @on(Sidebar.ViewChosen)
    def view_chosen(self, message: Sidebar.ViewChosen) -> None:
        if self.nav.view is None or message.view.key != self.nav.view.key:
            self.load_view(message.view)

    @on(Sidebar.ViewSelected)
    def view_selected(self, message: Sidebar.ViewSelected) -> None:
        self.item_list.focus()

    # -- search and story views ------------------------------------------------------------

    def on_transient_loaded(self, message: TransientLoaded) -> None:
        """List a search or story view in the sidebar; leaving it comes back here."""
        view, listing = message.view, message.listing
        self.nav.enter_transient(view, self.here())
        self.sidebar.current = view.key
        self.sidebar.set_views(self.nav.sidebar_views())
        if listing is None or self.nav.arrangement():
            self.load_view(view)
        else:  # the hits already hold the rows: list them without reading them again
            generation = self.nav.begin(view)
            self.item_list.show(view, listing.total, listing.pages, 0, generation)
            if self.pane.item is not None and self.pane.item.id not in (view.ids or ()):
                self.pane.clear()
            self.describe_position()
        self.item_list.focus()
        self.refresh_bindings()  # `q` now goes back

    def action_back(self) -> None:
        """Leave a search or story view for the view (and item) listed before it."""
        place = self.nav.leave_transient()
        if place is None:
            return
        self.load_view(place.view, keep_item=place.item_id, near=place.row)
        self.sidebar.choose(place.view.key)
        self.sidebar.set_views(self.nav.sidebar_views())
        self.refresh_bindings()
