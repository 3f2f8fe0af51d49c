"""Topic quality: how well relevance ranks the labeled items, how well stories group them.

Prints precision@10 and ROC AUC of the relevance score on tests/data/topic/items.jsonl (seeds
from seeds/), story-grouping pair precision and recall on the labeled same-story pairs (seeds
included), and the time to score and to group 1,000 items. When the shared real-news corpus
is present, it also scores its news snapshots and shows the top of that ranking.

Run from the project folder: .venv/bin/python -m bench.topic_quality [--corpus]
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import roc_auc_score

from reader.config import TopicSettings
from reader.topic import TopicModel, group_stories
from reader.topic.stories import StoryInput

PROJECT = Path(__file__).resolve().parents[1]
DATA = PROJECT / "tests" / "data" / "topic"
SEEDS = PROJECT / "seeds"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


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


def precision_at(k: int, scores: Sequence[float], relevant: Sequence[bool]) -> float:
    """The share of relevant items among the `k` best-scored (ties broken by position)."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]
    return sum(relevant[i] for i in order) / max(len(order), 1)


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


def story_inputs(
    items: Sequence[LabeledItem], seeds: Sequence[tuple[str, str]], labels: dict[str, str]
) -> tuple[list[StoryInput], set[tuple[int, int]]]:
    """Grouping inputs (labeled items plus undated seeds) and the true same-story pairs."""
    inputs: list[StoryInput] = [(i.id, i.source, i.date, i.text) for i in items]
    story_of = {i.id: i.story for i in items}
    for offset, (name, text) in enumerate(seeds):
        inputs.append((SEED_ID_BASE + offset, "seeds", None, text))
        story_of[SEED_ID_BASE + offset] = labels.get(name)
    truth = {
        (a, b)
        for a, b in itertools.combinations(sorted(story_of), 2)
        if story_of[a] is not None and story_of[a] == story_of[b]
    }
    return inputs, truth


def corpus_news_texts(corpus: Path = CORPUS) -> list[str]:
    """Title + summary of every item in the corpus's real news snapshots (empty if absent)."""
    manifest = corpus / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    import feedparser  # only the corpus check needs it

    texts: list[str] = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        columns = line.split("\t")
        if len(columns) != 5 or columns[4] != "news-real":
            continue
        parsed = feedparser.parse((corpus / columns[0]).read_bytes())
        for entry in parsed.entries:
            summary = re.sub(r"<[^>]+>", " ", str(entry.get("summary", "")))
            texts.append(f"{entry.get('title', '')}\n{' '.join(summary.split())}")
    return texts


def all_corpus_texts(corpus: Path = CORPUS, limit: int = 4000) -> list[str]:
    """Title + summary of items from every corpus feed (news, blogs, podcasts), up to `limit`."""
    manifest = corpus / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    import feedparser

    texts: list[str] = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        columns = line.split("\t")
        if len(columns) != 5 or columns[4] in ("license", "opml") or len(texts) >= limit:
            continue
        for entry in feedparser.parse((corpus / columns[0]).read_bytes()).entries:
            summary = " ".join(re.sub(r"<[^>]+>", " ", str(entry.get("summary", ""))).split())
            text = f"{entry.get('title', '')}\n{summary}"
            if len(text) > 40:
                texts.append(text)
    return texts[:limit]


