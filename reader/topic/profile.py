"""The topic profile: weighted terms learned from the seed articles, and the relevance score.

How an item is scored (the choices were measured with bench/topic_quality.py on its tuned
splits; docs/topic.md has the figures):

- Texts become TF-IDF vectors of words and word pairs (sublinear term frequency, unit length),
  like a plain TF-IDF cosine. The IDF comes from a sample of the store's own items: a word that
  half the user's feeds use says little, a name that three reports share says a lot. Without
  enough items yet (a fresh store), every term weighs the same until the store has grown.
- The profile is the centroid of the seeds' vectors, each term weighted again by the square
  root of the share of seeds that use it (the topic is what the seeds agree on), kept to its
  `PROFILE_TERMS` strongest terms.
- Pseudo-relevance feedback: the store items closest to that profile add their own vectors to
  it at half weight, so reports that name the topic in other words (a minister's name, a place)
  are found too. On the tuned storylines this lifted precision at R from 0.91 to 0.92 and the
  seeds' topic from 0.94 to 1.00.
- An item's score is its cosine with the profile, mapped into [0, 1] so that the median seed
  scores `SEED_SCORE`; the terms that contributed most are kept to show why it matched.
- Configured keywords join the profile at the top weight; each exclude term found multiplies
  the score by `EXCLUDE_FACTOR` and is listed with a leading ``-``.

Other languages: stop words of seven European languages are removed, so function words never
match; names (people, places, organisations) keep their spelling across languages and do match.
An item in another language than the seeds therefore scores on the names it shares with the
topic, and lower than an equally relevant item in the seeds' language (its other words cannot
match). No translation is attempted.

Pure Python on purpose: scoring 1,000 items takes a few tens of milliseconds this way, and no
command loads numpy, scipy or scikit-learn.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from reader.config import TopicSettings
from reader.topic.text import terms, terms_of, words

PROFILE_VERSION = "3"
"""Part of the fingerprint: bump when the scoring method changes, so stores re-score."""

PROFILE_TERMS = 400
"""Profile terms kept (the strongest); the rest add noise and cost."""

SHARE_POWER = 0.5
"""A term's weight is multiplied by (share of seeds using it) ** this."""

FEEDBACK_ITEMS = 10
"""Store items closest to the seeds' profile that join it (pseudo-relevance feedback)."""

FEEDBACK_WEIGHT = 0.5
"""Their centroid's weight beside the seeds' centroid."""

FEEDBACK_FLOOR = 0.3
"""Only items at least this close to the profile, relative to the median seed, give feedback:
a store with nothing on the topic must not pull the profile towards whatever it holds."""

MIN_BACKGROUND = 200
"""Store items needed before their term frequencies are trusted for IDF and feedback."""

MIN_DOCUMENT_FREQUENCY = 2
"""Terms seen in fewer sample items are not kept in the IDF table (they count as unseen)."""

TOP_TERMS = 5
"""Matching terms kept per item, to show why it matched."""

EXCLUDE_FACTOR = 0.35
"""Each distinct exclude term found multiplies the score by this."""

SEED_SCORE = 0.85
"""The score an item as strongly on-topic as the median seed gets."""


def _phrase_terms(phrase: str) -> list[str]:
    """The profile terms a configured phrase stands for: its word pairs, or its one word."""
    found = terms(phrase)
    pairs = [t for t in found if " " in t]
    return pairs or found


class UnmatchablePhraseError(ValueError):
    """A configured keyword or exclude phrase has no word that could ever match."""

    def __init__(self, setting: str, phrase: str) -> None:
        self.setting = setting
        self.phrase = phrase
        super().__init__(
            f"{setting}: {phrase!r} has no word that can match"
            " (only stop words, single letters or punctuation)"
        )


