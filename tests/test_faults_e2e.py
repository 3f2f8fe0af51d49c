"""Faults with real processes: `reader fetch` and `reader daemon` on a filesystem that fills up
(a small tmpfs this test mounts, as root), and SIGTERM to a daemon in the middle of each long
job on a big store. How long the stops take is printed by bench/fault_bench.py (not asserted
here: the machine is shared)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.store import SQLiteStore
from tests.big_store import build_big_store
from tests.conftest import SEEDS_DIR
from tests.filesystem import CannotMount, fill, small_tmpfs
from tests.loopback_server import LoopbackServer, loopback_server
from tests.test_daemon import rss
from tests.test_daemon_e2e import DaemonProcess, daemons, reader_command, wait_until

__all__ = ["daemons", "loopback_server"]  # fixtures, imported for pytest

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def small_filesystem() -> Iterator[Path]:
    """A 32 MiB tmpfs mounted for this test, unmounted after."""
    try:
        with small_tmpfs(32) as folder:
            yield folder
    except CannotMount as exc:
        pytest.skip(str(exc))


def serve(server: LoopbackServer, count: int) -> list[str]:
    # A stopped update drops its connections: expected here, not worth a traceback.
    server._httpd.handle_error = lambda *_: None  # type: ignore[method-assign]
    return [server.feed(f"f{n}.xml", rss(f"f{n}", 20, words=150)) for n in range(count)]


def start_daemon(
    db: Path, config: Path, server: LoopbackServer, logs: Path, daemons: list[DaemonProcess]
) -> DaemonProcess:
    """`reader daemon`, its log in `logs` (never on the filesystem that fills)."""
    daemon = DaemonProcess(db, config, server, "daemon", log_dir=logs)
    daemons.append(daemon)
    return daemon


def stop(daemon: DaemonProcess) -> int:
    code, _seconds = daemon.stop()  # the time is the benchmark's to print
    return code


def reader_run(
    db: Path, config: Path, *args: str, server: LoopbackServer | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if server is not None:
        env["READER_FETCH_ALLOW"] = server.authority
    return subprocess.run(
        [*reader_command(db, config), *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def subscribe(db: Path, config: Path, urls: list[str], folder: Path) -> None:
    opml = folder / "feeds.opml"
    outlines = "".join(f'<outline type="rss" xmlUrl="{url}"/>' for url in urls)
    opml.write_text(f'<opml version="2.0"><body>{outlines}</body></opml>', encoding="utf-8")
    done = reader_run(db, config, "opml", "import", str(opml))
    assert done.returncode == 0, done.stderr


def write_config(folder: Path, extra: str = "", *, topic_every: int = 0) -> Path:
    """Settings: one-second schedules and pauses, the topic job off unless `topic_every`."""
    path = folder / "reader.toml"
    path.write_text(
        "[fetch]\nparse_workers = 1\ntimeout = 10.0\n"
        "[schedule]\ninterval = 1\nmin_interval = 1\nmax_interval = 1\ndispatch_every = 1\n"
        "max_backoff = 1\n"
        f"[topic]\nrefresh_every = {topic_every}\n"
        f'[log]\nfile = "{folder / "reader.log"}"\n{extra}',
        encoding="utf-8",
    )
    return path


FEEDS = 150
DUE_AGAIN = 1.5
"""Seconds after which a feed checked under `write_config`'s settings is due again: the 1 s
interval plus its jitter."""
"""Feeds of 20 items each: more than a 32 MiB filesystem 600 KiB short of full takes."""


def nearly_full(
    fs: Path, server: LoopbackServer, folder: Path, *, leave: int = 600 * 1024
) -> tuple[Path, Path, Path]:
    """`FEEDS` feeds subscribed in a database on `fs`, then `fs` filled but for `leave`
    bytes: the database, the settings (in `folder`) and the file to delete to make room."""
    config = write_config(folder)
    db = fs / "reader.db"
    subscribe(db, config, serve(server, FEEDS), folder)
    return db, config, fill(fs, leave=leave)


def integrity(db: Path) -> tuple[str, int]:
    with SQLiteStore(db) as store:
        return store.integrity_check(), store.count_items()


# -- a full filesystem ------------------------------------------------------------------------


def test_reader_fetch_on_a_full_disk_prints_its_summary_and_one_line_naming_the_database(
    small_filesystem: Path, loopback_server: LoopbackServer, tmp_path: Path
) -> None:
    # Room for a batch of feeds (the update writes feeds arriving together in one
    # transaction), not for all of them.
    db, config, filler = nearly_full(
        small_filesystem, loopback_server, tmp_path, leave=2 * 1024 * 1024
    )

    fetched = reader_run(db, config, "fetch", "--all", server=loopback_server)

    assert fetched.returncode == 1
    assert "Traceback" not in fetched.stderr + fetched.stdout
    summary, stopped = fetched.stdout.splitlines()
    counts = re.match(r"checked (\d+) feeds in [\d.]+ s: (\d+) new, 0 updated", summary)
    assert counts is not None, summary
    checked, new = int(counts.group(1)), int(counts.group(2))
    assert stopped == f"stopped: {FEEDS - checked} feeds not updated (they stay due)"
    assert 0 < checked < FEEDS
    assert fetched.stderr.splitlines() == [
        f"Error: database {db}: disk full; free space on its disk (what was stored so far is kept)"
    ]
    filler.unlink()
    assert integrity(db) == ("ok", new)  # what the summary says was stored, is
    time.sleep(DUE_AGAIN)  # the feeds done are due again (the next command may start sooner)

    again = reader_run(db, config, "fetch", server=loopback_server)
    assert again.returncode == 0, again.stderr
    # The feeds not done kept no error and no validators: fetched in full now; the ones done
    # answer "not modified" (the settings make every feed due again after a second).
    assert re.fullmatch(
        rf"checked {FEEDS} feeds in [\d.]+ s: {(FEEDS - checked) * 20} new, 0 updated,"
        rf" {checked} not modified, 0 errors\n",
        again.stdout,
    ), again.stdout
    assert integrity(db) == ("ok", FEEDS * 20)


def test_the_daemon_on_a_full_disk_pauses_with_one_line_each_time_and_resumes_by_itself(
    small_filesystem: Path,
    loopback_server: LoopbackServer,
    tmp_path: Path,
    daemons: list[DaemonProcess],
) -> None:
    db, config, filler = nearly_full(small_filesystem, loopback_server, tmp_path)
    daemon = start_daemon(db, config, loopback_server, tmp_path, daemons)

    wait_until(lambda: "every job pauses" in daemon.stderr, "the first pause", timeout=60)
    hits = sum(loopback_server.hits.values())
    wait_until(lambda: daemon.stderr.count("disk full") >= 4, "three more pauses", timeout=30)
    assert sum(loopback_server.hits.values()) == hits  # paused: no feed fetched again
    lines = daemon.stderr.splitlines()
    assert "Traceback" not in daemon.stderr
    pauses = [line for line in lines if "disk full" in line and "reader.daemon" in line]
    assert pauses[0].endswith("every job pauses for 1 s")
    assert all(p.endswith("still failing: pausing again for 1 s") for p in pauses[1:])
    assert len(pauses) == len([line for line in lines if "disk full" in line])  # nothing else

    filler.unlink()
    wait_until(lambda: "jobs resume" in daemon.stderr, "the resumption", timeout=30)
    wait_until(lambda: integrity(db)[1] == FEEDS * 20, "every feed stored", timeout=60)
    assert stop(daemon) == 0
    assert integrity(db) == ("ok", FEEDS * 20)


def test_the_daemon_cannot_open_a_database_on_a_full_disk_and_asks_to_be_started_later(
    small_filesystem: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    db = small_filesystem / "reader.db"
    with SQLiteStore(db):
        pass  # created; closing it removes its WAL and shared-memory files
    fill(small_filesystem, leave=0)
    result = reader_run(db, config, "daemon")
    assert result.returncode == 75, result.stderr  # EX_TEMPFAIL: Restart=on-failure retries
    # SQLite says "disk I/O error" when it cannot size its shared-memory file; with no space
    # left on the filesystem, that is a full disk.
    assert result.stderr.splitlines() == [
        f"Error: database {db}: disk full (disk I/O error);"
        " free space on its disk (what was stored so far is kept)"
    ]


# -- SIGTERM in the middle of each long job, on a big store -----------------------------------

BIG_ITEMS = 20_000


@pytest.fixture(scope="module")
def big_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of 20,000 read items first seen 120 days ago, with the seeds; feeds disabled."""
    path = tmp_path_factory.mktemp("big") / "big.db"
    build_big_store(path, items=BIG_ITEMS, feeds=100, seeds_dir=SEEDS_DIR)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE sources SET enabled = 0")
        conn.commit()
    return path


