"""Keeping a store's topic data current: the profile, every item's score, and the stories.

`load_topic` builds the model from the seeds in the store (cheap: a few milliseconds).
`refresh_topic` is the periodic job: it re-scores every item when the profile changed (the
fingerprint kept in store meta differs), otherwise only items nobody scored yet, in batches
so a big store never holds the write lock long; then it regroups the stories.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from reader.config import Settings
from reader.models import Item, ItemFilter, SortOrder
from reader.store.base import Store
from reader.topic.profile import TopicModel
from reader.topic.stories import StoryInput, group_stories, lead_of

FINGERPRINT_KEY = "topic.fingerprint"
"""Store meta key: the fingerprint of the profile the stored scores were made with."""

SCORE_BATCH = 500
"""Items read, scored and written per transaction."""

TEXT_BATCH = 2000
"""Items whose texts are read at once for grouping."""


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
    score_seconds: float
    """Time spent reading, scoring and writing scores."""
    group_seconds: float
    """Time spent grouping stories and writing them."""


def seed_texts(store: Store) -> list[str]:
    """The texts (title, summary, body) of the seeds in the store, in id order."""
    seeds = store.seeds_source()
    ids = [item.id for item in store.get_items(ItemFilter(source_id=seeds.id))]
    return [text for _, text in store.get_texts(ids=ids)] if ids else []


def load_topic(store: Store, settings: Settings) -> TopicModel | None:
    """The topic model for the seeds in the store and the `[topic]` settings.

    None when there is nothing to build from: no seeds and no keywords.
    """
    texts = seed_texts(store)
    if not any(t.strip() for t in texts) and not any(k.strip() for k in settings.topic.keywords):
        return None
    return TopicModel.build(texts, settings.topic)


def _story_inputs(items: Sequence[Item], texts: dict[int, str]) -> list[StoryInput]:
    """Grouping inputs; only a date the item itself gives counts (never when we saw it)."""
    return [
        (item.id, item.source, item.published or item.updated, texts.get(item.id, ""))
        for item in items
    ]


def refresh_topic(store: Store, settings: Settings, *, force: bool = False) -> RefreshReport:
    """Bring scores and stories up to date with the seeds, the settings and the items.

    Re-scores every item when the profile changed (or `force`), else only unscored ones;
    then regroups all items into stories.
    """
    started = time.perf_counter()
    model = load_topic(store, settings)
    items = store.get_items(sort=SortOrder.OLDEST)
    rebuilt = False
    scored = 0
    if model is not None:
        rebuilt = force or store.get_meta(FINGERPRINT_KEY) != model.fingerprint
        todo = [i.id for i in items] if rebuilt else [i.id for i in items if i.score is None]
        for start in range(0, len(todo), SCORE_BATCH):
            pairs = store.get_texts(ids=todo[start : start + SCORE_BATCH])
            results = model.score([text for _, text in pairs])
            store.set_scores(
                {item_id: result for (item_id, _), result in zip(pairs, results, strict=True)}
            )
            scored += len(pairs)
        if rebuilt:
            store.set_meta(FINGERPRINT_KEY, model.fingerprint)
    score_seconds = time.perf_counter() - started

    started = time.perf_counter()
    texts: dict[int, str] = {}
    ids = [item.id for item in items]
    for start in range(0, len(ids), TEXT_BATCH):  # keep only leads: bodies can be large
        for item_id, text in store.get_texts(ids=ids[start : start + TEXT_BATCH]):
            texts[item_id] = lead_of(text)
    stories = group_stories(_story_inputs(items, texts), story_days=settings.topic.story_days)
    store.set_stories(stories)
    group_seconds = time.perf_counter() - started
    return RefreshReport(
        fingerprint=None if model is None else model.fingerprint,
        rebuilt=rebuilt,
        scored=scored,
        stories=len(stories),
        storied_items=sum(len(ids) for _, ids in stories),
        score_seconds=score_seconds,
        group_seconds=group_seconds,
    )
