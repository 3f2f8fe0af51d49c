"""A full regroup's key terms: what its batches compute before any grouping decision.

An item's lead terms, its key vector, and the dot products with the indexed items around it
depend on the date order and the term counts (counted in that order) alone, never on which
story an item went to. So they are computed for batch after batch in two stages, `RegroupTerms`
(lead terms, term counts, key vectors) and `RegroupIndex` (the dot products with the indexed
items around each item: the candidates without their stories), and the placing
(`reader.topic.regroup`) needs only their result. With the store's location known, each stage
runs in a process of its own, a few batches ahead of the next (`reader.topic.regroup_process`),
and a long regroup uses every core.

The index holds the entries of the days around the walk. Days behind the walk are dropped
when the placing tells it that a checkpoint has written them (never a day with an entry the
store does not hold yet), so a day read back from the store is whole.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from reader.models import IndexedItem, StoryLead
from reader.store.base import Store
from reader.store.story_index import day_ranges
from reader.topic.stories import SUPPORT, BatchKeys, Key, batch_keys

Found = tuple[int, int, int, int, float]
"""(batch item, indexed item, its source id, its day, their similarity): a candidate, without
its story (which the placing knows)."""


@dataclass(frozen=True)
class KeyedBatch:
    """One batch of the walk, keyed: by `RegroupTerms` (its key vectors, with its keys), then
    by `RegroupIndex` (its candidates found, its keys left out), ready to be placed."""

    leads: list[StoryLead]
    """The batch's items in date order (their texts left out: the keys say what is needed)."""
    last: str | None
    """The walk's position after the batch."""
    keyed: BatchKeys
    """Key vectors, titles and the batch's own term counts."""
    counts: list[tuple[str, int]]
    """Term counts after the batch, of the batch's terms ("" counts the items)."""
    found: list[Found] = field(default_factory=list)
    """The index's candidates for the batch's items, of at least `SUPPORT`."""


