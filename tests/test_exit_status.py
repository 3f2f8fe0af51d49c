"""Exit status scripts can trust: an update where every feed failed exits 1 (`reader fetch`,
and `reader start` without a terminal), and the reader without a terminal says so and exits
instead of waiting. Real processes; feeds served over loopback HTTP."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import pytest

from tests.loopback_server import LoopbackServer, loopback_server

from .conftest import SEEDS_DIR
from .test_cli import assert_user_error, run

__all__ = ["loopback_server"]

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>'
    b"<item><guid>https://example.org/1</guid><title>One</title></item></channel></rss>"
)


def reader(
    tmp_path: Path, *args: str, server: LoopbackServer | None = None, stdin: int | None = None
) -> subprocess.CompletedProcess[str]:
    allow = {"READER_FETCH_ALLOW": server.authority} if server is not None else {}
    return run(tmp_path, *args, check=False, stdin=stdin, env=allow)


@pytest.fixture
def two_broken_feeds(tmp_path: Path, loopback_server: LoopbackServer) -> list[str]:
    urls = [loopback_server.status("a.xml", 500), loopback_server.status("b.xml", 404)]
    for url in urls:
        assert reader(tmp_path, "feeds", "add", url).returncode == 0
    return urls


def test_fetch_exits_1_when_every_feed_failed_after_its_summary(
    tmp_path: Path, loopback_server: LoopbackServer, two_broken_feeds: list[str]
) -> None:
    result = reader(tmp_path, "fetch", server=loopback_server)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].endswith("0 new, 0 updated, 0 not modified, 2 errors")
    assert result.stderr.strip() == "Error: every feed failed (2 checked)"
    as_json = reader(tmp_path, "fetch", "--all", "--json", server=loopback_server)
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["errors"] == 2


def test_fetch_exits_0_when_one_feed_worked_or_none_was_due(
    tmp_path: Path, loopback_server: LoopbackServer, two_broken_feeds: list[str]
) -> None:
    reader(tmp_path, "feeds", "add", loopback_server.feed("good.xml", RSS))
    assert reader(tmp_path, "fetch", server=loopback_server).returncode == 0
    nothing_due = reader(tmp_path, "fetch", server=loopback_server)
    assert nothing_due.returncode == 0 and nothing_due.stdout.startswith("checked 0 feeds")


def test_start_without_a_terminal_exits_1_when_every_feed_failed(
    tmp_path: Path, loopback_server: LoopbackServer
) -> None:
    feeds = tmp_path / "feeds.opml"
    feeds.write_text(
        '<opml version="2.0"><body>'
        f'<outline text="x" xmlUrl="{loopback_server.status("gone.xml", 503)}"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    config = tmp_path / "reader.toml"
    config.write_text(f'[seeds]\ndir = "{SEEDS_DIR}"\n[feeds]\nopml = "{feeds}"\n')
    result = reader(tmp_path, "--config", str(config), "start", server=loopback_server)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "not a terminal: running one update instead of the reader" in result.stdout
    assert result.stderr.strip().endswith("Error: every feed failed (1 checked)")


@pytest.mark.parametrize("args", [(), ("tui",)])
def test_the_reader_with_output_not_to_a_terminal_says_so_and_exits(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    controller, terminal = pty.openpty()  # a real terminal on stdin; stdout is a pipe
    try:
        result = reader(tmp_path, *args, stdin=terminal)
    finally:
        os.close(controller)
        os.close(terminal)
    assert_user_error(result, "the reader needs a terminal, but its output is redirected")
    both = reader(tmp_path, *args)
    assert_user_error(both, "its input and output are redirected")
