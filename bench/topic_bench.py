"""Topic costs as the store grows: storing 1,000 new items, re-scoring after a profile change,
and a full regroup (`reader stories refresh --force`, timed as a whole command), each at several
store sizes, with peak memory.

The stores hold the seeds and items made from the real news of ../shared/corpus (its 1,300
items repeated with their dates spread over two years, about 140 a day, as many feeds of a
busy reader would bring). Each phase runs in its own process; its peak RSS is the process's.

Run from the project folder (`--stores DIR` keeps the built stores for the next run):
    .venv/bin/python -m bench.topic_bench --sizes 1000,10000,100000

`--phases new,rescore,regroup` runs only those phases (a phase not run prints "-"); with
`--before TREE` each round runs them with another checkout's code too (before ours, on its own
copy of the store: a before/after under the same load), and `--rounds N` prints the medians of
N rounds and, with `--before`, ours over the other's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
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
    """Run a phase's process; the JSON result it prints last, plus its peak RSS (MB), wall
    time and CPU time (seconds; CPU of the worker processes it waited for included)."""
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
    result["cpu"] = usage.ru_utime + usage.ru_stime
    return result


def _child(phase: str, db: Path, size: int, tree: Path = PROJECT) -> dict[str, float]:
    """Run one phase in a fresh process with `tree`'s code; its result plus its peak RSS (MB)
    and wall time."""
    command = [sys.executable, "-m", "bench.topic_bench", "--phase", phase, str(db), str(size)]
    return measure_phase(command, tree, {**os.environ, "PYTHONPATH": str(tree)})


def _command(db: Path, *args: str, tree: Path = PROJECT) -> tuple[float, float]:
    """Time a whole `reader` command (from start to exit) with `tree`'s code and its peak RSS
    in MB."""
    env = {
        **os.environ,
        "READER_CONFIG": str(db.parent / "empty.toml"),
        "PYTHONPATH": str(tree),
    }
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


PHASES = ("new", "rescore", "regroup")

Row = dict[str, float]
"""One run's figures: build s; new items' score, refresh, topic s and MB; re-score s and MB;
regroup s and MB (what was not run is absent)."""


def _run(size: int, kept: Path | None, phases: set[str], tree: Path) -> Row:
    """The phases on a fresh copy of the kept store (built first if missing), with `tree`'s
    code."""
    row: Row = {}
    with tempfile.TemporaryDirectory(prefix="topic-bench-") as folder:
        db = Path(folder) / "reader.db"
        started = time.perf_counter()
        if kept is None or not kept.is_file():
            _child("build", db, size, tree)
            if kept is not None:
                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(db, kept)  # whole: closing the store checkpointed its WAL
        else:
            shutil.copyfile(kept, db)
            _child("open", db, size, tree)  # not in the phases' time or peak memory
        row["build"] = time.perf_counter() - started
        if "new" in phases:
            new = _child("new", db, size, tree)
            row.update(
                score=new["score"],
                refresh=new["refresh"],
                topic=new["topic_total"],
                new_mb=new["peak_mb"],
            )
        if "rescore" in phases:
            rescore = _child("rescore", db, size, tree)
            row.update(
                rescore=rescore["seconds"],
                rescore_cpu=rescore["cpu"],
                rescore_mb=rescore["peak_mb"],
            )
        if "regroup" in phases:
            seconds, mb = _command(db, "stories", "refresh", "--force", tree=tree)
            row.update(regroup=seconds, regroup_mb=mb)
    return row


_COLUMNS = (
    ("build", "{:>8.1f}"),
    ("score", "{:>7.3f}"),
    ("refresh", "{:>9.3f}"),
    ("topic", "{:>7.3f}"),
    ("new_mb", "{:>5.0f}"),
    ("rescore", "{:>6.2f}"),
    ("rescore_cpu", "{:>6.2f}"),
    ("rescore_mb", "{:>5.0f}"),
    ("regroup", "{:>6.2f}"),
    ("regroup_mb", "{:>5.0f}"),
)


def _line(label: str, size: int, row: Row) -> str:
    cells = []
    for key, form in _COLUMNS:
        width = len(form.format(0.0))
        cells.append(form.format(row[key]) if key in row else "-".rjust(width))
    build, score, refresh, topic, new_mb, rescore, cpu, rescore_mb, regroup, regroup_mb = cells
    return (
        f"{label:<8} {size:>8} {build} |            {score} {refresh} {topic} {new_mb} |"
        f"         {rescore} {cpu} {rescore_mb} |                         {regroup} {regroup_mb}"
    )


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
    parser.add_argument(
        "--phases", default=",".join(PHASES), help="the phases to run: new, rescore, regroup"
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout whose code runs the same phases in each round, before ours",
    )
    parser.add_argument("--rounds", type=int, default=1, help="rounds; medians are printed")
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
    phases = {p.strip() for p in args.phases.split(",") if p.strip()}
    if not phases <= set(PHASES):
        raise SystemExit(f"--phases: choose among {', '.join(PHASES)}")
    trees = [("ours", PROJECT)]
    if args.before is not None:
        trees.insert(0, ("before", args.before.resolve()))
    for _, tree in trees:
        compile_package(tree)  # as installed: `reader` commands are timed whole
    print(
        f"{'code':<8} {'items':>8} {'build s':>8} | 1,000 new: {'score s':>7} {'refresh s':>9}"
        f" {'topic s':>7} {'MB':>5} | rescore {'s':>6} {'CPU s':>6} {'MB':>5} |"
        f" stories refresh --force {'s':>6} {'MB':>5}",
        flush=True,
    )
    for size in (int(s) for s in args.sizes.split(",")):
        kept = args.stores / f"reader-{size}.db" if args.stores else None
        rows: dict[str, list[Row]] = {label: [] for label, _ in trees}
        for _ in range(args.rounds):
            for label, tree in trees:
                row = _run(size, kept, phases, tree)
                rows[label].append(row)
                print(f"{_line(label, size, row)}   (load {os.getloadavg()[0]:.1f})", flush=True)
        if args.rounds > 1 or args.before is not None:
            medians = {
                label: {k: statistics.median(r[k] for r in found) for k in found[0]}
                for label, found in rows.items()
            }
            for label, row in medians.items():
                print(_line(f"{label} M", size, row), flush=True)
            if args.before is not None:
                before, ours = medians["before"], medians["ours"]
                ratios = ", ".join(
                    f"{key} {ours[key] / before[key]:.2f}"
                    for key in ("topic", "rescore", "rescore_cpu", "regroup")
                    if key in ours and before.get(key)
                )
                print(f"ours / before at {size}: {ratios}", flush=True)


if __name__ == "__main__":
    main()