class RegroupTerms:
    """The stories' term counts as the walk goes: each batch is weighed with the counts of the
    items before it and its own (`key`), then counted.

    `cleared`: the store's counts were cleared when the walk started, so whatever is not in
    memory is not in the store either; otherwise (a walk going on from a checkpoint) a term's
    count is read from the store when it is first needed.
    """

    def __init__(self, store: Store, *, cleared: bool) -> None:
        self._store = store
        self._cleared = cleared
        self._counts: dict[str, int] = {}
        self._known: set[str] = set()
        """Terms whose count was read from the store (all of them when `cleared`)."""
        self._total = 0 if cleared else store.story_term_counts(())[0]
        self.batches = 0
        """Batches keyed so far."""

    def key(self, leads: list[StoryLead], last: str | None) -> KeyedBatch:
        """Key one batch (the next in date order) and count its terms."""
        keyed = batch_keys(leads, self._term_counts)
        self.batches += 1
        counts = self._counts
        for term, count in keyed.terms.items():
            counts[term] = counts.get(term, 0) + count
        after = [(term, counts[term]) for term in keyed.terms]
        if leads:
            self._total += len(leads)
            after.append(("", self._total))
        stripped = [StoryLead(lead.id, lead.source_id, lead.day, "") for lead in leads]
        return KeyedBatch(stripped, last, keyed, after)

    def _term_counts(self, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        """As the store's `story_term_counts`."""
        if not self._cleared:
            missing = [t for t in terms if t not in self._known]
            if missing:
                self._counts.update(self._store.story_term_counts(missing)[1])
                self._known.update(missing)
        counts = self._counts
        return self._total, {t: counts[t] for t in terms if t in counts}


class RegroupIndex:
    """The index entries of the days around the walk, in memory: each keyed batch's candidates
    are found in them (`find`), then its entries are added.

    `cleared`: as `RegroupTerms`; otherwise a day is read from the store when first needed.
    """

    def __init__(self, store: Store, *, cleared: bool, story_days: int) -> None:
        self._store = store
        self._cleared = cleared
        self._story_days = story_days
        self._days: dict[int, list[IndexedItem]] = {}
        """Index entries by day, for the days held (a day held is held whole)."""
        self._by_term: dict[str, list[tuple[int, int, int, float]]] = {}
        """(day, item, source, weight) of the held entries by term, in date order."""
        self._where: dict[int, tuple[int, int]] = {}
        """(source, day) of each held item."""
        self._floor: int | None = None
        """Days below it were dropped (held no longer: read from the store)."""
        self._touched: dict[int, int] = {}
        """The last batch (counted from 1) that added an entry to each held day."""
        self.batches = 0
        """Batches found and added so far."""

    def find(self, batch: KeyedBatch) -> KeyedBatch:
        """The batch with its candidates (its keys left out); its entries are added."""
        leads = [(lead.id, lead.source_id, lead.day) for lead in batch.leads]
        found = self.found(leads, batch.keyed.vectors, batch.keyed.keys)
        return replace(batch, keyed=replace(batch.keyed, keys=[]), found=found)

    def found(
        self,
        leads: Sequence[tuple[int, int, int]],
        vectors: Mapping[int, Mapping[str, float]],
        keys: Sequence[Key] | None = None,
    ) -> list[Found]:
        """The candidates of a batch's items (id, source id, day) with these key vectors (and
        keys, made from them when not given); their entries are added."""
        if keys is None:
            keys = [
                (item, source, day, term, weight)
                for item, source, day in leads
                for term, weight in vectors[item].items()
            ]
        found = self._candidates(keys) if leads else []
        self.batches += 1
        for item, source, day in leads:
            vector = vectors[item]
            if vector:  # an item without key terms has no entry
                self._add(IndexedItem(item, source, day, tuple(vector.items())), self._held(day))
                self._touched[day] = self.batches
        return found

    def _candidates(self, keys: Sequence[Key]) -> list[Found]:
        """As the store's `story_candidates` (without stories): the same items, the same sums."""
        story_days = self._story_days
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
        where = self._where
        return [
            (lead, item, *where[item], value)
            for lead, similar in sums.items()
            for item, value in similar.items()
            if value >= SUPPORT
        ]

    def _held(self, day: int) -> list[IndexedItem]:
        """The index entries of a day, read from the store when it is not held."""
        entries = self._days.get(day)
        if entries is not None:
            return entries
        entries = []
        if not self._cleared or (self._floor is not None and day < self._floor):
            for entry in self._store.story_index(day, day):
                self._add(entry, entries)
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

    def written(self, batches: int, keep_from: int) -> None:
        """The store holds what the first `batches` batches decided: drop the days before
        `keep_from` that no later batch added to (their entries are all in the store)."""
        dropped = [d for d in self._days if d < keep_from and self._touched.get(d, 0) <= batches]
        for day in dropped:
            for entry in self._days.pop(day):
                del self._where[entry.item_id]
            self._touched.pop(day, None)
        gone = set(dropped)
        for term in list(self._by_term):
            found = self._by_term[term]
            cut = bisect_left(found, (keep_from,))
            if not cut:
                continue
            kept = [p for p in found[:cut] if p[0] not in gone]
            if kept or cut < len(found):
                found[:cut] = kept
            else:
                del self._by_term[term]
        self._floor = keep_from if self._floor is None else max(self._floor, keep_from)


def keyed_batches(
    store: Store,
    terms: RegroupTerms,
    index: RegroupIndex,
    after: str | None,
    *,
    limit: int,
    max_chars: int,
) -> Iterator[KeyedBatch]:
    """The walk's batches from `after` on, keyed in this process."""
    while True:
        leads, last = store.leads_after(after, limit=limit, max_chars=max_chars)
        if not leads:
            return
        yield index.find(terms.key(leads, last))
        after = last
