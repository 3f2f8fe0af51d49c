"""What every backend shares about the story index: which day ranges a batch reads, the dot
products summed from the postings read, and a story centroid as stored.

The backends differ in how postings are laid out and read; from the postings on, both must
decide alike (tests group the same items through both and compare), so this is one code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from reader.models import StoryCentroid

Posting = tuple[int, int, int, float]
"""An indexed item's (id, source id, day, weight) under one term."""

Key = tuple[int, int, int, str, float]
"""A new item's (id, source id, day, term, weight): what a batch looks candidates up by."""


def day_ranges(days: Sequence[int], story_days: int) -> list[tuple[int, int]]:
    """Sorted days as (first, last) runs: a gap wider than two story windows starts a new run
    (the windows between would read postings no item of the batch can reach)."""
    ranges: list[tuple[int, int]] = []
    for day in days:
        if ranges and day - ranges[-1][1] <= 2 * story_days + 1:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def summed_candidates(
    keys: Sequence[Key], postings: Mapping[str, Sequence[Posting]], story_days: int, floor: float
) -> list[tuple[int, int, float]]:
    """(new item, indexed item, dot product) of each pair within `story_days` of each other
    whose dot product reaches `floor`, in the order the keys and postings come.

    The dot products are summed here: the same sums as a join over the index, without a row
    of SQL per shared term (a batch of 1,000 reports shares about 200,000). Reports of the
    item's own source are not candidates: a feed's boilerplate must not make its items one
    story."""
    sums: dict[int, dict[int, float]] = {}
    for lead, lead_source, lead_day, term, lead_weight in keys:
        found = postings.get(term)
        if not found:
            continue
        similar = sums.setdefault(lead, {})
        low, high = lead_day - story_days, lead_day + story_days
        for item, source, day, weight in found:
            if source != lead_source and low <= day <= high:
                similar[item] = similar.get(item, 0.0) + lead_weight * weight
    return [
        (lead, item, value)
        for lead, similar in sums.items()
        for item, value in similar.items()
        if value >= floor
    ]


def centroid_to_db(centroid: StoryCentroid) -> str:
    return json.dumps([centroid.size, centroid.weights], ensure_ascii=False, separators=(",", ":"))


def centroid_from_db(document: str) -> StoryCentroid:
    """A stored centroid; an unreadable one is empty (the story is compared by its members)."""
    try:
        size, weights = json.loads(document)
        return StoryCentroid(int(size), tuple((str(t), float(w)) for t, w in weights))
    except (ValueError, TypeError):
        return StoryCentroid(0, ())
