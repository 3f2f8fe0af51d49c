"""Topic work for 1,000 new items on PostgreSQL, beside SQLite in the same run.

The stores are `bench.topic_bench`'s (the seeds and the corpus's real news spread over two
years, topic queues worked), built once per size and kept in `--stores`: the SQLite file, and
a PostgreSQL template database copied from it as `reader db migrate --to` copies (the same
items, scores, stories and story index, so both backends start alike; `--pg-build native`
builds it through the store instead: 72 s against SQLite's 23 s at 10,000 items). The
PostgreSQL cluster lives there too (fsync on, `synchronous_commit = off`, as SQLite's WAL
`synchronous = NORMAL`). Each measurement starts from a fresh copy (a file copy, a
`CREATE DATABASE ... TEMPLATE`), opens it once untimed (a migration, if any, is timed apart),
then stores 1,000 new items and works the topic queues as `bench.topic_bench` does, in a
process of its own: scoring, stories, their sum, and the process's peak RSS (the server's
memory is its own and not counted).

`--before TREE` measures another checkout of the project too (its `reader` package, on the
same PostgreSQL templates, built by the older code when both are asked for), alternating with
this one round by round; figures are medians over `--rounds`.

Run from the project folder:
    .venv/bin/python -m bench.pg_topic_bench --sizes 1000,10000,100000 --stores DIR
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def _phase(phase: str, location: str, size: int) -> None:
    """In the child: one phase on one store (a path or a URL), its result as JSON."""
    from bench.topic_bench import build, phase_new_items

    if phase == "build":
        build(location, size)  # type: ignore[arg-type]  # open_store takes a URL as well
        print(json.dumps({}))
    elif phase == "copy":  # location: "SQLITE-FILE URL"
        from reader.store import copy_to_postgres

        source, url = location.split(" ")
        copy_to_postgres(Path(source), url)
        print(json.dumps({}))
    elif phase == "open":
        from reader.store import open_store

        started = time.perf_counter()
        open_store(location).close()
        print(json.dumps({"seconds": time.perf_counter() - started}))
    elif phase == "new":
        print(json.dumps(phase_new_items(location, size)))  # type: ignore[arg-type]


def _child(code: Path, phase: str, location: str, size: int) -> dict[str, float]:
    """Run one phase in a fresh process with `code`'s package; result, peak RSS (MB), wall."""
    # Here, not at the top: the phase process runs this file with another checkout's package.
    from bench.topic_bench import measure_phase

    command = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, location, str(size)]
    return measure_phase(command, code, {**os.environ, "PYTHONPATH": str(code)})


def _copy_database(admin_url: str, template: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def _has_database(admin_url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return found.fetchone() is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--stores", type=Path, help="keep the built stores (and the cluster) here")
    parser.add_argument("--before", type=Path, help="another checkout to measure on PostgreSQL")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--pg-build",
        choices=("copy", "native"),
        default="copy",
        help="make each PostgreSQL store a copy of the SQLite one (`reader db migrate --to`:"
        " the same items, scores, stories and index: both backends start alike) or build it"
        " through the store as topic_bench does (10,000 items: 72 s against SQLite's 23 s)",
    )
    parser.add_argument("--phase", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        _phase(args.phase[0], args.phase[1], int(args.phase[2]))
        return
    from bench.fetch_bench import compile_package
    from tests.pg_cluster import PostgresCluster

    compile_package()
    folder = Path(tempfile.mkdtemp(prefix="pg-topic-bench-"))
    stores = args.stores or folder
    stores.mkdir(parents=True, exist_ok=True)
    cluster = PostgresCluster(stores / "cluster" if args.stores else None, durable=True)
    cluster.start()
    builder = args.before or PROJECT  # templates built by the older code: both start the same
    variants = [("sqlite", PROJECT)] + ([("pg-before", args.before)] if args.before else [])
    variants.append(("postgres", PROJECT))
    try:
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)", flush=True)
        for size in (int(s) for s in args.sizes.split(",")):
            kept_db = stores / f"reader-{size}.db"
            template = f"topic_{size}_{args.pg_build}"
            if not kept_db.is_file():
                started = time.perf_counter()
                _child(builder, "build", str(kept_db), size)
                print(f"{size}: SQLite store built in {time.perf_counter() - started:.0f} s")
            if not _has_database(cluster.url(), template):
                started = time.perf_counter()
                url = cluster.create_database(template)
                if args.pg_build == "copy":
                    _child(builder, "copy", f"{kept_db} {url}", size)
                else:
                    _child(builder, "build", url, size)
                print(f"{size}: PostgreSQL store built in {time.perf_counter() - started:.0f} s")
            results: dict[str, list[dict[str, float]]] = {name: [] for name, _ in variants}
            opened: dict[str, list[float]] = {name: [] for name, _ in variants}
            for _ in range(args.rounds):
                for name, code in variants:
                    if name == "sqlite":
                        location = str(folder / "work.db")
                        shutil.copyfile(kept_db, location)
                    else:
                        _copy_database(cluster.url(), template, "work")
                        location = cluster.url("work")
                    opened[name].append(_child(code, "open", location, size)["seconds"])
                    results[name].append(_child(code, "new", location, size))
            for name, _ in variants:
                runs = results[name]

                def median(key: str, runs: list[dict[str, float]] = runs) -> float:
                    return statistics.median(r[key] for r in runs)

                rounds = " ".join(f"{r['topic_total']:.3f}" for r in runs)
                print(
                    f"{size:>7} {name:<10} open {statistics.median(opened[name]):6.2f} s |"
                    f" 1,000 new: score {median('score'):6.3f} s stories {median('refresh'):6.3f}"
                    f" s topic {median('topic_total'):6.3f} s {median('peak_mb'):4.0f} MB"
                    f" | topic s per round: {rounds}",
                    flush=True,
                )
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)", flush=True)
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
        if not args.stores:
            cluster.destroy()


if __name__ == "__main__":
    main()
