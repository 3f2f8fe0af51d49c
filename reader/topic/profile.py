"""The topic profile: weighted terms drawn from the seed articles, and the relevance score.

The profile is the centroid of the seeds' term vectors (unigrams and bigrams, sublinear term
frequency, each seed normalized to unit length), weighted once more by the share of seeds a
term appears in (the topic is what the seeds agree on, not what one of them mentions in
passing) and squared, so the core terms dominate. Configured keywords join the profile at
the top weight; exclude terms are kept apart and push a matching item down.

An item is scored like a BM25 query in which the profile is the query: each matched profile
term adds its weight, saturated by how often it occurs and normalized for the item's length.
That raw sum is mapped into [0, 1] against what the seeds themselves reach, so a seed-like
article scores near the top and a text sharing a word or two scores near zero.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfVectorizer

from reader.config import TopicSettings

PROFILE_VERSION = "2"
"""Part of the fingerprint: bump when the scoring method changes, so stores re-score."""

PROFILE_TERMS = 400
"""Profile terms kept (the strongest); the rest add noise and cost."""

PHRASE_BOUND = 0.9
"""A word found inside one phrase at least this share of the time counts only as the phrase."""

TOP_TERMS = 5
"""Matching terms kept per item, to show why it matched."""

BM25_K1 = 1.2
"""Term-frequency saturation: the third mention of a term adds far less than the first."""

BM25_B = 0.4
"""Length normalization, kept mild: feed items range from a title to a whole article."""

AVERAGE_WORDS = 250.0
"""The item length (in words) at which no length normalization applies."""

EXCLUDE_FACTOR = 0.35
"""Each distinct exclude term found multiplies the score by this."""

SEED_SCORE = 0.85
"""The score an item as strongly on-topic as the median seed gets."""

# Words that carry no topic in news copy, beyond scikit-learn's English stop words: reporting
# verbs, page furniture ("Source link", "Related News") and filler. Kept short on purpose;
# the consensus weighting already keeps most generic words low.
# fmt: off
NEWS_STOP_WORDS = frozenset((
    "said", "says", "say", "told", "according", "reported", "reportedly", "report", "reports",
    "statement", "stated", "new", "year", "years", "time", "times", "day", "days", "week",
    "weeks", "month", "months", "just", "like", "also", "including", "include", "includes",
    "included", "related", "news", "source", "sources", "link", "read", "photo", "image",
    "video", "click", "subscribe", "story", "stories", "article", "articles", "comment",
    "comments", "mr", "ms", "mrs", "dr", "et", "al", "percent",
))
# fmt: on

STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | NEWS_STOP_WORDS

# Letters and digits, allowing inner apostrophes ("NATO's" is split below); one-letter
# tokens carry nothing.
_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
_POSSESSIVE = re.compile(r"['’]s\b", re.IGNORECASE)


def normalize_text(text: str) -> str:
    """Lower-case and drop possessives, so "NATO's" and "NATO" are one term."""
    return _POSSESSIVE.sub("", text.lower())


def _vectorizer_options() -> dict[str, object]:
    return {
        "preprocessor": normalize_text,
        "token_pattern": _TOKEN_PATTERN,
        "stop_words": sorted(STOP_WORDS),
        "ngram_range": (1, 2),
        "strip_accents": "unicode",
        "dtype": np.float64,
    }


def _phrase_terms(phrase: str, analyzer: Callable[[str], list[str]]) -> list[str]:
    """The profile terms a configured phrase stands for: its bigrams, or its one word."""
    terms = analyzer(phrase)
    bigrams = [t for t in terms if " " in t]
    return bigrams or terms


class UnmatchablePhraseError(ValueError):
    """A configured keyword or exclude phrase has no word that could ever match."""

    def __init__(self, setting: str, phrase: str) -> None:
        self.setting = setting
        self.phrase = phrase
        super().__init__(
            f"{setting}: {phrase!r} has no word that can match"
            " (only stop words, single letters or punctuation)"
        )


def _setting_terms(
    name: str, phrases: Sequence[str], analyzer: Callable[[str], list[str]]
) -> list[str]:
    """The profile terms of configured phrases; a phrase that can never match is an error."""
    terms: list[str] = []
    for phrase in phrases:
        found = _phrase_terms(phrase, analyzer)
        if not found:
            raise UnmatchablePhraseError(f"topic.{name}", phrase)
        terms.extend(found)
    return list(dict.fromkeys(terms))


def _phrase_bound_words(seeds: Sequence[str], names: np.ndarray) -> list[int]:
    """Indices of single words that occur in the seeds (almost) only inside one phrase.

    "pacific" is nearly always "Asia-Pacific" and "liaison" always "liaison office": counting
    the word and the phrase both would score one mention two or three times over.
    """
    counter = CountVectorizer(vocabulary=list(names), **_vectorizer_options())
    totals = np.asarray(counter.transform(seeds).sum(axis=0)).ravel()
    index = {str(name): i for i, name in enumerate(names)}
    best_phrase = np.zeros(len(names))
    for name, i in index.items():
        if " " in name:
            for word in name.split():
                j = index.get(word)
                if j is not None:
                    best_phrase[j] = max(best_phrase[j], totals[i])
    return [
        i
        for name, i in index.items()
        if " " not in name and best_phrase[i] >= PHRASE_BOUND * totals[i]
    ]


def fingerprint_of(seed_texts: Sequence[str], settings: TopicSettings) -> str:
    """A short hash of everything the profile is built from (seed order does not matter)."""
    digest = hashlib.sha256()
    seeds = sorted(hashlib.sha256(t.encode("utf-8")).hexdigest() for t in seed_texts)
    document = {
        "version": PROFILE_VERSION,
        "seeds": seeds,
        "keywords": sorted({k.strip().lower() for k in settings.keywords if k.strip()}),
        "exclude": sorted({k.strip().lower() for k in settings.exclude if k.strip()}),
    }
    digest.update(json.dumps(document, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class _Profile:
    """The learned parts of a model, apart from the scoring machinery."""

    terms: tuple[str, ...]
    weights: np.ndarray
    exclude: frozenset[int]
    half_point: float


class TopicModel:
    """The topic as weighted terms, and a fast scorer of texts against it.

    Build it with `TopicModel.build`; `score` fits the updater's scorer signature.
    """

    def __init__(
        self,
        fingerprint: str,
        terms: Sequence[str],
        weights: Sequence[float],
        exclude: Sequence[str],
        half_point: float,
    ) -> None:
        """Assemble a model from its parts (use `build` to learn them from seeds)."""
        if len(terms) != len(weights):
            raise ValueError("topic model: terms and weights differ in length")
        if half_point <= 0:
            raise ValueError("topic model: half_point must be positive")
        self.fingerprint = fingerprint
        vocabulary = list(dict.fromkeys([*terms, *exclude]))
        index = {t: i for i, t in enumerate(vocabulary)}
        weight_array = np.zeros(len(vocabulary), dtype=np.float64)
        for term, weight in zip(terms, weights, strict=True):
            weight_array[index[term]] = max(weight_array[index[term]], float(weight))
        exclude_set = frozenset(index[t] for t in exclude)
        for i in exclude_set:
            weight_array[i] = 0.0  # an exclude term never counts for the topic
        self._profile = _Profile(tuple(vocabulary), weight_array, exclude_set, half_point)
        self._counter = CountVectorizer(vocabulary=index, **_vectorizer_options())
        self._exclude_mask = np.zeros(len(vocabulary), dtype=bool)
        self._exclude_mask[list(exclude_set)] = True

    # -- building ------------------------------------------------------------------------

    @classmethod
    def build(cls, seed_texts: Sequence[str], settings: TopicSettings) -> TopicModel:
        """Learn the profile from seed texts plus the configured keywords and exclude terms.

        Raise `ValueError` when there is nothing to build from (no seed text with words and no
        keywords), or when a keyword or exclude phrase has no word that could ever match.
        """
        seeds = [t for t in seed_texts if t and t.strip()]
        analyzer = CountVectorizer(**_vectorizer_options()).build_analyzer()
        keyword_terms = _setting_terms("keywords", settings.keywords, analyzer)
        exclude_terms = _setting_terms("exclude", settings.exclude, analyzer)
        terms: list[str] = []
        weights: list[float] = []
        if seeds and any(analyzer(t) for t in seeds):
            vectorizer = TfidfVectorizer(use_idf=False, sublinear_tf=True, **_vectorizer_options())
            matrix = vectorizer.fit_transform(seeds)
            centroid = np.asarray(matrix.mean(axis=0)).ravel()
            share = np.asarray((matrix > 0).mean(axis=0)).ravel()
            # Squared, so the few terms every seed leans on (NATO, Asia-Pacific, China,
            # Japan) outweigh a pile of generic diplomatic words ("countries", "region"):
            # on real news this lifted precision@30 against 1,300 distractors from 0.80 to
            # 0.93 (bench/topic_quality.py --corpus); an IDF from that news did not help.
            strength = (centroid * share) ** 2
            strength /= strength.max() if strength.max() > 0 else 1.0
            names = vectorizer.get_feature_names_out()
            strength[_phrase_bound_words(seeds, names)] = 0.0
            order = np.argsort(-strength, kind="stable")[:PROFILE_TERMS]
            terms = [str(names[i]) for i in order if strength[i] > 0]
            weights = [float(strength[i]) for i in order if strength[i] > 0]
        if not terms and not keyword_terms:
            raise ValueError("topic model: no seed text and no keywords to build a profile from")
        top = max(weights, default=1.0)
        for term in keyword_terms:  # keywords count as much as the strongest seed term
            if term in terms:
                weights[terms.index(term)] = top
            else:
                terms.append(term)
                weights.append(top)
        fingerprint = fingerprint_of(seeds, settings)
        provisional = cls(fingerprint, terms, weights, exclude_terms, half_point=1.0)
        if seeds:
            raw = provisional._raw_scores(seeds)[0]
            reference = float(np.median(raw)) if raw.size else 0.0
        else:  # keywords only: an item naming three of them reads as on-topic
            reference = 3 * top * (BM25_K1 + 1) / (1 + BM25_K1)
        if reference <= 0:
            reference = top
        # score = raw / (raw + half_point); pick half_point so the median seed gets SEED_SCORE.
        half_point = reference * (1 - SEED_SCORE) / SEED_SCORE
        return cls(fingerprint, terms, weights, exclude_terms, half_point=half_point)

    # -- inspection ----------------------------------------------------------------------

    @property
    def terms(self) -> tuple[tuple[str, float], ...]:
        """The profile's terms with their weights, strongest first (exclude terms left out)."""
        pairs = [
            (t, float(w))
            for i, (t, w) in enumerate(zip(self._profile.terms, self._profile.weights, strict=True))
            if i not in self._profile.exclude
        ]
        return tuple(sorted(pairs, key=lambda p: -p[1]))

    # -- scoring -------------------------------------------------------------------------

    def _raw_scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, object]:
        """BM25-style sums per text, the exclude-term counts, and the per-term contributions."""
        counts = self._counter.transform(texts).tocsr().astype(np.float64)
        lengths = np.array([max(len(t.split()), 1) for t in texts], dtype=np.float64)
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / AVERAGE_WORDS)
        # Saturate each stored count in place: tf (k1 + 1) / (tf + k1 * norm(doc)).
        row_of_value = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        tf = counts.data
        contributions = counts.copy()
        contributions.data = (
            self._profile.weights[counts.indices] * tf * (BM25_K1 + 1) / (tf + norm[row_of_value])
        )
        raw = np.asarray(contributions.sum(axis=1)).ravel()
        if self._profile.exclude:
            hits = counts[:, self._exclude_mask]
            excluded = np.asarray((hits > 0).sum(axis=1)).ravel()
        else:
            excluded = np.zeros(len(texts), dtype=np.int64)
        return raw, excluded, contributions

    def score(self, texts: Sequence[str]) -> list[tuple[float, tuple[str, ...]]]:
        """Each text's relevance in [0, 1] and the terms that made it (best first).

        Exclude terms found in a text are listed with a leading ``-``.
        """
        if not texts:
            return []
        raw, excluded, contributions = self._raw_scores(texts)
        matrix = contributions.tocsr()  # type: ignore[attr-defined]
        results: list[tuple[float, tuple[str, ...]]] = []
        half = self._profile.half_point
        for row in range(len(texts)):
            value = raw[row] / (raw[row] + half) if raw[row] > 0 else 0.0
            value *= EXCLUDE_FACTOR ** int(excluded[row])
            start, end = matrix.indptr[row], matrix.indptr[row + 1]
            results.append((min(max(float(value), 0.0), 1.0), self._why(matrix, start, end)))
        return results

    def _why(self, matrix: object, start: int, end: int) -> tuple[str, ...]:
        """The strongest matched terms of one row; a phrase hides the words it is made of."""
        indices = matrix.indices[start:end]  # type: ignore[attr-defined]
        values = matrix.data[start:end]  # type: ignore[attr-defined]
        ranked = [
            self._profile.terms[int(indices[p])]
            for p in np.argsort(-values, kind="stable")[: 3 * TOP_TERMS]
            if values[p] > 0 and int(indices[p]) not in self._profile.exclude
        ]
        covered = {word for term in ranked if " " in term for word in term.split()}
        chosen = [t for t in ranked if t not in covered][:TOP_TERMS]
        excluded = sorted(
            "-" + self._profile.terms[int(i)] for i in indices if int(i) in self._profile.exclude
        )
        return tuple(chosen + excluded)
