"""Nothing is lost without asking: feed removal keeps what the user marked, marks are all or
nothing, feeds can be re-enabled and edited, failed writes are one line, and --db typos stop.

Real SQLite files throughout; the command line runs as real processes (a pseudo-terminal where
the command must ask first), and the 410-then-back feed is served over loopback HTTP.
"""

from __future__ import annotations

import json
import os
import pty
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from reader.cli.main import cli
from reader.exceptions import FeedNotFoundError, ItemNotFoundError
from reader.models import ItemFilter, ItemWrite
from reader.sources.seeds import import_seeds
from reader.store import SQLiteStore, open_store
from tests.loopback_server import LoopbackServer, loopback_server

from .conftest import PROJECT, SEEDS_DIR
from .test_cli import assert_user_error, run

__all__ = ["loopback_server"]

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
FEED = "https://example.com/feed"


def writes(*identities: str) -> list[ItemWrite]:
    return [
        ItemWrite(
            identity=i,
            title=f"Item {i} on the liaison office",
            link=f"https://example.com/{i}",
            author=None,
            published=None,
            updated=None,
            content_html=None,
            text=f"text of {i}",
            content_hash=i,
        )
        for i in identities
    ]


def subscribed_with_marks(store: SQLiteStore) -> dict[str, int]:
    """A tagged feed of four items: one starred, one tagged, two untouched. Ids by identity."""
    feed = store.add_feed(FEED, title="Example", tags=["Folder"])
    store.write_items(feed.id, writes("starred", "tagged", "plain", "read"), now=NOW)
    ids = store.get_item_ids(feed.id)
    store.mark_items([ids["starred"]], starred=True)
    store.add_tags(ids["tagged"], ["keep"])
    store.mark_items([ids["read"]], read=True)
    return ids


# -- removing a feed -----------------------------------------------------------------------


def test_removing_a_feed_keeps_starred_and_tagged_items_marked_as_from_a_removed_feed(
    store: SQLiteStore,
) -> None:
    ids = subscribed_with_marks(store)
    removal = store.remove_feed(FEED)
    assert (removal.deleted, removal.kept) == (2, 2)
    assert store.get_feeds() == []
    with pytest.raises(FeedNotFoundError):
        store.get_feed(FEED)
    kept = store.get_items()
    assert {i.identity for i in kept} == {"starred", "tagged"}
    assert all(i.source_removed and i.source == "Example" for i in kept)
    assert store.get_item(ids["tagged"]).tags == ("keep",)
    assert {h.item.identity for h in store.search("liaison")} == {"starred", "tagged"}
    assert "Folder" not in {t.name for t in store.get_tags()}  # the feed's folder went with it
    assert store.stats(NOW).feeds == 0 and store.get_due_feeds(NOW) == []
    assert store.integrity_check() == "ok"


def test_subscribing_again_brings_the_kept_items_back_under_the_feed(store: SQLiteStore) -> None:
    subscribed_with_marks(store)
    store.remove_feed(FEED)
    feed = store.add_feed(FEED, tags=["Again"])
    assert feed.item_count == 2 and feed.tags == ("Again",) and feed.enabled
    assert not any(i.source_removed for i in store.get_items(ItemFilter(source_id=feed.id)))
    counts = store.write_items(feed.id, writes("starred", "plain"), now=NOW)
    assert (counts.new, counts.updated) == (1, 0)  # the kept item is the same item


def test_purge_deletes_starred_and_tagged_items_too(store: SQLiteStore) -> None:
    subscribed_with_marks(store)
    removal = store.remove_feed(FEED, purge=True)
    assert (removal.deleted, removal.kept) == (4, 0)
    assert store.get_items() == [] and store.search("liaison") == []
    store.add_feed(FEED)  # a plain new subscription
    assert store.get_feed(FEED).item_count == 0


def test_a_feed_with_nothing_marked_is_removed_whole(store: SQLiteStore) -> None:
    feed = store.add_feed(FEED)
    store.write_items(feed.id, writes("a", "b"), now=NOW)
    assert store.remove_feed(FEED).kept == 0
    assert store.count_items() == 0


