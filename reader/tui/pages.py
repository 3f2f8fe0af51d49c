"""Reading a view's items from the store a page at a time (the list never holds them all)."""

from __future__ import annotations

from reader.core import Reader
from reader.models import Item, ItemFilter
from reader.tui.views import View

PAGE_SIZE = 100
"""Rows fetched from the store at once."""

FIND_WINDOW = 1000
"""How far around its old row an item is looked for after a reload."""


def page_of(row: int) -> int:
    """The page a row falls in."""
    return max(0, row) // PAGE_SIZE


def count_view(reader: Reader, view: View) -> int:
    """How many items the view lists."""
    return len(view.ids) if view.ids is not None else reader.count_items(view.where)


def fetch_rows(reader: Reader, view: View, offset: int, limit: int) -> list[Item]:
    """Rows `offset` to `offset + limit` of the view, in its order."""
    if view.ids is not None:
        wanted = view.ids[offset : offset + limit]
        found = {item.id: item for item in reader.get_items(ItemFilter(ids=wanted))}
        return [found[i] for i in wanted if i in found]
    return reader.get_items(view.where, sort=view.sort, limit=limit, offset=offset)


def fetch_page(reader: Reader, view: View, page: int) -> list[Item]:
    """One page of the view."""
    return fetch_rows(reader, view, page * PAGE_SIZE, PAGE_SIZE)


def find_row(
    reader: Reader, view: View, item_id: int, near: int, total: int
) -> tuple[int, dict[int, list[Item]]] | None:
    """Where `item_id` is now, looking around row `near`, and the pages read on the way.

    New items usually land above the cursor, so the search window reaches further down
    than up; an item that left the view (read in Unread) is not found.
    """
    first = page_of(max(0, near - PAGE_SIZE))
    last = page_of(min(max(0, total - 1), near + FIND_WINDOW))
    pages: dict[int, list[Item]] = {}
    for page in range(first, last + 1):
        rows = fetch_page(reader, view, page)
        pages[page] = rows
        for position, item in enumerate(rows):
            if item.id == item_id:
                return page * PAGE_SIZE + position, pages
    return None
