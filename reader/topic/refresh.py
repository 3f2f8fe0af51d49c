"""Keeping a store's topic data current: term statistics, the profile, scores and stories.

The store keeps the work as queues, so any process (daemon, CLI, reader) can do it and the
cost follows what changed, never the store's size:

- items without a score wait in the scoring queue (the updater scores most items as it stores
  them; what it could not, such as items stored before there were seeds, waits here);
- items not yet grouped wait in the story queue (every new row starts there);
- after the profile changes (new seeds, new `[topic]` settings), every item is re-scored once,
  walking the item ids in batches; the walk's position is kept in the store, so a stopped walk
  goes on where it stopped, in any process;
- a full regroup (`force`) walks every item in date order the same way (`REGROUP_KEY`): the
  items are not queued again, which would write every row twice, and what its batches read
  (the index of the walk's days, stories, term counts) is held in memory and written with the
  walk's position at checkpoints (`reader.topic.regroup`).

`refresh_topic` works the queues; `force` relearns the statistics, rebuilds the profile,
re-scores everything and regroups every item. Long loops call `should_stop` between batches.
The built profile and the term statistics are kept in the store (`MODEL_KEY`, `STATS_KEY`), so
a process that only scores loads them instead of reading a sample of the store.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from reader.config import Settings
from reader.exceptions import ConfigError
from reader.models import ItemFilter, StoryChanges, StoryLead
from reader.store.base import Store
from reader.topic.profile import (
    MIN_BACKGROUND,
    Idf,
    TopicModel,
    UnmatchablePhraseError,
    fingerprint_of,
)
from reader.topic.regroup import CHECKPOINT_ITEMS, RegroupStories
from reader.topic.regroup_keys import KeyedBatch, RegroupIndex, RegroupTerms, keyed_batches
from reader.topic.stories import LEAD_CHARS, group_batch, lead_terms, place_batch
from reader.topic.text import WORD_LIMIT

if TYPE_CHECKING:
    from reader.topic.regroup_process import KeyingProcesses

FINGERPRINT_KEY = "topic.fingerprint"
"""Store meta key: the fingerprint of the profile new items are scored with."""

MODEL_KEY = "topic.model"
"""Store meta key: the built profile (JSON), so other processes need not rebuild it."""

STATS_KEY = "topic.stats"
"""Store meta key: the term statistics of the sample the profile was built from, and its size
(a profile built from too few items is built again once the store has enough). Stories keep
their own statistics as they group (the store's `story_term_counts`)."""

RESCORE_KEY = "topic.rescore_after"
"""Store meta key: the re-scoring walk's position (an item id); absent when no walk is due."""

STORIES_LOCK = "topic-stories"
"""The database-wide lock (`Store.exclusive`) held while grouping stories."""

REGROUP_KEY = "topic.regroup_after"
"""Store meta key: a full regroup's position in the date order (opaque, from the store; empty
before the first item); absent when no regroup is due."""

SCORE_BATCH = 500
"""Items read, scored and written per transaction."""

RESCORE_WRITE = 5000
"""A re-scoring walk writes its scores this many at a time (and when asked to stop): rows
hold the items' texts, and in a big store one write of 5,000 costs half the CPU and time of
ten writes of 500 (fewer WAL checkpoints)."""

POOL_ITEMS = 20_000
"""A re-scoring walk with this many items to go is scored in worker processes (one per CPU):
below it, starting them (an interpreter each, about 0.3 s) would cost more than it saves."""

GROUP_BATCH = 500
"""Items grouped per batch (one index look-up and one transaction each)."""

KEYING_PROCESS_ITEMS = 5000
"""A full regroup of a store with this many items keys its batches in a process of its own
(`reader.topic.regroup_process`), ahead of the placing: below it, starting one (an
interpreter, about 0.3 s) would cost more than it saves."""

SAMPLE_ITEMS = 2000
"""Newest items the term statistics and the profile's feedback are learned from."""

SAMPLE_CHARS = WORD_LIMIT * 8
"""Characters read of each sample item."""

Stop = Callable[[], bool]
"""Asked between batches; True ends the job early (what is done stays done)."""


def _never() -> bool:
    return False


@dataclass(frozen=True)
class RefreshReport:
    """What one `refresh_topic` did, for logs and `reader` output."""

    fingerprint: str | None
    """The profile's fingerprint; None when there are no seeds and no keywords."""
    rebuilt: bool
    """True when the profile was (re)built from the seeds, settings and statistics."""
    scored: int
    """Items (re)scored."""
    stories: int
    """Stories touched: made, joined or merged (all stories with `force`)."""
    storied_items: int
    """Items that joined a story."""
    grouped: int
    """Items taken from the story queue and placed (in a story or alone)."""
    score_seconds: float
    """Time spent on the profile and on reading, scoring and writing scores."""
    group_seconds: float
    """Time spent grouping items into stories and writing them."""
    rescore_left: bool = False
    """True when a re-scoring walk is left to do: stopped before its end, or not walked
    (`walks=False`); it goes on in the next refresh that walks."""
    regroup_left: bool = False
    """True when a full regroup is left to do (likewise); the story queue waits for it."""
    busy: bool = False
    """True when another process was grouping stories, so this refresh grouped none (the
    queue is that process's, or the next refresh's)."""
    stopped: bool = False
    """True when `should_stop` ended the refresh early."""


def due_walks(store: Store) -> tuple[str, ...]:
    """The whole-store walks waiting for a refresh that walks (the daemon's, `reader stories
    refresh`): "re-scoring" after the profile changed, "regrouping" after `--force`."""
    due = (("re-scoring", RESCORE_KEY), ("regrouping", REGROUP_KEY))
    return tuple(name for name, key in due if store.get_meta(key) is not None)


def seed_texts(store: Store) -> list[str]:
    """The texts (title, summary, body) of the seeds in the store, in id order."""
    seeds = store.seeds_source()
    ids = [item.id for item in store.get_items(ItemFilter(source_id=seeds.id))]
    return [text for _, text in store.get_texts(ids=ids)] if ids else []


def _has_topic(texts: Sequence[str], settings: Settings) -> bool:
    return any(t.strip() for t in texts) or any(k.strip() for k in settings.topic.keywords)


def _build(texts: Sequence[str], settings: Settings, sample: Sequence[str]) -> TopicModel:
    try:
        return TopicModel.build(texts, settings.topic, sample)
    except UnmatchablePhraseError as exc:
        message = f"{exc.phrase!r} has no word that can match (only stop words or punctuation)"
        raise ConfigError(settings.source or "settings", message, key=exc.setting) from None


def _stored_model(store: Store) -> TopicModel | None:
    document = store.get_meta(MODEL_KEY)
    return TopicModel.from_json(document) if document else None


def _stored_stats(store: Store) -> tuple[Idf, int] | None:
    document = store.get_meta(STATS_KEY)
    if not document:
        return None
    try:
        data = json.loads(document)
        table = {str(t): float(v) for t, v in data["idf"].items()}
        return Idf(table, float(data["unseen"]), int(data["items"])), int(data["items"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _learn_stats(store: Store, sample: Sequence[str]) -> Idf:
    """Term statistics of the sample's leads (what stories compare), saved in the store."""
    idf = Idf.learn((lead_terms(t) for t in sample), minimum=1)
    document = {"idf": idf.table, "unseen": idf.unseen, "items": len(sample)}
    store.set_meta(STATS_KEY, json.dumps(document, ensure_ascii=False, separators=(",", ":")))
    return idf


def _needs_relearning(stats: tuple[Idf, int] | None, store: Store) -> bool:
    """No statistics yet, or learned from a handful of items while the store now has enough."""
    if stats is None:
        return True
    return stats[1] < MIN_BACKGROUND and store.count_items() >= MIN_BACKGROUND


def prepare_topic(
    store: Store, settings: Settings, *, rebuild: bool = False
) -> tuple[TopicModel | None, Idf, bool]:
    """The current profile and term statistics, (re)built when needed.

    Rebuilt when the seeds or `[topic]` settings changed, when the statistics were learned
    from too few items to trust, or with `rebuild`. A rebuilt profile starts a re-scoring walk.
    Returns (profile or None without seeds and keywords, statistics, whether it rebuilt).
    """
    texts = seed_texts(store)
    fingerprint = fingerprint_of(texts, settings.topic) if _has_topic(texts, settings) else None
    stats = _stored_stats(store)
    model = _stored_model(store)
    current = fingerprint is None or (model is not None and model.fingerprint == fingerprint)
    if not rebuild and current and stats is not None and not _needs_relearning(stats, store):
        return (model if fingerprint is not None else None), stats[0], False
    sample = store.sample_texts(limit=SAMPLE_ITEMS, max_chars=SAMPLE_CHARS)
    idf = _learn_stats(store, sample)
    if fingerprint is None:
        store.set_meta(MODEL_KEY, None)
        store.set_meta(FINGERPRINT_KEY, None)
        return None, idf, False
    model = _build(texts, settings, sample)
    store.set_meta(MODEL_KEY, model.to_json())
    store.set_meta(RESCORE_KEY, "0")
    store.set_meta(FINGERPRINT_KEY, model.fingerprint)
    return model, idf, True


def load_topic(store: Store, settings: Settings) -> TopicModel | None:
    """The topic model for the seeds in the store and the `[topic]` settings.

    None when there is nothing to build from: no seeds and no keywords. A keyword or exclude
    phrase that can never match is a `ConfigError`.
    """
    return prepare_topic(store, settings)[0]


class TopicScorer:
    """The updater's scorer: the store's current topic model, reloaded when the profile changes.

    Loads nothing until it is first asked to score (an update with nothing new never reads the
    profile). Each call reads one meta value; when the fingerprint there changed (new seeds,
    new keywords, even from another process), the model is loaded again. With no seeds and no
    keywords every text scores 0.0.
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self.model: TopicModel | None = None
        """The model in use (None until first used, or while there is no topic)."""
        self._seen: str | None = None
        self._loaded = False

    def __call__(self, texts: Sequence[str]) -> list[tuple[float, tuple[str, ...]]]:
        """Score texts (fits `reader.update.Scorer`); call it where the store may be used."""
        stored = self._store.get_meta(FINGERPRINT_KEY)
        if not self._loaded or stored != self._seen:
            self.model = load_topic(self._store, self._settings)
            self._seen = self._store.get_meta(FINGERPRINT_KEY)
            self._loaded = True
        if self.model is None:
            return [(0.0, ()) for _ in texts]
        return self.model.score(texts)


def _score(store: Store, model: TopicModel, ids: Sequence[int]) -> int:
    pairs = store.get_texts(ids=ids, max_chars=SAMPLE_CHARS)
    results = model.score([text for _, text in pairs])
    store.set_scores({item_id: r for (item_id, _), r in zip(pairs, results, strict=True)})
    return len(pairs)


def _score_queue(store: Store, model: TopicModel, should_stop: Stop) -> tuple[int, bool]:
    """Score the items nobody scored yet; (how many, stopped early)."""
    scored = 0
    while ids := store.unscored_item_ids(limit=SCORE_BATCH):
        scored += _score(store, model, ids)
        if should_stop():
            return scored, True
    return scored, False


def _rescore_ranges(store: Store, after: int) -> Iterator[tuple[int, int]]:
    """The walk's batches from `after` on, as ranges of item ids (above, up to): what the
    workers read."""
    while ids := store.item_ids_after(after, limit=RESCORE_WRITE):
        for start in range(0, len(ids), SCORE_BATCH):
            last = ids[min(start + SCORE_BATCH, len(ids)) - 1]
            yield after, last
            after = last


def _read_range(store: Store, after: int, through: int) -> list[tuple[int, str]]:
    return store.texts_after(after, limit=through - after, max_chars=SAMPLE_CHARS, through=through)


_Scored = tuple[int, list[int], list[tuple[float, tuple[str, ...]]]]
"""A walk's scored batch: the position after it, its item ids and their scores."""


def _scored_in_process(store: Store, model: TopicModel, after: int) -> Iterator[_Scored]:
    """The walk's batches from `after` on, read and scored here."""
    while pairs := store.texts_after(after, limit=SCORE_BATCH, max_chars=SAMPLE_CHARS):
        after = pairs[-1][0]
        yield after, [item_id for item_id, _ in pairs], model.score([t for _, t in pairs])


def _rescore_walk(store: Store, model: TopicModel, should_stop: Stop) -> tuple[int, bool]:
    """Go on with a due re-scoring walk; (how many, stopped before its end).

    A long walk (`POOL_ITEMS` or more to go) is read and scored in worker processes, one per
    CPU, started for it: this process writes meanwhile."""
    position = store.get_meta(RESCORE_KEY)
    if position is None:
        return 0, False
    after = int(position) if position.isdigit() else 0
    scored = 0
    with contextlib.ExitStack() as stack:
        stack.enter_context(store.bulk_writes())
        results: Iterator[_Scored]
        workers = os.cpu_count() or 1
        location = store.shared_location()
        if (
            workers > 1
            and location is not None
            and len(store.item_ids_after(after, limit=POOL_ITEMS)) == POOL_ITEMS
        ):
            from reader.topic.pool import ScoringPool  # only long walks start processes

            pool = stack.enter_context(
                ScoringPool(
                    model,
                    workers,
                    location,
                    SAMPLE_CHARS,
                    lambda first, last: _read_range(store, first, last),
                )
            )
            results = (
                (span[1], ids, scores)
                for span, ids, scores in pool.score(_rescore_ranges(store, after))
            )
        else:
            results = _scored_in_process(store, model, after)
        unwritten: dict[int, tuple[float, tuple[str, ...]]] = {}
        for last, ids, scores in results:
            unwritten.update(zip(ids, scores, strict=True))
            stop = should_stop()
            if stop or len(unwritten) >= RESCORE_WRITE:
                _write_scores(store, unwritten, last)
                scored += len(unwritten)
                unwritten = {}
            if stop:
                return scored, True
        if unwritten:
            _write_scores(store, unwritten, last)
            scored += len(unwritten)
    store.set_meta(RESCORE_KEY, None)
    return scored, False


def _write_scores(
    store: Store, scores: dict[int, tuple[float, tuple[str, ...]]], last: int
) -> None:
    store.set_scores(scores)
    store.set_meta(RESCORE_KEY, str(last))


@dataclass
class _Grouped:
    """What grouping batches did so far."""

    items: int = 0
    storied: int = 0
    touched: set[int] = field(default_factory=set)


def decide_batch(store: Store, story_days: int, leads: Sequence[StoryLead]) -> StoryChanges:
    """What grouping one batch of items (in date order) decides, against the store's index.

    The batch is weighed with the term counts of every item grouped before it and its own
    (kept by the store as it groups), as one pass over all of them would be."""
    return group_batch(
        leads,
        store.story_term_counts,
        story_days,
        lambda keys, days, floor: store.story_candidates(keys, story_days=days, floor=floor),
        store.story_centroids,
    )


def _group(store: Store, story_days: int, leads: list[StoryLead], done: _Grouped) -> None:
    """Group one batch of items (in date order) and write what it decided."""
    changes = decide_batch(store, story_days, leads)
    _count(done, leads, changes, store.apply_story_changes(changes))


def _count(
    done: _Grouped, leads: list[StoryLead], changes: StoryChanges, created: dict[int, int]
) -> None:
    done.items += len(leads)
    done.storied += len(changes.joins) + sum(len(ids) for _, ids, _ in changes.new_stories)
    done.touched.update(story for _, story in changes.joins)
    done.touched.update(kept for kept, _ in changes.merges)
    done.touched.update(created.values())


def _regroup_walk(store: Store, story_days: int, should_stop: Stop, done: _Grouped) -> bool:
    """Go on with a due full regroup: every item in date order, in batches, keyed ahead
    (`RegroupTerms`, `RegroupIndex`: in processes of their own for a long walk from the start,
    when the store's location is known) and placed with the stories of the walk's days in memory
    (`RegroupStories`); what the batches decided and the walk's position are written together
    at checkpoints. True when stopped before its end."""
    position = store.get_meta(REGROUP_KEY)
    if position is None:
        return False
    cleared = not position
    after = position or None
    with contextlib.ExitStack() as stack:
        process: KeyingProcesses | None = None
        location = store.shared_location()
        if cleared and location and store.count_items() >= KEYING_PROCESS_ITEMS:
            from reader.topic.regroup_process import KeyingProcesses

            with contextlib.suppress(OSError):  # it starts while the stories are cleared
                process = stack.enter_context(
                    KeyingProcesses(
                        location,
                        story_days=story_days,
                        after=after,
                        limit=GROUP_BATCH,
                        max_chars=LEAD_CHARS,
                    )
                )
        if cleared:  # from the start (again, if stopped before its first checkpoint)
            store.reset_stories()
        stories = RegroupStories(store, cleared=cleared)
        index = RegroupIndex(store, cleared=cleared, story_days=story_days)
        if process is not None:
            batches: Iterator[KeyedBatch] = process.batches()
        else:
            batches = _keyed_here(store, index, after, cleared=cleared)
        while True:
            try:
                batch = next(batches, None)
            except (EOFError, OSError):
                # The keying process failed: what was placed is written, the rest keyed here.
                assert process is not None
                process.close()
                process = None
                stories.checkpoint([(REGROUP_KEY, after or "")], keep_from=0)
                index = RegroupIndex(store, cleared=False, story_days=story_days)
                batches = _keyed_here(store, index, after, cleared=False)
                continue
            if batch is None:
                break
            leads = batch.leads
            changes = place_batch(
                leads, batch.keyed, stories.candidates(batch), story_days, stories.centroids
            )
            _count(done, leads, changes, stories.apply(changes, batch))
            after = batch.last
            stop = should_stop()
            if stop or stories.pending >= CHECKPOINT_ITEMS:
                # The days a later batch may still read: its items are dated about as these.
                keep_from = min(lead.day for lead in leads) - story_days
                stories.checkpoint([(REGROUP_KEY, after or "")], keep_from=keep_from)
                if process is not None:
                    process.written(keep_from)
                else:
                    index.written(index.batches, keep_from)
            if stop:
                return True
        stories.checkpoint([(REGROUP_KEY, None)], keep_from=0)
    return False


def _keyed_here(
    store: Store, index: RegroupIndex, after: str | None, *, cleared: bool
) -> Iterator[KeyedBatch]:
    """The walk's batches from `after` on, keyed in this process (into `index`)."""
    terms = RegroupTerms(store, cleared=cleared)
    return keyed_batches(store, terms, index, after, limit=GROUP_BATCH, max_chars=LEAD_CHARS)


def _group_queue(store: Store, story_days: int, should_stop: Stop, done: _Grouped) -> bool:
    """Group the items waiting for it; True when stopped early."""
    while leads := store.ungrouped_leads(limit=GROUP_BATCH, max_chars=LEAD_CHARS):
        _group(store, story_days, leads, done)
        if should_stop():
            return True
    return False


def refresh_topic(
    store: Store,
    settings: Settings,
    *,
    force: bool = False,
    now: datetime | None = None,
    should_stop: Stop | None = None,
    walks: bool = True,
) -> RefreshReport:
    """Bring scores and stories up to date with the seeds, the settings and the items.

    Scores what is unscored, goes on with a re-scoring walk if the profile changed, and groups
    what waits to be grouped: the cost follows the new items. With `force`, relearns the
    statistics, rebuilds the profile, re-scores every item and regroups every item (in date
    order). `should_stop` is asked between batches. With `walks=False` (after an update, at
    start-up) only the queues are worked and a due walk is left to the next refresh that
    walks (the daemon's, `reader stories refresh`): what users wait for never includes a
    whole-store pass. (`now` is accepted for callers that pass a clock; grouping goes by the
    items' own dates.)
    """
    del now
    stop = should_stop or _never
    walks = walks or force
    started = time.perf_counter()
    model, _, rebuilt = prepare_topic(store, settings, rebuild=force)
    scored = 0
    stopped = rescore_left = False
    if model is not None:
        if walks:
            # The walk first: it also scores whatever is unscored below its end.
            scored, rescore_left = _rescore_walk(store, model, stop)
            stopped = rescore_left
        else:
            rescore_left = store.get_meta(RESCORE_KEY) is not None
        if not stopped:
            queued, stopped = _score_queue(store, model, stop)
            scored += queued
    score_seconds = time.perf_counter() - started

    started = time.perf_counter()
    done = _Grouped()
    regroup_left = force or store.get_meta(REGROUP_KEY) is not None
    busy = False
    if not stopped:
        # One process groups at a time: two would place the same queued items twice.
        with store.exclusive(STORIES_LOCK) as mine:
            busy = not mine
            if mine:
                stopped, regroup_left = _group_stories(store, settings, force, walks, stop, done)
    return RefreshReport(
        fingerprint=None if model is None else model.fingerprint,
        rebuilt=rebuilt,
        scored=scored,
        stories=len(done.touched),
        storied_items=done.storied,
        grouped=done.items,
        score_seconds=score_seconds,
        group_seconds=time.perf_counter() - started,
        rescore_left=rescore_left,
        regroup_left=regroup_left,
        busy=busy,
        stopped=stopped,
    )


def _group_stories(
    store: Store,
    settings: Settings,
    force: bool,
    walks: bool,
    stop: Stop,
    done: _Grouped,
) -> tuple[bool, bool]:
    """A full regroup (started with `force`; gone on with when `walks`), then the story
    queue; (stopped early, a regroup is left to do)."""
    if force:
        # The walk starts from the beginning (it clears the stories first): stopped or
        # killed, it goes on in the next refresh, in any process.
        store.set_meta(REGROUP_KEY, "")
    days = settings.topic.story_days
    stopped = False
    if walks:
        # The walk first: it also places the queued items dated after its position.
        stopped = _regroup_walk(store, days, stop, done)
    # Queued items wait for a due walk, which places them in their date order.
    regroup_left = store.get_meta(REGROUP_KEY) is not None
    if not stopped and not regroup_left:
        stopped = _group_queue(store, days, stop, done)
    return stopped, regroup_left
