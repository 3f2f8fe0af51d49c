"""Why stories grouped by a store differ from stories grouped in one pass: the differences one
at a time, on the real news of a split's story sources.

A store groups a day's new items as one batch (`group_batch`) against its index; one pass
groups every item as one batch. Between the two lie three differences, each switched here:
- the order of arrival within a day: by id in one pass (corpus order), by time in a store;
- the term statistics: a store weighs a batch with the counts of what it has grouped so far,
  one pass with the counts of every item;
- the index: a store's index never offers an item of the new item's own source, while one
  pass compares a batch's items of one source with each other.
The index here is an in-memory imitation of the store's (`story_candidates` and the rest as
the SQLite store computes them), so every step is the same code the store runs.

Run from the project folder: .venv/bin/python -m bench.story_paths [--split tuned|held_out]
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.topic_data import NewsItem, pair_quality
from bench.topic_quality import split_news
from reader.models import StoryCandidate, StoryCentroid, StoryChanges, StoryLead
from reader.topic.profile import Idf
from reader.topic.stories import LEAD_CHARS, batch_statistics, day_of, group_batch, no_counts

STORY_DAYS = 7
NOW = datetime(2026, 11, 1, tzinfo=UTC)
"""Undated items arrive last, as in `stored_news_stories`."""


@dataclass
class MemoryIndex:
    """The store's story index, stories and term counts, in memory."""

    own_source: bool = False
    """Offer items of the new item's own source as candidates (the store never does)."""
    postings: dict[str, list[tuple[int, int, int, float]]] = field(default_factory=dict)
    story_of: dict[int, int] = field(default_factory=dict)
    centroids: dict[int, StoryCentroid] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    items: int = 0
    next_story: int = 1

    def term_counts(self, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        return self.items, {t: self.counts[t] for t in terms if t in self.counts}

    def candidates(
        self, keys: Sequence[tuple[int, int, int, str, float]], story_days: int, floor: float
    ) -> list[StoryCandidate]:
        sums: dict[int, dict[int, float]] = {}
        seen: dict[int, tuple[int, int]] = {}
        for lead, lead_source, lead_day, term, lead_weight in keys:
            for item, source, day, weight in self.postings.get(term, ()):
                if abs(day - lead_day) > story_days:
                    continue
                if source == lead_source and not self.own_source:
                    continue
                similar = sums.setdefault(lead, {})
                similar[item] = similar.get(item, 0.0) + lead_weight * weight
                seen[item] = (source, day)
        return [
            StoryCandidate(lead, item, *seen[item], value, self.story_of.get(item))
            for lead, similar in sums.items()
            for item, value in similar.items()
            if value >= floor
        ]

    def story_centroids(self, story_ids: Sequence[int]) -> dict[int, StoryCentroid]:
        return {s: self.centroids[s] for s in story_ids if s in self.centroids}

    def apply(self, changes: StoryChanges) -> None:
        for kept, gone in changes.merges:
            for item, story in list(self.story_of.items()):
                if story == gone:
                    self.story_of[item] = kept
            self.centroids.pop(gone, None)
        self.story_of.update(dict(changes.joins))
        self.centroids.update(dict(changes.centroids))
        for _, item_ids, centroid in changes.new_stories:
            self.centroids[self.next_story] = centroid
            self.story_of.update(dict.fromkeys(item_ids, self.next_story))
            self.next_story += 1
        for item, source, day, term, weight in changes.postings:
            self.postings.setdefault(term, []).append((item, source, day, weight))
        self.items += len(changes.grouped)
        for term, n in changes.terms:
            self.counts[term] = self.counts.get(term, 0) + n

    def stories(self) -> list[list[int]]:
        members: dict[int, list[int]] = {}
        for item, story in self.story_of.items():
            members.setdefault(story, []).append(item)
        return list(members.values())


def _leads(items: Sequence[NewsItem], sources: dict[str, int], by_time: bool) -> list[StoryLead]:
    """The items as a store reads them, in the order of arrival (by time, or corpus order)."""
    leads = [
        StoryLead(n, sources[item.path], day_of(item.date or NOW), item.text[:LEAD_CHARS])
        for n, item in enumerate(items)
    ]
    if by_time:
        return sorted(leads, key=lambda lead: (items[lead.id].date or NOW, lead.id))
    return sorted(leads, key=lambda lead: (lead.day, lead.id))


def grouped(
    items: Sequence[NewsItem],
    sources: dict[str, int],
    *,
    by_time: bool,
    by_day: bool,
    all_statistics: bool = False,
    own_source: bool = False,
) -> tuple[float, float]:
    """Pair precision and recall of one way of grouping the items."""
    leads = _leads(items, sources, by_time)
    index = MemoryIndex(own_source=own_source)
    statistics: Idf | None = None
    if all_statistics:
        statistics = batch_statistics(leads, no_counts)[1]
    batches = [list(g) for _, g in itertools.groupby(leads, key=lambda lead: lead.day)]
    for batch in batches if by_day else [leads]:
        changes = group_batch(
            batch,
            statistics or index.term_counts,
            STORY_DAYS,
            index.candidates,
            index.story_centroids,
        )
        index.apply(changes)
    groups = [[items[n].key for n in story] for story in index.stories()]
    precision, recall, _, _ = pair_quality(groups, items)
    return precision, recall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("tuned", "held_out"), default="tuned")
    args = parser.parse_args()
    items, sources = split_news(args.split)
    if not items:
        raise SystemExit("no corpus: the comparison needs its real news")
    steps = [
        ("one pass, corpus order within a day", dict(by_time=False, by_day=False)),
        ("one pass, by time within a day (a store's order)", dict(by_time=True, by_day=False)),
        ("a day at a time (as a store)", dict(by_time=True, by_day=True)),
        (
            "a day at a time, statistics of every item",
            dict(by_time=True, by_day=True, all_statistics=True),
        ),
        (
            "a day at a time, own-source candidates from the index",
            dict(by_time=True, by_day=True, own_source=True),
        ),
        (
            "a day at a time, both",
            dict(by_time=True, by_day=True, all_statistics=True, own_source=True),
        ),
    ]
    print(f"== {args.split}: same-story pairs across sources (precision, recall)")
    for name, options in steps:
        precision, recall = grouped(items, sources, **options)
        print(f"  {name:<56} {precision:.3f} {recall:.3f}")


if __name__ == "__main__":
    main()
