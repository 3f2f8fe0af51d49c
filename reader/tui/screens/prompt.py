"""A one-line question (a tag to add or remove, a search query) with completion."""

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
