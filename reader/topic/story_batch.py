"""The grouping state of one batch (`reader/topic/stories.py`): the items it knows, the stories
as it sees them, and the merges it decided."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

Vector = dict[str, float]
"""Weights by term."""

Similarities = dict[int, float]
"""Similarity by item id."""


def cosine(vector: Vector, other: Mapping[str, float]) -> float:
    """Cosine of a unit vector with another vector."""
    norm = math.sqrt(sum(w * w for w in other.values()))
    return sum(w * other.get(t, 0.0) for t, w in vector.items()) / norm if norm else 0.0


@dataclass
class Entry:
    """An item the grouper knows: from the index or from the batch."""

    source: int
    day: int
    story: int | None
    """A stored story id (positive) or a story made in this batch (negative)."""
    stored: int | None = None
    """The story the store holds it in (None for the batch's own items)."""


@dataclass
class StoryState:
    """A story as the batch sees it."""

    size: int
    sums: dict[str, float]
    """Sum of the members' key vectors."""
    title: str = ""
    changed: bool = False


@dataclass
class Batch:
    """The grouping state of one batch: items, postings, stories and what changed."""

    entries: dict[int, Entry] = field(default_factory=dict)
    postings: dict[str, list[tuple[int, float, int]]] = field(default_factory=dict)
    """Key terms of the batch's own items: (item, weight, day) by term (stored items come with
    their similarity)."""
    found: dict[int, dict[int, float]] = field(default_factory=dict)
    """Stored candidates of each batch item, with their similarity."""
    stories: dict[int, StoryState] = field(default_factory=dict)
    renamed: dict[int, int] = field(default_factory=dict)
    """Merged story -> the story it went into."""
    merges: list[tuple[int, int]] = field(default_factory=list)
    next_new: int = -1
    links: dict[int, Similarities] = field(default_factory=dict)
    """Each batch item's links (at least the similarity floor) to the stored items and to the
    batch's earlier items: every pair of items the batch compares, once."""

    def story_of(self, item: int) -> int | None:
        """The story an item is in now (merges followed)."""
        return self.resolve(self.entries[item].story)

    def resolve(self, story: int | None) -> int | None:
        while story is not None and story in self.renamed:
            story = self.renamed[story]
        return story

    def add_member(self, story: int, vector: Vector) -> None:
        state = self.stories.setdefault(story, StoryState(0, {}))
        state.size += 1
        add_weights(state.sums, vector)
        state.changed = True


def add_weights(sums: dict[str, float], vector: Mapping[str, float]) -> None:
    """Add a vector into a sum of vectors."""
    for term, weight in vector.items():
        sums[term] = sums.get(term, 0.0) + weight


def stories_agree(batch: Batch, first: int, second: int, floor: float) -> bool:
    """Whether two stories' centroids agree (cosine at least `floor`); a story not at hand does."""
    a, b = batch.stories.get(first), batch.stories.get(second)
    if a is None or b is None:
        return True
    norm = math.sqrt(sum(w * w for w in a.sums.values()))
    unit = {t: w / norm for t, w in a.sums.items()} if norm else {}
    return cosine(unit, b.sums) >= floor


def merge_stories(batch: Batch, first: int, second: int) -> int:
    """Merge two stories; a stored story outlives a new one, an older one a newer one."""

    def rank(story: int) -> tuple[int, int]:
        return (0, story) if story > 0 else (1, -story)

    kept, gone = sorted((first, second), key=rank)
    batch.renamed[gone] = kept
    moved = batch.stories.pop(gone, None)
    if moved is not None:
        state = batch.stories.setdefault(kept, StoryState(0, {}, moved.title))
        state.size += moved.size
        add_weights(state.sums, moved.sums)
        state.changed = True
        state.title = state.title or moved.title
    if gone > 0:
        batch.merges.append((kept, gone))
    return kept


def better_title(first: str, second: str) -> str:
    """The first title, unless it is missing or cut from a long opening and the second is not."""
    if first and not (first.endswith("…") and second and not second.endswith("…")):
        return first
    return second or first
