"""The reading pane: the open item's head and body, scrollable."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from reader.models import Item
from reader.tui.render import item_body, item_header


class ReadingPane(VerticalScroll):
    """Shows one item; empty until an item is opened. Focused when it fills the screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "scroll_down", "Down", show=False, tooltip="Scroll the article down"),
        Binding("k,up", "scroll_up", "Up", show=False, tooltip="Scroll the article up"),
        Binding("pagedown", "page_down", "Page down", show=False, tooltip="Page the article down"),
        Binding("pageup", "page_up", "Page up", show=False, tooltip="Page the article up"),
    ]

    class Cleared(Message):
        """The pane no longer shows an item (it left the listed view)."""

    def __init__(self, clock: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.item: Item | None = None
        self._words: Sequence[str] = ()

    def compose(self) -> ComposeResult:
        yield Static(Text("Press enter on an item to read it.", style="dim"), id="item-head")
        yield Static(Text(), id="item-body")

    def show(self, item: Item, words: Sequence[str] = ()) -> None:
        """Show `item` (with its body), scrolled to the top; `words` are highlighted."""
        self.item = item
        self._words = tuple(words)
        self.query_one("#item-head", Static).update(item_header(item, self.clock(), words))
        self.query_one("#item-body", Static).update(item_body(item, words))
        self.scroll_home(animate=False)

    @property
    def at_end(self) -> bool:
        """Whether the article is scrolled to its end (or fits)."""
        return self.scroll_target_y >= self.max_scroll_y

    def clear(self) -> None:
        """Show nothing (the open item left the listed view)."""
        if self.item is not None:
            self.post_message(self.Cleared())
        self.item = None
        self._words = ()
        self.query_one("#item-head", Static).update(
            Text("Press enter on an item to read it.", style="dim")
        )
        self.query_one("#item-body", Static).update(Text())

    def refresh_marks(self, item: Item) -> None:
        """Redraw the head after the open item's marks or tags changed (body kept)."""
        if self.item is None or self.item.id != item.id:
            return
        body_item = self.item
        # A listing's Item has no body; keep the one already shown.
        self.item = item if item.content_html or item.text else _with_body(item, body_item)
        self.query_one("#item-head", Static).update(
            item_header(self.item, self.clock(), self._words)
        )


def _with_body(item: Item, body_from: Item) -> Item:
    return replace(
        item,
        content_html=body_from.content_html,
        text=body_from.text,
        summary=body_from.summary,
    )
