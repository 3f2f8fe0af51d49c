"""Repairs after a batch of stories is placed, that do not depend on the order of arrival.

Each item is placed greedily as it comes (`reader/topic/stories.py`), so the order in which a
batch's reports arrive decides some stories: a report linked to two events at once can start a
story that then takes in both (the US-Iran and the Russia-Ukraine talks in Geneva on one day),
and one event's reports can start two stories that no later report links strongly enough to
merge. Once the whole batch is placed, two repairs look at the stories it touched as wholes,
with every link the batch saw at once rather than one item's links at a time, so the order the
batch came in weighs less (it still decides where each item was placed first):

- `parts_apart`: a story made by the batch falls apart where its members form groups that link
  to each other on average below a floor (average linkage, cut at the floor);
- `linked_stories`: two stories are one when the batch sees several good links between their
  members (and, as the caller checks, their centroids agree).

The cost follows the batch: its own links and the members of the stories it made (about 1%
of grouping 1,000 new items). Both run alike in a store's batches and in a full regroup's.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence

from reader.models import StoryLead
from reader.topic.story_batch import (
    Batch,
    StoryState,
    Vector,
    add_weights,
    better_title,
    merge_stories,
    stories_agree,
)

REPAIR_LINKS = 3
"""Good links between two stories' members, seen by one batch, that merge them..."""

REPAIR_CENTROID = 0.5
"""...when their centroids agree this closely (two halves of one event's reports do; two
events that share a place or a person do not)."""

APART = 0.10
"""Average link between two groups of a story's members (two or more each) below which the
story, made by one batch, is two: the groups report different events that a report or a chain
of reports joined (the US-Iran and the Russia-Ukraine talks in Geneva on one day)."""

SMALLEST_PART = 2
"""Members a group needs to leave its story (one report alone stays where it was placed)."""


def merge_linked(batch: Batch, link: float) -> None:
    """Merge the stories that `REPAIR_LINKS` links of `link` or more (among those the batch
    saw) join, when their centroids agree (`REPAIR_CENTROID`): the most linked pair first,
    again until no pair is left."""
    while True:
        found = sorted(linked_stories(batch.links, batch.story_of, link), reverse=True)
        for count, (first, second) in found:
            if count < REPAIR_LINKS:
                return
            both = first in batch.stories and second in batch.stories
            if both and stories_agree(batch, first, second, REPAIR_CENTROID):
                merge_stories(batch, first, second)
                break
        else:
            return


def split_apart(
    leads: Sequence[StoryLead],
    vectors: Mapping[int, Vector],
    batch: Batch,
    titles: Mapping[int, str],
) -> None:
    """Split each story made by the batch where its members fall into groups that link to
    each other on average below `APART` (`parts_apart`): the biggest group keeps the story,
    each other group of `SMALLEST_PART` or more is a story of its own. A stored report in it
    (its vector is not at hand) is compared by the links the batch saw."""
    made: dict[int, list[int]] = {}
    for item in batch.entries:
        story = batch.story_of(item)
        if story is not None and story < 0:
            made.setdefault(story, []).append(item)
    links = batch.links

    def similarity(first: int, second: int) -> float:
        a, b = vectors.get(first), vectors.get(second)
        if a is not None and b is not None:
            return sum(w * b.get(t, 0.0) for t, w in a.items())
        return links.get(first, {}).get(second) or links.get(second, {}).get(first) or 0.0

    order = {lead.id: n for n, lead in enumerate(leads)}
    for story, members in sorted(made.items(), reverse=True):
        parts = parts_apart(sorted(members), similarity, APART, SMALLEST_PART)
        if not parts:
            continue
        moved = {item for part in parts for item in part}
        kept = [item for item in members if item not in moved]
        for n, part in enumerate([kept, *parts]):
            if n:
                story = batch.next_new
                batch.next_new -= 1
            # Made anew from the members (a stored report counts, with no weights).
            state = batch.stories[story] = StoryState(len(part), {}, changed=True)
            for item in sorted(part, key=lambda i: order.get(i, -1)):
                batch.entries[item].story = story
                add_weights(state.sums, vectors.get(item, {}))
                state.title = better_title(state.title, titles.get(item, ""))


def parts_apart(
    members: Sequence[int], similarity: Callable[[int, int], float], floor: float, smallest: int
) -> list[list[int]]:
    """The parts of a story to make stories of their own (each sorted), biggest first: the
    groups its members fall into when groups are joined while their average link reaches
    `floor` (average linkage), except the biggest group; groups smaller than `smallest` stay
    where they are."""
    if len(members) < 2 * smallest:
        return []
    groups = {n: [item] for n, item in enumerate(members)}
    totals: dict[tuple[int, int], float] = {}
    closest: list[tuple[float, int, int]] = []
    for a, first in enumerate(members):
        for b in range(a + 1, len(members)):
            value = similarity(first, members[b])
            if value:
                totals[(a, b)] = value
                if value >= floor:
                    closest.append((-value, a, b))
    heapq.heapify(closest)
    made = len(members)
    while closest:
        _, a, b = heapq.heappop(closest)
        if a not in groups or b not in groups:
            continue  # one of them was joined since
        joined = groups.pop(a) + groups.pop(b)
        for other, group in groups.items():
            total = totals.pop((other, a) if other < a else (a, other), 0.0)
            total += totals.pop((other, b) if other < b else (b, other), 0.0)
            if total:
                totals[(other, made)] = total
                average = total / (len(group) * len(joined))
                if average >= floor:
                    heapq.heappush(closest, (-average, other, made))
        groups[made] = joined
        made += 1
    ranked = sorted(groups.values(), key=lambda group: (-len(group), min(group)))
    return [sorted(group) for group in ranked[1:] if len(group) >= smallest]


def linked_stories(
    links: Mapping[int, Mapping[int, float]], story_of: Callable[[int], int | None], floor: float
) -> Iterable[tuple[int, tuple[int, int]]]:
    """(links of at least `floor`, (story, story)) between the members of two stories, for
    each pair of stories the links join; `links` are each batch item's links (each pair of
    items once)."""
    counts: dict[tuple[int, int], int] = {}
    for item, found in links.items():
        story = story_of(item)
        if story is None:
            continue
        for other, value in found.items():
            if value < floor:
                continue
            other_story = story_of(other)
            if other_story is None or other_story == story:
                continue
            pair = (story, other_story) if story < other_story else (other_story, story)
            counts[pair] = counts.get(pair, 0) + 1
    return [(count, pair) for pair, count in counts.items()]
