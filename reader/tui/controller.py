"""What the reader's keys do, without Textual: each use case of the main screen run against
the application layer (`reader.core.Reader`), returning plain data.

Every method may wait on the database or the network, so the screen calls them from thread
workers and posts what they return as messages; tests call them directly.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, replace

from reader.core import Reader
from reader.exceptions import ReaderError
from reader.models import FeedResult, Item, ItemFilter, UpdateReport
from reader.textsafe import plain
from reader.tui.pages import PAGE_SIZE, count_view, fetch_page, fetch_rows, find_row, page_of
from reader.tui.views import View, build_views, search_view, story_view

SEARCH_LIMIT = 500
"""Most search results listed."""

SCAN_ROWS = 500
"""Rows read at once while looking for the next unread item beyond the loaded pages."""


class NoBrowserError(ReaderError):
    """No web browser could be started."""


@dataclass(frozen=True)
class Listing:
    """A view ready for the item list: its size, the pages read so far, the cursor's row."""

    view: View
    total: int
    pages: dict[int, list[Item]]
    cursor: int = 0
    keeps_open: bool = True
    """Whether the item open in the reading pane is one of the view's items."""


@dataclass(frozen=True)
class Found:
    """An item found by row (the next unread one) with the page it is on."""

    row: int
    item: Item
    page: list[Item]


def summarize(report: UpdateReport) -> str:
    """One status line for a finished refresh."""
    line = f"Refreshed {report.checked} feeds: {report.new} new, {report.updated} updated"
    if report.errors:
        line += f", {len(report.errors)} failed"
    if report.stopped_by is not None:
        line += f"; stopped: {report.stopped_by}"
    return line


def web_link(item: Item) -> str | None:
    """The item's link if a browser can open it."""
    link = item.link or ""
    return link if link.startswith(("http://", "https://")) else None


def has_story(item: Item) -> bool:
    """Whether other sources report the item's story."""
    return item.story_id is not None and item.story_size >= 2


def open_in_default_browser(url: str) -> bool:
    # `webbrowser` starts the browser without a shell, with the URL as one argument.
    return webbrowser.open(url, new=2)


class ChangeWatch:
    """Tells the store's changes by other processes (the daemon) from the reader's own,
    by the store's change counter, which every write bumps by one."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.counter: int | None = None
        """The counter the screen's contents match (None: take the next one as it is)."""

    def take(self) -> int:
        """Accept the store as it is now."""
        self.counter = self.reader.change_counter()
        return self.counter

    def changed(self) -> int | None:
        """The new counter if another process wrote since we looked, else None."""
        counter = self.reader.change_counter()
        if self.counter is not None and counter != self.counter:
            return counter
        return None

    def note_own_write(self) -> None:
        """After one write of ours, accept the counter it made, so it causes no reload.
        Anything more than one step means another process wrote too: the next check reloads."""
        counter = self.reader.change_counter()
        if self.counter is not None and counter == self.counter + 1:
            self.counter = counter


