"""A one-line question (a tag to add or remove, a search query) with completion, and the
questions the reader asks with it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

from reader.models import Item
from reader.textsafe import plain


class PromptScreen(ModalScreen[str | None]):
    """Asks for a line of text; dismisses with it (stripped) or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        *,
        placeholder: str = "",
        suggestions: Sequence[str] = (),
        hint: str = "",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.suggestions = list(suggestions)
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.title_text, style="bold"), id="prompt-title")
            suggester = (
                SuggestFromList(self.suggestions, case_sensitive=False)
                if self.suggestions
                else None
            )
            yield Input(placeholder=self.placeholder, suggester=suggester, id="answer")
            if self.hint:
                yield Static(Text(self.hint, style="dim"), id="prompt-hint")

    def on_mount(self) -> None:
        self.query_one("#answer", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        self.dismiss(value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def tag_prompt(item: Item, known: Sequence[str]) -> PromptScreen:
    """Asks for a tag to add to `item`, completing the `known` ones."""
    return PromptScreen(
        f"Tag “{plain(item.title or '(untitled)')[:60]}” with:",
        placeholder="tag name",
        suggestions=known,
        hint="→ completes an existing tag · enter adds · esc cancels",
    )


def untag_prompt(item: Item) -> PromptScreen:
    """Asks which of the item's tags to remove."""
    return PromptScreen(
        "Remove which tag? " + ", ".join(plain(t) for t in item.tags),
        placeholder="tag name",
        suggestions=list(item.tags),
    )


def search_prompt() -> PromptScreen:
    """Asks for a search query (words and filters)."""
    return PromptScreen(
        "Search",
        placeholder='words, "a phrase", nato OR aukus, tag:x is:unread newer:7d',
        hint="words search the text; tag: feed: is: score> story: newer: older: filter; ? for help",
    )
