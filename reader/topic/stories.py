"""Stories: reports of one event from several sources, found by comparing their texts.

News copy about one event shares its names, numbers and quotes, most of all in the title and
the opening lines; later paragraphs are background that the same outlet reuses across different
events (seeds 000 and 002 share whole sentences of it). So items are compared on their title and
lead only, as TF-IDF vectors (words and word pairs) fitted on the items being grouped: words
every item uses weigh little, the rare shared ones decide.

Items join a story when they are similar enough to one of its members (`LINK_SIMILARITY`) and
not too dissimilar to any (`MEMBER_SIMILARITY`, which stops chains of loosely related reports),
and when every dated member lies within the story window. A missing date never blocks grouping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from reader.topic.profile import STOP_WORDS, normalize_text

StoryInput = tuple[int, str, datetime | None, str]
"""What grouping needs of an item: (id, source name, date or None, text with title first)."""

LINK_SIMILARITY = 0.18
"""Cosine similarity of leads at which two reports are taken to be about the same event.

Tuned on tests/data/topic (bench/topic_quality.py): the two seeds on one interview score
about 0.36, the closest seeds on different events at most 0.12.
"""

MEMBER_SIMILARITY = 0.08
"""Every member of a story must be at least this similar to every other member."""

LEAD_WORDS = 100
"""Words of the title and opening compared: the part of a report that names its event."""

TITLE_CHARS = 200
"""Longest story title taken from an item's first line."""

MAX_NEIGHBOURS = 50
"""Most similar items each item is compared with; caps the pairs kept on big stores."""

_CHUNK = 500
"""Rows of the similarity matrix computed at once, to bound memory on big stores."""


_LEAD = re.compile(rf"\s*(?:\S+\s+){{0,{LEAD_WORDS - 1}}}\S*")


def lead_of(text: str) -> str:
    """The start of a text, up to `LEAD_WORDS` words, line breaks kept (the title stays first)."""
    match = _LEAD.match(text)
    return match.group(0) if match else ""


def story_text(text: str) -> str:
    """The part of an item's text that identifies its event: its title and lead."""
    return " ".join(text.split()[:LEAD_WORDS])


def story_title(text: str) -> str:
    """A story title from an item's text: its first non-empty line, shortened."""
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"
    return ""


def similar_pairs(texts: Sequence[str], floor: float) -> Iterator[tuple[int, int, float]]:
    """(i, j, similarity) with i < j for texts at least `floor` alike.

    Each text keeps only its `MAX_NEIGHBOURS` most similar others, so a flood of identical
    items cannot fill memory with pairs; a pair may be yielded twice (once from each side).
    """
    if len(texts) < 2:
        return
    vectorizer = TfidfVectorizer(
        preprocessor=normalize_text,
        token_pattern=r"(?u)\b\w\w+\b",
        stop_words=sorted(STOP_WORDS),
        ngram_range=(1, 2),
        strip_accents="unicode",
        sublinear_tf=True,
        dtype=np.float32,
    )
    try:
        matrix = vectorizer.fit_transform([story_text(t) for t in texts]).tocsr()
    except ValueError:  # no text has a single word to compare
        return
    transposed = matrix.T.tocsc()
    for start in range(0, matrix.shape[0], _CHUNK):
        block = (matrix[start : start + _CHUNK] @ transposed).tocsr()
        for row in range(block.shape[0]):
            i = start + row
            begin, end = block.indptr[row], block.indptr[row + 1]
            columns, values = block.indices[begin:end], block.data[begin:end]
            wanted = (values >= floor) & (columns != i)
            columns, values = columns[wanted], values[wanted]
            if len(values) > MAX_NEIGHBOURS:
                best = np.argpartition(-values, MAX_NEIGHBOURS)[:MAX_NEIGHBOURS]
                columns, values = columns[best], values[best]
            for j, value in zip(columns.tolist(), values.tolist(), strict=True):
                yield (i, j, value) if i < j else (j, i, value)


def _within(dates: list[datetime], window: timedelta) -> bool:
    return not dates or max(dates) - min(dates) <= window


def group_stories(
    items: Sequence[StoryInput],
    *,
    story_days: int,
    link: float = LINK_SIMILARITY,
    member: float = MEMBER_SIMILARITY,
) -> list[tuple[str, list[int]]]:
    """Group items that report the same event; each item joins at most one story.

    Returns (title, item ids) per story of two or more items, biggest first. The title is
    the title (first line) of the member most like the others.
    """
    if member > link:
        raise ValueError("group_stories: member similarity must not exceed link similarity")
    window = timedelta(days=story_days)
    texts = [text for _, _, _, text in items]
    dates = [date for _, _, date, _ in items]
    similarity: dict[tuple[int, int], float] = {}
    for i, j, value in similar_pairs(texts, member):
        similarity[(i, j)] = value

    def alike(i: int, j: int) -> float:
        return similarity.get((i, j) if i < j else (j, i), 0.0)

    # Agglomerate: strongest links first; a merge must keep every pair alike and the dated
    # members within the window (complete-link on `member`, single-link on `link`).
    cluster_of = list(range(len(items)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(items))}
    cluster_dates: dict[int, list[datetime]] = {
        i: ([d] if d is not None else []) for i, d in enumerate(dates)
    }
    for (i, j), value in sorted(similarity.items(), key=lambda kv: (-kv[1], kv[0])):
        if value < link:
            break
        a, b = cluster_of[i], cluster_of[j]
        if a == b:
            continue
        merged_dates = cluster_dates[a] + cluster_dates[b]
        if not _within(merged_dates, window):
            continue
        if any(alike(x, y) < member for x in members[a] for y in members[b]):
            continue
        if len(members[a]) < len(members[b]):
            a, b = b, a
        for x in members[b]:
            cluster_of[x] = a
        members[a].extend(members.pop(b))
        cluster_dates[a] = merged_dates
        del cluster_dates[b]

    stories: list[tuple[str, list[int]]] = []
    for group in members.values():
        if len(group) < 2:
            continue
        titles = {x: story_title(texts[x]) for x in group}
        # The most central member names the story; among equals, a whole headline beats
        # one cut from a first sentence, then the earlier item.
        centre = max(
            group,
            key=lambda x: (
                round(sum(alike(x, y) for y in group if y != x), 6),
                bool(titles[x]) and not titles[x].endswith("…"),
                -x,
            ),
        )
        title = titles[centre] or f"Story of item {items[centre][0]}"
        stories.append((title, sorted(items[x][0] for x in group)))
    stories.sort(key=lambda s: (-len(s[1]), s[1][0]))
    return stories