class Controller:
    """The main screen's use cases: list views, open, mark, tag, search, refresh."""

    def __init__(
        self, reader: Reader, *, open_link: Callable[[str], bool] = open_in_default_browser
    ) -> None:
        self.reader = reader
        self.settings = reader.settings
        self.changes = ChangeWatch(reader)
        self.open_link = open_link

    # -- listing -----------------------------------------------------------------------------

    def read_views(self) -> list[View]:
        """The sidebar's views with fresh counts."""
        return build_views(self.reader)

    def arrange(self, view: View, *, hide_read: bool) -> View:
        """A search's fixed list of results without its read items (the store filters)."""
        if view.ids is None or not hide_read:
            return view
        ids = view.ids
        unread = {i.id for i in self.reader.get_items(ItemFilter(ids=ids, unread=True))}
        kept = tuple(i for i in ids if i in unread)
        return replace(view, ids=kept, where=replace(view.where, ids=kept, unread=True))

    def list_view(
        self,
        view: View,
        *,
        keep_item: int | None = None,
        near: int = 0,
        open_item: int | None = None,
    ) -> Listing:
        """The view's size and the pages around the cursor: on `keep_item` if still listed
        (looked for around row `near`), else near row `near`."""
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
        keeps_open = open_item is None or self.in_view(view, open_item, pages)
        return Listing(view, total, pages, cursor, keeps_open)

    def page(self, view: View, page: int) -> list[Item]:
        return fetch_page(self.reader, view, page)

    def in_view(self, view: View, item_id: int, pages: dict[int, list[Item]] | None = None) -> bool:
        """Whether the view lists the item (the pages at hand are looked at first). Being read
        does not take an item out: the one open in an unread-only view was read by opening it,
        and a reload must not take it from under the reader."""
        if pages and any(item.id == item_id for rows in pages.values() for item in rows):
            return True
        if view.ids is not None:
            return item_id in view.ids
        return self.reader.count_items(replace(view.where, ids=(item_id,), unread=False)) > 0

    def next_unread(self, view: View, row: int, *, forward: bool = True) -> Found | None:
        """The first unread item after row `row` (before it, not `forward`), read from the
        store, so it is found anywhere in the view, loaded or not."""
        if view.ids is None and not self.reader.count_items(replace(view.where, unread=True)):
            return None
        total = count_view(self.reader, view)
        start = row + 1 if forward else row - 1
        if not 0 <= start < total:
            return None
        first = (start // SCAN_ROWS) * SCAN_ROWS
        while 0 <= first < total:
            rows = fetch_rows(self.reader, view, first, SCAN_ROWS)
            numbered = list(enumerate(rows, start=first))
            for number, item in numbered if forward else reversed(numbered):
                if (number > row if forward else number < row) and not item.read:
                    page_start = page_of(number) * PAGE_SIZE
                    page = rows[page_start - first : page_start - first + PAGE_SIZE]
                    return Found(number, item, page)
            first += SCAN_ROWS if forward else -SCAN_ROWS
        return None

    # -- search and story --------------------------------------------------------------------

    def search(self, query: str) -> Listing:
        """The results of a search, best first, listed without reading them again."""
        hits = self.reader.search(query, limit=SEARCH_LIMIT)
        found = [hit.item for hit in hits]
        view = search_view(query, tuple(item.id for item in found), sum(not i.read for i in found))
        pages = {
            page: found[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
            for page in range(page_of(max(0, len(found) - 1)) + 1)
        }
        return Listing(view, len(found), pages)

    def story(self, item: Item) -> View:
        """Every source's report of the item's story (see `has_story`)."""
        assert item.story_id is not None
        unread = self.reader.count_items(ItemFilter(story_id=item.story_id, unread=True))
        return story_view(item.story_id, item.title or "(untitled)", unread)

    # -- reading, marks and tags -------------------------------------------------------------

    def open_item(self, item_id: int, *, mark_read: bool) -> Item:
        """The item with its body; marked read first when `mark_read`."""
        if mark_read:
            self.reader.mark_items([item_id], read=True)
            self.changes.note_own_write()
        return self.reader.get_item(item_id)

    def set_marks(
        self, item_id: int, *, read: bool | None = None, starred: bool | None = None
    ) -> Item | None:
        """Mark the item; its fresh state for the list (None if it is gone)."""
        self.reader.mark_items([item_id], read=read, starred=starred)
        return self._after_write(item_id)

    def add_tag(self, item_id: int, tag: str) -> Item | None:
        self.reader.add_tags(item_id, [tag])
        return self._after_write(item_id)

    def remove_tag(self, item_id: int, tag: str) -> Item | None:
        self.reader.remove_tags(item_id, [tag])
        return self._after_write(item_id)

    def _after_write(self, item_id: int) -> Item | None:
        self.changes.note_own_write()
        fresh = self.reader.get_items(ItemFilter(ids=(item_id,)))
        return fresh[0] if fresh else None

    def mark_view_read(self, view: View) -> int:
        """Mark every item of the view read; how many changed."""
        return self.reader.mark_all_read(view.where)

    def full_text(self, item_id: int) -> Item:
        """Fetch and keep the item's linked article (network and extraction)."""
        item = self.reader.fetch_full_text(item_id)
        self.changes.note_own_write()
        return item

    def open_in_browser(self, item: Item, *, mark_read: bool) -> Item | None:
        """Open the item's link in the browser (see `web_link`); marked read too when
        `mark_read`, its fresh state returned."""
        link = web_link(item)
        if link is None or not self.open_link(link):
            raise NoBrowserError(f"No browser could open {plain(item.link or '')}")
        return self.set_marks(item.id, read=True) if mark_read else None

    # -- updating ----------------------------------------------------------------------------

    def refresh(self, progress: Callable[[int, int], None]) -> UpdateReport:
        """Update every feed now; `progress(done, total)` after each feed."""
        feeds = self.reader.feeds_to_update(due_only=False)
        done = 0

        def one_done(result: FeedResult) -> None:
            nonlocal done
            done += 1
            progress(done, len(feeds))

        progress(0, len(feeds))
        return self.reader.update_feeds(feeds, on_result=one_done)
