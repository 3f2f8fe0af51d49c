"""Topic quality: ours against a plain TF-IDF cosine, on tuned and held-out data, side by side.

Prints, for the tuned and the held-out split (tests/data/topic/splits.json, frozen before any
tuning):
- the seeds' own topic: the hand-labelled items (tests/data/topic/items.jsonl) among the real
  news of ../shared/corpus as distractors: ROC AUC, precision of the top 20 and of the top R
  (R = the on-topic items), and the best score of a labelled hard negative;
- other topics played by storylines of the real news (three earliest items as seeds, the rest
  to be found among all other news items): the same figures per storyline, and their means;
- stories: precision and recall of same-story pairs across sources in the real news (grouped
  in memory in one pass, and by a real store a day at a time, as the daemon groups them), and
  on the labelled items with the seeds.

Run from the project folder: .venv/bin/python -m bench.topic_quality [--split tuned|held_out]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.topic_data import (
    CORPUS,
    SEED_COUNT,
    NewsItem,
    Ranking,
    corpus_news,
    precision_at,
    splits,
    tfidf_cosine,
    topic_labels,
)
from bench.topic_data import (
    pair_quality as news_pair_quality,
)
from reader.config import Settings, TopicSettings
from reader.models import ItemWrite
from reader.store import SQLiteStore
from reader.topic import TopicModel, group_stories, refresh_topic
from reader.topic.stories import day_of

PROJECT = Path(__file__).resolve().parents[1]
DATA = PROJECT / "tests" / "data" / "topic"
SEEDS = PROJECT / "seeds"

__all__ = ["CORPUS", "precision_at"]


@dataclass(frozen=True)
class LabeledItem:
    """One hand-labeled item: on the topic or not, and the event it reports (if labeled)."""

    id: int
    source: str
    date: datetime | None
    text: str
    relevant: bool
    story: str | None


def load_labeled(path: Path = DATA / "items.jsonl") -> list[LabeledItem]:
    """The labeled items, in file order."""
    items: list[LabeledItem] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            date = datetime.fromisoformat(row["date"]).replace(tzinfo=UTC) if row["date"] else None
            items.append(
                LabeledItem(
                    int(row["id"]),
                    str(row["source"]),
                    date,
                    str(row["text"]),
                    bool(row["relevant"]),
                    row.get("story"),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}, line {number}: bad labeled item: {exc}") from None
    return items


def load_seeds(directory: Path = SEEDS) -> list[tuple[str, str]]:
    """(file name, text) of each seed article, by name."""
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.txt"))]


def seed_story_labels(path: Path = DATA / "seed_stories.json") -> dict[str, str]:
    """The labeled event of each seed file."""
    labels: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return labels


def pair_quality(
    stories: Sequence[tuple[str, Sequence[int]]], truth: set[tuple[int, int]]
) -> tuple[float, float]:
    """Pair precision and recall of predicted stories against labeled same-story pairs."""
    predicted = {pair for _, ids in stories for pair in itertools.combinations(sorted(ids), 2)}
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(truth) if truth else 1.0
    return precision, recall


SEED_ID_BASE = 100_000
"""Seeds join the grouping test set under ids from here on, in file order."""

StoryInput = tuple[int, int, datetime | None, str]
"""(id, source id, date, text) for `group_stories`."""


def story_inputs(
    items: Sequence[LabeledItem], seeds: Sequence[tuple[str, str]], labels: dict[str, str]
) -> tuple[list[StoryInput], set[tuple[int, int]]]:
    """Grouping inputs (labeled items plus undated seeds) and the true same-story pairs."""
    sources = {name: n for n, name in enumerate(sorted({i.source for i in items} | {"seeds"}))}
    inputs: list[StoryInput] = [(i.id, sources[i.source], i.date, i.text) for i in items]
    story_of = {i.id: i.story for i in items}
    for offset, (name, text) in enumerate(seeds):
        inputs.append((SEED_ID_BASE + offset, sources["seeds"], None, text))
        story_of[SEED_ID_BASE + offset] = labels.get(name)
    truth = {
        (a, b)
        for a, b in itertools.combinations(sorted(story_of), 2)
        if story_of[a] is not None and story_of[a] == story_of[b]
    }
    return inputs, truth


def corpus_news_texts() -> list[str]:
    """The text of every real news item of the corpus (empty when it is absent)."""
    return [item.text for item in corpus_news()]


# -- the evaluations ----------------------------------------------------------------------------


def ours(seeds: Sequence[str], texts: Sequence[str], background: Sequence[str]) -> list[float]:
    """Our ranking: the profile built as in a store holding `background`."""
    model = TopicModel.build(seeds, TopicSettings(), background)
    return [score for score, _ in model.score(texts)]


@dataclass(frozen=True)
class TopicResult:
    """One topic's figures: ours and the baseline."""

    topic: str
    ours: Ranking
    baseline: Ranking


