"""Stories: items from several sources on one event, and what grouping reads and writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from reader.models.items import Item

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Story:
    """Items from several sources that report the same event."""

    id: int
    title: str
    items: tuple[Item, ...]
    """Best-scored first."""

    @property
    def sources(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for item in self.items:
            seen.setdefault(item.source, None)
        return tuple(seen)

    @property
    def newest(self) -> datetime | None:
        dates = [d for d in (i.date for i in self.items) if d is not None]
        return max(dates) if dates else None


@dataclass(frozen=True)
class StoryLead:
    """What story grouping reads of an item waiting to be grouped."""

    id: int
    source_id: int
    """Reports from one source never count as two sources of a story."""
    day: int
    """The item's day (its published, updated or first-seen date, as days since 1970-01-01)."""
    text: str
    """Its title and the start of its summary or body, title first."""


class StoryCandidate(NamedTuple):
    """A grouped item that shares key terms with an item being grouped, and how similar.

    A named tuple rather than a dataclass: a batch reads thousands of them.
    """

    lead_id: int
    """The item being grouped."""
    item_id: int
    """The grouped item found through the story index."""
    source_id: int
    day: int
    similarity: float
    """Cosine of the two items' key vectors."""
    story_id: int | None
    """The found item's story, if it has one."""


@dataclass(frozen=True)
class StoryChanges:
    """What one grouping batch asks the store to write, in one transaction."""

    grouped: tuple[int, ...]
    """Items now grouped: they leave the queue of items waiting to be grouped."""
    postings: tuple[tuple[int, int, int, str, float], ...]
    """(item id, source id, day, term, weight) index entries of the grouped items."""
    merges: tuple[tuple[int, int], ...] = ()
    """(kept story id, merged story id): the second story's items move to the first."""
    joins: tuple[tuple[int, int], ...] = ()
    """(item id, story id): items joining an existing story."""
    new_stories: tuple[tuple[str, tuple[int, ...], StoryCentroid], ...] = ()
    """(title, item ids, centroid) of stories to create."""
    centroids: tuple[tuple[int, StoryCentroid], ...] = ()
    """(story id, centroid) of existing stories that grew or merged."""
    terms: tuple[tuple[str, int], ...] = ()
    """(term, items) how many of the grouped items use each lead term: added to the store's
    term statistics (with `len(grouped)` to the items they count)."""


@dataclass(frozen=True)
class StoryCentroid:
    """What a story is about: the sum of its members' key vectors (strongest terms only)."""

    size: int
    """Members summed."""
    weights: tuple[tuple[str, float], ...]
    """(term, summed weight), strongest first."""


class IndexedItem(NamedTuple):
    """A grouped item as the story index holds it (what a full regroup keeps in memory)."""

    item_id: int
    source_id: int
    day: int
    keys: tuple[tuple[str, float], ...]
    """Its key terms and their weights, strongest first."""
    story_id: int | None = None
    """Its story, if it has one."""


@dataclass(frozen=True)
class RegroupWrite:
    """What a full regroup's walk writes at a checkpoint, in one transaction: what the batches
    since the last checkpoint decided, with the walk's position (so a walk stopped or killed
    goes on from a state the store holds whole, never counting a batch twice)."""

    grouped: tuple[int, ...]
    """Items walked since the last checkpoint: they leave the queue if they were in it."""
    index: tuple[IndexedItem, ...]
    """Their index entries (their story is in `items`)."""
    merges: tuple[tuple[int, int], ...] = ()
    """(kept story id, merged story id), in order: the second story's stored items move to the
    first, and the second story is deleted."""
    stories: tuple[tuple[int, str, StoryCentroid], ...] = ()
    """(id, title, centroid) of stories made or changed: made with that id and title, or given
    the new centroid (a stored story keeps its title)."""
    items: tuple[tuple[int, int], ...] = ()
    """(item id, story id) of items that joined a story (or moved) since the last checkpoint."""
    terms: tuple[tuple[str, int], ...] = ()
    """(term, items) the stories' term counts that changed, as totals (the empty term's row
    counts the items)."""
    meta: tuple[tuple[str, str | None], ...] = ()
    """Meta values set (None: deleted) in the same transaction: the walk's position."""
