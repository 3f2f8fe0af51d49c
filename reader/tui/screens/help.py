"""The help screen (`?`): every key and what it does, read from the bindings themselves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Static

KeyRow = tuple[str, str]


_KEY_NAMES = {
    "down": "↓",
    "up": "↑",
    "slash": "/",
    "question_mark": "?",
    "pagedown": "PgDn",
    "pageup": "PgUp",
    "escape": "esc",
}


def key_names(binding: Binding) -> str:
    """Every key of a binding, as a user reads them (``j / ↓``)."""
    return " / ".join(_KEY_NAMES.get(key, key) for key in binding.key.split(","))


def binding_rows(bindings: Iterable[BindingType]) -> list[KeyRow]:
    """(keys, what they do) for each described binding, in declaration order."""
    rows: list[KeyRow] = []
    for binding in bindings:
        if isinstance(binding, Binding) and binding.description:
            rows.append((key_names(binding), binding.tooltip or binding.description))
    return rows


def class_bindings(widget: type[DOMNode]) -> list[BindingType]:
    """A widget class's bindings with those of the classes it extends (theirs first)."""
    return [
        binding for cls in reversed(widget.__mro__) for binding in cls.__dict__.get("BINDINGS", ())
    ]


class HelpScreen(ModalScreen[None]):
    """Lists the keys in groups, scrolled with j / k, arrows and pages (it fits 80x24);
    any of escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close help"),
        Binding("j,down", "scroll('down')", "Down", show=False),
        Binding("k,up", "scroll('up')", "Up", show=False),
        Binding("pagedown,space", "scroll('page_down')", "Page down", show=False),
        Binding("pageup", "scroll('page_up')", "Page up", show=False),
        Binding("home,g", "scroll('home')", "Top", show=False),
        Binding("end,G", "scroll('end')", "End", show=False),
    ]

    def __init__(self, groups: list[tuple[str, list[KeyRow]]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for title, rows in self.groups:
            table.add_row(Text(title, style="bold underline"), Text())
            for keys, description in rows:
                table.add_row(Text(keys), Text(description))
            table.add_row(Text(), Text())
        with VerticalScroll(id="dialog"):
            yield Static(Text("Keys", style="bold"), id="help-title")
            yield Static(table, id="help-keys")
            yield Static(
                Text("Every action is also in the command palette (ctrl+p). Esc closes."),
                id="help-hint",
            )

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll(self, how: str) -> None:
        """Scroll the keys: `how` names one of the scroll container's own actions."""
        dialog = self.query_one("#dialog", VerticalScroll)
        {
            "down": dialog.scroll_down,
            "up": dialog.scroll_up,
            "page_down": dialog.scroll_page_down,
            "page_up": dialog.scroll_page_up,
            "home": dialog.scroll_home,
            "end": dialog.scroll_end,
        }[how](animate=False)
