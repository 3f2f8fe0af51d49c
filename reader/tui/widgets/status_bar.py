"""The status line: where the user is on the left, how the last long action went on the right,
and a progress bar while a refresh runs."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from reader.textsafe import plain


class StatusBar(Horizontal):
    """One line under the panes."""

    def compose(self) -> ComposeResult:
        yield Static(Text("Loading…"), id="status")
        yield Static(Text(), id="note")
        yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="progress")

    def on_mount(self) -> None:
        self.query_one("#progress", ProgressBar).display = False

    def show_place(self, text: str) -> None:
        """The left: which view, where the cursor is."""
        self.query_one("#status", Static).update(Text(plain(text)))

    def show_note(self, text: str, style: str = "") -> None:
        """The right: how the last long action (a refresh) went."""
        self.query_one("#note", Static).update(Text(plain(text), style=style))

    def show_progress(self, done: int, total: int | None) -> None:
        """Show the bar with `done` of `total` (None: not known yet)."""
        bar = self.query_one("#progress", ProgressBar)
        bar.display = True
        if total is not None:
            bar.update(total=max(1, total), progress=done)

    def end_progress(self) -> None:
        self.query_one("#progress", ProgressBar).display = False
