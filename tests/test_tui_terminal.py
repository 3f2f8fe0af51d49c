"""The reader in a real terminal: tmux runs `reader --db X tui`, keys go in, text comes out."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.models import ItemFilter
from reader.store import open_store
from tests.test_tui import fill_store

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"
)


class Terminal:
    """A tmux server of our own (its own socket) holding one 120x36 window."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        return result.stdout

    def start(self, command: str) -> None:
        self.tmux("new-session", "-d", "-s", "reader", "-x", "120", "-y", "36", command)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "reader", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-t", "reader", "-p")

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        shown = ""
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.1)
        size = self.tmux("display", "-p", "-t", "reader", "#{window_width}x#{window_height}")
        raise AssertionError(f"{text!r} never appeared in {size}; the terminal shows:\n{shown}")


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal(f"reader-test-{os.getpid()}")
    yield term
    term.tmux("kill-server")  # our own server, on our own socket


def test_reader_runs_in_a_real_terminal_and_quits_cleanly(
    terminal: Terminal, db_path: Path, tmp_path: Path
) -> None:
    with open_store(db_path) as store:
        fill_store(store)
    environment = {
        "READER_CONFIG": "",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "TERM": "xterm-256color",
    }
    command = " ".join(
        [
            "env -u COLUMNS -u LINES",  # size comes from the terminal, not a parent's guess
            *(f"{name}={shlex.quote(value)}" for name, value in environment.items()),
            shlex.quote(sys.executable),
            "-m reader --db",
            shlex.quote(str(db_path)),
            "tui; echo reader-exit-$?; sleep 30",
        ]
    )
    terminal.start(command)
    terminal.wait_for("Report 249: NATO and Japan")
    shown = terminal.wait_for("Example News")
    assert "Topic" in shown and "Seeds" in shown and "q Quit" in shown
    terminal.keys("j", "Enter")
    shown = terminal.wait_for("Paragraph one of report 248.")
    assert "https://news.example/Report/248" in shown
    terminal.keys("s")
    terminal.wait_for("★")
    terminal.keys("A")  # shift+a, as a terminal sends it
    terminal.wait_for("Mark every item in Topic read?")
    terminal.keys("n")
    terminal.keys("?")
    terminal.wait_for("Full-text search")
    terminal.keys("q")  # closes the help (esc then q at once would read as alt+q)
    terminal.wait_for("Paragraph one of report 248.")
    terminal.keys("q")
    terminal.wait_for("reader-exit-0")
    with open_store(db_path) as store:
        starred = store.get_items(ItemFilter(starred=True))
        assert [item.title for item in starred] == ["Report 248: NATO and Japan in the Pacific"]
        assert starred[0].read
