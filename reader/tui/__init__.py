"""The terminal reader (Textual). Only `reader.cli` imports this; the core never does."""

from __future__ import annotations

from reader.tui.app import ReaderApp

__all__ = ["ReaderApp"]