def run_in_terminal(tmp_path: Path, answer: str, *args: str) -> tuple[int, str]:
    """Run `reader` with a pseudo-terminal on stdin and type `answer` when it asks."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-m", "reader", "--db", str(tmp_path / "r.db"), *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        cwd=PROJECT,
    )
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 30
    while b"[y/N]" not in seen and process.poll() is None and time.monotonic() < deadline:
        seen += os.read(controller, 4096)
    os.write(controller, answer.encode() + b"\n")
    process.wait(timeout=30)
    try:
        while chunk := os.read(controller, 4096):
            seen += chunk
    except OSError:
        pass  # the terminal closed with the process
    os.close(controller)
    return process.returncode, seen.decode("utf-8", "replace")


def test_remove_asks_in_a_terminal_and_a_no_removes_nothing(tmp_path: Path) -> None:
    run(tmp_path, "feeds", "add", "--as-is", FEED)
    code, shown = run_in_terminal(tmp_path, "n", "feeds", "remove", FEED)
    assert code == 1 and "starred and tagged ones are kept)? [y/N]" in shown
    assert "nothing removed" in shown
    assert [f["url"] for f in json.loads(run(tmp_path, "feeds", "list", "--json").stdout)] == [FEED]
    code, shown = run_in_terminal(tmp_path, "y", "feeds", "remove", FEED)
    assert code == 0 and f"removed {FEED}: 0 items deleted" in shown
    assert json.loads(run(tmp_path, "feeds", "list", "--json").stdout) == []


def test_remove_without_a_terminal_needs_yes_and_says_what_it_kept(tmp_path: Path) -> None:
    with open_store(tmp_path / "r.db") as store:
        ids = subscribed_with_marks(store)
    assert_user_error(run(tmp_path, "feeds", "remove", FEED, check=False), "add --yes")
    assert len(json.loads(run(tmp_path, "items", "list", "--json").stdout)) == 4
    done = run(tmp_path, "feeds", "remove", FEED, "--yes")
    assert done.stdout.strip() == (
        f"removed {FEED}: 2 items deleted, 2 starred or tagged kept (--purge deletes them)"
    )
    shown = run(tmp_path, "items", "show", str(ids["starred"]))
    assert "source:  Example (removed feed)" in shown.stdout
    assert json.loads(run(tmp_path, "items", "show", str(ids["tagged"]), "--json").stdout)[
        "source_removed"
    ]
    listing = run(tmp_path, "items", "list").stdout
    assert "Example (removed feed)" in listing


# -- marks: all or nothing, flags together -------------------------------------------------


def test_marking_with_an_unknown_id_changes_nothing(store: SQLiteStore) -> None:
    ids = subscribed_with_marks(store)
    with pytest.raises(ItemNotFoundError) as caught:
        store.mark_items([ids["plain"], 999_999, 999_998], read=True)
    assert caught.value.item_ids == (999_999, 999_998)
    assert not store.get_item(ids["plain"]).read


def test_mark_cli_reports_an_error_and_changes_nothing(tmp_path: Path) -> None:
    run(tmp_path, "seeds", "import")
    result = run(tmp_path, "items", "mark", "1", "999999", "--read", check=False)
    assert_user_error(result, "no such item: 999999: nothing was changed")
    assert not json.loads(run(tmp_path, "items", "show", "1", "--json").stdout)["read"]


def test_combined_mark_flags_apply_together_and_contradictions_are_refused(
    tmp_path: Path,
) -> None:
    run(tmp_path, "seeds", "import")
    run(tmp_path, "items", "mark", "1", "--star")
    done = run(tmp_path, "items", "mark", "1", "2", "--read", "--unstar")
    assert done.stdout.strip() == "marked 2 items read and unstarred"
    for item_id in ("1", "2"):
        shown = json.loads(run(tmp_path, "items", "show", item_id, "--json").stdout)
        assert shown["read"] and not shown["starred"]
    for flags in (("--read", "--unread"), ("--star", "--unstar")):
        result = run(tmp_path, "items", "mark", "3", *flags, check=False)
        assert_user_error(result, "contradict each other: nothing was changed")
    shown = json.loads(run(tmp_path, "items", "show", "3", "--json").stdout)
    assert not shown["read"] and not shown["starred"]


# -- enable, disable, edit -----------------------------------------------------------------

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Back</title>'
    b"<item><guid>https://example.org/1</guid><title>One</title></item></channel></rss>"
)


def test_a_feed_disabled_by_410_is_fetched_again_once_enabled(
    db_path: Path, loopback_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = loopback_server.status("gone.xml", 410)
    monkeypatch.setenv("READER_FETCH_ALLOW", loopback_server.authority)
    with open_store(db_path) as store:
        store.add_feed(url)
    runner = CliRunner()

    def fetch_all() -> dict[str, object]:
        result = runner.invoke(cli, ["--db", str(db_path), "fetch", "--all", "--json"])
        return dict(json.loads(result.stdout))

    assert fetch_all()["errors"] == 1
    with open_store(db_path) as store:
        assert not store.get_feed(url).enabled
    loopback_server.feed("gone.xml", RSS)  # it answers again
    assert fetch_all()["checked"] == 0  # disabled feeds are not fetched
    enabled = runner.invoke(cli, ["--db", str(db_path), "feeds", "enable", url])
    assert enabled.exit_code == 0 and enabled.output == f"enabled {url}\n"
    with open_store(db_path) as store:
        feed = store.get_feed(url)
        assert feed.enabled and feed.error_count == 0 and feed.last_error is None
        assert store.get_due_feeds(datetime.now(UTC)) == [feed]
    assert fetch_all()["new"] == 1
    disabled = runner.invoke(cli, ["--db", str(db_path), "feeds", "disable", url])
    assert disabled.output == f"disabled {url} (disabled: disabled by the user)\n"
    with open_store(db_path) as store:
        assert store.count_items() == 1  # disabling keeps the items
        assert store.get_due_feeds(datetime.now(UTC)) == []


def test_feeds_edit_changes_title_and_tags(tmp_path: Path) -> None:
    run(tmp_path, "feeds", "add", "--as-is", FEED, "--tag", "One")
    done = run(tmp_path, "feeds", "edit", FEED, "--title", "Mine", "--tag", "A", "--tag", "b c")
    assert done.stdout.strip() == f"edited {FEED} 'Mine' [A, b c]"
    run(tmp_path, "feeds", "edit", FEED, "--add-tag", "D", "--remove-tag", "B  C")
    [feed] = json.loads(run(tmp_path, "feeds", "list", "--json").stdout)
    assert (feed["title"], feed["tags"]) == ("Mine", ["A", "D"])
    run(tmp_path, "feeds", "edit", FEED, "--title", "", "--no-tags")
    [feed] = json.loads(run(tmp_path, "feeds", "list", "--json").stdout)
    assert (feed["title"], feed["tags"]) == (FEED, [])
    assert_user_error(run(tmp_path, "feeds", "edit", FEED, check=False), "say what to change")
    assert_user_error(
        run(tmp_path, "feeds", "edit", "https://nowhere.example/", "--title", "x", check=False),
        "no such feed",
    )


def test_a_new_feed_title_is_searchable_at_once(store: SQLiteStore) -> None:
    import_seeds(store, SEEDS_DIR)
    feed = store.add_feed(FEED)
    store.write_items(feed.id, writes("a"), now=NOW)
    store.set_feed_title(FEED, "Kestrel Desk")
    assert [h.item.identity for h in store.search("source:kestrel")] == ["a"]
    assert store.integrity_check() == "ok"


# -- failed writes and --db typos ----------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("/dev/full", "cannot write /dev/full: No space left on device"),
        ("/nonexistent/folder/out.opml", "cannot write /nonexistent/folder/out.opml: No such"),
    ],
)
def test_an_export_that_cannot_be_written_is_one_line_and_exit_1(
    tmp_path: Path, target: str, message: str
) -> None:
    run(tmp_path, "feeds", "add", "--as-is", FEED)
    assert_user_error(run(tmp_path, "opml", "export", target, check=False), message)


def test_a_database_that_cannot_grow_is_one_line_and_exit_1(tmp_path: Path) -> None:
    """The process may write only 200 kB per file: the seeds' store write fails half-way."""

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "-m", "reader", "--db", str(tmp_path / "r.db"), "seeds", "import"],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT,
        preexec_fn=small_files,
        timeout=60,
        check=False,
    )
    assert_user_error(result, "disk I/O error")
    assert run(tmp_path, "items", "list", "--json").stdout.strip() == "[]"  # nothing half-done


def test_db_in_a_folder_that_does_not_exist_is_an_error_not_a_new_database(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "no-such-folder"
    result = subprocess.run(
        [sys.executable, "-m", "reader", "--db", str(missing / "r.db"), "items", "list"],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=60,
        check=False,
    )
    assert_user_error(result, f"the folder {missing} does not exist")
    assert not missing.exists()


# -- feeds list: whole URLs ------------------------------------------------------------------


def test_feeds_list_piped_or_wide_shows_each_whole_url_on_one_line(tmp_path: Path) -> None:
    long_url = "https://example.com/" + "/".join(f"section-{n}" for n in range(30)) + "/feed.xml"
    run(tmp_path, "feeds", "add", "--as-is", long_url, "--title", "Deep")
    run(tmp_path, "feeds", "add", "--as-is", FEED)
    for args in ((), ("--wide",)):
        listing = run(tmp_path, "feeds", "list", *args).stdout.splitlines()
        assert listing[0].split()[:2] == ["feed", "url"]
        [row] = [line for line in listing if "Deep" in line]
        assert long_url in row and len(listing) == 3  # a header and one line per feed
