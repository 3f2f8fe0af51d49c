"""`reader export newsboat`: every tag of every feed reaches Newsboat, checked by Newsboat
itself in a real terminal (its tag dialog), since its OPML import keeps one tag per feed."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from reader.store import open_store
from tests.test_cli import run
from tests.test_tui_terminal import Terminal

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(
        shutil.which("newsboat") is None,
        reason="newsboat is not installed (apt-get install newsboat)",
    ),
]

FEEDS = {
    "http://127.0.0.1:9/a.xml": ("Feed A", ("one", "two", "Tag/Three")),
    "http://127.0.0.1:9/b.xml": ("Feed B", ("two", 'say "hi"', "back\\slash")),
    "http://127.0.0.1:9/c.xml": ("Feed C", ("one",)),
}


def exported_urls(tmp_path: Path) -> Path:
    with open_store(tmp_path / "r.db") as store:
        for url, (title, tags) in FEEDS.items():
            store.add_feed(url, title=title, tags=tags)
        store.add_feed("http://127.0.0.1:9/off.xml", title="Off", tags=("one",))
        store.set_feed_enabled("http://127.0.0.1:9/off.xml", False)
        store.add_feed("http://127.0.0.1:9/odd.xml", title="Odd", tags=("~not a title", "one"))
    out = tmp_path / "urls"
    result = run(tmp_path, "export", "newsboat", "--out", str(out))
    assert "'~not a title' of http://127.0.0.1:9/odd.xml left out" in result.stderr
    return out


def newsboat_tag_dialog(terminal: Terminal, urls: Path, home: Path) -> dict[str, set[str]]:
    """Each tag Newsboat offers in its tag dialog, with the feeds it lists under it."""
    (home / "config").write_text("show-read-feeds yes\n", encoding="utf-8")
    terminal.tmux(
        "new-session", "-d", "-s", "reader", "-x", "100", "-y", "30",
        f"env HOME={home} newsboat -u {urls} -c {home / 'cache.db'} -C {home / 'config'}",
    )  # fmt: skip
    terminal.wait_for("Your feeds")
    terminal.keys("t")
    dialog = terminal.wait_for("Select Tag")
    tags = re.findall(r"^\s+\d+\s+(.*) \(\d+\)\s*$", dialog, flags=re.MULTILINE)
    listed: dict[str, set[str]] = {}
    for position, tag in enumerate(tags):
        if position:
            terminal.keys("t")
            terminal.wait_for("Select Tag")
        terminal.keys(*["Down"] * position, "Enter")
        shown = terminal.wait_for(f"tag `{tag}'")
        time.sleep(0.2)  # the list is drawn after the title bar
        shown = terminal.screen()
        listed[tag] = set(re.findall(r"\(\d+/\d+\) (.+?)\s*$", shown, flags=re.MULTILINE))
    return listed


def test_newsboat_sees_every_tag_of_every_feed_and_its_title(tmp_path: Path) -> None:
    urls = exported_urls(tmp_path)
    terminal = Terminal(f"newsboat-test-{os.getpid()}")
    try:
        listed = newsboat_tag_dialog(terminal, urls, tmp_path)
    finally:
        terminal.tmux("kill-server")
    expected: dict[str, set[str]] = {}
    for title, tags in FEEDS.values():
        for tag in tags:
            expected.setdefault(tag, set()).add(title)
    expected["one"].add("Odd")
    assert listed == expected


def test_a_disabled_feed_is_written_commented_out_and_quotes_are_escaped(tmp_path: Path) -> None:
    lines = exported_urls(tmp_path).read_text(encoding="utf-8").splitlines()
    assert '# disabled: http://127.0.0.1:9/off.xml "one" "~Off"' in lines
    (line_b,) = (line for line in lines if line.startswith("http://127.0.0.1:9/b.xml "))
    assert line_b.endswith(' "~Feed B"')
    assert ' "say \\"hi\\"" ' in line_b and ' "back\\\\slash" ' in line_b