def seeds_topic(part: str) -> tuple[TopicResult, float, float]:
    """The seeds' topic on one split of the labelled items among the corpus news; also the
    best score of a hard negative and of any corpus item."""
    news = corpus_news()
    wanted = set(splits()["labeled_items"][part])
    items = [i for i in load_labeled() if i.id in wanted]
    texts = [i.text for i in items] + [n.text for n in news]
    relevant = [i.relevant for i in items] + [False] * len(news)
    seeds = [text for _, text in load_seeds()]
    scores = ours(seeds, texts, texts)
    base = tfidf_cosine(seeds, texts)
    hard = set(topic_labels().get("seeds", {}))
    news_scores = scores[len(items) :]
    worst_hard = max(
        (s for n, s in zip(news, news_scores, strict=True) if n.key in hard), default=0.0
    )
    return (
        TopicResult(
            "seeds (NATO, Asia-Pacific)", Ranking.of(scores, relevant), Ranking.of(base, relevant)
        ),
        worst_hard,
        max(news_scores, default=0.0),
    )


def storyline_topics(part: str) -> list[TopicResult]:
    """Each storyline of the split playing the topic among all the corpus news."""
    news = corpus_news()
    order = {item.key: n for n, item in enumerate(news)}
    results: list[TopicResult] = []
    for topic in splits()["corpus_topics"][part]:
        grades = topic_labels()[topic]
        on = sorted(
            (item for item in news if grades.get(item.key) == 2),
            key=lambda item: (item.date or datetime.min.replace(tzinfo=UTC), order[item.key]),
        )
        seeds = {item.key for item in on[:SEED_COUNT]}
        pool: list[NewsItem] = [
            item for item in news if item.key not in seeds and grades.get(item.key) != 1
        ]
        relevant = [grades.get(item.key) == 2 for item in pool]
        seed_texts = [item.text for item in on[:SEED_COUNT]]
        texts = [item.text for item in pool]
        scores = ours(seed_texts, texts, [item.text for item in news])
        results.append(
            TopicResult(
                topic,
                Ranking.of(scores, relevant),
                Ranking.of(tfidf_cosine(seed_texts, texts), relevant),
            )
        )
    return results


def _arrival(items: Sequence[NewsItem], order: str | int) -> list[int]:
    """Positions of `items` in an order of arrival: "corpus" (by day, then corpus position),
    "time" (by date and time, then corpus position: the order a store groups a day in), or a
    seed (by day, then shuffled within the day)."""
    # Undated items are placed on the latest date given, as group_stories places them.
    latest = max((i.date for i in items if i.date is not None), default=datetime.now(UTC))
    days = [day_of(i.date or latest) for i in items]
    if order == "corpus":
        return sorted(range(len(items)), key=lambda n: (days[n], n))
    if order == "time":
        never = datetime.max.replace(tzinfo=UTC)
        return sorted(range(len(items)), key=lambda n: (items[n].date or never, n))
    shuffle = random.Random(order)
    ranks = {n: shuffle.random() for n in range(len(items))}
    return sorted(range(len(items)), key=lambda n: (days[n], ranks[n]))


