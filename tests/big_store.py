"""A big SQLite store made quickly, for tests and benchmarks of long jobs.

The schema, the seeds and the feeds go through the store as usual; the items are inserted in
one transaction and indexed with one full-text rebuild (the store's own path indexes as it
writes, which takes minutes for 100,000 items). Texts are word salad over a few thousand
words plus topic words, so scoring and grouping have real work to do.
"""

from __future__ import annotations

import random
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reader.sources.seeds import import_seeds
from reader.store import SQLiteStore

TOPIC_WORDS = ("nato", "alliance", "summit", "defence", "ministers", "eastern", "flank")


def build_big_store(
    path: Path,
    *,
    items: int,
    feeds: int = 200,
    days: float = 120.0,
    words: int = 80,
    read: bool = True,
    seeds_dir: Path | None = None,
    seed: int = 1,
) -> None:
    """A store at `path` with `feeds` feeds and `items` items spread over the last `days` days
    (first seen as long ago as that: old enough for retention), all read if `read`, unscored
    and ungrouped."""
    rng = random.Random(seed)
    vocabulary = [f"w{n}" for n in range(4000)] + list(TOPIC_WORDS)
    now = datetime.now(UTC)
    with SQLiteStore(path) as store:
        if seeds_dir is not None:
            import_seeds(store, seeds_dir)
        source_ids = [store.add_feed(f"https://feed{n}.example.org/rss").id for n in range(feeds)]
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    first_seen = (now - timedelta(days=days)).strftime(stamp)
    rows = []
    for number in range(items):
        when = (now - timedelta(days=days * rng.random())).strftime(stamp)
        title = " ".join(rng.choices(vocabulary, k=8))
        text = " ".join(rng.choices(vocabulary, k=words))
        rows.append(
            (
                source_ids[number % feeds],
                f"big-{number}",
                title,
                when,
                first_seen,
                when,
                text,
                f"h{number}",
                int(read),
            )
        )
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO items (source_id, identity, title, published, first_seen, sort_date,"
            " text, content_hash, read) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute("INSERT INTO items_fts (items_fts) VALUES ('rebuild')")
        conn.execute("COMMIT")
