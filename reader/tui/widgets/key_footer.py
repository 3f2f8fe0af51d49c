"""The footer: Textual's, with help and quit (or back) first so a narrow terminal never cuts
them off, and only a few other keys when told the terminal is narrow."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Footer

from reader.tui._textual_compat import footer_key_action, is_palette_key


class KeyFooter(Footer):
    """One line of keys; `first` lead, then `only` (None: all) in the bindings' order."""

    def __init__(self, first: Iterable[str]) -> None:
        super().__init__(compact=True)
        self.first = tuple(first)
        self.only: frozenset[str] | None = None

    def show_only(self, actions: frozenset[str] | None) -> None:
        """Show these actions besides `first` (None: every one), and the palette key only
        when every one is shown."""
        if actions != self.only:
            self.only = actions
            self.show_command_palette = actions is None
            # Recomposed from the footer's own handler: Textual binds each key's `compact`
            # to the widget whose handler is running, which must be the footer.
            self.post_message(self.Rearrange())

    class Rearrange(Message):
        """Lay the keys out again (`only` changed)."""

    async def on_key_footer_rearrange(self, message: Rearrange) -> None:
        if self.is_attached:
            await self.recompose()

    def compose(self) -> ComposeResult:
        widgets: list[Widget] = list(super().compose())
        leading = sorted(
            (w for w in widgets if footer_key_action(w) in self.first),
            key=lambda w: self.first.index(footer_key_action(w) or ""),
        )
        yield from leading
        for widget in widgets:
            action = footer_key_action(widget)
            if widget in leading:
                continue
            left_out = self.only is not None and action is not None and action not in self.only
            if left_out and not is_palette_key(widget):  # Footer decides that one
                continue
            yield widget
