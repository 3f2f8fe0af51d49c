"""Stories: reports of one event from several sources, grouped as each item arrives.

News copy about one event shares its names, places, numbers and quotes, most of all in the
title and the opening lines; later paragraphs are background the same outlet reuses across
events. So an item is represented by the `KEY_TERMS` strongest words of its title and lead
(lightly stemmed, title words counted twice), weighted by TF-IDF with the store's term
statistics: the rare terms decide. On the tuned labels, counting title words twice and
stemming raised the share of true pairs above the 20th most similar false pair from 0.65 to
0.78; word pairs, extra weight for capitalised words and longer leads did not help.

Incremental by design. Every grouped item's key terms go into an index by day (the store's
`story_keys`); a new item looks up its own key terms there, within `story_days` of its
date, and is compared only with the items found (they share at least one key term). The cost
of an item is its candidates, never the store. Then:

- it joins the story of its closest candidate if that link is strong (`STRONG`), or good
  (`LINK`) and backed by a second member (`SUPPORT`), and if it is close to what the story as
  a whole is about (its centroid, `CENTROID`): a report that shares a place or a person with
  some members but not their event stays out (two sets of talks in Geneva on one day are two
  stories);
- a good link to an item in no story starts a new story of the two, and so does a link to
  such an item stronger than the best link into a story (the closest report decides: a
  report of a visit after a conference stays with the visit, not the conference);
- reports in no story that the item links to strongly (`STRONG`) come along into its story,
  so the order in which reports of one event arrive does not decide whether they meet;
- when it qualifies for two stories with links of `MERGE` or better, the weaker at least
  `BALANCE` of the stronger, and their centroids agree, it bridges them: the newer story's
  items move into the older one, which keeps its id (a story it starts with a lone report
  counts as one of the two). A report much closer to one story that names the other's event
  in passing is no bridge: one link of 0.31 into the Ukraine talks from a report linked at
  0.69 to the Iran talks (both in Geneva) merged the two.

Once the whole batch is placed, two repairs look at the stories it touched as wholes, with every
link it saw at once, so the order the batch came in weighs less (`reader/topic/story_repair.py`):
two stories that several good links join and whose centroids agree closely merge, and a story
made by the batch (never a stored one) falls apart where its members form groups that link to
each other on average below `APART`.

Story ids are stable: adding items never renumbers stories; an item only moves when its story
is merged. A story may run longer than `story_days` as long as each report is within that many
days of another. A full regroup (`reader stories refresh --force`) clears the index and runs
the same steps over every item in date order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from reader.models import StoryCandidate, StoryCentroid, StoryChanges, StoryLead
from reader.topic.profile import Idf
from reader.topic.story_batch import (
    Batch,
    Entry,
    Similarities,
    StoryState,
    Vector,
    better_title,
    cosine,
    merge_stories,
    stories_agree,
)
from reader.topic.story_repair import merge_linked, split_apart
from reader.topic.text import stem, terms_of, words

LEAD_WORDS = 60
"""Words of the title and opening compared: the part of a report that names its event."""

TITLE_WEIGHT = 2.0
"""How much more a title word counts than a word of the lead."""

LEAD_CHARS = 600
"""Characters of an item's text read for its lead (enough for `LEAD_WORDS` words)."""

KEY_TERMS = 30
"""Strongest lead terms kept per item: its key vector and its index entries."""

CENTROID_TERMS = 40
"""Strongest terms kept of a story's centroid."""

LINK = 0.20
"""Cosine of key vectors at which two reports are taken to be about the same event."""

STRONG = 0.30
"""A link this strong joins a story without a second member backing it."""

SUPPORT = 0.15
"""A second member of the story at least this close backs a `LINK`-strong link."""

BACKED_SIZE = 3
"""A story needs this many members before two `LINK`-strong links can join it (a story of two
is joined only by a `STRONG` link: its centroid says little yet)."""

CENTROID = 0.20
"""Cosine with a story's centroid needed to join it (and between two stories to merge)."""

MERGE = 0.30
"""Links at least this strong into two stories merge them."""

BALANCE = 0.7
"""...and the weaker of the two links is at least this share of the stronger."""

COMMON_SHARE = 0.1
"""A term in this share of the store's items (or more) is no key term: it names no event, and
looking it up would cost a tenth of the window for every item."""

COMMON_POSTINGS = 150
"""A term more items of one batch share is too common there to say anything about an event
(and would make comparing the batch cost its square): it is not compared within the batch."""

TITLE_CHARS = 200
"""Longest story title taken from an item's first line."""

