"""Messages that carry what the controller read or wrote, from thread workers back to the
screen ("messages up")."""

from __future__ import annotations

from textual.message import Message

from reader.models import Item, UpdateReport
from reader.tui.controller import Found, Listing
from reader.tui.views import View


class ViewsLoaded(Message):
    """The sidebar's views with fresh counts."""

    def __init__(self, views: list[View], *, first: bool = False) -> None:
        super().__init__()
        self.views = views
        self.first = first  # the first load also lists the first view


class ViewLoaded(Message):
    """A view's size and its first pages, ready for the item list."""

    def __init__(self, listing: Listing, generation: int) -> None:
        super().__init__()
        self.listing = listing
        self.generation = generation


class TransientLoaded(Message):
    """A search's results (rows at hand) or a story view (rows still to read)."""

    def __init__(self, view: View, listing: Listing | None) -> None:
        super().__init__()
        self.view = view
        self.listing = listing


class PageLoaded(Message):
    """One more page of the listed view."""

    def __init__(self, generation: int, page: int, items: list[Item]) -> None:
        super().__init__()
        self.generation = generation
        self.page = page
        self.items = items


class UnreadFound(Message):
    """The next (or previous) unread item of the listed view, to go to and open; None when
    there is none that way."""

    def __init__(self, found: Found | None, generation: int, *, forward: bool = True) -> None:
        super().__init__()
        self.found = found
        self.generation = generation
        self.forward = forward


class ItemLoaded(Message):
    """An item read again from the store (after opening or marking it)."""

    def __init__(self, item: Item, *, opened: bool = False, counts_changed: bool = False) -> None:
        super().__init__()
        self.item = item
        self.opened = opened  # show it in the reading pane
        self.counts_changed = counts_changed  # read the sidebar's counts again


class ViewMarkedRead(Message):
    """Every item of the listed view was marked read."""

    def __init__(self, changed: int) -> None:
        super().__init__()
        self.changed = changed


class StoreChanged(Message):
    """Another process (the daemon) changed the store; the screen reloads what it shows."""

    def __init__(self, counter: int) -> None:
        super().__init__()
        self.counter = counter


class RefreshProgress(Message):
    """A refresh has finished `done` of its `total` feeds."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class RefreshFinished(Message):
    """A refresh started with `r` ended, with a report or an error line."""

    def __init__(self, report: UpdateReport | None, error: str | None) -> None:
        super().__init__()
        self.report = report
        self.error = error


class Problem(Message):
    """A worker hit an error the user should see (one line, plain text)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
