"""Fetch benchmark: a first full update and an all-304 update of a loopback feed farm,
ours against Newsboat (`newsboat -x reload`) in the same run, printed as wall time, items
stored per second, peak memory, and ratios.

Ours runs as a subprocess: by default a small child that calls `run_update` on every feed
(the fetch pipeline alone); with `--via-cli`, `reader fetch --all --json` (CLI start-up and
its imports included).

Run from the project root (the figures in the README: whole commands, three rounds, with the
`reader` library from PyPI in a virtualenv of its own):
    .venv/bin/python -m bench.fetch_bench --feeds 300 --items 50 --hosts 25 --latency 50 \
        --via-cli --rounds 3 --anchor-reader "$READER_ANCHOR_VENV"
`--before TREE` runs another checkout's `reader fetch --all` in the same rounds too (after the
anchors), for a before/after measured under the same load.

Newsboat is the Debian package (`apt-get install -y newsboat`); without it only our figures
are printed. Peak RSS is sampled over the whole process tree (the CLI and its parse workers)
every 20 ms, and also read from `wait4` for the largest single process.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reader.store import open_store

PROJECT = Path(__file__).resolve().parent.parent
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Run:
    """One timed run of a fetcher."""

    name: str
    seconds: float
    items: int
    tree_peak_mb: float
    process_peak_mb: float
    statuses: dict[str, int]

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


def _tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as statm:
                total += int(statm.read().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            pass
        stack.extend(children.get(pid, []))
    return total


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float, str]:
    """Run `command`; return (seconds, tree peak MB, largest process peak MB, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, _tree_rss(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed with status {process.returncode}")
    return seconds, peak / 2**20, usage.ru_maxrss / 1024, output


def farm_stats(authority: str, *, reset: bool) -> dict[str, int]:
    url = f"http://{authority}/stats" + ("?reset=1" if reset else "")
    with urllib.request.urlopen(url, timeout=10) as response:
        counts: dict[str, int] = json.load(response)
    return counts


def child_update(db: Path) -> None:
    """The measured fetch, in this (child) process: every feed once, summary as JSON."""
    from reader.cli.fetch import report_json
    from reader.core import make_reader

    with make_reader(db) as reader:
        report = reader.update_feeds(reader.feeds_to_update(due_only=False))
    json.dump(report_json(report), sys.stdout)


_ADD_FEEDS = """
import sys
from reader.store import open_store
with open_store(sys.argv[1]) as store:
    for url in open(sys.argv[2]).read().split():
        store.add_feed(url)
"""
"""Subscribes a checkout's own store to the farm's feeds (for `--before`)."""


def run_ours(
    workdir: Path,
    urls: list[str],
    authorities: list[str],
    *,
    via_cli: bool,
    tree: Path = PROJECT,
    label: str = "reader",
) -> list[Run]:
    """Our first and all-304 updates; `tree` is the checkout to run (another one for a
    same-run before/after, its runs named by `label`)."""
    db = workdir / f"{label}.db"
    if tree == PROJECT:
        with open_store(db) as store:
            for url in urls:
                store.add_feed(url)
    else:  # made by that tree's own code: its schema may be older than ours
        listed = workdir / f"{label}-urls.txt"
        listed.write_text("\n".join(urls))
        subprocess.run(
            [sys.executable, "-c", _ADD_FEEDS, str(db), str(listed)],
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree)},
            check=True,
        )
    config = workdir / "reader.toml"
    config.write_text("")  # every setting at its default
    env = {
        **os.environ,
        "READER_FETCH_ALLOW": ",".join(authorities),
        "READER_CONFIG": str(config),
        "XDG_STATE_HOME": str(workdir / "state"),
    }
    if tree != PROJECT:
        env["PYTHONPATH"] = str(tree)
    if via_cli:
        command = [sys.executable, "-m", "reader", "--db", str(db), "fetch", "--all", "--json"]
    else:
        command = [sys.executable, "-m", "bench.fetch_bench", "--child", str(db)]
    runs = []
    for name in (f"{label}: first update", f"{label}: all-304 update"):
        farm_stats(authorities[0], reset=True)
        seconds, tree_mb, process_mb, output = timed(command, env, tree)
        report = json.loads(output)
        if report["errors"]:
            failed = [f for f in report["feeds"] if f["error"]][:3]
            print(f"warning: {report['errors']} feeds failed, e.g. {failed}", file=sys.stderr)
        runs.append(
            Run(
                name,
                seconds,
                report["new"],
                tree_mb,
                process_mb,
                farm_stats(authorities[0], reset=False),
            )
        )
    return runs


