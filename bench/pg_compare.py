"""PostgreSQL against SQLite in the same run: the first update, and search latency.

First update: the loopback farm (`bench.farm`, 300 feeds x 50 items, 50 ms latency, 8 hosts)
and a fresh store of each kind subscribed to every feed; `reader --db ... fetch --all --json`
runs as a whole command, the two backends alternating, `--rounds` times; wall time, items/s
and peak memory of the command's process tree, medians, and PostgreSQL's ratio to SQLite.

Search: stores of 1,000, 10,000 and 100,000 generated news items (`bench.tui_bench.generate`)
on each backend; each query in `QUERIES` runs `--repeat` times through the store API (what the
reader and `reader search` call), and p50/p95 latency is printed per size: the curve.

PostgreSQL is a throwaway cluster (fsync on, `synchronous_commit = off`, as SQLite's WAL
`synchronous = NORMAL`) removed afterwards.

Run: ``python -m bench.pg_compare [--rounds 3] [--sizes 1000 10000 100000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.fetch_bench import farm_stats, timed
from bench.tui_bench import generate
from reader.store import open_store
from tests.pg_cluster import PostgresCluster

PROJECT = Path(__file__).resolve().parents[1]

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


def start_farm(
    folder: Path, feeds: int, items: int
) -> tuple[subprocess.Popen[str], list[str], list[str]]:
    urls_file = folder / "urls.txt"
    farm = subprocess.Popen(
        [
            sys.executable, "-m", "bench.farm", "--feeds", str(feeds), "--items", str(items),
            "--latency", "50", "--urls-file", str(urls_file), "--lifetime", "3600",
        ],
        cwd=PROJECT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert farm.stdout is not None
    line = farm.stdout.readline().strip()
    if not line.startswith("ready "):
        raise SystemExit(f"farm did not start: {line!r}")
    return farm, urls_file.read_text().split(), line.removeprefix("ready ").split(",")


def first_update(
    location: str, urls: list[str], authorities: list[str], folder: Path
) -> tuple[float, int, float]:
    """(seconds, new items, peak MB of the command's process tree) for one fresh store."""
    with open_store(location) as store:
        for url in urls:
            store.add_feed(url)
    config = folder / "reader.toml"
    config.write_text("[topic]\nrefresh_every = 0\n")
    env = {
        **os.environ,
        "READER_FETCH_ALLOW": ",".join(authorities),
        "READER_CONFIG": str(config),
        "READER_DB": location,
        "XDG_STATE_HOME": str(folder / "state"),
    }
    farm_stats(authorities[0], reset=True)
    command = [sys.executable, "-m", "reader", "fetch", "--all", "--json"]
    seconds, tree_mb, _, output = timed(command, env, PROJECT)
    return seconds, int(json.loads(output)["new"]), tree_mb


def bench_first_update(cluster: PostgresCluster, folder: Path, rounds: int) -> None:
    farm, urls, authorities = start_farm(folder, 300, 50)
    try:
        results: dict[str, list[tuple[float, int, float]]] = {"SQLite": [], "PostgreSQL": []}
        for n in range(rounds):
            order = ("SQLite", "PostgreSQL") if n % 2 == 0 else ("PostgreSQL", "SQLite")
            for backend in order:
                if backend == "SQLite":
                    location = str(folder / f"first-{n}.db")
                else:
                    location = cluster.create_database(f"first_{n}")
                result = first_update(location, urls, authorities, folder)
                results[backend].append(result)
                print(
                    f"  round {n + 1} {backend:<10} {result[0]:6.2f} s  {result[1]} items"
                    f"  {result[1] / result[0]:6.0f} items/s  peak {result[2]:.0f} MB",
                    flush=True,
                )
        print("first update, 300 feeds x 50 items, `reader fetch --all` (median of rounds):")
        medians = {b: statistics.median(r[0] for r in rs) for b, rs in results.items()}
        for backend, runs in results.items():
            items = runs[0][1]
            print(
                f"  {backend:<10} {medians[backend]:6.2f} s  {items / medians[backend]:6.0f}"
                f" items/s  peak {max(r[2] for r in runs):.0f} MB"
            )
        ratios = [
            p[0] / s[0] for p, s in zip(results["PostgreSQL"], results["SQLite"], strict=True)
        ]
        print(
            f"  PostgreSQL / SQLite time: {medians['PostgreSQL'] / medians['SQLite']:.2f}"
            f" (rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
        )
    finally:
        if farm.stdin is not None:
            farm.stdin.close()
        farm.wait(timeout=30)


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
