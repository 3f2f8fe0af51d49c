"""`reader daemon` as a real subprocess against a loopback server.

Signals, the one-daemon rule, kill -9 in the middle of a large update, and the daemon sharing
the database with another process that marks and tags items.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reader.core.lock import daemon_pid
from reader.store import SQLiteStore
from tests.loopback_server import LoopbackServer, loopback_server
from tests.test_daemon import rss

__all__ = ["loopback_server"]  # the fixture, imported for pytest

PROJECT = Path(__file__).resolve().parents[1]

CONFIG = """\
[fetch]
parse_workers = 1
timeout = 5.0
connect_timeout = 2.0

[schedule]
interval = 1
min_interval = 1
max_interval = 1
dispatch_every = 1
batch_size = {batch_size}
max_backoff = 2

[log]
file = "daemon.log"
"""


def reader_command(db: Path, config: Path) -> list[str]:
    """`reader --db DB --config CONFIG`, run as this interpreter's module."""
    return [sys.executable, "-m", "reader", "--db", str(db), "--config", str(config)]


class DaemonProcess:
    """A `reader daemon` subprocess; stderr goes to a file so a full pipe never blocks it."""

    def __init__(
        self,
        db: Path,
        config: Path,
        server: LoopbackServer,
        name: str,
        log_dir: Path | None = None,
    ) -> None:
        # `log_dir`: elsewhere than the database's folder (which a test may fill up).
        self.stderr_path = (log_dir or db.parent) / f"{name}.stderr"
        env = {**os.environ, "READER_FETCH_ALLOW": server.authority}
        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [*reader_command(db, config), "daemon", "--log-level", "INFO"],
                cwd=PROJECT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, float]:
        """Send `signum`; return the exit status and the seconds the exit took."""
        started = time.monotonic()
        self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"daemon ignored {signum}:\n{self.stderr}") from None
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def daemons() -> Iterator[list[DaemonProcess]]:
    """Started daemons are killed after the test, whatever happened."""
    started: list[DaemonProcess] = []
    yield started
    for daemon in started:
        daemon.kill()


def write_config(folder: Path, *, batch_size: int = 100) -> Path:
    path = folder / "reader.toml"
    path.write_text(CONFIG.format(batch_size=batch_size), encoding="utf-8")
    return path


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def count_items(db: Path) -> int:
    with SQLiteStore(db) as store:
        return store.count_items()


def duplicate_items(db: Path) -> int:
    """Rows beyond the first for any (source, identity): must always be 0."""
    conn = sqlite3.connect(db)
    try:
        total, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT source_id || ' ' || identity) FROM items"
        ).fetchone()
    finally:
        conn.close()
    return int(total) - int(distinct)


def start(
    daemons: list[DaemonProcess], db: Path, config: Path, server: LoopbackServer, name: str
) -> DaemonProcess:
    daemon = DaemonProcess(db, config, server, name)
    daemons.append(daemon)
    return daemon


