"""`reader status`: daemon state from the lock, counts, and the next scheduled checks."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from reader.cli.main import cli
from reader.core.lock import DaemonLock
from reader.models import FeedUpdate, ItemWrite
from reader.store import Store, open_store


def run_status(location: Path | str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", str(location), "status", *args])
    assert result.exit_code == 0, result.output
    return result.output


def item(identity: str) -> ItemWrite:
    return ItemWrite(
        identity=identity, title=identity, link=None, author=None, published=None, updated=None,
        content_html=None, text=f"text of {identity}", content_hash=identity,
    )  # fmt: skip


def fill(store: Store) -> dict[str, datetime]:
    """Three feeds: one due now, one failing and due in an hour, one due in a day."""
    now = datetime.now(UTC).replace(microsecond=0)
    soon, later = now + timedelta(hours=1), now + timedelta(days=1)
    fresh = store.add_feed("https://a.example/feed.xml", title="Alpha")
    store.add_feed("https://b.example/feed.xml", title="Beta")
    store.add_feed("https://c.example/feed.xml", title="Gamma")
    checked = now - timedelta(minutes=5)
    store.write_items(
        fresh.id,
        [item("a1"), item("a2"), item("a3")],
        now=checked,
        feed_url=fresh.url,
        feed_update=FeedUpdate(checked=checked, next_check=now - timedelta(seconds=30)),
    )
    store.mark_items([store.get_item_ids(fresh.id)["a1"]], read=True)
    store.update_feed(
        "https://b.example/feed.xml", FeedUpdate(checked=checked, next_check=soon, error="HTTP 500")
    )
    store.update_feed("https://c.example/feed.xml", FeedUpdate(checked=checked, next_check=later))
    return {"checked": checked, "soon": soon, "later": later}


def test_status_json_reports_counts_and_the_next_checks_in_order(
    store: Store, store_location: Path | str
) -> None:
    times = fill(store)

    document = json.loads(run_status(store_location, "--json"))

    assert document["daemon"] == {"running": False, "pid": None}
    assert document["feeds"] == {"total": 3, "enabled": 3, "due": 1, "failing": 1}
    assert document["items"] == {"total": 3, "unread": 2}
    assert document["last_update"] == times["checked"].isoformat().replace("+00:00", "Z")
    assert [check["title"] for check in document["next_checks"]] == ["Alpha", "Beta", "Gamma"]
    assert document["next_checks"][2]["next_check"] == times["later"].isoformat().replace(
        "+00:00", "Z"
    )


def test_status_shows_the_running_daemons_pid_from_the_lock(db_path: Path) -> None:
    with open_store(db_path) as store:
        fill(store)
    with DaemonLock(db_path):
        text = run_status(db_path)
        document = json.loads(run_status(db_path, "--json"))
    assert f"daemon: running (PID {os.getpid()})" in text
    assert document["daemon"] == {"running": True, "pid": os.getpid()}
    assert "daemon: not running" in run_status(db_path)


def test_status_text_lists_counts_and_upcoming_checks(
    store: Store, store_location: Path | str
) -> None:
    fill(store)

    lines = run_status(store_location, "--next", "2").splitlines()

    assert "feeds: 3 (3 enabled), 1 due now, 1 failing" in lines
    assert "items: 3 (2 unread)" in lines
    assert any(line.startswith("last update: ") and line.endswith("ago)") for line in lines)
    upcoming = lines[lines.index("next checks:") + 1 :]
    assert len(upcoming) == 2
    assert upcoming[0].split() == ["due", "now", "Alpha"]
    assert upcoming[1].split()[0] == "in" and upcoming[1].endswith("Beta")


def test_status_of_an_empty_database_says_never(db_path: Path) -> None:
    text = run_status(db_path)
    assert "last update: never" in text
    assert "feeds: 0 (0 enabled), 0 due now, 0 failing" in text
    assert "next checks:" not in text


def test_status_says_which_topic_walks_wait_for_the_daemon(
    store: Store, store_location: Path | str
) -> None:
    from reader.topic.refresh import REGROUP_KEY, RESCORE_KEY

    fill(store)
    assert "topic:" not in run_status(store_location)
    store.set_meta(RESCORE_KEY, "0")
    store.set_meta(REGROUP_KEY, "")

    text = run_status(store_location)
    document = json.loads(run_status(store_location, "--json"))

    assert "topic: re-scoring and regrouping due" in text
    assert "`reader stories refresh` does it now" in text
    assert document["topic_walks_due"] == ["re-scoring", "regrouping"]
