"""How the main screen is laid out for the terminal's width: the sidebar shown or hidden, the
reading pane beside the list or the article full screen, and which keys the footer has room for.

Plain decisions, no Textual: the screen applies them as CSS classes, the tests check directly.
Below `NARROW` columns the reader behaves as Newsboat does: the list fills the screen, opening
an item shows it full screen, and `q` / `esc` go back to the list.
"""

from __future__ import annotations

from dataclasses import dataclass

NARROW = 100
"""Terminals narrower than this hide the sidebar and open items full screen."""

FOOTER_FIRST = ("help", "back", "quit")
"""Actions the footer shows first, so no width ever cuts them off."""

FOOTER_NARROW = frozenset(
    {"open", "next_unread", "toggle_read", "toggle_star", "search", "toggle_sidebar", "zoom"}
)
"""The other actions the footer shows on a narrow terminal (every key is in help and the
command palette)."""


@dataclass
class Panes:
    """The screen's arrangement, changed by keys and by resizing."""

    width: int = 120
    """The terminal's width in cells."""
    sidebar_choice: bool | None = None
    """The sidebar as the user last set it with its key (None: by the width)."""
    article: bool = False
    """The open item fills the screen (no sidebar, no list)."""

    @property
    def narrow(self) -> bool:
        return self.width < NARROW

    @property
    def sidebar(self) -> bool:
        """Whether the sidebar is shown."""
        if self.article:
            return False
        return self.sidebar_choice if self.sidebar_choice is not None else not self.narrow

    @property
    def pane(self) -> bool:
        """Whether the reading pane is shown (beside the list, or full screen)."""
        return self.article or not self.narrow

    def resize(self, width: int) -> None:
        """The terminal changed size; crossing `NARROW` gives the sidebar back to the width."""
        if (width < NARROW) != self.narrow:
            self.sidebar_choice = None
        self.width = width

    def toggle_sidebar(self) -> bool:
        """Show a hidden sidebar or hide a shown one; whether it is shown now."""
        self.sidebar_choice = not self.sidebar
        self.article = False
        return self.sidebar_choice

    def open_item(self, *, zoomed: bool = False) -> None:
        """An item was opened: full screen when narrow (or asked for), else in the pane."""
        if self.narrow or zoomed:
            self.article = True

    def footer_actions(self) -> frozenset[str] | None:
        """The actions the footer shows besides `FOOTER_FIRST` (None: every one)."""
        return FOOTER_NARROW if self.narrow else None

    def classes(self) -> dict[str, bool]:
        """The screen's CSS classes for this arrangement."""
        return {
            "-narrow": self.narrow,
            "-no-sidebar": not self.sidebar,
            "-no-pane": not self.pane,
            "-article": self.article,
        }