TITLE_WORDS = 30
"""A first line longer than this is the opening of the text, not a title."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SPACE = re.compile(r"\s+")


def day_of(moment: datetime) -> int:
    """Days since 1970-01-01 (UTC) of a moment."""
    return (moment.astimezone(UTC) - _EPOCH).days


def story_title(text: str) -> str:
    """A story title from an item's text: its first non-empty line, shortened (with "…")."""
    for line in text.splitlines():
        line = _SPACE.sub(" ", line).strip()
        if line:
            if len(line) <= TITLE_CHARS and len(line.split()) <= TITLE_WORDS:
                return line
            cut = line[: TITLE_CHARS - 1]
            cut = " ".join(cut.split()[:TITLE_WORDS])
            return cut.rstrip() + "…"
    return ""


def lead_terms(text: str) -> dict[str, float]:
    """Stemmed words of the title (counted `TITLE_WEIGHT` times) and the lead that follows."""
    title, _, rest = text.lstrip().partition("\n")
    head = words(title, LEAD_WORDS)
    if len(head) > TITLE_WORDS:  # no title line: all of it is lead
        head, rest = [], text
    counts: dict[str, float] = {}
    for word in terms_of(head, pairs=False):
        key = stem(word)
        counts[key] = counts.get(key, 0.0) + TITLE_WEIGHT
    for word in terms_of(words(rest, LEAD_WORDS - len(head)), pairs=False):
        key = stem(word)
        counts[key] = counts.get(key, 0.0) + 1.0
    return counts


def key_vector(text: str, idf: Idf) -> Vector:
    """The item's `KEY_TERMS` strongest lead terms, TF-IDF weighted, scaled to unit length."""
    return _key_vector(lead_terms(text), idf)


def _key_vector(terms: Mapping[str, float], idf: Idf) -> Vector:
    common = idf.common_below(COMMON_SHARE)
    table, unseen, log = idf.table, idf.unseen, math.log
    weighted: list[tuple[float, str]] = []
    for term, n in terms.items():
        weight = table.get(term, unseen)
        if weight > common:
            weighted.append((-(1.0 + log(n)) * weight, term))
    weighted.sort()  # strongest first, ties by term
    strongest = weighted[:KEY_TERMS]
    norm = math.sqrt(sum(w * w for w, _ in strongest))
    return {term: -w / norm for w, term in strongest} if norm else {}


Key = tuple[int, int, int, str, float]
"""(item id, source id, day, term, weight): one key term of an item, as indexed."""

CandidateSource = Callable[[Sequence[Key], int, float], list[StoryCandidate]]
"""Indexed items of other sources similar to the batch's items (the store's
`story_candidates`): given the batch's keys, the story window and the similarity floor."""

CentroidSource = Callable[[Sequence[int]], dict[int, StoryCentroid]]
"""Centroids of stored stories (the store's `story_centroids`)."""

TermCountSource = Callable[[Sequence[str]], tuple[int, dict[str, int]]]
"""Term statistics of the items grouped before (the store's `story_term_counts`): how many
items, and how many of them use each of these terms."""


def no_counts(terms: Sequence[str]) -> tuple[int, dict[str, int]]:
    """The term statistics of a store with nothing grouped yet."""
    del terms
    return 0, {}


def batch_statistics(
    leads: Sequence[StoryLead], counts: TermCountSource
) -> tuple[dict[int, dict[str, float]], Idf, dict[str, int]]:
    """Each lead's terms, the statistics to weigh them with (the items grouped before and the
    batch itself, as one pass over all of them would learn), and the batch's own counts."""
    terms = {lead.id: lead_terms(lead.text) for lead in leads}
    own: dict[str, int] = {}
    for found in terms.values():
        for term in found:
            own[term] = own.get(term, 0) + 1
    before, stored = counts(sorted(own))
    total = {term: n + stored.get(term, 0) for term, n in own.items()}
    return terms, Idf.from_counts(total, before + len(leads)), own


@dataclass(frozen=True)
class BatchKeys:
    """What grouping a batch computes from its texts and the term statistics alone, before any
    decision: a full regroup computes it ahead of the placing, in another process."""

    vectors: dict[int, Vector]
    """Each item's key vector."""
    keys: list[Key]
    """The batch's keys, item by item (what the index is asked and given)."""
    terms: dict[str, int]
    """How many of the batch's items use each lead term (empty with fixed statistics)."""
    titles: dict[int, str]
    """Each item's story title."""


