"""The topic evaluations' data and measures, shared by `bench/topic_quality.py` and the tests.

Three evaluations, each split before any tuning (tests/data/topic/splits.json):
- the seeds' own topic on the hand-labelled items (tests/data/topic/items.jsonl), with the real
  news of ../shared/corpus as distractors (its hard negatives labelled);
- other topics played by storylines of the real news: three earliest items as seeds, the rest
  to be found among all the other news items (tests/data/topic/corpus_topics.tsv);
- same-story pairs across sources in the real news (tests/data/topic/corpus_stories.tsv).
Labels point into the corpus by file and item identity; the text is read from the corpus.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from reader.topic.text import terms

PROJECT = Path(__file__).resolve().parents[1]
DATA = PROJECT / "tests" / "data" / "topic"
CORPUS = PROJECT.parent / "shared" / "corpus"
SEED_COUNT = 3
"""Seeds per corpus topic: its earliest items."""


@dataclass(frozen=True)
class NewsItem:
    """One real news item of the corpus, as the store would hold it."""

    path: str
    """The corpus file (its source)."""
    identity: str
    date: datetime | None
    text: str
    """Title, summary and body, one per line."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.path, self.identity)


@cache
def corpus_news(corpus: Path = CORPUS) -> tuple[NewsItem, ...]:
    """Every item of the corpus's real news snapshots (kind news-real), parsed as we parse."""
    from reader.parse import parse_document

    manifest = corpus / "MANIFEST.tsv"
    if not manifest.is_file():
        return ()
    found: list[NewsItem] = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        columns = line.split("\t")
        if len(columns) != 5 or columns[4] != "news-real":
            continue
        parsed = parse_document(
            (corpus / columns[0]).read_bytes(),
            url=f"http://corpus.invalid/{columns[0]}",  # as when labelled
            now=datetime(2026, 11, 1, tzinfo=UTC),
        )
        for item in parsed.items:
            text = "\n".join(p for p in (item.title, item.summary, item.text) if p)
            found.append(NewsItem(columns[0], item.identity, item.published or item.updated, text))
    return tuple(found)


def _rows(path: Path) -> list[list[str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


@cache
def splits() -> dict[str, dict[str, list[str]]]:
    """The frozen tuned / held-out splits."""
    loaded: dict[str, dict[str, list[str]]] = json.loads(
        (DATA / "splits.json").read_text(encoding="utf-8")
    )
    return loaded


@cache
def topic_labels() -> dict[str, dict[tuple[str, str], int]]:
    """Grade (2 on, 1 related) of each labelled corpus item, by topic."""
    labels: dict[str, dict[tuple[str, str], int]] = {}
    for topic, grade, path, identity in _rows(DATA / "corpus_topics.tsv"):
        labels.setdefault(topic, {})[(path, identity)] = int(grade)
    return labels


@cache
def story_labels() -> dict[tuple[str, str], tuple[str, frozenset[str]]]:
    """(story, loose stories) of each labelled corpus item."""
    labels: dict[tuple[str, str], tuple[str, frozenset[str]]] = {}
    for row in _rows(DATA / "corpus_stories.tsv"):
        path, identity, story, loose = (row + [""] * 4)[:4]
        labels[(path, identity)] = (story, frozenset(s for s in loose.split(",") if s))
    return labels


# -- measures ---------------------------------------------------------------------------------


def auc(scores: Sequence[float], relevant: Sequence[bool]) -> float:
    """ROC AUC: the chance a relevant item outscores an irrelevant one (ties count half)."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    positives = sum(relevant)
    negatives = len(relevant) - positives
    if not positives or not negatives:
        return math.nan
    rank_sum = sum(r for r, rel in zip(ranks, relevant, strict=True) if rel)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def precision_at(k: int, scores: Sequence[float], relevant: Sequence[bool]) -> float:
    """The share of relevant items among the `k` best-scored (ties broken by position)."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]
    return sum(relevant[i] for i in order) / max(len(order), 1)


@dataclass(frozen=True)
class Ranking:
    """How one ranker did on one topic."""

    auc: float
    p20: float
    p_r: float
    r: int

    @classmethod
    def of(cls, scores: Sequence[float], relevant: Sequence[bool]) -> Ranking:
        r = sum(relevant)
        return cls(
            auc(scores, relevant),
            precision_at(20, scores, relevant),
            precision_at(r, scores, relevant),
            r,
        )


def pair_quality(
    groups: Sequence[Sequence[tuple[str, str]]],
    items: Sequence[NewsItem],
) -> tuple[float, float, int, int]:
    """Pair precision and recall of predicted stories (groups of item keys) against the labels,
    counting only pairs from different sources; also (true pairs, predicted pairs scored)."""
    labels = story_labels()
    present = {item.key for item in items}
    truth: set[frozenset[tuple[str, str]]] = set()
    by_story: dict[str, list[tuple[str, str]]] = {}
    for key, (story, _) in labels.items():
        if story and key in present:
            by_story.setdefault(story, []).append(key)
    for members in by_story.values():
        for a, b in itertools.combinations(members, 2):
            if a[0] != b[0]:
                truth.add(frozenset((a, b)))
    hits = scored = 0
    for group in groups:
        for a, b in itertools.combinations(group, 2):
            if a[0] == b[0]:
                continue
            pair = frozenset((a, b))
            if pair in truth:
                hits += 1
                scored += 1
                continue
            story_a, loose_a = labels.get(a, ("", frozenset()))
            story_b, loose_b = labels.get(b, ("", frozenset()))
            all_a = loose_a | ({story_a} if story_a else set())
            all_b = loose_b | ({story_b} if story_b else set())
            if all_a & all_b:
                continue  # a loose pair: neither right nor wrong
            scored += 1
    precision = hits / scored if scored else 1.0
    recall = hits / len(truth) if truth else 1.0
    return precision, recall, len(truth), scored


# -- the plain baseline -------------------------------------------------------------------------


def tfidf_cosine(seeds: Sequence[str], texts: Sequence[str]) -> list[float]:
    """The plain baseline: cosine of each text's TF-IDF vector with the seeds' text as one
    document, IDF fitted on the texts and seeds together (words only, stop words out)."""
    documents = [Counter(terms(t, limit=10**9, pairs=False)) for t in texts]
    query = Counter(terms("\n".join(seeds), limit=10**9, pairs=False))
    df: Counter[str] = Counter()
    for document in [*documents, query]:
        df.update(document.keys())
    n = len(documents) + 1
    idf = {term: math.log((1 + n) / (1 + count)) + 1 for term, count in df.items()}

    def vector(counts: Counter[str]) -> dict[str, float]:
        weights = {t: c * idf[t] for t, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}

    q = vector(query)
    return [sum(w * q.get(t, 0.0) for t, w in vector(d).items()) for d in documents]