def store_refresh_figures(texts: Sequence[str]) -> tuple[float, float, int]:
    """Seconds for a first (full) and a second (nothing new) `refresh_topic` on a real store
    holding the seeds and `texts`, and how many stories the first found."""
    from reader.config import Settings
    from reader.models import ItemWrite
    from reader.sources.seeds import import_seeds
    from reader.store import open_store
    from reader.topic import refresh_topic

    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "bench.db") as store:
        import_seeds(store, SEEDS, now=now)
        for start in range(0, len(texts), 100):  # one pseudo-feed per 100 items
            feed = store.add_feed(f"https://feed{start}.example/rss")
            batch = [
                ItemWrite(
                    identity=str(n),
                    title=text.splitlines()[0],
                    link=None,
                    author=None,
                    published=None,
                    updated=None,
                    content_html=None,
                    text=text,
                    content_hash=str(n),
                )
                for n, text in enumerate(texts[start : start + 100], start=start)
            ]
            store.write_items(feed.id, batch, now=now)
        started = time.perf_counter()
        first = refresh_topic(store, Settings(), now=now)
        first_seconds = time.perf_counter() - started
        started = time.perf_counter()
        refresh_topic(store, Settings(), now=now)
        second_seconds = time.perf_counter() - started
    return first_seconds, second_seconds, first.stories


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="store_true", help="also list the top corpus news")
    args = parser.parse_args()

    seeds = load_seeds()
    items = load_labeled()
    settings = TopicSettings()
    started = time.perf_counter()
    model = TopicModel.build([t for _, t in seeds], settings)
    build_seconds = time.perf_counter() - started
    scores = [s for s, _ in model.score([i.text for i in items])]
    relevant = [i.relevant for i in items]
    print(f"labeled items: {len(items)} ({sum(relevant)} on topic); seeds: {len(seeds)}")
    print(f"profile build: {build_seconds * 1000:.1f} ms, fingerprint {model.fingerprint}")
    print(f"precision@10: {precision_at(10, scores, relevant):.3f}")
    print(f"precision@20: {precision_at(20, scores, relevant):.3f}")
    print(f"ROC AUC: {roc_auc_score(relevant, scores):.3f}")

    news = corpus_news_texts()
    if news:
        # The labeled items among real news snapshots (none of which is on the topic).
        mixed = [i.text for i in items] + news
        mixed_relevant = relevant + [False] * len(news)
        mixed_scores = [s for s, _ in model.score(mixed)]
        k = sum(relevant)
        print(
            f"with {len(news)} real news items as distractors: "
            f"precision@{k} {precision_at(k, mixed_scores, mixed_relevant):.3f}, "
            f"ROC AUC {roc_auc_score(mixed_relevant, mixed_scores):.4f}"
        )
    else:
        print(f"(no corpus at {CORPUS}: real-news distractor check skipped)")

    inputs, truth = story_inputs(items, seeds, seed_story_labels())
    stories = group_stories(inputs, story_days=7)
    precision, recall = pair_quality(stories, truth)
    print(
        f"story pairs: precision {precision:.3f}, recall {recall:.3f} "
        f"({len(truth)} labeled pairs, {len(stories)} stories)"
    )

    # Speed on 1,000 items (labeled texts and real news), against an anchor measured in the
    # same run: scikit-learn's own TF-IDF vectorizing of the same texts.
    pool = [i.text for i in items] + news
    thousand = [f"{pool[n % len(pool)]} #{n}" for n in range(1000)]
    started = time.perf_counter()
    TfidfVectorizer(ngram_range=(1, 2), stop_words="english").fit_transform(thousand)
    anchor = time.perf_counter() - started
    started = time.perf_counter()
    model.score(thousand)
    score_seconds = time.perf_counter() - started
    started = time.perf_counter()
    group_stories([(n, "s", None, text) for n, text in enumerate(thousand)], story_days=7)
    group_seconds = time.perf_counter() - started
    print(f"anchor, TfidfVectorizer on 1,000 items: {anchor * 1000:.0f} ms")
    print(
        f"score 1,000 items: {score_seconds * 1000:.0f} ms "
        f"({score_seconds:.3f} ms/item, {score_seconds / anchor:.2f}x anchor)"
    )
    print(
        f"group 1,000 items: {group_seconds * 1000:.0f} ms ({group_seconds / anchor:.2f}x anchor)"
    )

    if CORPUS.is_dir():
        texts = all_corpus_texts()
        first, second, found = store_refresh_figures(texts)
        print(
            f"refresh_topic on a store of {len(texts) + len(seeds)} items: first {first:.2f} s "
            f"({found} stories), second (nothing new) {second:.2f} s"
        )

    if args.corpus and news:
        ranked = sorted(zip(model.score(news), news, strict=True), key=lambda p: -p[0][0])
        print(f"\ncorpus news items: {len(news)}; top 25 by score:")
        for (score, terms), text in ranked[:25]:
            title = text.splitlines()[0][:80]
            print(f"  {score:.3f}  {title}  [{', '.join(terms[:4])}]")


if __name__ == "__main__":
    main()
