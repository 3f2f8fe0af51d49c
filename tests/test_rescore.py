"""Re-scoring a store after the profile changed: a long walk is scored in worker processes that
read the store themselves (both backends) and ends exactly where the in-process walk ends (same
scores, same terms), stops between batches and goes on where it stopped, survives its workers,
and leaves no process behind; the store reads a walk's batch by id, writes a score only where
it changed, and a bulk block of writes keeps them and leaves no setting behind."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.topic_quality import load_seeds
from reader.config import Settings, TopicSettings
from reader.models import ItemWrite
from reader.sources.seeds import import_seeds
from reader.store import SQLiteStore, open_store
from reader.store.base import Store
from reader.topic import refresh as refresh_module
from reader.topic import refresh_topic
from reader.topic.pool import ScoringPool
from reader.topic.refresh import RESCORE_KEY

from .conftest import SEEDS_DIR

NOW = datetime(2024, 7, 12, 12, 0, tzinfo=UTC)
CHANGED = Settings(topic=TopicSettings(keywords=("Indo-Pacific",)))


def paragraphs() -> list[str]:
    """The seed articles' paragraphs: real news prose, on the topic and off it."""
    found = [p for _, text in load_seeds() for p in text.split("\n\n") if len(p.split()) > 5]
    assert len(found) > 20
    return found


def filled(location: Path | str) -> Store:
    """A store with the seeds and one item per seed paragraph, scored with the seeds' topic."""
    store = open_store(location)
    import_seeds(store, SEEDS_DIR, now=NOW)
    feed = store.add_feed("https://a.example/feed")
    items = [
        ItemWrite(str(n), text[:60], None, None, NOW, None, None, text, str(n))
        for n, text in enumerate(paragraphs())
    ]
    store.write_items(feed.id, items, now=NOW)
    refresh_topic(store, Settings())
    return store


def scores(store: Store) -> list[tuple[int, float | None, tuple[str, ...]]]:
    return [(i.id, i.score, i.score_terms) for i in store.get_items()]


@pytest.fixture
def caller_reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The ranges a pooled walk's caller read itself (those its workers did not score)."""
    read: list[tuple[int, int]] = []
    original = refresh_module._read_range

    def spied(store: Store, after: int, through: int) -> list[tuple[int, str]]:
        read.append((after, through))
        return original(store, after, through)

    monkeypatch.setattr(refresh_module, "_read_range", spied)
    return read


@pytest.fixture
def pooled(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, ...]]]:
    """Every walk of more than a few items goes to the pool, in small batches; yields the
    worker pids of each pool used."""
    monkeypatch.setattr(refresh_module, "SCORE_BATCH", 3)
    monkeypatch.setattr(refresh_module, "POOL_ITEMS", 4)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    used: list[tuple[int, ...]] = []
    score = ScoringPool.score

    def spied(self: ScoringPool, ranges: object) -> object:
        used.append(self.worker_pids)
        return score(self, ranges)  # type: ignore[arg-type]

    monkeypatch.setattr(ScoringPool, "score", spied)
    yield used


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_long_walk_scores_in_workers_exactly_as_in_process(
    tmp_path: Path, pooled: list[tuple[int, ...]], caller_reads: list[tuple[int, int]]
) -> None:
    expected_store = filled(tmp_path / "in-process.db")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(refresh_module, "POOL_ITEMS", 10**9)
        in_process = refresh_topic(expected_store, CHANGED)
    store = filled(tmp_path / "pooled.db")
    assert scores(store) != scores(expected_store)  # the keyword changed the scores
    report = refresh_topic(store, CHANGED)
    assert report.rebuilt and report.scored == in_process.scored == store.count_items()
    assert scores(store) == scores(expected_store)
    assert store.get_meta(RESCORE_KEY) is None
    assert pooled[-1] and all(len(pids) == 2 and all(map(gone, pids)) for pids in pooled)
    assert caller_reads == []  # the workers read every batch themselves


