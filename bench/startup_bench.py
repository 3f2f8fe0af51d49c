"""Start-up of commands that do not score: whole-command wall time and the import time inside
it (`python -X importtime`, every module's own time summed), medians of several runs, with the
number of modules loaded.

The store holds the seeds and a few hundred real news items (../shared/corpus), so listings
have something to list. Our package is byte-compiled first, as installing it does.

Run from the project folder:
    .venv/bin/python -m bench.startup_bench --runs 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.fetch_bench import compile_package

PROJECT = Path(__file__).resolve().parents[1]
COMMANDS = (("--help",), ("items", "list"), ("status",), ("search", "NATO"), ("stories", "list"))


def build(db: Path) -> None:
    """Seeds and real news items in a fresh store."""
    from bench.topic_data import corpus_news
    from reader.models import ItemWrite
    from reader.sources.seeds import import_seeds
    from reader.store import open_store

    now = datetime(2026, 11, 1, tzinfo=UTC)
    with open_store(db) as store:
        import_seeds(store, PROJECT / "seeds", now=now)
        feed = store.add_feed("https://news.example/rss")
        writes = []
        for n, item in enumerate(corpus_news()[:500]):
            title, _, body = item.text.partition("\n")
            writes.append(
                ItemWrite(f"n{n}", title, None, None, item.date, None, None, body, str(n))
            )
        store.write_items(feed.id, writes, now=now)


def _run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, result.stderr


def imports(stderr: str) -> tuple[float, int]:
    """Total import time (s) and modules imported, from `-X importtime` output."""
    total = count = 0
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            own = line.split(":", 1)[1].split("|")[0].strip()
            if own.isdigit():
                total += int(own)
                count += 1
    return total / 1e6, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    compile_package()
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as folder:
        work = Path(folder)
        db = work / "reader.db"
        build(db)
        (work / "empty.toml").write_text("")
        env = {
            **os.environ,
            "READER_CONFIG": str(work / "empty.toml"),
            "XDG_STATE_HOME": str(work / "state"),
            "PYTHONPATH": str(PROJECT),
        }
        print(f"{'command':<22} {'wall s (median)':>16} {'imports s':>10} {'modules':>8}")
        for command in COMMANDS:
            base = [sys.executable, "-m", "reader", "--db", str(db), *command]
            walls = [_run(base, env, work)[0] for _ in range(args.runs)]
            found = [
                imports(_run([sys.executable, "-X", "importtime", *base[1:]], env, work)[1])
                for _ in range(args.runs)
            ]
            print(
                f"{'reader ' + ' '.join(command):<22} {statistics.median(walls):>16.3f}"
                f" {statistics.median(s for s, _ in found):>10.3f} {found[0][1]:>8}"
            )
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        print(f"{'python -c pass':<22} {time.perf_counter() - started:>16.3f}")


if __name__ == "__main__":
    main()
