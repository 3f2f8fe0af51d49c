"""Where the reader is: which view is listed, the views in the sidebar's order, the place a
search or story view returns to, and how the list is arranged (order, read items hidden).

Plain state and decisions, no I/O and no Textual: the screen asks, the tests check directly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reader.models import SortOrder
from reader.tui.views import View, ViewKind

TRANSIENT = (ViewKind.SEARCH, ViewKind.STORY)
"""The views that exist only while in use (listed after the fixed views, left with esc/q)."""

FIXED_KINDS = (ViewKind.TOPIC, ViewKind.UNREAD, ViewKind.STARRED, ViewKind.SEEDS, ViewKind.HIDDEN)
"""The views at the top of the sidebar, before saved views, tags and feeds."""

SORT_CYCLE = (SortOrder.NEWEST, SortOrder.OLDEST, SortOrder.RELEVANCE)
"""The orders the sort key (`v`) steps through, starting after the view's own order."""


@dataclass(frozen=True)
class Place:
    """A spot to come back to: a view and the item the cursor was on (else its row)."""

    view: View
    item_id: int | None
    row: int


def is_transient(view: View | None) -> bool:
    return view is not None and view.kind in TRANSIENT


class Navigation:
    """The listed view and the way back from a search or story view."""

    def __init__(self) -> None:
        self.views: list[View] = []
        """The sidebar's views as last read (without search and story views)."""
        self.view: View | None = None
        """The view being listed, even before its rows arrive."""
        self.back: Place | None = None
        """Where leaving a search or story view goes."""
        self.generation = 0
        """Bumped for every listing, so rows read for an older one are dropped."""
        self.sort: SortOrder | None = None
        """The order the user chose for every list (None: each view's own order)."""
        self.hide_read = False
        """List only unread items, in every view."""

    # -- the views ---------------------------------------------------------------------------

    def accept_views(self, views: list[View]) -> None:
        """Fresh views and counts from the store; the listed view takes its fresh counts."""
        self.views = views
        if self.view is not None:
            fresh = next((v for v in views if v.key == self.view.key), None)
            if fresh is not None:
                self.view = fresh

    def sidebar_views(self) -> list[View]:
        """The views in sidebar order: fixed ones, then a search or story in use, then the rest."""
        views = list(self.views)
        if is_transient(self.view):
            assert self.view is not None
            views.append(self.view)
        transient = [v for v in views if is_transient(v)]
        others = [v for v in views if not is_transient(v)]
        fixed = sum(v.kind in FIXED_KINDS for v in others)
        return others[:fixed] + transient + others[fixed:]

    def view_for(self, key: str) -> View | None:
        return next((v for v in self.views if v.key == key), None)

    # -- listing -----------------------------------------------------------------------------

    def begin(self, view: View) -> int:
        """Start listing `view`; the generation its rows must carry."""
        self.view = view
        self.generation += 1
        return self.generation

    def is_current(self, generation: int) -> bool:
        return generation == self.generation

    def arranged(self, view: View) -> View:
        """`view` in the order and with the read items the user chose (for views by filter;
        a fixed list of results is arranged by the store: `Controller.arrange`)."""
        arranged = view
        if self.sort is not None and view.ids is None:
            arranged = replace(arranged, sort=self.sort)
        if self.hide_read:
            arranged = replace(arranged, where=replace(arranged.where, unread=True))
        return arranged

    def toggle_sort(self) -> SortOrder:
        """The next order for every list, after the listed view's current one."""
        current = self.sort or (self.view.sort if self.view is not None else SortOrder.NEWEST)
        self.sort = SORT_CYCLE[(SORT_CYCLE.index(current) + 1) % len(SORT_CYCLE)]
        return self.sort

    def toggle_hide_read(self) -> bool:
        self.hide_read = not self.hide_read
        return self.hide_read

    def arrangement(self) -> str:
        """How the list is arranged, for the status line ("" when as the view says)."""
        parts = []
        if self.sort is not None:
            parts.append(f"{self.sort.value} first")
        if self.hide_read:
            parts.append("unread only")
        return " · ".join(parts)

    # -- search and story views --------------------------------------------------------------

    @property
    def in_transient(self) -> bool:
        return is_transient(self.view)

    def enter_transient(self, view: View, here: Place | None) -> None:
        """List a search or story view; `here` is where leaving it returns (kept from the
        first one when going from one search to the next)."""
        if not self.in_transient:
            self.back = here
        self.view = view

    def leave_transient(self) -> Place | None:
        """Where to go when leaving a search or story view (None when not in one)."""
        if not self.in_transient:
            return None
        back, self.back = self.back, None
        if back is not None:
            back = replace(back, view=self.view_for(back.view.key) or back.view)
        elif self.views:
            back = Place(self.views[0], None, 0)
        if back is not None:
            self.view = back.view
        return back
