"""Topic costs as the store grows: storing 1,000 new items, re-scoring after a profile change,
and a full regroup (`reader stories refresh --force`, timed as a whole command), each at several
store sizes, with peak memory.

The stores hold the seeds and items made from the real news of ../shared/corpus (its 1,300
items repeated with their dates spread over two years, about 140 a day, as many feeds of a
busy reader would bring). Each phase runs in its own process; its peak RSS is the process's.

Run from the project folder (`--stores DIR` keeps the built stores for the next run):
    .venv/bin/python -m bench.topic_bench --sizes 1000,10000,100000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.fetch_bench import compile_package
from bench.topic_data import corpus_news

PROJECT = Path(__file__).resolve().parents[1]
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_DAYS = 730
FEEDS = 300
NEW_ITEMS = 1000


def _items(first: int, count: int, total: int) -> list[tuple[int, str, datetime]]:
    """(feed number, text, date) of items `first .. first+count-1` of a store of `total`."""
    news = [item.text for item in corpus_news()]
    if not news:
        raise SystemExit("the corpus is missing: these stores are made of its real news")
    made = []
    for n in range(first, first + count):
        when = START + timedelta(days=SPAN_DAYS * n / max(total, 1), minutes=n % 997)
        made.append((n % FEEDS, news[n % len(news)], when))
    return made


def build(db: Path, size: int) -> None:
    """A store with the seeds and `size` items, topic queues worked (the state users have)."""
    from reader.config import Settings
    from reader.models import FeedUpdate, FeedWrite, ItemWrite
    from reader.sources.seeds import import_seeds
    from reader.store import open_store
    from reader.topic import refresh_topic

    with open_store(db) as store:
        import_seeds(store, PROJECT / "seeds", now=START)
        feeds = [store.add_feed(f"https://feed{n}.example/rss") for n in range(FEEDS)]
        _write(store, feeds, _items(0, size, size), FeedUpdate, FeedWrite, ItemWrite)
        refresh_topic(store, Settings())


def _write(store, feeds, items, FeedUpdate, FeedWrite, ItemWrite) -> None:  # type: ignore[no-untyped-def]
    by_feed: dict[int, list[object]] = {}
    for n, (feed, text, when) in enumerate(items):
        title, _, body = text.partition("\n")
        by_feed.setdefault(feed, []).append(
            ItemWrite(
                identity=f"{when.isoformat()}-{n}",
                title=title,
                link=None,
                author=None,
                published=when,
                updated=None,
                content_html=None,
                text=body,
                content_hash=str(n),
            )
        )
    writes = [
        FeedWrite(feeds[f].id, feeds[f].url, tuple(batch), FeedUpdate(checked=START))  # type: ignore[arg-type]
        for f, batch in by_feed.items()
    ]
    for start in range(0, len(writes), 20):
        store.write_feeds(writes[start : start + 20])


def phase_new_items(db: Path, size: int) -> dict[str, float]:
    """Store 1,000 new items as an update does (scored on arrival), then the topic step."""
    from reader.config import Settings
    from reader.models import FeedUpdate, FeedWrite, ItemWrite
    from reader.store import open_store
    from reader.topic import TopicScorer, refresh_topic
    from reader.update.pipeline import apply_scores

    with open_store(db) as store:
        feeds = [f for f in store.get_feeds()]
        settings = Settings()
        scorer = TopicScorer(store, settings)
        items = _items(size, NEW_ITEMS, size)
        started = time.perf_counter()
        scorer(["warm"])  # loading the stored profile: once per process
        load = time.perf_counter() - started
        by_feed: dict[int, list[ItemWrite]] = {}
        for n, (feed, text, when) in enumerate(items):
            title, _, body = text.partition("\n")
            by_feed.setdefault(feed, []).append(
                ItemWrite(f"new-{n}", title, None, None, when, None, None, body, f"new{n}")
            )
        started = time.perf_counter()
        scored = {f: apply_scores(batch, scorer) for f, batch in by_feed.items()}
        score = time.perf_counter() - started
        store.write_feeds(
            [
                FeedWrite(feeds[f].id, feeds[f].url, tuple(batch), FeedUpdate(checked=START))
                for f, batch in scored.items()
            ]
        )
        started = time.perf_counter()
        report = refresh_topic(store, settings)
        refresh = time.perf_counter() - started
    return {
        "load": load,
        "score": score,
        "refresh": refresh,
        "grouped": report.grouped,
        "topic_total": load + score + refresh,
    }


def phase_rescore(db: Path) -> dict[str, float]:
    """A `[topic]` change: the profile is rebuilt and every item re-scored, in batches."""
    from reader.config import Settings, TopicSettings
    from reader.store import open_store
    from reader.topic import refresh_topic

    with open_store(db) as store:
        started = time.perf_counter()
        report = refresh_topic(store, Settings(topic=TopicSettings(keywords=("Indo-Pacific",))))
        return {"seconds": time.perf_counter() - started, "scored": report.scored}


def measure_phase(
    command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> dict[str, float]:
    """Run a phase's process; the JSON result it prints last, plus its peak RSS (MB) and wall
    time (seconds)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command[-4:])} failed")
    result: dict[str, float] = json.loads(output.splitlines()[-1])
    result["wall"] = time.perf_counter() - started
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def _child(phase: str, db: Path, size: int) -> dict[str, float]:
    """Run one phase in a fresh process; its result plus its peak RSS (MB) and wall time."""
    command = [sys.executable, "-m", "bench.topic_bench", "--phase", phase, str(db), str(size)]
    return measure_phase(command, PROJECT)


