"""PostgreSQL against SQLite in the same run: the first update, and search latency.

First update: the loopback farm (`bench.farm`, 300 feeds x 50 items, 50 ms latency, 8 hosts)
and a fresh store of each kind subscribed to every feed; one `reader daemon` (a whole
process, as users run it) until every feed has been checked once, the two backends
alternating, `--rounds` times; time from the first feed stored to the last, items/s, the
daemon's CPU seconds, medians, and PostgreSQL's ratio to SQLite.

Search: stores of 1,000, 10,000 and 100,000 generated news items (`bench.tui_bench.generate`)
on each backend; each query in `QUERIES` runs `--repeat` times through the store API (what the
reader and `reader search` call), and p50/p95 latency is printed per size: the curve.

PostgreSQL is a throwaway cluster (fsync on, `synchronous_commit = off`, as SQLite's WAL
`synchronous = NORMAL`) removed afterwards.

Run: ``python -m bench.pg_compare [--rounds 3] [--sizes 1000 10000 100000]``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.pg_fleet import (
    Farm,
    start_daemons,
    start_farm,
    stop_daemons,
    subscribe,
    tree_cpu,
    write_settings,
)
from bench.tui_bench import generate
from reader.store import open_store
from tests.pg_cluster import PostgresCluster

QUERIES = (
    "Okinawa",  # a rare word: about 1 item in 200 holds one of these
    "Guam",
    "alliance",  # a common word: most items
    "summit security",
    '"foreign minister"',
    "deter*",
    "title:alliance",
    "Vilnius OR Madrid",
    "alliance -summit",
)


def first_update(
    location: str, farm: Farm, folder: Path, args: argparse.Namespace
) -> tuple[float, int, float]:
    """(active seconds, items stored, daemon CPU seconds): one `reader daemon` on a fresh
    store subscribed to every farm feed, until each feed has been checked once."""
    subscribe(location, farm.urls)
    settings = write_settings(folder, farm, args)
    farm.stats(reset=True)
    daemons = start_daemons(1, location, settings, folder)
    started = time.monotonic()
    first: float | None = None
    cpu = 0.0
    try:
        with open_store(location) as store:
            while True:
                time.sleep(0.2)
                stats = store.stats(datetime.now(UTC))
                if first is None and stats.feeds_due < len(farm.urls):
                    first = time.monotonic()
                cpu = max(cpu, tree_cpu([d.pid for d in daemons]))
                if stats.feeds_due == 0 or time.monotonic() - started > 900:
                    break
            active = time.monotonic() - (first or started)
            items = store.stats(datetime.now(UTC)).items
    finally:
        stop_daemons(daemons)
    return active, items, cpu


def bench_first_update(cluster: PostgresCluster, folder: Path, rounds: int) -> None:
    args = argparse.Namespace(
        feeds=300, items=50, hosts=8, latency=50.0, per_host=4, parse_workers=0, batch=100,
        lease=120,
    )  # fmt: skip
    farm = start_farm(args, folder)
    try:
        results: dict[str, list[tuple[float, int, float]]] = {"SQLite": [], "PostgreSQL": []}
        for n in range(rounds):
            order = ("SQLite", "PostgreSQL") if n % 2 == 0 else ("PostgreSQL", "SQLite")
            for backend in order:
                if backend == "SQLite":
                    location = str(folder / f"first-{n}.db")
                else:
                    location = cluster.create_database(f"first_{n}")
                result = first_update(location, farm, folder, args)
                results[backend].append(result)
                print(
                    f"  round {n + 1} {backend:<10} {result[0]:6.2f} s  {result[1]} items"
                    f"  {result[1] / result[0]:6.0f} items/s  daemon CPU {result[2]:.1f} s",
                    flush=True,
                )
        print("first update by one daemon, 300 feeds x 50 items, 50 ms (median of rounds):")
        medians = {b: statistics.median(r[0] for r in rs) for b, rs in results.items()}
        for backend, runs in results.items():
            items = runs[0][1]
            print(
                f"  {backend:<10} {medians[backend]:6.2f} s  {items / medians[backend]:6.0f}"
                f" items/s  daemon CPU {statistics.median(r[2] for r in runs):.1f} s"
            )
        pairs = zip(results["PostgreSQL"], results["SQLite"], strict=True)
        ratios = [p[0] / s[0] for p, s in pairs]
        print(
            f"  PostgreSQL / SQLite time: {medians['PostgreSQL'] / medians['SQLite']:.2f}"
            f" (rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
        )
    finally:
        farm.stop()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def search_latency(location: str, repeat: int) -> tuple[float, float, int]:
    """(p50 ms, p95 ms, hits of the rare-word query) over every query `repeat` times."""
    timings: list[float] = []
    with open_store(location) as store:
        rare = len(store.search("Okinawa", limit=1000))
        for _ in range(repeat):
            for query in QUERIES:
                started = time.perf_counter()
                store.search(query, limit=50)
                timings.append((time.perf_counter() - started) * 1000)
    return percentile(timings, 0.5), percentile(timings, 0.95), rare


def bench_search(cluster: PostgresCluster, folder: Path, sizes: list[int], repeat: int) -> None:
    print(f"search latency, {len(QUERIES)} queries x {repeat}, 50 hits each, store API:")
    print("     items  backend      p50 ms   p95 ms  rare-word hits  fill s")
    for size in sizes:
        for backend in ("SQLite", "PostgreSQL"):
            if backend == "SQLite":
                location = str(folder / f"search-{size}.db")
            else:
                location = cluster.create_database(f"search_{size}")
            started = time.perf_counter()
            generate(location, size)  # type: ignore[arg-type]
            fill = time.perf_counter() - started
            p50, p95, rare = search_latency(location, repeat)
            print(
                f"  {size:>8}  {backend:<10} {p50:8.2f} {p95:8.2f}  {rare:>14}  {fill:6.1f}",
                flush=True,
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (both backends' client side): {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--skip-update", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="reader-pgcmp-"))
    cluster = PostgresCluster(durable=True)
    cluster.start()
    try:
        if not args.skip_update:
            bench_first_update(cluster, folder, args.rounds)
        if not args.skip_search:
            bench_search(cluster, folder, args.sizes, args.repeat)
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
