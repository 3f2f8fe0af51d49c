"""What scoring one item costs (CPU microseconds an item): the tokenizer alone (`words`), terms
(`terms`), and the whole score (`TopicModel.score`, what the updater does to each new item and
the re-scoring walk to every item), on the real news of ../shared/corpus cut as the store
reads it (`SAMPLE_CHARS`), with a profile of the project's seeds.

`--against DIR` loads another checkout's tokenizer and profile (a "before" tree) into this same
process, and the two take turns every `CHUNK` texts, so a shared machine's load falls on both
alike; it prints both and their ratio. Each figure is the sum, over the corpus, of the faster
of the two takes of each chunk across `--rounds` rounds, in CPU time (time.process_time).

    .venv/bin/python -m bench.score_bench --against /work/wt/base
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

from bench.topic_data import corpus_news

PROJECT = Path(__file__).resolve().parents[1]
STEPS = ("words", "terms", "score")
CHUNK = 50

Step = Callable[[Sequence[str]], object]


def _load(tree: Path, name: str, alias: str, replacing: dict[str, ModuleType]) -> ModuleType:
    """`tree`'s module `name` under `alias`; its imports of `replacing`'s keys get those."""
    spec = importlib.util.spec_from_file_location(alias, tree / (name.replace(".", "/") + ".py"))
    assert spec is not None and spec.loader is not None
    module = sys.modules[alias] = importlib.util.module_from_spec(spec)
    saved = {key: sys.modules[key] for key in replacing}
    sys.modules.update(replacing)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.update(saved)
    return module


def _steps(text: ModuleType, profile: ModuleType, texts: list[str]) -> dict[str, Step]:
    from reader.config import TopicSettings
    from reader.sources.seeds import parse_seed, read_seed_file

    seeds = [parse_seed(read_seed_file(p), p.name).text for p in sorted(PROJECT.glob("seeds/*"))]
    model = profile.TopicModel.build(seeds, TopicSettings(keywords=("Indo-Pacific",)), texts)
    return {
        "words": lambda batch: [text.words(t) for t in batch],
        "terms": lambda batch: [text.terms(t) for t in batch],
        "score": model.score,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="a checkout to compare with (before)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from reader.topic import profile, text
    from reader.topic.refresh import SAMPLE_CHARS

    texts = [item.text[:SAMPLE_CHARS] for item in corpus_news()]
    if not texts:
        raise SystemExit("the corpus is missing: the figures are of its real news")
    trees = {"this": _steps(text, profile, texts)}
    if args.against:
        old_text = _load(args.against, "reader.topic.text", "before_text", {})
        old_profile = _load(
            args.against, "reader.topic.profile", "before_profile", {"reader.topic.text": old_text}
        )
        trees["before"] = _steps(old_text, old_profile, texts)
    chunks = [texts[i : i + CHUNK] for i in range(0, len(texts), CHUNK)]
    for steps in trees.values():  # warm: caches (folded characters) fill as texts come
        for step in steps.values():
            step(texts)
    best: dict[tuple[str, str, int], float] = {}
    for _ in range(args.rounds):
        for step in STEPS:
            for n, chunk in enumerate(chunks):
                for name, steps in trees.items():  # taking turns, chunk by chunk
                    started = time.process_time()
                    steps[step](chunk)
                    spent = time.process_time() - started
                    key = (name, step, n)
                    best[key] = min(spent, best.get(key, spent))
    load = os.getloadavg()
    print(
        f"CPU microseconds an item, {len(texts)} texts (load {load[0]:.1f} {load[1]:.1f};"
        f" the faster of {args.rounds} takes of each {CHUNK}-text chunk)"
    )
    figures = {
        name: {
            s: sum(best[(name, s, n)] for n in range(len(chunks))) / len(texts) * 1e6 for s in STEPS
        }
        for name in trees
    }
    print(f"{'':>8} " + " ".join(f"{step:>8}" for step in STEPS))
    for name, row in figures.items():
        print(f"{name:>8} " + " ".join(f"{row[step]:>8.1f}" for step in STEPS))
    if "before" in figures:
        ratios = (figures["before"][s] / figures["this"][s] for s in STEPS)
        print(f"{'speed-up':>8} " + " ".join(f"{r:>7.2f}x" for r in ratios))


if __name__ == "__main__":
    main()
