"""A full regroup's placing: the stories of the days around the walk, and checkpoints.

`reader stories refresh --force` groups every item again, in date order, in the batches and
with the decisions of grouping new items (`group_batch`); only where the batches read and
write differs. Reading the candidates of each batch back from the store and writing each
batch in its own transaction cost most of a regroup, so the walk keeps what the batches ask
for in memory and writes at checkpoints. It is done in two halves:

- the keys (`reader.topic.regroup_keys`): each batch's key vectors, term counts and the dot
  products with the indexed items around it, which no grouping decision changes, computed
  ahead (in a process of their own when the store's location is known);
- the placing (`RegroupStories`, here): the stories of the items the candidates name (of the
  days the walk is at; days behind it are dropped at each checkpoint, so memory follows the
  story window, not the store, and an item dated far from its place in the walk, such as an
  undated one, reads its day's stories from the store), the centroids of those stories, the
  decisions, and what changed since the last checkpoint: merges, stories made or changed,
  items that joined a story, index entries, counts. A checkpoint writes all of it and the
  walk's position in one transaction, so a walk stopped or killed goes on from a state the
  store holds whole.

New stories are numbered as the store numbers them (one above the highest id), so the ids,
like the decisions, are those of grouping batch by batch through the store.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from reader.models import IndexedItem, RegroupWrite, StoryCandidate, StoryCentroid, StoryChanges
from reader.store.base import Store
from reader.topic.regroup_keys import KeyedBatch

CHECKPOINT_ITEMS = 5000
"""Items grouped between two checkpoints (one transaction each)."""


class RegroupStories:
    """The stories of the items a full regroup's batches find, their centroids, and what the
    batches decided, written to the store at `checkpoint`.

    `cleared`: the store's stories, index and counts were cleared when the walk started (in
    this process), so whatever is not in memory is not in the store either.
    """

    def __init__(self, store: Store, *, cleared: bool) -> None:
        self._store = store
        self._cleared = cleared
        self._days: dict[int, list[int]] = {}
        """The items of each day held (a day held is held whole)."""
        self._floor: int | None = None
        """Days below it were dropped (held no longer: read from the store)."""
        self._story: dict[int, int] = {}
        """The story of each held item that is in one."""
        self._members: dict[int, set[int]] = {}
        """The held items of each story."""
        self._live: set[int] = set() if cleared else set(store.story_ids())
        self._ids = [-i for i in self._live]
        heapq.heapify(self._ids)
        self._centroids: dict[int, StoryCentroid] = {}
        # What changed since the last checkpoint.
        self._walked: list[int] = []
        self._entries: list[IndexedItem] = []
        self._merges: list[tuple[int, int]] = []
        self._made: dict[int, str] = {}
        self._changed: set[int] = set()
        self._moved: set[int] = set()
        self._counts: dict[str, int] = {}

    @property
    def pending(self) -> int:
        """Items grouped since the last checkpoint."""
        return len(self._walked)

    # -- what a batch reads ----------------------------------------------------------------

    def candidates(self, batch: KeyedBatch) -> list[StoryCandidate]:
        """The batch's candidates with their stories, as the store's `story_candidates`."""
        days, story = self._days, self._story
        found = []
        for lead, item, source, day, value in batch.found:
            if day not in days:
                self._held(day)
            found.append(StoryCandidate(lead, item, source, day, value, story.get(item)))
        return found

    def centroids(self, story_ids: Sequence[int]) -> dict[int, StoryCentroid]:
        """As the store's `story_centroids`."""
        missing = [s for s in story_ids if s not in self._centroids]
        if missing:
            self._centroids.update(self._store.story_centroids(missing))
        return {s: self._centroids[s] for s in story_ids if s in self._centroids}

    def _held(self, day: int) -> list[int]:
        """The items of a day, their stories read from the store when it is not held."""
        items = self._days.get(day)
        if items is not None:
            return items
        items = []
        if not self._cleared or (self._floor is not None and day < self._floor):
            # Stored before the last checkpoint: merges since then apply to it as the store
            # will apply them.
            for entry in self._store.story_index(day, day):
                story = entry.story_id
                for kept, merged in self._merges:
                    if story == merged:
                        story = kept
                items.append(entry.item_id)
                if story is not None:
                    self._join(entry.item_id, story)
        self._days[day] = items
        return items

    # -- what a batch decided --------------------------------------------------------------

    def apply(self, changes: StoryChanges, batch: KeyedBatch) -> dict[int, int]:
        """Take in one batch's decisions (as the store's `apply_story_changes`, in memory);
        return the new stories' ids by their position in `changes.new_stories`."""
        for kept, merged in changes.merges:
            for item in self._members.pop(merged, set()):
                self._join(item, kept)
            self._merges.append((kept, merged))
            self._live.discard(merged)
            self._made.pop(merged, None)
            self._changed.discard(merged)
            self._centroids.pop(merged, None)
        for item, story in changes.joins:
            self._join(item, story)
            self._moved.add(item)
        for story, centroid in changes.centroids:
            self._centroids[story] = centroid
            self._changed.add(story)
        created: dict[int, int] = {}
        for position, (title, item_ids, centroid) in enumerate(changes.new_stories):
            story = self._new_id()
            created[position] = story
            self._made[story] = title
            self._centroids[story] = centroid
            self._changed.add(story)
            for item in item_ids:
                self._join(item, story)
                self._moved.add(item)
        vectors = batch.keyed.vectors
        for lead in batch.leads:
            vector = vectors[lead.id]
            if vector:  # an item without key terms has no entry
                self._held(lead.day).append(lead.id)
                self._entries.append(
                    IndexedItem(lead.id, lead.source_id, lead.day, tuple(vector.items()))
                )
        self._counts.update(batch.counts)
        self._walked.extend(changes.grouped)
        return created

    def _join(self, item: int, story: int) -> None:
        before = self._story.get(item)
        if before is not None and before in self._members:
            self._members[before].discard(item)
        self._story[item] = story
        self._members.setdefault(story, set()).add(item)

    def _new_id(self) -> int:
        """One above the highest story id, as the store gives."""
        while self._ids and -self._ids[0] not in self._live:
            heapq.heappop(self._ids)
        story = 1 - self._ids[0] if self._ids else 1
        self._live.add(story)
        heapq.heappush(self._ids, -story)
        return story

    # -- checkpoints -----------------------------------------------------------------------

    def checkpoint(self, meta: Sequence[tuple[str, str | None]], *, keep_from: int) -> None:
        """Write what changed since the last checkpoint and `meta` in one transaction, then
        drop the days before `keep_from` (and their items and stories) from memory."""
        self._store.apply_regroup(
            RegroupWrite(
                grouped=tuple(self._walked),
                index=tuple(self._entries),
                merges=tuple(self._merges),
                stories=tuple(
                    (story, self._made.get(story, ""), self._centroids[story])
                    for story in sorted(self._changed)
                ),
                items=tuple((item, self._story[item]) for item in sorted(self._moved)),
                terms=tuple(sorted(self._counts.items())),
                meta=tuple(meta),
            )
        )
        self._walked, self._entries, self._merges = [], [], []
        self._made, self._changed, self._moved, self._counts = {}, set(), set(), {}
        for day in [d for d in self._days if d < keep_from]:
            for item in self._days.pop(day):
                story = self._story.pop(item, None)
                if story is not None and story in self._members:
                    members = self._members[story]
                    members.discard(item)
                    if not members:
                        del self._members[story]
        self._floor = keep_from if self._floor is None else max(self._floor, keep_from)
        self._centroids = {s: c for s, c in self._centroids.items() if s in self._members}
