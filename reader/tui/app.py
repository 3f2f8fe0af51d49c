"""`ReaderApp`: the terminal reader. `reader` (or `reader tui`) starts it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.theme import Theme

from reader.config.ui_state import load_ui_state, save_ui_state, ui_state_file
from reader.core import Reader
from reader.tui.controller import Controller, open_in_default_browser
from reader.tui.screens.help import (
    HelpScreen,
    KeyRow,
    binding_rows,
    class_bindings,
    key_names,
)
from reader.tui.screens.main import MainScreen
from reader.tui.widgets.item_list import ItemList
from reader.tui.widgets.reading_pane import ReadingPane


def utc_now() -> datetime:
    return datetime.now(UTC)


class ReaderApp(App[None]):
    """Read, tag and mark the store's items; fast on large stores."""

    TITLE = "reader"
    CSS_PATH = "reader.tcss"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="Quit, when there is nothing to go back to"),
        Binding("Q", "quit", "Quit", show=False, tooltip="Quit the reader at once"),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="Show every key"),
    ]

    def __init__(
        self,
        reader: Reader,
        *,
        clock: Callable[[], datetime] = utc_now,
        open_link: Callable[[str], bool] = open_in_default_browser,
        state_file: Path | None = None,
    ) -> None:
        super().__init__()
        self.reader = reader
        self.clock = clock
        self.controller = Controller(reader, open_link=open_link)
        self.state_file = state_file or ui_state_file()
        self.kept = load_ui_state(self.state_file)  # read before the event loop starts

    def on_mount(self) -> None:
        if self.kept.theme in self.available_themes:
            self.theme = self.kept.theme
        self.theme_changed_signal.subscribe(self, self.keep_theme)
        mark_read = self.reader.settings.reader.mark_read_on_open
        self.push_screen(MainScreen(self.controller, self.clock, mark_read_on_open=mark_read))

    def keep_theme(self, theme: Theme) -> None:
        """Write the theme chosen (in the palette) to the state file, for the next run."""
        if theme.name == self.kept.theme:
            return
        self.kept = replace(self.kept, theme=theme.name)
        state, path = self.kept, self.state_file

        def write() -> None:
            try:
                save_ui_state(path, state)
            except OSError as exc:
                self.call_from_thread(
                    self.notify,
                    f"The theme is not kept for next time: {exc}",
                    severity="warning",
                    markup=False,
                )

        self.run_worker(write, group="ui-state", exclusive=True, thread=True)

    def key_groups(self) -> list[tuple[str, list[KeyRow]]]:
        """The keys for the help screen, grouped by where they work."""
        return [
            ("Moving", binding_rows(ItemList.BINDINGS)),
            ("Items and views", binding_rows(class_bindings(MainScreen))),
            ("Reading an article", binding_rows(ReadingPane.BINDINGS)),
            (
                "Everywhere",
                [
                    *binding_rows(self.BINDINGS),
                    ("tab", "Next pane (sidebar, list, reading pane)"),
                    ("enter", "In the sidebar: go to the view's items"),
                    ("j / k", "In the sidebar: next / previous view"),
                    ("ctrl+p", "Command palette"),
                ],
            ),
        ]

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.key_groups()))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every key's action in the command palette, besides Textual's own commands."""
        yield from super().get_system_commands(screen)
        if isinstance(screen, MainScreen):
            for owner, bindings in (
                (screen, class_bindings(MainScreen)),
                (screen.query_one(ItemList), ItemList.BINDINGS),
            ):
                for binding in bindings:
                    if isinstance(binding, Binding) and binding.description:
                        yield SystemCommand(
                            binding.tooltip or binding.description,
                            f"key: {key_names(binding)}",
                            partial(owner.run_action, binding.action),
                        )
        yield SystemCommand("Keys", "Show every key (?)", self.action_help)