def start_on_copy(
    big: Path,
    tmp_path: Path,
    server: LoopbackServer,
    daemons: list[DaemonProcess],
    extra: str = "",
    *,
    topic_every: int = 0,
    urls: tuple[str, ...] = (),
) -> tuple[Path, DaemonProcess]:
    """A daemon on a copy of the big store, with `urls` subscribed."""
    db = tmp_path / "reader.db"
    shutil.copy(big, db)
    config = write_config(tmp_path, extra, topic_every=topic_every)
    if urls:
        subscribe(db, config, list(urls), tmp_path)
    return db, start_daemon(db, config, server, tmp_path, daemons)


def count(db: Path, sql: str) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_sigterm_during_retention_keeps_the_batches_pruned_with_their_tombstones(
    big_store_file: Path,
    tmp_path: Path,
    loopback_server: LoopbackServer,
    daemons: list[DaemonProcess],
) -> None:
    before = count(big_store_file, "SELECT count(*) FROM items")
    db, daemon = start_on_copy(
        big_store_file,
        tmp_path,
        loopback_server,
        daemons,
        "[retention]\ndays = 30\nkeep_per_feed = 10\n",
    )
    tombstones = "SELECT count(*) FROM deleted_items"
    wait_until(lambda: count(db, tombstones) > 0, "a pruned batch", timeout=120)
    assert stop(daemon) == 0
    assert "retention stopped after" in daemon.stderr
    pruned = count(db, tombstones)
    assert 0 < pruned < BIG_ITEMS - 100 * 10  # stopped in the middle, batches kept whole
    assert integrity(db) == ("ok", before - pruned)