def run_newsboat(workdir: Path, urls: list[str], authorities: list[str]) -> list[Run]:
    home = workdir / "newsboat-home"
    home.mkdir()
    (home / "urls").write_text("\n".join(urls) + "\n")
    (home / "config").write_text("reload-threads 20\n")
    cache = home / "cache.db"
    command = [
        "newsboat", "-x", "reload",
        "-u", str(home / "urls"), "-c", str(cache), "-C", str(home / "config"),
    ]  # fmt: skip
    env = {**os.environ, "HOME": str(home), "LANG": "C.UTF-8"}
    runs = []
    before = 0
    # Newsboat saves a new feed's validators only from its second fetch on (its first UPDATE
    # finds no row yet), so a warm-up run comes before its all-304 run.
    for name in ("newsboat: first update", "newsboat: warm-up", "newsboat: all-304 update"):
        farm_stats(authorities[0], reset=True)
        seconds, tree_mb, process_mb, _ = timed(command, env, home)
        with sqlite3.connect(cache) as db:
            stored = int(db.execute("SELECT count(*) FROM rss_item").fetchone()[0])
        runs.append(
            Run(
                name,
                seconds,
                stored - before,
                tree_mb,
                process_mb,
                farm_stats(authorities[0], reset=False),
            )
        )
        before = stored
    return runs


_READER_LIBRARY = """
import json, sys
from reader import make_reader
reader = make_reader(sys.argv[1])
if sys.argv[2] == "add":
    for url in open(sys.argv[3]).read().split():
        reader.add_feed(url, exist_ok=True)
else:
    reader.update_feeds(workers=20, scheduled=False)
    print(json.dumps({"entries": reader.get_entry_counts().total}))
"""
"""The anchor's whole command: the `reader` library (PyPI) updating every feed, 20 workers.
`scheduled=False` as `reader fetch --all`: by default it updates only the feeds whose update
interval (an hour) has passed, so its all-304 round would fetch nothing."""


def run_reader_library(
    workdir: Path, urls: list[str], authorities: list[str], venv: Path
) -> list[Run]:
    """The `reader` library's first and all-304 updates, each a whole process, run from a
    folder outside our checkout (our package has the same name)."""
    home = workdir / "reader-library"
    home.mkdir()
    script = home / "update.py"
    script.write_text(_READER_LIBRARY)
    (home / "urls.txt").write_text("\n".join(urls))
    python = str(venv / "bin" / "python")
    db = str(home / "reader.sqlite")
    # Without PYTHONPATH: ours (a checkout run as `PYTHONPATH=$PWD`) must not shadow the library.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(
        [python, str(script), db, "add", str(home / "urls.txt")], cwd=home, env=env, check=True
    )
    runs = []
    before = 0
    for name in ("reader lib: first update", "reader lib: all-304"):
        farm_stats(authorities[0], reset=True)
        seconds, tree_mb, process_mb, output = timed([python, str(script), db, "update"], env, home)
        total = int(json.loads(output)["entries"])
        runs.append(
            Run(
                name,
                seconds,
                total - before,
                tree_mb,
                process_mb,
                farm_stats(authorities[0], reset=False),
            )
        )
        before = total
    return runs


