"""The item list: a virtual list that draws only the rows on screen.

It never builds a widget per item: it knows how many rows the view has, keeps the pages
it was given, and asks for missing pages with a message as they scroll into sight.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from reader.models import Item
from reader.tui.pages import PAGE_SIZE, page_of
from reader.tui.render import item_row, query_words
from reader.tui.views import View

MAX_PAGES = 40
"""Pages kept in memory (4,000 rows); the rest are read again when scrolled back to."""


class ItemList(ScrollView, can_focus=True):
    """The listed view's items, one row each, with a cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Next", key_display="j", tooltip="Next item"),
        Binding("k,up", "cursor_up", "Prev", key_display="k", tooltip="Previous item"),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("home,g", "first", "First item", show=False),
        Binding("end,G", "last", "Last item", show=False),
        Binding("enter", "open", "Open", tooltip="Open the item (marks it read)"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"item-list--cursor", "item-list--placeholder"}

    cursor: var[int] = var(0, always_update=True)
    """The row under the cursor."""

    class PageNeeded(Message):
        """A row on screen belongs to a page not loaded yet."""

        def __init__(self, generation: int, page: int) -> None:
            super().__init__()
            self.generation = generation
            self.page = page

    class Highlighted(Message):
        """The cursor moved to `row` (whose item may not be loaded yet)."""

        def __init__(self, row: int, item: Item | None) -> None:
            super().__init__()
            self.row = row
            self.item = item

    class Opened(Message):
        """The user asked to open the item under the cursor."""

        def __init__(self, item: Item) -> None:
            super().__init__()
            self.item = item

    def __init__(self, clock: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.view: View | None = None
        self.total = 0
        self.generation = -1
        self._pages: dict[int, list[Item]] = {}
        self._requested: set[int] = set()
        self._words: list[str] = []
        # Drawn rows by (row, width, under the cursor): scrolling redraws only new rows.
        self._drawn: dict[tuple[int, int, bool], Strip] = {}

    def on_mount(self) -> None:
        # Relative dates ("5m ago") age: draw the rows afresh every minute.
        self.set_interval(60, self.redraw)

    def on_focus(self) -> None:
        self.redraw()

    def on_blur(self) -> None:
        self.redraw()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn.clear()

    def redraw(self) -> None:
        """Draw every row again (styles, focus or the time changed)."""
        self._drawn.clear()
        self.refresh()

    # -- data in (attributes down) ----------------------------------------------------------

    def show(
        self,
        view: View,
        total: int,
        pages: dict[int, list[Item]],
        cursor: int,
        generation: int,
    ) -> None:
        """List `view`: its size, the pages read so far, and where the cursor goes."""
        same_view = self.view is not None and self.view.key == view.key
        self.view = view
        self.total = total
        self.generation = generation
        self._pages = dict(pages)
        self._requested = set(pages)
        self._words = query_words(view.query)
        self._drawn.clear()
        self.virtual_size = Size(0, total)
        if not same_view:
            self.scroll_to(y=0, animate=False, immediate=True)
        self.cursor = max(0, min(cursor, total - 1))
        self.refresh()

    def add_page(self, generation: int, page: int, items: list[Item]) -> None:
        """A page asked for with `PageNeeded` arrived (dropped if the view changed since)."""
        if generation != self.generation:
            return
        self._pages[page] = items
        self._evict_far_pages()
        self._drawn.clear()
        self.refresh()
        if page == page_of(self.cursor):
            self.post_message(self.Highlighted(self.cursor, self.current_item))

    def _evict_far_pages(self) -> None:
        """Keep memory flat on huge views: drop the pages furthest from the cursor."""
        if len(self._pages) <= MAX_PAGES:
            return
        here = page_of(self.cursor)
        for page in sorted(self._pages, key=lambda p: abs(p - here))[MAX_PAGES:]:
            del self._pages[page]
            self._requested.discard(page)

    def update_item(self, item: Item) -> None:
        """Draw the new state of an item that changed (marks, tags), wherever it is listed."""
        for page, rows in self._pages.items():
            for position, row in enumerate(rows):
                if row.id == item.id:
                    rows[position] = item
                    number = page * PAGE_SIZE + position
                    self._forget(number)
                    self.refresh_line(number)

    @property
    def current_item(self) -> Item | None:
        """The item under the cursor, if its page is loaded."""
        return self.item_at(self.cursor)

    def item_at(self, row: int) -> Item | None:
        """The item on `row`, if its page is loaded."""
        rows = self._pages.get(page_of(row))
        if rows is None:
            return None
        position = row % PAGE_SIZE
        return rows[position] if position < len(rows) else None

    def loaded_items(self) -> list[Item]:
        """Every item of the loaded pages (to mark them all read on screen)."""
        return [item for rows in self._pages.values() for item in rows]

    # -- cursor -----------------------------------------------------------------------------

    def validate_cursor(self, cursor: int) -> int:
        return max(0, min(cursor, self.total - 1)) if self.total else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old)
        self.refresh_line(new)
        self.scroll_to_region(Region(0, new, 1, 1), animate=False, immediate=True, x_axis=False)
        self.post_message(self.Highlighted(new, self.current_item))

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_page_down(self) -> None:
        self.cursor += max(1, self.scrollable_content_region.height - 1)

    def action_page_up(self) -> None:
        self.cursor -= max(1, self.scrollable_content_region.height - 1)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = self.total - 1

    def action_open(self) -> None:
        item = self.current_item
        if item is not None:
            self.post_message(self.Opened(item))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = offset.y + int(self.scroll_offset.y)
        if row < self.total:
            self.cursor = row
            if event.chain >= 2:
                self.action_open()

    # -- drawing (only the rows on screen) --------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        row = y + int(self.scroll_offset.y)
        if self.view is not None and self.total == 0 and y == 0:
            text = Text("  Nothing here.", style="dim", end="")
            return self._strip(text, width, base)
        if row >= self.total:
            return Strip.blank(width, base)
        cached = self._drawn.get((row, width, row == self.cursor))
        if cached is not None:
            return cached
        item = self.item_at(row)
        if item is None:
            page = page_of(row)
            if page not in self._requested:
                self._requested.add(page)
                self.post_message(self.PageNeeded(self.generation, page))
            text = Text("  …", end="")
            text.stylize(self.get_component_rich_style("item-list--placeholder"))
        else:
            text = item_row(item, width, self.clock(), self._words)
        if row == self.cursor:
            text.stylize(self.get_component_rich_style("item-list--cursor"))
        strip = self._strip(text, width, base)
        if item is not None:
            if len(self._drawn) > 2000:  # a few screens' worth is plenty
                self._drawn.clear()
            self._drawn[(row, width, row == self.cursor)] = strip
        return strip

    def _forget(self, row: int) -> None:
        for key in [key for key in self._drawn if key[0] == row]:
            del self._drawn[key]

    def _strip(self, text: Text, width: int, base: Style) -> Strip:
        text.stylize_before(base)
        segments = [s for s in text.render(self.app.console) if s.text != "\n"]
        return Strip(segments).crop_extend(0, width, base)