def test_sigterm_during_the_topic_refresh_keeps_the_scores_written(
    big_store_file: Path,
    tmp_path: Path,
    loopback_server: LoopbackServer,
    daemons: list[DaemonProcess],
) -> None:
    db, daemon = start_on_copy(big_store_file, tmp_path, loopback_server, daemons, topic_every=3600)
    scored = "SELECT count(*) FROM items WHERE score IS NOT NULL"
    wait_until(lambda: count(db, scored) > 0, "a scored batch", timeout=120)
    assert stop(daemon) == 0
    assert "topic-refresh stopped between batches" in daemon.stderr
    assert 0 < count(db, scored) < BIG_ITEMS
    assert integrity(db)[0] == "ok"


def test_sigterm_during_a_first_update_keeps_whole_feeds_and_the_rest_stays_due(
    big_store_file: Path,
    tmp_path: Path,
    loopback_server: LoopbackServer,
    daemons: list[DaemonProcess],
) -> None:
    urls = tuple(
        loopback_server.feed(f"b{n}.xml", rss(f"b{n}", 100, words=200)) for n in range(200)
    )
    db, daemon = start_on_copy(big_store_file, tmp_path, loopback_server, daemons, urls=urls)
    new_items = "SELECT count(*) FROM items WHERE identity LIKE 'urn:test:b%'"
    wait_until(lambda: count(db, new_items) > 0, "a committed batch", timeout=120)
    assert stop(daemon) == 0
    stored = count(db, new_items)
    assert stored % 100 == 0  # whole feeds: items and state in one transaction
    checked = "SELECT count(*) FROM sources WHERE url LIKE 'http://%' AND last_checked IS NOT NULL"
    assert count(db, checked) == stored // 100  # no feed marked checked without its items
    assert count(db, checked) < len(urls)  # stopped in the middle: the rest stays due
    assert integrity(db)[0] == "ok"