def batch_keys(leads: Sequence[StoryLead], statistics: Idf | TermCountSource) -> BatchKeys:
    """The batch's key vectors and keys, weighed with fixed statistics or with the counts of
    the items grouped before and the batch's own (see `group_batch`)."""
    own: dict[str, int] = {}
    if isinstance(statistics, Idf):
        idf = statistics
        terms = {lead.id: lead_terms(lead.text) for lead in leads}
    else:
        terms, idf, own = batch_statistics(leads, statistics)
    vectors = {lead.id: _key_vector(terms[lead.id], idf) for lead in leads}
    titles = {lead.id: story_title(lead.text) for lead in leads}
    return BatchKeys(vectors, _keys(leads, vectors), own, titles)


def group_batch(
    leads: Sequence[StoryLead],
    statistics: Idf | TermCountSource,
    story_days: int,
    candidates: CandidateSource,
    centroids: CentroidSource,
) -> StoryChanges:
    """Group a batch of items (in date order) against the index and each other.

    `statistics` are fixed term statistics, or the counts of the items grouped before (the
    batch's own are added to them, and returned in the changes for the store to keep).
    `candidates` is asked once, with every key of the batch; `centroids` once, for the
    stories the candidates belong to. The batch's items are compared with each other here.
    """
    keyed = batch_keys(leads, statistics)
    found = candidates(keyed.keys, story_days, SUPPORT) if leads else []
    return place_batch(leads, keyed, found, story_days, centroids)


def place_batch(
    leads: Sequence[StoryLead],
    keyed: BatchKeys,
    candidates: Iterable[StoryCandidate],
    story_days: int,
    centroids: CentroidSource,
) -> StoryChanges:
    """The decisions of `group_batch`, given the batch's keys and the index's candidates for
    them (of at least `SUPPORT`); only ids, sources and days of `leads` are read."""
    vectors = keyed.vectors
    batch = Batch()
    if leads:
        for found in candidates:
            if found.item_id in vectors:
                continue  # being regrouped: it is compared as a member of this batch
            batch.found.setdefault(found.lead_id, {})[found.item_id] = found.similarity
            if found.item_id not in batch.entries:
                batch.entries[found.item_id] = Entry(
                    found.source_id, found.day, found.story_id, found.story_id
                )
        stored = {e.story for e in batch.entries.values() if e.story is not None}
        for story, centroid in centroids(sorted(stored)).items():
            batch.stories[story] = StoryState(centroid.size, dict(centroid.weights))
    titles = keyed.titles
    for lead in leads:
        vector = vectors[lead.id]
        _place(lead, vector, vectors, batch, story_days, titles)
        for term, weight in vector.items():
            batch.postings.setdefault(term, []).append((lead.id, weight, lead.day))
    merge_linked(batch, LINK)
    split_apart(leads, vectors, batch, titles)
    return _changes(leads, vectors, batch, keyed.terms, keyed.keys)


def _keys(leads: Sequence[StoryLead], vectors: dict[int, Vector]) -> list[Key]:
    return [
        (lead.id, lead.source_id, lead.day, term, weight)
        for lead in leads
        for term, weight in vectors[lead.id].items()
    ]


def _similarities(lead: StoryLead, vector: Vector, batch: Batch, story_days: int) -> Similarities:
    """Similarity to the stored candidates and to the batch's earlier items."""
    found: Similarities = dict(batch.found.get(lead.id, {}))
    low, high = lead.day - story_days, lead.day + story_days
    for term, weight in vector.items():
        postings = batch.postings.get(term, ())
        if len(postings) > COMMON_POSTINGS:
            continue
        for item, other, day in postings:
            if low <= day <= high:
                found[item] = found.get(item, 0.0) + weight * other
    return found


def _centroid_agrees(batch: Batch, story: int, vector: Vector) -> bool:
    state = batch.stories.get(story)
    return state is None or cosine(vector, state.sums) >= CENTROID


