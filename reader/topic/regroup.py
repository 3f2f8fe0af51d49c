"""A full regroup's memory: the story index of the days around the walk, stories and term counts.

`reader stories refresh --force` groups every item again, in date order, in the batches and
with the decisions of grouping new items (`group_batch`); only where the batches read and
write differs. Reading the candidates of each batch back from the store and writing each
batch in its own transaction cost most of a regroup, so the walk keeps what the batches ask
for in memory and writes at checkpoints:

- the index entries of the days the walk is at (a batch looks `story_days` around its own
  days), its items' stories, and the centroids of those stories; days behind the walk are
  dropped at each checkpoint, so memory follows the story window, not the store (an item dated
  far from its place in the walk, such as an undated one, reads its days from the store);
- the stories' term counts;
- what changed since the last checkpoint: merges, stories made or changed, items that joined a
  story, index entries, counts. A checkpoint writes all of it and the walk's position in one
  transaction, so a walk stopped or killed goes on from a state the store holds whole.

New stories are numbered as the store numbers them (one above the highest id), so the ids,
like the decisions, are those of grouping batch by batch through the store.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Sequence
from itertools import groupby
from operator import itemgetter

from reader.models import IndexedItem, RegroupWrite, StoryCandidate, StoryCentroid, StoryChanges
from reader.store.base import Store
from reader.store.story_index import day_ranges

CHECKPOINT_ITEMS = 5000
"""Items grouped between two checkpoints (one transaction each)."""


class RegroupIndex:
    """The candidates, centroids and term counts a full regroup's batches read, in memory,
    and what they decided, written to the store at `checkpoint`.

    `cleared`: the store's stories, index and counts were cleared when the walk started (in
    this process), so whatever is not in memory is not in the store either.
    """

    def __init__(self, store: Store, *, cleared: bool) -> None:
        self._store = store
        self._cleared = cleared
        self._days: dict[int, list[IndexedItem]] = {}
        """Index entries by day, for the days held (a day held is held whole)."""
        self._by_term: dict[str, list[tuple[int, int, int, float]]] = {}
        """(day, item, source, weight) of the held entries by term, in date order."""
        self._where: dict[int, tuple[int, int]] = {}
        """(source, day) of each held item."""
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
        self._counts: dict[str, int] = {}
        self._known: set[str] = set()
        """Terms whose count was read from the store (all of them when `cleared`)."""
        self._total = 0 if cleared else store.story_term_counts(())[0]
        # What changed since the last checkpoint.
        self._walked: list[int] = []
        self._entries: list[IndexedItem] = []
        self._merges: list[tuple[int, int]] = []
        self._made: dict[int, str] = {}
        self._changed: set[int] = set()
        self._moved: set[int] = set()
        self._terms: set[str] = set()

    @property
    def pending(self) -> int:
        """Items grouped since the last checkpoint."""
        return len(self._walked)

    # -- what a batch reads ----------------------------------------------------------------

    def term_counts(self, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        """As the store's `story_term_counts`."""
        if not self._cleared:
            missing = [t for t in terms if t not in self._known]
            if missing:
                self._counts.update(self._store.story_term_counts(missing)[1])
                self._known.update(missing)
        counts = self._counts
        return self._total, {t: counts[t] for t in terms if t in counts}

    def candidates(
        self, keys: Sequence[tuple[int, int, int, str, float]], story_days: int, floor: float
    ) -> list[StoryCandidate]:
        """As the store's `story_candidates`: the same items, the same sums."""
        if not keys:
            return []
        for first, last in day_ranges(sorted({key[2] for key in keys}), story_days):
            for day in range(first - story_days, last + story_days + 1):
                self._held(day)
        by_term = self._by_term
        sums: dict[int, dict[int, float]] = {}
        for lead, lead_source, lead_day, term, lead_weight in keys:
            found = by_term.get(term)
            if not found:
                continue
            # Each term's postings are in date order: the item's own window is one slice.
            low = bisect_left(found, (lead_day - story_days,))
            high = bisect_left(found, (lead_day + story_days + 1,), low)
            if low == high:
                continue
            similar = sums.setdefault(lead, {})
            get = similar.get
            for _, item, source, weight in found[low:high]:
                if source != lead_source:
                    similar[item] = get(item, 0.0) + lead_weight * weight
        story, where = self._story, self._where
        return [
            StoryCandidate(lead, item, *where[item], value, story.get(item))
            for lead, similar in sums.items()
            for item, value in similar.items()
            if value >= floor
        ]

    def centroids(self, story_ids: Sequence[int]) -> dict[int, StoryCentroid]:
        """As the store's `story_centroids`."""
        missing = [s for s in story_ids if s not in self._centroids]
        if missing:
            self._centroids.update(self._store.story_centroids(missing))
        return {s: self._centroids[s] for s in story_ids if s in self._centroids}

    def _held(self, day: int) -> list[IndexedItem]:
        """The index entries of a day, read from the store when it is not held."""
        entries = self._days.get(day)
        if entries is not None:
            return entries
        entries = []
        if not self._cleared or (self._floor is not None and day < self._floor):
            # Stored before the last checkpoint: merges since then apply to it as the store
            # will apply them.
            for entry in self._store.story_index(day, day):
                story = entry.story_id
                for kept, merged in self._merges:
                    if story == merged:
                        story = kept
                self._add(entry, entries)
                if story is not None:
                    self._join(entry.item_id, story)
        self._days[day] = entries
        return entries

    def _add(self, entry: IndexedItem, held: list[IndexedItem]) -> None:
        """Hold an index entry: in its day's entries and in each of its terms' postings (kept
        in date order; within a day, in any order)."""
        held.append(entry)
        item, source, day = entry.item_id, entry.source_id, entry.day
        self._where[item] = (source, day)
        get = self._by_term.setdefault
        for term, weight in entry.keys:
            found = get(term, [])
            if not found or found[-1][0] <= day:
                found.append((day, item, source, weight))
            else:  # an item dated before the walk's place (undated, or its feed's backlog)
                found.insert(bisect_left(found, (day + 1,)), (day, item, source, weight))

    # -- what a batch decided --------------------------------------------------------------

    def apply(self, changes: StoryChanges) -> dict[int, int]:
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
        # An item's postings are consecutive (`group_batch` lists them item by item).
        for item, run in groupby(changes.postings, itemgetter(0)):
            postings = list(run)
            _, source, day, _, _ = postings[0]
            entry = IndexedItem(item, source, day, tuple([(p[3], p[4]) for p in postings]))
            self._add(entry, self._held(day))
            self._entries.append(entry)
        if changes.grouped:
            self._total += len(changes.grouped)
            self._terms.add("")
        for term, count in changes.terms:
            self._counts[term] = self._counts.get(term, 0) + count
            self._terms.add(term)
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
                terms=tuple(
                    (term, self._counts.get(term, 0) if term else self._total)
                    for term in sorted(self._terms)
                ),
                meta=tuple(meta),
            )
        )
        self._walked, self._entries, self._merges = [], [], []
        self._made, self._changed, self._moved, self._terms = {}, set(), set(), set()
        for day in [d for d in self._days if d < keep_from]:
            for entry in self._days.pop(day):
                del self._where[entry.item_id]
                story = self._story.pop(entry.item_id, None)
                if story is not None and story in self._members:
                    members = self._members[story]
                    members.discard(entry.item_id)
                    if not members:
                        del self._members[story]
        for term in list(self._by_term):
            found = self._by_term[term]
            cut = bisect_left(found, (keep_from,))
            if cut == len(found):
                del self._by_term[term]
            elif cut:
                del found[:cut]
        self._floor = keep_from if self._floor is None else max(self._floor, keep_from)
        self._centroids = {s: c for s, c in self._centroids.items() if s in self._members}
