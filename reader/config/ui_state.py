"""What the terminal reader keeps between runs that is not a setting: the theme chosen in its
command palette. A small JSON file in the user's state folder (`places.user_state_dir`), not in
the store: it belongs to the user at this terminal, not to the database.

A missing, unreadable or malformed file is the defaults (losing a theme must never stop the
reader); writing replaces the file whole, so a crash mid-write leaves the old one.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from reader.config.places import user_state_dir

STATE_FILE = "tui-state.json"


@dataclass(frozen=True)
class UiState:
    """The reader's state kept between runs."""

    theme: str | None = None
    """The Textual theme's name (None: Textual's default)."""


def ui_state_file() -> Path:
    """Where the state is kept: `tui-state.json` in the user's state folder."""
    return user_state_dir() / STATE_FILE


def load_ui_state(path: Path) -> UiState:
    """The state kept at `path`; the defaults when there is none or it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return UiState()
    theme = data.get("theme") if isinstance(data, dict) else None
    return UiState(theme=theme if isinstance(theme, str) and theme else None)


def save_ui_state(path: Path, state: UiState) -> None:
    """Keep `state` at `path` (its folder made if missing). Raises `OSError` if it cannot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".tui-state-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(asdict(state), file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