def _setting_terms(name: str, phrases: Sequence[str]) -> list[str]:
    """The profile terms of configured phrases; a phrase that can never match is an error."""
    found: list[str] = []
    for phrase in phrases:
        phrase_terms = _phrase_terms(phrase)
        if not phrase_terms:
            raise UnmatchablePhraseError(f"topic.{name}", phrase)
        found.extend(phrase_terms)
    return list(dict.fromkeys(found))


def fingerprint_of(seed_texts: Sequence[str], settings: TopicSettings) -> str:
    """A short hash of everything the profile is built from (seed order does not matter)."""
    seeds = sorted(hashlib.sha256(t.encode("utf-8")).hexdigest() for t in seed_texts if t.strip())
    document = {
        "version": PROFILE_VERSION,
        "seeds": seeds,
        "keywords": sorted({k.strip().lower() for k in settings.keywords if k.strip()}),
        "exclude": sorted({k.strip().lower() for k in settings.exclude if k.strip()}),
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Idf:
    """Inverse document frequencies learned from a sample of items (empty: every term is 1)."""

    table: dict[str, float]
    """IDF of the terms seen in at least `MIN_DOCUMENT_FREQUENCY` sample items."""
    unseen: float
    """IDF of any other term (rare, so high)."""
    documents: int = 0
    """How many sample items it was learned from."""

    @classmethod
    def learn(cls, documents: Iterable[Iterable[str]], minimum: int = MIN_BACKGROUND) -> Idf:
        """From the term sets of sample documents (fewer than `minimum`: every term is 1)."""
        frequency: Counter[str] = Counter()
        count = 0
        for document in documents:
            frequency.update(set(document))
            count += 1
        if count < max(minimum, 1):
            return cls({}, 1.0)
        return cls.from_counts(frequency, count)

    @classmethod
    def from_counts(cls, frequency: Mapping[str, int], documents: int) -> Idf:
        """From how many of `documents` items use each term (none: every term is 1)."""
        if documents < 1:
            return cls({}, 1.0)
        table = {
            term: math.log((documents + 1) / (seen + 1)) + 1.0
            for term, seen in frequency.items()
            if seen >= MIN_DOCUMENT_FREQUENCY
        }
        return cls(table, math.log((documents + 1) / 2) + 1.0, documents)

    def common_below(self, share: float) -> float:
        """The IDF at or below which a term is used by at least `share` of the sample items
        (0.0, so no term, for small samples: their shares say little)."""
        if self.documents < MIN_BACKGROUND:
            return 0.0
        return math.log((self.documents + 1) / (share * self.documents + 1)) + 1.0

    def __call__(self, term: str) -> float:
        return self.table.get(term, self.unseen)


def unit_vector(counts: Counter[str], idf: Idf) -> dict[str, float]:
    """Sublinear TF-IDF weights of a text's term counts, scaled to unit length."""
    weights = {term: (1.0 + math.log(n)) * idf(term) for term, n in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {term: w / norm for term, w in weights.items()} if norm else {}


def _counts(text: str) -> Counter[str]:
    return Counter(terms_of(words(text)))


class TopicModel:
    """The topic as weighted terms, and a scorer of texts against it.

    Build it with `TopicModel.build`; store it with `to_json` / `from_json`; `score` fits the
    updater's scorer signature.
    """

    def __init__(
        self,
        fingerprint: str,
        weights: dict[str, float],
        idf: Idf,
        exclude: Sequence[str],
        half_point: float,
    ) -> None:
        """Assemble a model from its parts (use `build` to learn them from seeds)."""
        if half_point <= 0:
            raise ValueError("topic model: half_point must be positive")
        self.fingerprint = fingerprint
        self._weights = {t: w for t, w in weights.items() if t not in exclude}
        self._profile_terms = self._weights.keys()
        self._vocabulary = frozenset(
            word for term in (*self._weights, *exclude) for word in term.split(" ")
        )
        """Every word of a profile or exclude term: a text using none of them scores 0."""
        self._idf = idf
        self._exclude = tuple(dict.fromkeys(exclude))
        self._half_point = half_point

    # -- building ------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        seed_texts: Sequence[str],
        settings: TopicSettings,
        background: Sequence[str] = (),
    ) -> TopicModel:
        """Learn the profile from seed texts, the configured keywords and exclude terms, and
        `background`: a sample of the store's items (for IDF and feedback; may be empty).

        Raise `ValueError` when there is nothing to build from (no seed text with words and no
        keywords), or when a keyword or exclude phrase has no word that could ever match.
        """
        seeds = [t for t in seed_texts if t and t.strip()]
        keyword_terms = _setting_terms("keywords", settings.keywords)
        exclude_terms = _setting_terms("exclude", settings.exclude)
        seed_counts = [c for c in (_counts(t) for t in seeds) if c]
        background_counts = [_counts(t) for t in background]
        idf = Idf.learn([*background_counts, *seed_counts])
        centroid: dict[str, float] = {}
        if seed_counts:
            share: Counter[str] = Counter()
            for counts in seed_counts:
                share.update(counts.keys())
                for term, weight in unit_vector(counts, idf).items():
                    centroid[term] = centroid.get(term, 0.0) + weight / len(seed_counts)
            for term in centroid:
                centroid[term] *= (share[term] / len(seed_counts)) ** SHARE_POWER
        if not centroid and not keyword_terms:
            raise ValueError("topic model: no seed text and no keywords to build a profile from")
        top = max(centroid.values(), default=1.0)
        for term in keyword_terms:  # keywords count as much as the strongest seed term
            centroid[term] = top
        fingerprint = fingerprint_of(seeds, settings)
        if centroid and len(background_counts) >= MIN_BACKGROUND:
            first = cls(fingerprint, _strongest(centroid, PROFILE_TERMS), idf, (), 1.0)
            raw = [first._raw(unit_vector(c, idf))[0] for c in background_counts]
            seed_raw = sorted(first._raw(unit_vector(c, idf))[0] for c in seed_counts)
            floor = FEEDBACK_FLOOR * seed_raw[len(seed_raw) // 2] if seed_raw else 0.0
            closest = [
                i
                for i in sorted(range(len(raw)), key=lambda i: -raw[i])[:FEEDBACK_ITEMS]
                if raw[i] >= floor
            ]
            for i in closest:
                for term, weight in unit_vector(background_counts[i], idf).items():
                    if term not in exclude_terms:
                        feedback = FEEDBACK_WEIGHT * weight / FEEDBACK_ITEMS
                        centroid[term] = centroid.get(term, 0.0) + feedback
        profile = _strongest(centroid, PROFILE_TERMS)
        provisional = cls(fingerprint, profile, idf, exclude_terms, 1.0)
        if seed_counts:
            raw = sorted(provisional._raw(unit_vector(c, idf))[0] for c in seed_counts)
            reference = raw[len(raw) // 2]
        else:  # keywords only: an item naming three of them reads as on-topic
            reference = (
                math.sqrt(min(3, len(keyword_terms))) * top / math.sqrt(max(len(keyword_terms), 1))
            )
        if reference <= 0:
            reference = top
        # score = raw / (raw + half_point); pick half_point so the median seed gets SEED_SCORE.
        half_point = reference * (1 - SEED_SCORE) / SEED_SCORE
        return cls(fingerprint, profile, idf, exclude_terms, half_point)

    # -- storing -------------------------------------------------------------------------

    def to_json(self) -> str:
        """The whole model as JSON (kept in the store, so other processes need not rebuild)."""
        return json.dumps(
            {
                "version": PROFILE_VERSION,
                "fingerprint": self.fingerprint,
                "weights": self._weights,
                "idf": self._idf.table,
                "unseen": self._idf.unseen,
                "exclude": list(self._exclude),
                "half_point": self._half_point,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, document: str) -> TopicModel | None:
        """A model stored by `to_json`; None if it is unreadable or from another version."""
        try:
            data = json.loads(document)
            if data.get("version") != PROFILE_VERSION:
                return None
            return cls(
                str(data["fingerprint"]),
                {str(t): float(w) for t, w in data["weights"].items()},
                Idf({str(t): float(w) for t, w in data["idf"].items()}, float(data["unseen"])),
                [str(t) for t in data["exclude"]],
                float(data["half_point"]),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None

    # -- inspection ----------------------------------------------------------------------

    @property
    def terms(self) -> tuple[tuple[str, float], ...]:
        """The profile's terms with their weights, strongest first (exclude terms left out)."""
        return tuple(sorted(self._weights.items(), key=lambda p: (-p[1], p[0])))

    # -- scoring -------------------------------------------------------------------------

    def _raw(self, vector: dict[str, float]) -> tuple[float, list[tuple[float, str]]]:
        """Cosine of a unit vector with the profile, and each matched term's contribution."""
        weights = self._weights
        parts = [(v * weights[t], t) for t, v in vector.items() if t in weights]
        return sum(p for p, _ in parts), parts

    def _raw_counts(self, counts: Counter[str]) -> tuple[float, list[tuple[float, str]]]:
        """`_raw` of `unit_vector(counts)` in one pass, without building the vector (this is
        the scoring loop: most terms occur once, and most are not in the profile). A text
        sharing no term with the profile is done after one set test, in C."""
        table, unseen, weights = self._idf.table, self._idf.unseen, self._weights
        if self._profile_terms.isdisjoint(counts):
            return 0.0, []
        norm = 0.0
        parts: list[tuple[float, str]] = []
        for term, n in counts.items():
            weight = table.get(term, unseen)
            if n > 1:
                weight *= 1.0 + math.log(n)
            norm += weight * weight
            profile = weights.get(term)
            if profile is not None:
                parts.append((weight * profile, term))
        if not parts or norm <= 0:
            return 0.0, []
        scale = 1.0 / math.sqrt(norm)
        parts = [(p * scale, t) for p, t in parts]
        return sum(p for p, _ in parts), parts

    def score(self, texts: Sequence[str]) -> list[tuple[float, tuple[str, ...]]]:
        """Each text's relevance in [0, 1] and the terms that made it (best first).

        Exclude terms found in a text are listed with a leading ``-``.
        """
        results: list[tuple[float, tuple[str, ...]]] = []
        half_point, exclude = self._half_point, self._exclude
        for text in texts:
            found = words(text)
            if self._vocabulary.isdisjoint(found):  # no profile or exclude term can be there
                results.append((0.0, ()))
                continue
            counts = Counter(terms_of(found))
            raw, parts = self._raw_counts(counts)
            if not parts and not exclude:  # nothing matched: most of a store
                results.append((0.0, ()))
                continue
            value = raw / (raw + half_point) if raw > 0 else 0.0
            excluded = [t for t in exclude if t in counts]
            value *= EXCLUDE_FACTOR ** len(excluded)
            why = _why(parts) + tuple(f"-{t}" for t in excluded)
            results.append((min(max(value, 0.0), 1.0), why))
        return results


def _strongest(weights: dict[str, float], count: int) -> dict[str, float]:
    """The `count` heaviest terms (ties by term, so builds are repeatable)."""
    return dict(sorted(weights.items(), key=lambda p: (-p[1], p[0]))[:count])


def _why(parts: list[tuple[float, str]]) -> tuple[str, ...]:
    """The strongest matched terms; a word pair hides the words it is made of."""
    chosen: list[str] = []
    hidden: set[str] = set()
    for _, term in sorted(parts, key=lambda p: (-p[0], p[1])):
        if " " in term:
            hidden.update(term.split())
    for _, term in sorted(parts, key=lambda p: (-p[0], p[1])):
        if term in hidden:
            continue
        chosen.append(term)
        if len(chosen) == TOP_TERMS:
            break
    return tuple(chosen)
