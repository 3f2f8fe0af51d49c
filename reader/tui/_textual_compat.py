"""Textual's private parts, behind one wall: what the footer borrows.

`KeyFooter` lays out the keys Textual's `Footer` composes. Those are `FooterKey` widgets, a
class Textual does not export, each holding its action in an attribute, and the command
palette's key is told apart by a class name of Footer's own styles. None of this is public
API. Checked against Textual 8.x (pyproject pins ``textual>=8.2,<9``); `problems()` says what
no longer matches, and `tests/test_compat.py` fails naming this module when Textual moves
under it.
"""

from __future__ import annotations

from importlib.metadata import version

from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

CHECKED_SERIES = "8."
"""The Textual release series this module was written against."""

PALETTE_KEY_CLASS = "-command-palette"
"""The class `Footer` gives the command palette's key (its styles place it on the right)."""


def footer_key_action(widget: Widget) -> str | None:
    """The action of one of the footer's keys, None for any other widget."""
    if not isinstance(widget, FooterKey):
        return None
    action = widget.action
    return action if isinstance(action, str) else None


def is_palette_key(widget: Widget) -> bool:
    """Whether this footer key opens the command palette (the Footer shows it or not)."""
    return isinstance(widget, FooterKey) and widget.has_class(PALETTE_KEY_CLASS)


def problems() -> list[str]:
    """What no longer matches the Textual this module was checked against (empty: all)."""
    found: list[str] = []
    release = version("textual")
    if not release.startswith(CHECKED_SERIES):
        found.append(f"textual {release} is not the {CHECKED_SERIES}x checked")
    key = FooterKey("q", "q", "Quit", "quit")
    if footer_key_action(key) != "quit":
        found.append(f"FooterKey no longer keeps its action in .action ({vars(key)!r:.80})")
    if f"FooterKey.{PALETTE_KEY_CLASS}" not in Footer.DEFAULT_CSS:
        found.append(f"Footer's styles no longer name the class {PALETTE_KEY_CLASS!r}")
    return found
