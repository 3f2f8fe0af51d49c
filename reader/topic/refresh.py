"""Keeping a store's topic data current: the profile, every item's score, and the stories.

`load_topic` builds the model from the seeds in the store (cheap: a few milliseconds).
`refresh_topic` is the periodic job: it re-scores every item when the profile changed (the
fingerprint kept in store meta differs), otherwise only items nobody scored yet, in batches
so a big store never holds the write lock long; then it regroups the recent items' stories.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reader.config import Settings
from reader.exceptions import ConfigError
from reader.models import Item, ItemFilter, SortOrder
from reader.store.base import Store
from reader.topic.profile import TopicModel, UnmatchablePhraseError
from reader.topic.stories import StoryInput, group_stories, lead_of

FINGERPRINT_KEY = "topic.fingerprint"
"""Store meta key: the fingerprint of the profile the stored scores were made with."""

SCORE_BATCH = 500
"""Items read, scored and written per transaction."""

TEXT_BATCH = 2000
"""Items whose texts are read at once for grouping."""

REGROUP_MIN_DAYS = 30
REGROUP_STORY_WINDOWS = 4
"""Items seen or dated within max(REGROUP_MIN_DAYS, REGROUP_STORY_WINDOWS x story_days) days
are regrouped on each refresh; grouping compares every pair, so the whole history is only
regrouped on demand (`force`)."""


@dataclass(frozen=True)
class RefreshReport:
    """What one `refresh_topic` did, for logs and `reader` output."""

    fingerprint: str | None
    """The profile's fingerprint; None when there are no seeds and no keywords."""
    rebuilt: bool
    """True when the profile differed from the one the stored scores came from."""
    scored: int
    """Items (re)scored."""
    stories: int
    """Stories found (of two or more items)."""
    storied_items: int
    """Items that belong to a story."""
    grouped: int
    """Items compared to regroup stories (the recent ones, or all with `force`)."""
    score_seconds: float
    """Time spent reading, scoring and writing scores."""
    group_seconds: float
    """Time spent grouping stories and writing them."""
    stopped: bool = False
    """True when `should_stop` ended the refresh early (what was written stays; the rest is
    done next time)."""


Stop = Callable[[], bool]
"""Asked between batches of a long job: true when the job should return now."""


def _never() -> bool:
    return False


def seed_texts(store: Store) -> list[str]:
    """The texts (title, summary, body) of the seeds in the store, in id order."""
    seeds = store.seeds_source()
    ids = [item.id for item in store.get_items(ItemFilter(source_id=seeds.id))]
    return [text for _, text in store.get_texts(ids=ids)] if ids else []


def load_topic(store: Store, settings: Settings) -> TopicModel | None:
    """The topic model for the seeds in the store and the `[topic]` settings.

    None when there is nothing to build from: no seeds and no keywords. A keyword or exclude
    phrase that can never match is a `ConfigError`.
    """
    texts = seed_texts(store)
    if not any(t.strip() for t in texts) and not any(k.strip() for k in settings.topic.keywords):
        return None
    try:
        return TopicModel.build(texts, settings.topic)
    except UnmatchablePhraseError as exc:
        message = f"{exc.phrase!r} has no word that can match (only stop words or punctuation)"
        raise ConfigError(settings.source or "settings", message, key=exc.setting) from None