def _command(db: Path, *args: str) -> tuple[float, float]:
    """Time a whole `reader` command (from start to exit) and its peak RSS in MB."""
    env = {**os.environ, "READER_CONFIG": str(db.parent / "empty.toml")}
    (db.parent / "empty.toml").write_text("")
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "reader", "--db", str(db), *args],
        cwd=db.parent,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"reader {' '.join(args)} failed")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument(
        "--stores",
        type=Path,
        help="keep the built stores in this folder (reader-SIZE.db) and start from a copy of"
        " them when they are there: building 100,000 items takes minutes and is not measured"
        " (a copy is opened once first, so a store of an older schema migrates outside the"
        " phases)",
    )
    parser.add_argument("--phase", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase, db, size = args.phase[0], Path(args.phase[1]), int(args.phase[2])
        if phase == "build":
            build(db, size)
            print(json.dumps({}))
        elif phase == "open":
            from reader.store import open_store

            open_store(db).close()  # a kept store built by an older schema migrates here
            print(json.dumps({}))
        elif phase == "new":
            print(json.dumps(phase_new_items(db, size)))
        elif phase == "rescore":
            print(json.dumps(phase_rescore(db)))
        return
    compile_package()  # as installed: `reader` commands are timed whole
    print(
        f"{'items':>8} {'build s':>8} | 1,000 new: {'score s':>7} {'refresh s':>9}"
        f" {'topic s':>7} {'MB':>5} | rescore {'s':>6} {'MB':>5} |"
        f" stories refresh --force {'s':>6} {'MB':>5}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="topic-bench-") as folder:
            db = Path(folder) / "reader.db"
            kept = args.stores / f"reader-{size}.db" if args.stores else None
            started = time.perf_counter()
            if kept is None or not kept.is_file():
                _child("build", db, size)
                if kept is not None:
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(db, kept)  # whole: closing the store checkpointed its WAL
            else:
                shutil.copyfile(kept, db)
                _child("open", db, size)  # not in the phases' time or peak memory
            built = time.perf_counter() - started
            new = _child("new", db, size)
            rescore = _child("rescore", db, size)
            force_seconds, force_mb = _command(db, "stories", "refresh", "--force")
            print(
                f"{size:>8} {built:>8.1f} |            {new['score']:>7.3f} {new['refresh']:>9.3f}"
                f" {new['topic_total']:>7.3f} {new['peak_mb']:>5.0f} |"
                f"         {rescore['seconds']:>6.2f} {rescore['peak_mb']:>5.0f} |"
                f"                         {force_seconds:>6.2f} {force_mb:>5.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
