"""The reader in a real terminal: tmux runs `reader --db X tui`, keys go in, text comes out."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reader.models import ItemFilter
from reader.store import open_store
from tests.test_tui import fill_store

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"
)


class Terminal:
    """A tmux server of our own (its own socket) holding one window (120x36 unless told)."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        return result.stdout

    def start(self, command: str, *, width: int = 120, height: int = 36) -> None:
        self.tmux("new-session", "-d", "-s", "reader", "-x", str(width), "-y", str(height), command)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "reader", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-t", "reader", "-p")

    def wait_until(self, test: Callable[[str], bool], what: str, timeout: float = 20.0) -> str:
        """Wait until `test(screen)` holds; `what` names the condition if it never does."""
        deadline = time.monotonic() + timeout
        shown = ""
        while time.monotonic() < deadline:
            shown = self.screen()
            if test(shown):
                return shown
            time.sleep(0.1)
        raise AssertionError(f"never {what}; the terminal shows:\n{shown}")

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


def reader_command(db_path: Path, tmp_path: Path) -> str:
    """`reader --db DB tui` in a clean environment, then its exit status, kept on screen."""
    environment = {
        "READER_CONFIG": "",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "TERM": "xterm-256color",
    }
    return " ".join(
        [
            "env -u COLUMNS -u LINES",  # size comes from the terminal, not a parent's guess
            *(f"{name}={shlex.quote(value)}" for name, value in environment.items()),
            shlex.quote(sys.executable),
            "-m reader --db",
            shlex.quote(str(db_path)),
            "tui; echo reader-exit-$?; sleep 30",
        ]
    )


def test_reader_runs_in_a_real_terminal_and_quits_cleanly(
    terminal: Terminal, db_path: Path, tmp_path: Path
) -> None:
    with open_store(db_path) as store:
        fill_store(store)
    terminal.start(reader_command(db_path, tmp_path))
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
    # A key sent while the dialog is still closing goes to the dialog, as it would for a user.
    terminal.wait_until(lambda shown: "Mark every item" not in shown, "closed the question")
    terminal.keys("?")
    terminal.wait_for("Full-text search")
    terminal.keys("q")  # closes the help (esc then q at once would read as alt+q)
    terminal.wait_until(lambda shown: "Full-text search" not in shown, "closed the help")
    terminal.wait_for("Paragraph one of report 248.")
    terminal.keys("q")
    terminal.wait_for("reader-exit-0")
    with open_store(db_path) as store:
        starred = store.get_items(ItemFilter(starred=True))
        assert [item.title for item in starred] == ["Report 248: NATO and Japan in the Pacific"]
        assert starred[0].read


def footer(shown: str) -> str:
    return shown.rstrip("\n").splitlines()[-1]


def test_at_80x24_the_list_fills_the_screen_n_opens_unread_items_and_q_goes_back(
    terminal: Terminal, db_path: Path, tmp_path: Path
) -> None:
    with open_store(db_path) as store:
        fill_store(store)
    terminal.start(reader_command(db_path, tmp_path), width=80, height=24)
    shown = terminal.wait_for("Report 249: NATO and Japan in the Pacific")
    lines = shown.rstrip("\n").splitlines()
    assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
    assert footer(shown).startswith("? Help q Quit")  # never pushed off by the other keys
    assert "Seeds" not in shown  # no sidebar below 100 columns
    terminal.keys("n")  # the first unread item, full screen
    shown = terminal.wait_until(
        lambda s: "Paragraph one of report 249." in s and footer(s).startswith("? Help q Back"),
        "opened the first unread item full screen",
    )
    assert "Report 248" not in shown  # the list is hidden behind the article
    terminal.keys("n")
    shown = terminal.wait_for("Paragraph one of report 248.")
    terminal.keys("q")  # back to the list, the cursor on the item read last
    shown = terminal.wait_until(
        lambda s: "Report 247: NATO" in s and footer(s).startswith("? Help q Quit"),
        "went back to the list",
    )
    assert "Paragraph one" not in shown and "2/" in shown
    terminal.keys("b")
    terminal.wait_for("Seeds")
    terminal.keys("b")
    terminal.wait_until(lambda s: "Seeds" not in s, "hid the sidebar again")
    terminal.keys("?")
    terminal.wait_for("Moving")
    terminal.keys("G")  # help scrolls to its end inside 80x24
    shown = terminal.wait_for("Command palette")
    assert "Moving" not in shown
    terminal.keys("q")  # closes help
    terminal.wait_until(lambda s: "Command palette" not in s, "closed the help")
    terminal.keys("q")  # nothing to go back to: quits
    terminal.wait_for("reader-exit-0")
    with open_store(db_path) as store:
        read = [item for item in store.get_items() if item.read]
        assert sorted(item.title or "" for item in read) == [
            "Report 248: NATO and Japan in the Pacific",
            "Report 249: NATO and Japan in the Pacific",
        ]