class TopicScorer:
    """The updater's scorer: the store's current topic model, reloaded when the profile changes.

    Each call reads one meta value; when the fingerprint the last `refresh_topic` stored has
    changed (new seeds, new keywords, even from another process), the model is rebuilt.
    With no seeds and no keywords every text scores 0.0; the refresh that follows the first
    seed import re-scores everything anyway.
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._seen: str | None = store.get_meta(FINGERPRINT_KEY)
        self.model: TopicModel | None = load_topic(store, settings)
        """The model in use (None while there is nothing to build one from)."""

    def __call__(self, texts: Sequence[str]) -> list[tuple[float, tuple[str, ...]]]:
        """Score texts (fits `reader.update.Scorer`); call it where the store may be used."""
        stored = self._store.get_meta(FINGERPRINT_KEY)
        if stored != self._seen:
            self._seen = stored
            if self.model is None or stored != self.model.fingerprint:
                self.model = load_topic(self._store, self._settings)
        if self.model is None:
            return [(0.0, ()) for _ in texts]
        return self.model.score(texts)


def _story_inputs(items: Sequence[Item], texts: dict[int, str]) -> list[StoryInput]:
    """Grouping inputs; only a date the item itself gives counts (never when we saw it)."""
    return [
        (item.id, item.source, item.published or item.updated, texts.get(item.id, ""))
        for item in items
    ]


def regroup_since(now: datetime, story_days: int) -> datetime:
    """Items seen or dated since this are regrouped; older stories are kept as they are."""
    return now - timedelta(days=max(REGROUP_MIN_DAYS, REGROUP_STORY_WINDOWS * story_days))


def _seen_or_dated_since(item: Item, since: datetime) -> bool:
    return any(d is not None and d >= since for d in (item.date, item.first_seen))


def refresh_topic(
    store: Store,
    settings: Settings,
    *,
    force: bool = False,
    now: datetime | None = None,
    should_stop: Stop | None = None,
) -> RefreshReport:
    """Bring scores and stories up to date with the seeds, the settings and the items.

    Re-scores every item when the profile changed (or `force`), else only unscored ones.
    Then regroups the seeds and recent items into stories (see `regroup_since`; all items
    with `force`), keeping the stories made only of older items as they are. `should_stop`
    is asked between batches; a stopped refresh keeps the scores written so far and leaves
    the profile's fingerprint unchanged, so the next refresh goes on with the re-scoring.
    """
    stop = should_stop or _never
    started = time.perf_counter()
    model = load_topic(store, settings)
    items = store.get_items(sort=SortOrder.OLDEST)
    rebuilt = False
    scored = 0
    if model is not None:
        rebuilt = force or store.get_meta(FINGERPRINT_KEY) != model.fingerprint
        todo = [i.id for i in items] if rebuilt else [i.id for i in items if i.score is None]
        for start in range(0, len(todo), SCORE_BATCH):
            if stop():
                return _stopped(model, rebuilt, scored, time.perf_counter() - started)
            pairs = store.get_texts(ids=todo[start : start + SCORE_BATCH])
            results = model.score([text for _, text in pairs])
            store.set_scores(
                {item_id: result for (item_id, _), result in zip(pairs, results, strict=True)}
            )
            scored += len(pairs)
        if rebuilt:
            store.set_meta(FINGERPRINT_KEY, model.fingerprint)
    score_seconds = time.perf_counter() - started
    if stop():
        return _stopped(model, rebuilt, scored, score_seconds)

    started = time.perf_counter()
    if force:
        recent = items
    else:
        since = regroup_since(now or datetime.now(UTC), settings.topic.story_days)
        seeds_id = store.seeds_source().id  # the few seeds always take part
        recent = [i for i in items if i.source_id == seeds_id or _seen_or_dated_since(i, since)]
    recent_ids = {item.id for item in recent}
    kept = [
        (story.title, [i.id for i in story.items])
        for story in (store.get_stories(min_sources=1) if len(recent) < len(items) else [])
        if not any(i.id in recent_ids for i in story.items)
    ]
    texts: dict[int, str] = {}
    ids = [item.id for item in recent]
    for start in range(0, len(ids), TEXT_BATCH):  # keep only leads: bodies can be large
        if stop():
            return _stopped(model, rebuilt, scored, score_seconds)
        for item_id, text in store.get_texts(ids=ids[start : start + TEXT_BATCH]):
            texts[item_id] = lead_of(text)
    stories = group_stories(_story_inputs(recent, texts), story_days=settings.topic.story_days)
    store.set_stories(stories + kept)
    group_seconds = time.perf_counter() - started
    return RefreshReport(
        fingerprint=None if model is None else model.fingerprint,
        rebuilt=rebuilt,
        scored=scored,
        stories=len(stories) + len(kept),
        storied_items=sum(len(ids) for _, ids in stories + kept),
        grouped=len(recent),
        score_seconds=score_seconds,
        group_seconds=group_seconds,
    )


def _stopped(
    model: TopicModel | None, rebuilt: bool, scored: int, score_seconds: float
) -> RefreshReport:
    """The report of a refresh `should_stop` ended before its stories were regrouped."""
    return RefreshReport(
        fingerprint=None if model is None else model.fingerprint,
        rebuilt=rebuilt,
        scored=scored,
        stories=0,
        storied_items=0,
        grouped=0,
        score_seconds=score_seconds,
        group_seconds=0.0,
        stopped=True,
    )
