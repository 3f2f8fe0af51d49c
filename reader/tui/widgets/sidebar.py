"""The sidebar: the views (Topic, Unread, Starred, Seeds, tags, feeds...) with unread counts."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from reader.textsafe import plain
from reader.tui.views import View, ViewKind

LABEL_WIDTH = 26
"""Cells for a view's name and count."""


def view_prompt(view: View) -> Text:
    """A view's line in the sidebar: name and unread count; a failing feed is marked."""
    shown = view.count if view.count is not None else view.unread
    count = f"{shown:,}" if shown else ""
    mark = "! " if view.error else ""
    name = Text(mark, style="bold red", no_wrap=True, end="")
    name.append(view.label, style="bold" if view.unread else "")
    name.truncate(max(4, LABEL_WIDTH - len(count) - 1), overflow="ellipsis", pad=True)
    name.append(" " + count, style="cyan")
    if view.error:
        detail = Text("\n  " + view.error, style="red dim", no_wrap=True, end="")
        detail.truncate(LABEL_WIDTH + 1, overflow="ellipsis")
        name.append_text(detail)
    return name


def _heading(title: str) -> Option:
    return Option(Text(title, style="bold dim"), disabled=True)


class Sidebar(Vertical):
    """The list of views; highlighting one lists its items."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "move(1)", "Next view", show=False),
        Binding("k", "move(-1)", "Previous view", show=False),
    ]

    class ViewChosen(Message):
        """The user moved to another view."""

        def __init__(self, view: View) -> None:
            super().__init__()
            self.view = view

    class ViewSelected(Message):
        """The user pressed enter on a view (to go to its items)."""

        def __init__(self, view: View) -> None:
            super().__init__()
            self.view = view

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.views: dict[str, View] = {}
        self.current: str | None = None

    def compose(self) -> ComposeResult:
        yield OptionList(id="views")
        yield Static(id="view-details")

    def set_views(self, views: list[View]) -> None:
        """Show these views (with fresh counts), keeping the highlight on the current one."""
        self.views = {view.key: view for view in views}
        grouped = (ViewKind.TAG, ViewKind.FEED, ViewKind.SAVED)
        fixed = [v for v in views if v.kind not in grouped]
        saved = [v for v in views if v.kind is ViewKind.SAVED]
        tags = [v for v in views if v.kind is ViewKind.TAG]
        feeds = [v for v in views if v.kind is ViewKind.FEED]
        options: list[Option | None] = [Option(view_prompt(v), id=v.key) for v in fixed]
        if saved:
            options += [None, _heading("Views")]
            options += [Option(view_prompt(v), id=v.key) for v in saved]
        if tags:
            options += [None, _heading("Tags")]
            options += [Option(view_prompt(v), id=v.key) for v in tags]
        if feeds:
            options += [None, _heading("Feeds")]
            options += [Option(view_prompt(v), id=v.key) for v in feeds]
        option_list = self.query_one("#views", OptionList)
        with self.prevent(OptionList.OptionHighlighted):
            option_list.set_options(options)
            if self.current in self.views:
                option_list.highlighted = option_list.get_option_index(self.current)
            elif views:
                option_list.highlighted = 0
        self._show_details()

    def choose(self, key: str) -> None:
        """Make `key` the current view without announcing it (the screen chose it)."""
        self.current = key
        option_list = self.query_one("#views", OptionList)
        if key in self.views:
            with self.prevent(OptionList.OptionHighlighted):
                option_list.highlighted = option_list.get_option_index(key)
        self._show_details()

    def _show_details(self) -> None:
        view = self.views.get(self.current or "")
        details = self.query_one("#view-details", Static)
        if view is not None and view.error:
            details.update(Text(plain(view.error), style="red"))
            details.display = True
        else:
            details.update(Text())
            details.display = False

    def action_move(self, step: int) -> None:
        """j / k: the next or previous view, as the arrows do."""
        option_list = self.query_one("#views", OptionList)
        if step > 0:
            option_list.action_cursor_down()
        else:
            option_list.action_cursor_up()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        key = event.option.id
        if key is None or key not in self.views or key == self.current:
            return
        self.current = key
        self._show_details()
        self.post_message(self.ViewChosen(self.views[key]))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        key = event.option.id
        if key is not None and key in self.views:
            if key != self.current:
                self.current = key
                self._show_details()
                self.post_message(self.ViewChosen(self.views[key]))
            self.post_message(self.ViewSelected(self.views[key]))
