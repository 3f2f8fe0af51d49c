"""Several daemons on one PostgreSQL database: throughput, duplicates, and a kill -9.

Starts a throwaway PostgreSQL cluster (fsync on, `synchronous_commit = off`, as SQLite's WAL
`synchronous = NORMAL`) and the loopback farm (`bench.farm`, `--feeds` feeds over `--hosts`
addresses), subscribes a fresh database to every feed, then runs 1, 2 and 4 `reader daemon`
processes (whole commands, as users run them) until every feed has been checked once: one due
period. It prints, per daemon count: wall time, feeds/s and items/s stored, duplicate fetches
from the farm's per-feed request counts (goal 0), and how busy the two cores were.

``--kill`` runs three daemons instead and kills one (`kill -9` on its process group: the
daemon and its parse workers, as a machine dying) a third of the way through; the others take
its feeds when its leases expire. It prints how long the round took, what the killed daemon
held, duplicate fetches, and checks that nothing is lost (every feed checked, every item
stored once) and that the database passes its consistency check.

Run: ``python -m bench.pg_fleet --feeds 10000 --items 10 --hosts 25 --daemons 1 2 4``
and ``python -m bench.pg_fleet --feeds 10000 --items 10 --hosts 25 --kill``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reader.store import open_store
from tests.pg_cluster import PostgresCluster

PROJECT = Path(__file__).resolve().parents[1]


@dataclass
class Farm:
    process: subprocess.Popen[str]
    urls: list[str]
    authorities: list[str]

    def stats(self, *, reset: bool = False) -> dict[str, object]:
        host = self.authorities[0]
        query = "feeds=1" + ("&reset=1" if reset else "")
        with urllib.request.urlopen(f"http://{host}/stats?{query}", timeout=30) as response:
            return dict(json.load(response))

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def start_farm(args: argparse.Namespace, folder: Path) -> Farm:
    urls_file = folder / "urls.txt"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "bench.farm", "--feeds", str(args.feeds),
            "--items", str(args.items), "--hosts", str(args.hosts),
            "--latency", str(args.latency), "--urls-file", str(urls_file),
            "--lifetime", "7200",
        ],
        cwd=PROJECT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("ready "):
        raise SystemExit(f"farm did not start: {line!r}")
    authorities = line.removeprefix("ready ").split(",")
    return Farm(process, urls_file.read_text().split(), authorities)


def write_settings(folder: Path, farm: Farm, args: argparse.Namespace) -> Path:
    path = folder / "reader.toml"
    allow = ", ".join(f'"{a}"' for a in farm.authorities)
    path.write_text(
        f"[fetch]\nallow = [{allow}]\nper_host = {args.per_host}\nconcurrency = 64\n"
        f"parse_workers = {args.parse_workers}\n"
        f"[schedule]\ninterval = 7200\nmin_interval = 3600\ndispatch_every = 1\n"
        f"batch_size = {args.batch}\nlease = {args.lease}\n"
        "[topic]\nrefresh_every = 0\n[retention]\ndays = 0\n",
        encoding="utf-8",
    )
    return path


def subscribe(url: str, feeds: list[str]) -> None:
    with open_store(url) as store:
        for feed in feeds:
            store.add_feed(feed)


def _processes() -> dict[int, tuple[int, float]]:
    """Every process: pid -> (parent pid, CPU seconds used so far)."""
    tick = os.sysconf("SC_CLK_TCK")
    table: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return table


def tree_cpu(roots: list[int]) -> float:
    """CPU seconds used by the processes `roots` and all their descendants (still alive)."""
    table = _processes()
    total, todo, seen = 0.0, list(roots), set()
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in table:
            continue
        seen.add(pid)
        total += table[pid][1]
        todo += [child for child, (parent, _) in table.items() if parent == pid]
    return total


def postmaster_pid(cluster: PostgresCluster) -> int:
    return int((cluster.data / "postmaster.pid").read_text().split()[0])


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def start_daemons(
    count: int, url: str, settings: Path, folder: Path
) -> list[subprocess.Popen[bytes]]:
    environment = {**os.environ, "READER_DB": url}
    daemons = []
    for n in range(count):
        log = open(folder / f"daemon-{n}.log", "wb")  # noqa: SIM115 - closed with the process
        daemons.append(
            subprocess.Popen(
                [sys.executable, "-m", "reader", "--config", str(settings), "daemon"],
                cwd=folder, env=environment, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill -9 takes its workers too
            )
        )  # fmt: skip
    return daemons


def stop_daemons(daemons: list[subprocess.Popen[bytes]]) -> None:
    for daemon in daemons:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
    for daemon in daemons:
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)


@dataclass
class Round:
    daemons: int
    wall: float
    feeds: int
    items: int
    duplicates: int
    never_fetched: int
    cpu_busy: float
    active: float
    """Seconds from the first feed checked to the last."""
    daemon_cpu: float
    """CPU seconds of the daemons and their parse workers."""
    database_cpu: float
    """CPU seconds of the PostgreSQL server."""
    killed_held: int = 0
    consistency: str = ""


def run_round(
    count: int,
    cluster: PostgresCluster,
    farm: Farm,
    settings: Path,
    folder: Path,
    args: argparse.Namespace,
    *,
    kill: bool = False,
) -> Round:
    name = f"fleet_{count}{'_kill' if kill else ''}"
    url = cluster.create_database(name)
    subscribe(url, farm.urls)
    farm.stats(reset=True)
    busy0, total0 = cpu_ticks()
    server = postmaster_pid(cluster)
    database_cpu0 = tree_cpu([server])
    started = time.monotonic()
    daemons = start_daemons(count, url, settings, folder)
    killed_held = 0
    first_check: float | None = None
    daemon_cpu = 0.0
    with open_store(url) as store:
        while True:
            time.sleep(0.5)
            stats = store.stats(datetime.now(UTC))
            if first_check is None and stats.feeds_due < args.feeds:
                first_check = time.monotonic()
            daemon_cpu = max(daemon_cpu, tree_cpu([d.pid for d in daemons]))
            if kill and killed_held == 0 and stats.feeds_due <= args.feeds * 2 // 3:
                victim = daemons[0]
                held = {d.pid: d.leases for d in store.get_daemons()}
                killed_held = held.get(victim.pid, 0)
                os.killpg(victim.pid, signal.SIGKILL)
                print(
                    f"  killed daemon PID {victim.pid} with {killed_held} leased feeds,"
                    f" {stats.feeds_due} feeds still due",
                    flush=True,
                )
            if stats.feeds_due == 0:
                break
            if time.monotonic() - started > args.timeout:
                print(f"  timed out with {stats.feeds_due} feeds due", flush=True)
                break
        wall = time.monotonic() - started
        active = time.monotonic() - (first_check or started)
        busy1, total1 = cpu_ticks()
        database_cpu = tree_cpu([server]) - database_cpu0
        final = store.stats(datetime.now(UTC))
        consistency = store.integrity_check() if kill else ""
    stop_daemons(daemons)
    counts = dict(farm.stats()["feeds"])  # type: ignore[call-overload]
    duplicates = sum(max(0, int(c) - 1) for c in counts.values())
    return Round(
        daemons=count,
        wall=wall,
        feeds=final.feeds - final.feeds_due,
        items=final.items,
        duplicates=duplicates,
        never_fetched=args.feeds - len(counts),
        cpu_busy=(busy1 - busy0) / max(total1 - total0, 1),
        active=active,
        daemon_cpu=daemon_cpu,
        database_cpu=database_cpu,
        killed_held=killed_held,
        consistency=consistency,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--hosts", type=int, default=25)
    parser.add_argument("--latency", type=float, default=20.0, help="ms before each response")
    parser.add_argument("--daemons", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--batch", type=int, default=100, help="[schedule] batch_size")
    parser.add_argument("--per-host", type=int, default=4, help="[fetch] per_host")
    parser.add_argument("--parse-workers", type=int, default=1, help="per daemon")
    parser.add_argument("--lease", type=int, default=15, help="[schedule] lease, seconds")
    parser.add_argument("--kill", action="store_true", help="three daemons, one killed")
    parser.add_argument("--timeout", type=float, default=1200.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="reader-fleet-"))
    cluster = PostgresCluster(durable=True)
    cluster.start()
    farm = start_farm(args, folder)
    try:
        settings = write_settings(folder, farm, args)
        print(
            f"{args.feeds} feeds x {args.items} items over {args.hosts} loopback hosts,"
            f" {args.latency:.0f} ms latency; PostgreSQL {cluster.bindir.parent.name};"
            f" {os.cpu_count()} cores",
            flush=True,
        )
        counts = [3] if args.kill else args.daemons
        rounds = [
            run_round(n, cluster, farm, settings, folder, args, kill=args.kill) for n in counts
        ]
        print(
            "daemons  wall s  active s  feeds/s  items/s  duplicates  never fetched"
            "  machine busy  daemons CPU s  PostgreSQL CPU s"
        )
        for r in rounds:
            rates = f"{r.feeds / r.active:>7.0f}  {r.items / r.active:>7.0f}"
            print(
                f"{r.daemons:>7}  {r.wall:>6.1f}  {r.active:>8.1f}  {rates}  {r.duplicates:>10}"
                f"  {r.never_fetched:>13}  {r.cpu_busy:>12.0%}  {r.daemon_cpu:>13.1f}"
                f"  {r.database_cpu:>16.1f}"
            )
        print("feeds/s and items/s are over the active window (first feed checked to last).")
        if args.kill:
            r = rounds[0]
            expected = args.feeds * args.items
            print(
                f"killed daemon held {r.killed_held} feeds; checked {r.feeds}/{args.feeds} feeds,"
                f" {r.items}/{expected} items stored; consistency check: {r.consistency}"
            )
    finally:
        farm.stop()
        cluster.destroy()


if __name__ == "__main__":
    main()
