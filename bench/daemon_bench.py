"""The fetch daemon over a feed farm: steady-state CPU, memory, and new-item delay.

A farm of `--feeds` RSS feeds is served from 127.0.0.1 (with ETag/Last-Modified, so unchanged
feeds answer 304). `reader daemon` runs as a subprocess with every feed due every
`--interval` seconds. Each `--round` seconds a `--change` share of the feeds gets a new item.
The bench samples the daemon's process tree (the daemon and its parse workers)
from /proc and prints:

- the initial load (every feed new) time;
- steady-state CPU share (of one core) and CPU per feed check;
- RSS: the daemon's own peak (VmHWM), the process tree's sampled peak, and first/last
  steady-state samples (is memory flat?);
- delay from an item appearing on the server to it being in the store (median, p95, max);
- the anchor, in the same run: the CPU (parse workers included) per feed check of one bare
  `update_feeds` pass over all feeds (no daemon, no scheduler) after changing the same share
  of feeds as the daemon's checks found changed, and the daemon's cost as a ratio of it.

Run: .venv/bin/python -m bench.daemon_bench [--duration 120] [--feeds 1000] [--interval 30]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from reader.store import SQLiteStore
from tests.loopback_server import LoopbackServer

PROJECT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
START_DATE = datetime(2026, 1, 1, tzinfo=UTC)


# -- the feed farm -------------------------------------------------------------------------


@dataclass
class FarmFeed:
    """One served feed: its path and the item numbers it currently lists (newest last)."""

    path: str
    numbers: list[int] = field(default_factory=list)


def item_xml(path: str, number: int) -> str:
    published = format_datetime(START_DATE + timedelta(minutes=number))
    words = " ".join(f"w{(number * 7 + k) % 997}" for k in range(80))
    return (
        f"<item><guid>urn:farm:{path}:{number}</guid><title>{path} story {number}</title>"
        f"<link>https://farm.example/{path}/{number}</link><pubDate>{published}</pubDate>"
        f"<description>{words}</description></item>"
    )


def feed_body(feed: FarmFeed, keep: int) -> bytes:
    items = "".join(item_xml(feed.path, n) for n in reversed(feed.numbers[-keep:]))
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{feed.path}</title><link>https://farm.example/{feed.path}</link>"
        f"{items}</channel></rss>"
    ).encode()


class Farm:
    """Feeds on a loopback server; `change` adds one item to a share of them."""

    def __init__(self, server: LoopbackServer, feeds: int, items: int, seed: int) -> None:
        self.server = server
        self.items = items
        self.random = random.Random(seed)
        self.feeds = [FarmFeed(f"farm{k:05d}.xml", list(range(items))) for k in range(feeds)]
        self.appeared: dict[str, float] = {}
        """Identity of each item added after the start -> wall time it went up."""
        self.next_number = items
        for feed in self.feeds:
            server.feed(feed.path, feed_body(feed, items))

    def urls(self) -> list[str]:
        return [self.server.url(feed.path) for feed in self.feeds]

    def change(self, share: float) -> int:
        chosen = self.random.sample(self.feeds, max(1, round(len(self.feeds) * share)))
        for feed in chosen:
            number = self.next_number
            self.next_number += 1
            feed.numbers.append(number)
            self.server.set_body(feed.path, feed_body(feed, self.items))
            self.appeared[f"urn:farm:{feed.path}:{number}"] = time.time()
        return len(chosen)


# -- /proc sampling ------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from 3 (state) on


def process_tree(root: int) -> list[int]:
    """`root` and all its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, queue = [], [root]
    while queue:
        pid = queue.pop()
        tree.append(pid)
        queue += children.get(pid, [])
    return tree


def tree_cpu_seconds(root: int) -> float:
    """User+system CPU of the tree, reaped children included (utime, stime, cutime, cstime)."""
    total = 0
    for pid in process_tree(root):
        fields = _stat_fields(pid)
        if fields is not None:
            total += sum(int(v) for v in fields[11:15])
    return total / CLOCK_TICKS


def rss_mib(pid: int) -> float:
    fields = _stat_fields(pid)
    return 0.0 if fields is None else int(fields[21]) * PAGE_KIB / 1024


def tree_rss_mib(root: int) -> float:
    """Resident memory of the daemon and its helpers (parser forkserver and workers)."""
    return sum(rss_mib(pid) for pid in process_tree(root))


def peak_rss_mib(pid: int) -> float:
    """VmHWM: the process's own peak resident set."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- the run -------------------------------------------------------------------------------

CONFIG = """\
[fetch]
timeout = 20.0
[schedule]
interval = {interval}
min_interval = {interval}
max_interval = {max_interval}
dispatch_every = {dispatch_every}
batch_size = {batch}
[log]
file = "daemon.log"
level = "WARNING"
"""

ANCHOR = """
import json, resource, sys, time
from reader.config import load_settings
from reader.core import make_reader

def cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the parse workers, once reaped
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