def split_news(part: str) -> tuple[list[NewsItem], dict[str, int]]:
    """The real news of one split's story sources, and an id for each source."""
    sources = sorted(set(splits()["story_sources"][part]))
    items = [item for item in corpus_news() if item.path in sources]
    return items, {path: n for n, path in enumerate(sources)}


def news_stories(
    part: str, story_days: int = 7, order: str | int = "corpus"
) -> tuple[float, float, int, int]:
    """Same-story pair quality on the real news of one split's sources, grouped in memory in
    one pass; `order` is the order of arrival within a day (see `_arrival`)."""
    items, source_ids = split_news(part)
    arrival = _arrival(items, order)
    # group_stories places the items of a day by id: the id is the position of arrival.
    groups = group_stories(
        [
            (rank, source_ids[items[n].path], items[n].date, items[n].text)
            for rank, n in enumerate(arrival)
        ],
        story_days=story_days,
    )
    return news_pair_quality([[items[arrival[r]].key for r in ids] for _, ids in groups], items)


def stored_news_stories(
    part: str, *, hours: int = 24, order: str | int = "time"
) -> tuple[float, float, int, int]:
    """Same-story pair quality on the real news of one split's sources as a store groups it
    (`stored_news_groups`)."""
    items, _ = split_news(part)
    return news_pair_quality(stored_news_groups(part, hours=hours, order=order), items)


def stored_news_groups(
    part: str, *, hours: int = 24, order: str | int = "time"
) -> list[list[tuple[str, str]]]:
    """The stories (item keys) a store makes of the real news of one split's sources: written
    into a real SQLite store (each source's new items in one write) and the topic refreshed
    every `hours` (24: a day at a time), as the daemon does after each update.

    `order` "time" keeps the items' own times; a seed moves each item to a random second of
    its day (the day stays), so the store meets a day's items in another order."""
    items, _ = split_news(part)
    now = datetime(2026, 11, 1, tzinfo=UTC)  # after every dated item: undated ones come last
    dates = [item.date or now for item in items]
    if order != "time":
        shuffle = random.Random(order)
        dates = [
            d.replace(hour=0, minute=0, second=0, microsecond=0)
            + timedelta(seconds=shuffle.randrange(86_400))
            for d in dates
        ]
    by_time: dict[datetime, dict[str, list[ItemWrite]]] = {}
    for n, item in enumerate(items):
        title, _, rest = item.text.partition("\n")
        write = ItemWrite(
            identity=str(n),
            title=title,
            link=f"http://corpus.invalid/{n}",
            author=None,
            published=dates[n] if item.date is not None or order != "time" else None,
            updated=None,
            content_html=None,
            text=rest,
            content_hash=str(n),
        )
        start = dates[n].replace(minute=0, second=0, microsecond=0)
        start -= timedelta(hours=start.hour % hours) if hours < 24 else timedelta(hours=start.hour)
        by_time.setdefault(start, {}).setdefault(item.path, []).append(write)
    with tempfile.TemporaryDirectory() as folder, SQLiteStore(Path(folder) / "news.db") as store:
        paths = sorted({item.path for item in items})
        feeds = {path: store.add_feed(f"http://corpus.invalid/{path}").id for path in paths}
        for start in sorted(by_time):
            for path, writes in by_time[start].items():
                store.write_items(feeds[path], writes, now=now)
            refresh_topic(store, Settings(), now=now)
        stories = store.get_stories(min_sources=1)
        return [[items[int(i.identity)].key for i in story.items] for story in stories]


ARRIVAL_ORDERS = 8
"""Seeded orders of arrival within each day that the stories' spread is measured over."""