def run_cli(db: Path, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*reader_command(db, config), *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_daemon_fetches_new_items_and_exits_cleanly_on_sigterm(
    tmp_path: Path, loopback_server: LoopbackServer, daemons: list[DaemonProcess]
) -> None:
    db, config = tmp_path / "reader.db", write_config(tmp_path)
    with SQLiteStore(db) as store:
        for index in range(3):
            store.add_feed(loopback_server.feed(f"f{index}.xml", rss(f"f{index}", 2)))
    daemon = start(daemons, db, config, loopback_server, "daemon")

    wait_until(lambda: count_items(db) == 6, "the first items")
    loopback_server.set_body("f0.xml", rss("f0", 4))
    wait_until(lambda: count_items(db) == 8, "the items added on the server")

    status = run_cli(db, config, "status", "--json")
    assert status.returncode == 0, status.stderr
    document = json.loads(status.stdout)
    assert document["daemon"] == {"running": True, "pid": daemon.pid}
    assert document["items"]["total"] == 8
    assert document["feeds"]["total"] == 3

    code, seconds = daemon.stop(signal.SIGTERM)
    assert code == 0, daemon.stderr
    assert seconds < 5
    assert daemon_pid(db) is None
    log = (tmp_path / "daemon.log").read_text(encoding="utf-8")
    assert f"feed {loopback_server.url('f0.xml')}" in log  # one line per feed update
    assert "2 new" in log
    assert "daemon stopped" in log
    assert "Traceback" not in daemon.stderr


def test_second_daemon_on_one_database_is_refused_with_the_holders_pid(
    tmp_path: Path, loopback_server: LoopbackServer, daemons: list[DaemonProcess]
) -> None:
    db, config = tmp_path / "reader.db", write_config(tmp_path)
    first = start(daemons, db, config, loopback_server, "first")
    wait_until(lambda: daemon_pid(db) == first.pid, "the first daemon's lock")

    second = run_cli(db, config, "daemon")

    assert second.returncode == 1
    assert f"PID {first.pid}" in second.stderr
    assert "already running" in second.stderr
    code, seconds = first.stop(signal.SIGINT)
    assert (code, seconds < 5) == (0, True), first.stderr


def test_kill_9_or_sigterm_during_a_large_update_loses_nothing_committed(
    tmp_path: Path, loopback_server: LoopbackServer, daemons: list[DaemonProcess]
) -> None:
    feeds, per_feed = 200, 40
    db, config = tmp_path / "reader.db", write_config(tmp_path, batch_size=50)
    with SQLiteStore(db) as store:
        for index in range(feeds):
            body = rss(f"big{index}", per_feed, words=60)
            store.add_feed(loopback_server.feed(f"big{index}.xml", body))
    first = start(daemons, db, config, loopback_server, "first")
    wait_until(lambda: count_items(db) > 0, "the first committed items")
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()

    with SQLiteStore(db) as store:
        assert store.integrity_check() == "ok"
        stored_at_kill = store.count_items()
    assert 0 < stored_at_kill < feeds * per_feed, "the kill should land mid-update"
    assert duplicate_items(db) == 0

    # SIGTERM in the middle of the next update: a clean exit, in time, nothing broken.
    second = start(daemons, db, config, loopback_server, "second")
    wait_until(lambda: count_items(db) > stored_at_kill, "the restarted daemon's first items")
    code, seconds = second.stop(signal.SIGTERM)
    assert (code, seconds < 5) == (0, True), second.stderr
    assert "Traceback" not in second.stderr
    with SQLiteStore(db) as store:
        assert store.integrity_check() == "ok"
    assert duplicate_items(db) == 0

    third = start(daemons, db, config, loopback_server, "third")
    wait_until(lambda: count_items(db) == feeds * per_feed, "the rest of the update", 60)
    code, _ = third.stop(signal.SIGTERM)
    assert code == 0, third.stderr
    with SQLiteStore(db) as store:
        assert store.integrity_check() == "ok"
        assert all(feed.item_count == per_feed for feed in store.get_feeds())
    assert duplicate_items(db) == 0


MARKER = textwrap.dedent(
    """
    import json, sys, time
    from reader.store import SQLiteStore

    store = SQLiteStore(sys.argv[1])
    deadline = time.monotonic() + float(sys.argv[2])
    marked, rounds = {}, 0
    while time.monotonic() < deadline:
        for item in store.get_items(limit=400):
            if item.id in marked:
                continue
            store.mark_items([item.id], read=True, starred=item.id % 2 == 0)
            store.add_tags(item.id, [f"round{rounds}"])
            marked[item.id] = f"round{rounds}"
        rounds += 1
    print(json.dumps({"marked": marked, "rounds": rounds}))
    """
)


def test_daemon_and_another_process_share_the_database_without_lost_marks(
    tmp_path: Path, loopback_server: LoopbackServer, daemons: list[DaemonProcess]
) -> None:
    db, config = tmp_path / "reader.db", write_config(tmp_path)
    with SQLiteStore(db) as store:
        for index in range(6):
            store.add_feed(loopback_server.feed(f"c{index}.xml", rss(f"c{index}", 10)))
    daemon = start(daemons, db, config, loopback_server, "daemon")
    wait_until(lambda: count_items(db) >= 60, "the first items")

    keep_changing = threading.Event()

    def change_feeds() -> None:  # the daemon keeps writing while the marker marks
        size = 10
        while not keep_changing.wait(0.3):
            size += 1
            for index in range(6):
                loopback_server.set_body(f"c{index}.xml", rss(f"c{index}", size))

    changer = threading.Thread(target=change_feeds, daemon=True)
    changer.start()
    try:
        marker = subprocess.run(
            [sys.executable, "-c", MARKER, str(db), "4"],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        keep_changing.set()
        changer.join()
    code, _ = daemon.stop(signal.SIGTERM)

    assert marker.returncode == 0, marker.stderr
    assert "locked" not in marker.stderr
    assert code == 0, daemon.stderr
    assert "locked" not in daemon.stderr
    assert "Traceback" not in daemon.stderr
    marked = {int(k): v for k, v in json.loads(marker.stdout)["marked"].items()}
    assert len(marked) > 60  # it marked the first items and some the daemon added meanwhile
    with SQLiteStore(db) as store:
        for item_id, tag in marked.items():
            item = store.get_item(item_id)
            assert item.read, item_id
            assert item.starred == (item_id % 2 == 0), item_id
            assert tag in item.tags, item_id
        assert store.count_items() > 60  # the daemon kept adding items
        assert store.integrity_check() == "ok"