def compile_package(tree: Path = PROJECT) -> None:
    """Byte-compile our package, as installing it does: under PYTHONDONTWRITEBYTECODE (set in
    some shells and CI) every command would otherwise compile every module it imports, a cost
    the anchors, installed packages, never pay."""
    compileall.compile_dir(tree / "reader", quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description="Fetch benchmark against Newsboat.")
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--latency", type=float, default=50.0, help="ms per response")
    parser.add_argument(
        "--hosts", type=int, default=8, help="loopback addresses the feeds are spread over"
    )
    parser.add_argument("--no-newsboat", action="store_true", help="skip the Newsboat runs")
    parser.add_argument(
        "--via-cli",
        action="store_true",
        help="time `reader fetch --all` (CLI start-up included) instead of update_feeds alone",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="alternate ours and Newsboat this many times"
    )
    parser.add_argument(
        "--anchor-reader",
        type=Path,
        default=os.environ.get("READER_ANCHOR_VENV"),
        help="a virtualenv with the `reader` library from PyPI (or READER_ANCHOR_VENV):"
        " its updates run in the same rounds",
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout (a 'before' tree) whose reader fetch runs in the same rounds,"
        " after the anchors (with --via-cli)",
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child_update(args.child)
        return

    compile_package()
    if args.before is not None:
        if not args.via_cli:
            raise SystemExit("--before needs --via-cli")
        compile_package(args.before.resolve())
    with tempfile.TemporaryDirectory(prefix="fetch-bench-") as tmp:
        workdir = Path(tmp)
        urls_file = workdir / "urls.txt"
        farm = subprocess.Popen(
            [
                sys.executable, "-m", "bench.farm", "--feeds", str(args.feeds),
                "--items", str(args.items), "--latency", str(args.latency),
                "--hosts", str(args.hosts), "--urls-file", str(urls_file),
            ],
            cwd=PROJECT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert farm.stdout is not None
            ready = farm.stdout.readline().split()
            if not ready or ready[0] != "ready":
                raise SystemExit("the feed farm did not start")
            authorities = ready[1].split(",")
            urls = urls_file.read_text().split()
            print(
                f"farm: {args.feeds} feeds x {args.items} items over {len(authorities)} loopback"
                f" addresses, {args.latency:g} ms latency per response"
            )
            with_newsboat = not args.no_newsboat and shutil.which("newsboat") is not None
            if not args.no_newsboat and not with_newsboat:
                print("newsboat not installed: apt-get install -y newsboat", file=sys.stderr)
            rounds: list[list[Run]] = []
            # Rounds alternate ours and Newsboat, each on fresh state, so a noisy spell on
            # this shared machine falls on both; medians are then compared.
            for number in range(args.rounds):
                round_dir = workdir / f"round-{number}"
                round_dir.mkdir()
                runs = run_ours(round_dir, urls, authorities, via_cli=args.via_cli)
                if with_newsboat:
                    runs += run_newsboat(round_dir, urls, authorities)
                if args.anchor_reader is not None:
                    runs += run_reader_library(round_dir, urls, authorities, args.anchor_reader)
                if args.before is not None:
                    runs += run_ours(
                        round_dir,
                        urls,
                        authorities,
                        via_cli=True,
                        tree=args.before.resolve(),
                        label="before",
                    )
                rounds.append(runs)
        finally:
            if farm.stdin is not None:
                farm.stdin.close()
            farm.wait(timeout=10)
    report(rounds)


def report(rounds: list[list[Run]]) -> None:
    """Every run, then (over several rounds) the medians and the ratios against Newsboat."""
    print(
        f"{'run':<26} {'wall s':>7} {'items':>7} {'items/s':>9} {'tree MB':>8} {'proc MB':>8}"
        "  statuses"
    )
    for number, runs in enumerate(rounds):
        if len(rounds) > 1:
            print(f"round {number + 1}")
        for run in runs:
            print(
                f"{run.name:<26} {run.seconds:>7.2f} {run.items:>7} {run.items_per_second:>9.0f}"
                f" {run.tree_peak_mb:>8.1f} {run.process_peak_mb:>8.1f}  {run.statuses}"
            )
    names = [{run.name: run for run in runs} for runs in rounds]

    def median(name: str, value: Callable[[Run], float]) -> float:
        return statistics.median(value(by_name[name]) for by_name in names)

    if all("reader lib: first update" in by_name for by_name in names):
        ours_first, ours_304 = "reader: first update", "reader: all-304 update"
        first = median(ours_first, lambda r: r.items_per_second) / median(
            "reader lib: first update", lambda r: r.items_per_second
        )
        print(f"first update, items/s ours / reader library: {first:.2f}x (target >= 5)")
        wall = median("reader lib: all-304", lambda r: r.seconds) / median(
            ours_304, lambda r: r.seconds
        )
        print(f"all-304 update, wall time reader library / ours: {wall:.2f}x (target >= 1)")
    if all(len(runs) >= 5 for runs in rounds):
        # Per position: ours first, ours 304, newsboat first, newsboat warm-up, newsboat 304.
        def median_of(position: int, value: Callable[[Run], float]) -> float:
            return statistics.median(value(runs[position]) for runs in rounds)

        suffix = f" (medians of {len(rounds)} rounds)" if len(rounds) > 1 else ""
        if len(rounds) > 1:
            each = ", ".join(
                f"{r[0].items_per_second / r[2].items_per_second:.2f}x" for r in rounds
            )
            print(f"first update ratio in each round: {each}")
        first_ratio = median_of(0, lambda r: r.items_per_second) / median_of(
            2, lambda r: r.items_per_second
        )
        print(f"first update, items/s ours / newsboat{suffix}: {first_ratio:.2f}x (target >= 2)")
        wall_ratio = median_of(4, lambda r: r.seconds) / median_of(1, lambda r: r.seconds)
        print(f"all-304 update, wall time newsboat / ours{suffix}: {wall_ratio:.2f}x (target >= 1)")
    if all("before: first update" in by_name for by_name in names):
        for anchor in ("newsboat: first update", "reader lib: first update"):
            if all(anchor in by_name for by_name in names):
                before = median("before: first update", lambda r: r.items_per_second) / median(
                    anchor, lambda r: r.items_per_second
                )
                print(f"before tree, first update, items/s before / {anchor[:-14]}: {before:.2f}x")
        speedup = median("before: first update", lambda r: r.seconds) / median(
            "reader: first update", lambda r: r.seconds
        )
        print(f"first update, wall time before / ours: {speedup:.2f}x")
        speedup = median("before: all-304 update", lambda r: r.seconds) / median(
            "reader: all-304 update", lambda r: r.seconds
        )
        print(f"all-304 update, wall time before / ours: {speedup:.2f}x")
    peak = max(run.tree_peak_mb for runs in rounds for run in runs[:2])
    print(f"peak RSS of our fetch (process tree): {peak:.0f} MB (target < 200)")


if __name__ == "__main__":
    main()