def _place(
    lead: StoryLead,
    vector: Vector,
    vectors: dict[int, Vector],
    batch: Batch,
    story_days: int,
    titles: dict[int, str],
) -> None:
    """Decide the story of one item: join, start with a lone report, bridge, or none."""
    similar = _similarities(lead, vector, batch, story_days)
    batch.links[lead.id] = {item: value for item, value in similar.items() if value >= SUPPORT}
    by_story: dict[int, list[float]] = {}
    loners: list[tuple[float, int]] = []
    for item, value in similar.items():
        if value < SUPPORT:
            continue
        story = batch.story_of(item)
        if story is None:
            if value >= LINK:
                loners.append((value, item))
        else:
            by_story.setdefault(story, []).append(value)
    qualified: list[tuple[float, int]] = []
    for story, values in by_story.items():
        values.sort(reverse=True)
        best = values[0]
        size = batch.stories[story].size if story in batch.stories else len(values)
        backed = best >= STRONG or (best >= LINK and len(values) > 1 and size >= BACKED_SIZE)
        if backed and _centroid_agrees(batch, story, vector):
            qualified.append((best, story))
    qualified.sort(key=lambda p: (-p[0], p[1]))
    entry = Entry(lead.source_id, lead.day, None)
    batch.entries[lead.id] = entry
    closest = max(loners, default=None)
    if qualified and not (closest is not None and closest[0] > qualified[0][0]):
        best, story = qualified[0]
        story = _bridge(batch, best, story, qualified[1:])
        entry.story = story
        batch.add_member(story, vector)
        if story < 0:
            state = batch.stories[story]
            state.title = better_title(state.title, titles.get(lead.id, ""))
    elif closest is not None:
        best, partner = closest
        story = batch.next_new
        batch.next_new -= 1
        batch.entries[partner].story = story
        entry.story = story
        # A stored partner's own vector is not at hand: the new item's stands for both.
        batch.add_member(story, vectors.get(partner) or vector)
        batch.add_member(story, vector)
        batch.stories[story].title = better_title(titles.get(partner, ""), titles.get(lead.id, ""))
        story = _bridge(batch, best, story, qualified)
    else:
        return
    # Reports in no story that this one links to strongly come along: had they arrived after
    # it, they would have joined it (the order of arrival must not decide).
    for value, other in sorted(loners, reverse=True):
        if value < STRONG or batch.entries[other].story is not None:
            continue
        other_vector = vectors.get(other) or vector
        if _centroid_agrees(batch, story, other_vector):
            batch.entries[other].story = story
            batch.add_member(story, other_vector)


def _bridge(batch: Batch, best: float, story: int, others: Sequence[tuple[float, int]]) -> int:
    """Merge into `story` the other stories an item links to as strongly (`MERGE`), when their
    centroids agree; the story it ends in."""
    for value, other in others:
        if value >= max(MERGE, BALANCE * best) and stories_agree(batch, story, other, CENTROID):
            story = merge_stories(batch, story, other)
    return story


def _centroid(state: StoryState) -> StoryCentroid:
    strongest = sorted(state.sums.items(), key=lambda p: (-p[1], p[0]))[:CENTROID_TERMS]
    return StoryCentroid(state.size, tuple((t, round(w, 6)) for t, w in strongest))


def _changes(
    leads: Sequence[StoryLead],
    vectors: dict[int, Vector],
    batch: Batch,
    terms: dict[str, int],
    keys: list[Key],
) -> StoryChanges:
    """What the batch decided, as store writes (batch stories resolved to their final ids)."""
    joins: list[tuple[int, int]] = []
    new_members: dict[int, list[int]] = {}
    for item, entry in batch.entries.items():
        story = batch.story_of(item)
        if story is None or (item not in vectors and entry.stored is not None):
            continue  # alone, or stored in a story (a merge moves it, if any)
        if story > 0:
            joins.append((item, story))
        else:
            new_members.setdefault(story, []).append(item)
    new_stories = tuple(
        (
            batch.stories[story].title or f"Story of item {min(items)}",
            tuple(sorted(items)),
            _centroid(batch.stories[story]),
        )
        for story, items in sorted(new_members.items(), reverse=True)
    )
    return StoryChanges(
        grouped=tuple(lead.id for lead in leads),
        postings=tuple(keys),
        merges=tuple(batch.merges),
        joins=tuple(sorted(set(joins))),
        new_stories=new_stories,
        centroids=tuple(
            (story, _centroid(state))
            for story, state in sorted(batch.stories.items())
            if story > 0 and state.changed
        ),
        terms=tuple(sorted(terms.items())),
    )


def group_stories(
    items: Sequence[tuple[int, int, datetime | None, str]],
    *,
    story_days: int,
    idf: Idf | None = None,
) -> list[tuple[str, list[int]]]:
    """Group items (id, source id, date, text) the way the store does, all in memory.

    Items without a date are placed at the latest date given (or today). Returns (title, ids)
    of each story, biggest first. `idf` defaults to statistics learned from the items.
    """
    dated = [d for _, _, d, _ in items if d is not None]
    undated_day = day_of(max(dated)) if dated else day_of(datetime.now(UTC))
    leads = sorted(
        (
            StoryLead(i, source, day_of(d) if d is not None else undated_day, text)
            for i, source, d, text in items
        ),
        key=lambda lead: (lead.day, lead.id),
    )
    changes = group_batch(
        leads, no_counts if idf is None else idf, story_days, lambda *_: [], lambda _: {}
    )
    stories = [(title, sorted(ids)) for title, ids, _ in changes.new_stories]
    stories.sort(key=lambda s: (-len(s[1]), s[1][0]))
    return stories
