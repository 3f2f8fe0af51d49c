"""A full regroup (`reader stories refresh --force`) decides as grouping item by item does: the
same stories (ids, members, centroids) and term counts, on real news, however often it stops
or is killed between checkpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from bench.topic_data import corpus_news
from reader.config import Settings
from reader.models import ItemWrite
from reader.store.base import Store
from reader.topic import refresh as refresh_module
from reader.topic import refresh_topic, regroup_process, story_repair
from reader.topic.refresh import REGROUP_KEY
from reader.topic.regroup_process import KeyingProcesses
from reader.topic.stories import LEAD_CHARS, lead_terms
from reader.topic.story_batch import Batch

from .conftest import needs_corpus

NOW = datetime(2026, 11, 1, tzinfo=UTC)
ITEMS = 360
"""Real news items stored: a few hundred, over many days and sources."""


@cache
def _news() -> list[tuple[str, ItemWrite]]:
    """(source path, item) of the first `ITEMS` real news items, undated ones among them."""
    written: list[tuple[str, ItemWrite]] = []
    for n, item in enumerate(corpus_news()[:ITEMS]):
        title, _, rest = item.text.partition("\n")
        write = ItemWrite(str(n), title, f"http://corpus.invalid/{n}", None, item.date, None,
                          None, rest, str(n))  # fmt: skip
        written.append((item.path, write))
    return written


def _fill(store: Store) -> None:
    by_source: dict[str, list[ItemWrite]] = {}
    for path, write in _news():
        by_source.setdefault(path, []).append(write)
    for path, writes in by_source.items():
        store.write_items(store.add_feed(f"http://corpus.invalid/{path}").id, writes, now=NOW)


def _grouping(store: Store) -> tuple[dict[int, list[str]], object, tuple[int, dict[str, int]]]:
    """Each story's id and members, the stories' centroids, and the stories' term counts."""
    stories = {s.id: sorted(i.identity for i in s.items) for s in store.get_stories(min_sources=1)}
    texts = store.get_texts(max_chars=LEAD_CHARS)
    terms = sorted({term for _, text in texts for term in lead_terms(text)})
    return stories, store.story_centroids(sorted(stories)), store.story_term_counts(terms)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 40 items, a checkpoint every 80: the walk drops days and reads them back."""
    monkeypatch.setattr(refresh_module, "GROUP_BATCH", 40)
    monkeypatch.setattr(refresh_module, "CHECKPOINT_ITEMS", 80)


@needs_corpus
@pytest.mark.usefixtures("small_batches")
def test_a_forced_regroup_makes_the_stories_of_grouping_the_queue_batch_by_batch(
    store: Store,
) -> None:
    _fill(store)
    queued = refresh_topic(store, Settings(), now=NOW)  # every item queued: the same batches
    assert queued.grouped == ITEMS
    by_queue = _grouping(store)
    assert len(by_queue[0]) > 10
    forced = refresh_topic(store, Settings(), force=True, now=NOW)
    assert forced.grouped == ITEMS and store.get_meta(REGROUP_KEY) is None
    assert _grouping(store) == by_queue


@needs_corpus
@pytest.mark.usefixtures("small_batches")
def test_a_forced_regroup_repairs_stories_as_grouping_the_queue_does(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repairs after each batch (`reader/topic/story_repair.py`), made frequent here by
    looser floors, decide alike whether the batch reads the store or the walk's memory."""
    monkeypatch.setattr(story_repair, "APART", 0.25)
    monkeypatch.setattr(story_repair, "REPAIR_CENTROID", 0.2)
    monkeypatch.setattr(story_repair, "REPAIR_LINKS", 1)
    repairs = {"merged": 0, "split": 0}
    merge, split = story_repair.merge_stories, story_repair.parts_apart

    def merged(batch: Batch, first: int, second: int) -> int:
        repairs["merged"] += 1
        return merge(batch, first, second)

    def parts(*args: Any) -> list[list[int]]:
        found = split(*args)
        repairs["split"] += len(found)
        return found

    monkeypatch.setattr(story_repair, "merge_stories", merged)
    monkeypatch.setattr(story_repair, "parts_apart", parts)
    _fill(store)
    refresh_topic(store, Settings(), now=NOW)
    by_queue = _grouping(store)
    assert repairs["merged"] and repairs["split"]
    refresh_topic(store, Settings(), force=True, now=NOW)
    assert _grouping(store) == by_queue


class _Killed(Exception):
    """Stands for the process being killed."""


@needs_corpus
@pytest.mark.usefixtures("small_batches")
def test_a_regroup_killed_between_checkpoints_goes_on_and_counts_no_batch_twice(
    store: Store,
) -> None:
    _fill(store)
    refresh_topic(store, Settings(), now=NOW)
    whole = _grouping(store)
    batches = 0

    def killed_after_the_third_batch() -> bool:
        nonlocal batches
        if store.get_meta(REGROUP_KEY) is None:
            return False  # still re-scoring
        batches += 1
        if batches == 3:  # a batch after the first checkpoint, before the second
            raise _Killed
        return False

    with pytest.raises(_Killed):
        refresh_topic(store, Settings(), force=True, should_stop=killed_after_the_third_batch)
    assert store.get_meta(REGROUP_KEY)  # the first checkpoint's position
    stopped = refresh_topic(store, Settings(), should_stop=lambda: True)  # one more batch
    assert stopped.stopped and stopped.grouped == 40
    rest = refresh_topic(store, Settings())
    assert not rest.stopped and store.get_meta(REGROUP_KEY) is None
    assert 80 + stopped.grouped + rest.grouped == ITEMS
    assert _grouping(store) == whole


@pytest.fixture
def keying_processes(monkeypatch: pytest.MonkeyPatch) -> list[KeyingProcesses]:
    """Every walk of a few items keys in a process of its own; the processes started."""
    started: list[KeyingProcesses] = []
    monkeypatch.setattr(refresh_module, "KEYING_PROCESS_ITEMS", 0)

    class Recorded(KeyingProcesses):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(regroup_process, "KeyingProcesses", Recorded)
    return started


@needs_corpus
@pytest.mark.usefixtures("small_batches")
def test_a_forced_regroup_keyed_in_a_process_of_its_own_makes_the_same_stories(
    store: Store, keying_processes: list[KeyingProcesses]
) -> None:
    _fill(store)
    refresh_topic(store, Settings(), now=NOW)
    by_queue = _grouping(store)
    forced = refresh_topic(store, Settings(), force=True)
    assert len(keying_processes) == 1
    assert forced.grouped == ITEMS and store.get_meta(REGROUP_KEY) is None
    assert _grouping(store) == by_queue


@needs_corpus
@pytest.mark.usefixtures("small_batches")
def test_a_regroup_whose_keying_process_dies_keys_the_rest_itself_with_the_same_stories(
    store: Store, keying_processes: list[KeyingProcesses]
) -> None:
    _fill(store)
    refresh_topic(store, Settings(), now=NOW)
    by_queue = _grouping(store)
    batches = 0

    def kill_the_keying_process_at_the_third_batch() -> bool:
        nonlocal batches
        if keying_processes:
            batches += 1
            if batches == 3:
                keying_processes[0].kill()
        return False

    forced = refresh_topic(
        store,
        Settings(),
        force=True,
        should_stop=kill_the_keying_process_at_the_third_batch,
    )
    assert batches > 3 and forced.grouped == ITEMS and store.get_meta(REGROUP_KEY) is None
    assert _grouping(store) == by_queue