def _spread(figures: Sequence[tuple[float, float, int, int]]) -> str:
    parts = []
    for name, values in (
        ("precision", [f[0] for f in figures]),
        ("recall", [f[1] for f in figures]),
    ):
        values.sort()
        median = statistics.median(values)
        parts.append(f"{name} {values[0]:.3f}-{values[-1]:.3f} (median {median:.3f})")
    return ", ".join(parts)


def print_stories(part: str) -> None:
    """The stories' figures of one split: in memory and through a store, and how they move
    with the order in which a day's items arrive and with how often the store groups."""
    precision, recall, truth, scored = news_stories(part)
    print(
        f"  stories, real news: pair precision {precision:.3f}, recall {recall:.3f}"
        f" ({truth} true cross-source pairs, {scored} predicted pairs scored)"
    )
    precision, recall, _, scored = news_stories(part, order="time")
    print(
        f"  the same, a day's items in the order a store takes them (by time): pair precision"
        f" {precision:.3f}, recall {recall:.3f} ({scored} predicted pairs scored)"
    )
    precision, recall, _, scored = stored_news_stories(part)
    print(
        f"  the same, grouped by a store a day at a time: pair precision {precision:.3f},"
        f" recall {recall:.3f} ({scored} predicted pairs scored)"
    )
    for hours in (6, 1):
        precision, recall, _, scored = stored_news_stories(part, hours=hours)
        print(
            f"  the same, grouped by a store every {hours} h: pair precision {precision:.3f},"
            f" recall {recall:.3f} ({scored} predicted pairs scored)"
        )
    seeds = range(ARRIVAL_ORDERS)
    print(
        f"  over {ARRIVAL_ORDERS} orders of arrival within each day, in memory in one pass:"
        f" {_spread([news_stories(part, order=seed) for seed in seeds])}"
    )
    print(
        f"  the same, by a store a day at a time:"
        f" {_spread([stored_news_stories(part, order=seed) for seed in seeds])}"
    )


def _row(result: TopicResult) -> str:
    o, b = result.ours, result.baseline
    return (
        f"  {result.topic:<30} {o.r:>3}  {o.auc:.3f} {b.auc:.3f}  {o.p20:.2f} {b.p20:.2f}"
        f"  {o.p_r:.2f} {b.p_r:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--split",
        choices=("tuned", "held_out", "both"),
        default="both",
        help="which split to print (the held-out one is for the report, not for tuning)",
    )
    args = parser.parse_args()
    if not corpus_news():
        raise SystemExit(f"no corpus at {CORPUS}: the evaluations need its real news")
    parts = ("tuned", "held_out") if args.split == "both" else (args.split,)
    header = f"  {'topic':<30} {'R':>3}  AUC ours/base  P@20 ours/base  P@R ours/base"
    for part in parts:
        print(f"== {part}")
        result, hard, best = seeds_topic(part)
        print(header)
        print(_row(result))
        print(f"    best hard negative score {hard:.2f}; best score of any corpus item {best:.2f}")
        rows = storyline_topics(part)
        for row in rows:
            print(_row(row))
        mean = statistics.mean
        print(
            f"  {'mean of storylines':<30}      {mean(r.ours.auc for r in rows):.3f}"
            f" {mean(r.baseline.auc for r in rows):.3f}  {mean(r.ours.p20 for r in rows):.2f}"
            f" {mean(r.baseline.p20 for r in rows):.2f}  {mean(r.ours.p_r for r in rows):.2f}"
            f" {mean(r.baseline.p_r for r in rows):.2f}"
        )
        print_stories(part)
    inputs, truth = story_inputs(load_labeled(), load_seeds(), seed_story_labels())
    precision, recall = pair_quality(group_stories(inputs, story_days=7), truth)
    print(
        f"stories, labelled items and seeds: pair precision {precision:.3f}, recall {recall:.3f}"
        f" ({len(truth)} labelled pairs)"
    )


if __name__ == "__main__":
    main()