def test_workers_open_the_store_themselves_on_both_backends(
    store_location: Path | str,
    pooled: list[tuple[int, ...]],
    caller_reads: list[tuple[int, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = filled(store_location)
    try:
        report = refresh_topic(store, CHANGED)
        by_workers = scores(store)
        assert report.scored == store.count_items() and len(pooled[-1]) == 2
        assert caller_reads == []
        # The same walk again in this process must find nothing to change.
        store.set_meta(RESCORE_KEY, "0")
        monkeypatch.setattr(refresh_module, "POOL_ITEMS", 10**9)
        refresh_topic(store, CHANGED)
        assert scores(store) == by_workers
    finally:
        store.close()


def test_a_stopped_pooled_walk_goes_on_where_it_stopped(
    tmp_path: Path, pooled: list[tuple[int, ...]]
) -> None:
    expected_store = filled(tmp_path / "in-process.db")
    refresh_topic(expected_store, CHANGED)
    store = filled(tmp_path / "pooled.db")
    asked = 0

    def stop_at_second_ask() -> bool:
        nonlocal asked
        asked += 1
        return asked >= 2

    first = refresh_topic(store, CHANGED, should_stop=stop_at_second_ask)
    assert first.stopped and first.rescore_left and first.scored == 2 * 3
    assert store.get_meta(RESCORE_KEY) == str(store.item_ids_after(0, limit=6)[-1])
    assert all(gone(pid) for pid in pooled[-1])
    rest = refresh_topic(store, CHANGED)
    assert not rest.rebuilt and rest.scored == store.count_items() - 6 and not rest.stopped
    assert scores(store) == scores(expected_store)


def test_batches_of_a_worker_that_dies_are_scored_by_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caller_reads: list[tuple[int, int]]
) -> None:
    expected_store = filled(tmp_path / "in-process.db")
    refresh_topic(expected_store, CHANGED)
    store = filled(tmp_path / "pooled.db")
    monkeypatch.setattr(refresh_module, "SCORE_BATCH", 3)
    monkeypatch.setattr(refresh_module, "POOL_ITEMS", 4)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    killed: list[int] = []
    score = ScoringPool.score

    def killing_one(self: ScoringPool, ranges: object) -> object:
        victim = self.worker_pids[0]
        os.kill(victim, 9)
        killed.append(victim)
        return score(self, ranges)  # type: ignore[arg-type]

    monkeypatch.setattr(ScoringPool, "score", killing_one)
    report = refresh_topic(store, CHANGED)
    assert killed and not report.stopped and report.scored == store.count_items()
    assert caller_reads  # what the killed worker held
    assert scores(store) == scores(expected_store)


def test_a_score_is_written_where_it_or_its_terms_changed(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    store.write_items(
        feed.id, [ItemWrite(n, n, None, None, NOW, None, None, n, n) for n in "abc"], now=NOW
    )
    a, b, c = (i.id for i in sorted(store.get_items(), key=lambda i: i.title or ""))
    store.set_scores({a: (0.5, ["nato"]), b: (0.0, [])})
    store.set_scores({a: (0.5, ["japan"]), b: (0.0, []), c: (0.0, [])})
    found = {i.id: (i.score, i.score_terms) for i in store.get_items()}
    assert found == {a: (0.5, ("japan",)), b: (0.0, ()), c: (0.0, ())}
    store.set_scores({a: (0.5, [])})
    assert store.get_item(a).score_terms == ()


def test_texts_after_reads_a_batch_by_id_up_to_its_end(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    store.write_items(
        feed.id,
        [ItemWrite(n, f"title {n}", None, None, NOW, None, None, f"body {n}", n) for n in "abcde"],
        now=NOW,
    )
    ids = store.item_ids_after(0, limit=10)
    texts = dict(store.get_texts(ids=ids, max_chars=9))
    assert store.texts_after(ids[0], limit=10, max_chars=9) == [(i, texts[i]) for i in ids[1:]]
    assert store.texts_after(ids[0], limit=2, max_chars=9) == [(i, texts[i]) for i in ids[1:3]]
    assert store.texts_after(ids[0], limit=10, max_chars=9, through=ids[3]) == [
        (i, texts[i]) for i in ids[1:4]
    ]
    assert store.texts_after(ids[-1], limit=10, max_chars=9) == []


def test_writes_inside_a_bulk_block_are_kept_and_the_block_leaves_no_setting_behind(
    store: Store,
) -> None:
    feed = store.add_feed("https://a.example/feed")
    store.write_items(
        feed.id, [ItemWrite(n, n, None, None, NOW, None, None, n, n) for n in "ab"], now=NOW
    )
    a, b = store.item_ids_after(0, limit=2)
    settings = _sqlite_settings(store)
    with store.bulk_writes():
        store.set_scores({a: (0.25, ["nato"]), b: (0.5, ["japan"])})
        store.set_meta(RESCORE_KEY, str(b))
    assert _sqlite_settings(store) == settings
    found = {i.id: (i.score, i.score_terms) for i in store.get_items()}
    assert found == {a: (0.25, ("nato",)), b: (0.5, ("japan",))}
    assert store.get_meta(RESCORE_KEY) == str(b)


def _sqlite_settings(store: Store) -> tuple[int, int] | None:
    """The SQLite connection's page cache and checkpoint threshold (None on PostgreSQL)."""
    if not isinstance(store, SQLiteStore):
        return None
    conn = store._db.conn
    return (
        int(conn.execute("PRAGMA cache_size").fetchone()[0]),
        int(conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]),
    )