reader = make_reader(sys.argv[1], settings=load_settings(sys.argv[2]))
feeds = reader.get_feeds()
started, cpu_before = time.monotonic(), cpu()
report = reader.update_feeds(feeds)
print(json.dumps({"checks": report.checked, "cpu": cpu() - cpu_before,
                  "wall": time.monotonic() - started, "new": report.new,
                  "not_modified": report.not_modified}))
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="daemon-bench-"))
    db, config = workdir / "reader.db", workdir / "reader.toml"
    config.write_text(
        CONFIG.format(
            interval=args.interval,
            max_interval=2 * args.interval,
            batch=args.batch,
            dispatch_every=args.dispatch_every,
        ),
        encoding="utf-8",
    )
    with LoopbackServer() as server:
        farm = Farm(server, args.feeds, args.items, args.seed)
        with SQLiteStore(db) as store:
            for url in farm.urls():
                store.add_feed(url)
        env = {**os.environ, "READER_FETCH_ALLOW": server.authority}
        command = [sys.executable, "-m", "reader", "--db", str(db), "--config", str(config)]
        stderr = (workdir / "daemon.stderr").open("wb")
        daemon = subprocess.Popen(
            [*command, "daemon"], cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
        print(f"farm: {args.feeds} feeds x {args.items} items on {server.authority}; db {db}")
        try:
            started = time.monotonic()
            initial = args.feeds * args.items
            while _count(db) < initial:
                if daemon.poll() is not None:
                    raise SystemExit(f"daemon exited {daemon.returncode}; see {stderr.name}")
                time.sleep(0.5)
            load_seconds = time.monotonic() - started
            load_cpu = tree_cpu_seconds(daemon.pid)
            print(f"initial load: {initial} items in {load_seconds:.1f} s, {load_cpu:.1f} s CPU")

            window_start = time.monotonic()
            cpu_start = tree_cpu_seconds(daemon.pid)
            hits_start = sum(server.hits.values())
            samples: list[float] = []
            main_samples: list[float] = []
            next_round, changes = window_start, 0
            while time.monotonic() - window_start < args.duration:
                if time.monotonic() >= next_round:
                    changes += farm.change(args.change)
                    next_round += args.round
                samples.append(tree_rss_mib(daemon.pid))
                main_samples.append(rss_mib(daemon.pid))
                time.sleep(1.0)
            window = time.monotonic() - window_start
            cpu = tree_cpu_seconds(daemon.pid) - cpu_start
            checks = sum(server.hits.values()) - hits_start
            # Drain: no more changes; give every feed one more check before counting delays.
            drain_until = time.monotonic() + 2 * args.interval + 5
            while time.monotonic() < drain_until and len(_delays(db, farm.appeared)[0]) < len(
                farm.appeared
            ):
                time.sleep(1.0)
            daemon_peak = peak_rss_mib(daemon.pid)
            daemon.send_signal(signal.SIGTERM)
            stop_started = time.monotonic()
            code = daemon.wait(timeout=30)
            stop_seconds = time.monotonic() - stop_started
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
            stderr.close()

        delays, pending = _delays(db, farm.appeared)
        # The anchor sees the same mix as the daemon did: the share of checks that found news.
        news_share = min(1.0, changes / max(checks, 1))
        farm.change(news_share)
        anchor = json.loads(
            subprocess.run(
                [sys.executable, "-c", ANCHOR, str(db), str(config)],
                cwd=PROJECT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )

    per_check_ms = 1000 * cpu / max(checks, 1)
    anchor_ms = 1000 * anchor["cpu"] / max(anchor["checks"], 1)
    quarter = max(1, len(samples) // 4)
    print(f"steady state: {window:.0f} s, {checks} feed checks ({checks / window:.1f}/s)")
    print(f"  CPU share: {100 * cpu / window:.1f}% of one core; {per_check_ms:.2f} ms per check")
    for label, values in (("daemon process", main_samples), ("process tree", samples)):
        print(
            f"  RSS {label}: sampled peak {max(values):.1f} MiB; first quarter mean"
            f" {statistics.mean(values[:quarter]):.1f} MiB, last quarter mean"
            f" {statistics.mean(values[-quarter:]):.1f} MiB"
        )
    print(f"  RSS daemon process peak over the whole run (VmHWM): {daemon_peak:.1f} MiB")
    if delays:
        print(
            f"  new-item delay over {len(delays)} items: median {statistics.median(delays):.1f} s,"
            f" p95 {percentile(delays, 0.95):.1f} s, max {max(delays):.1f} s"
            f" (interval {args.interval}-{2 * args.interval} s; {pending} never stored)"
        )
    print(f"  stop: exit {code} in {stop_seconds:.2f} s after SIGTERM")
    print(
        f"anchor: one bare update_feeds pass (no daemon), {anchor['checks']} checks"
        f" ({anchor['new']} new items, {100 * news_share:.0f}% of feeds changed as in the"
        f" window), {anchor['cpu']:.2f} s CPU with parse workers, {anchor_ms:.2f} ms per check"
    )
    print(f"  daemon CPU per check / bare pass CPU per check: {per_check_ms / anchor_ms:.2f}")
    if args.keep:
        print(f"database and logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


def _count(db: Path) -> int:
    with SQLiteStore(db) as store:
        return store.count_items()


def _delays(db: Path, appeared: dict[str, float]) -> tuple[list[float], int]:
    """Seconds from appearing on the server to first seen in the store, and the not-yet-seen.

    `first_seen` is stored to the second, so appearance times are truncated alike.
    """
    with SQLiteStore(db) as store:
        first_seen = {
            item.identity: item.first_seen for item in store.get_items() if item.first_seen
        }
    delays = [
        (first_seen[identity].timestamp() - int(at))
        for identity, at in appeared.items()
        if identity in first_seen
    ]
    return delays, len(appeared) - len(delays)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20, help="items per feed document")
    parser.add_argument("--duration", type=float, default=120.0, help="steady-state seconds")
    parser.add_argument("--interval", type=int, default=30, help="seconds between checks")
    parser.add_argument("--round", type=float, default=10.0, help="seconds between changes")
    parser.add_argument("--change", type=float, default=0.1, help="share of feeds per round")
    parser.add_argument("--batch", type=int, default=100, help="dispatcher batch size")
    parser.add_argument("--dispatch-every", type=int, default=5, help="seconds between dispatches")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database and logs")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
