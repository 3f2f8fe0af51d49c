"""The topic profile and relevance score: built from the real seeds, checked on a labeled set."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from bench.topic_data import auc as roc_auc_score
from bench.topic_quality import (
    corpus_news_texts,
    load_labeled,
    load_seeds,
    precision_at,
    seeds_topic,
    storyline_topics,
)
from reader.config import TopicSettings
from reader.topic import TopicModel
from reader.topic.profile import MIN_BACKGROUND

from .conftest import needs_corpus

SEED_TEXTS = [text for _, text in load_seeds()]
ON_TOPIC = (
    "Beijing warns NATO against opening a liaison office in Tokyo\n"
    "China said NATO's plan for an office in Japan shows the alliance is pushing east into "
    "the Asia-Pacific and urged Tokyo to learn from history."
)
NATO_EUROPE = (
    "NATO leaders meet in Vilnius on Ukraine's membership bid\n"
    "Allies discussed air defence for Ukraine and the eastern flank against Russia."
)
CHINA_ECONOMY = (
    "China's economy grows 5% as exports slow\n"
    "The statistics bureau said consumer demand stayed weak and the property slump went on."
)
SPORT = "Arsenal beat Chelsea 2-0\nA late goal settled the London derby at the Emirates."


@pytest.fixture(scope="module")
def model() -> TopicModel:
    return TopicModel.build(SEED_TEXTS, TopicSettings())


def test_scores_are_within_zero_and_one_with_terms_for_each_text(model: TopicModel) -> None:
    results = model.score([ON_TOPIC, NATO_EUROPE, CHINA_ECONOMY, SPORT, "", "!!!"])
    assert len(results) == 6
    for value, terms in results:
        assert math.isfinite(value) and 0.0 <= value <= 1.0
        assert all(isinstance(t, str) and t for t in terms)
    assert results[4] == (0.0, ()) and results[5] == (0.0, ())


def test_empty_batch_scores_to_empty_list(model: TopicModel) -> None:
    assert model.score([]) == []


def test_on_topic_outranks_hard_negatives_and_unrelated(model: TopicModel) -> None:
    on, nato, china, sport = (
        s for s, _ in model.score([ON_TOPIC, NATO_EUROPE, CHINA_ECONOMY, SPORT])
    )
    assert on > nato and on > china
    assert min(nato, china) > sport
    assert sport == 0.0


def test_seeds_score_near_the_top(model: TopicModel) -> None:
    assert all(s > 0.75 for s, _ in model.score(SEED_TEXTS))


def test_matching_terms_explain_the_score(model: TopicModel) -> None:
    (_, terms), (_, sport_terms) = model.score([ON_TOPIC, SPORT])
    assert "nato" in terms
    assert "asia pacific" in terms
    # A phrase hides the single words it is made of.
    assert "asia" not in terms and "pacific" not in terms
    assert sport_terms == ()


def test_profile_is_led_by_what_every_seed_shares(model: TopicModel) -> None:
    top = [term for term, _ in model.terms[:8]]
    assert top[0] == "nato"
    assert "asia pacific" in top and "china" in top and "japan" in top


def test_exclude_terms_push_an_item_down_and_show_why() -> None:
    plain = TopicModel.build(SEED_TEXTS, TopicSettings())
    excluding = TopicModel.build(SEED_TEXTS, TopicSettings(exclude=("Ukraine",)))
    ((before, _),) = plain.score([NATO_EUROPE])
    ((after, terms),) = excluding.score([NATO_EUROPE])
    assert after < before * 0.5
    assert "-ukraine" in terms
    # Items without the term barely move (the profile loses one term's weight).
    ((kept, kept_terms),) = excluding.score([ON_TOPIC])
    ((original, original_terms),) = plain.score([ON_TOPIC])
    assert kept == pytest.approx(original, abs=0.02) and kept_terms == original_terms


def test_keywords_add_terms_the_seeds_lack() -> None:
    text = "Quad foreign ministers meet in Tokyo\nThe Quad security dialogue met again."
    plain = TopicModel.build(SEED_TEXTS, TopicSettings())
    boosted = TopicModel.build(SEED_TEXTS, TopicSettings(keywords=("Quad security dialogue",)))
    ((before, _),) = plain.score([text])
    ((after, terms),) = boosted.score([text])
    assert after > before
    assert "quad security" in terms


def test_keywords_alone_make_a_profile() -> None:
    model = TopicModel.build([], TopicSettings(keywords=("NATO", "Indo-Pacific", "Japan")))
    (on, _), (off, _) = model.score(["NATO and Japan discuss the Indo-Pacific", SPORT])
    assert on > 0.5 and off == 0.0


def test_nothing_to_build_from_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no seed text and no keywords"):
        TopicModel.build(["", "   "], TopicSettings())


def test_fingerprint_follows_seeds_and_keyword_settings() -> None:
    settings = TopicSettings()
    base = TopicModel.build(SEED_TEXTS, settings).fingerprint
    assert TopicModel.build(list(reversed(SEED_TEXTS)), settings).fingerprint == base
    assert TopicModel.build(SEED_TEXTS[:4], settings).fingerprint != base
    assert TopicModel.build(SEED_TEXTS, replace(settings, keywords=("Quad",))).fingerprint != base
    assert TopicModel.build(SEED_TEXTS, replace(settings, exclude=("sport",))).fingerprint != base
    # Settings that do not shape the profile leave it alone.
    assert TopicModel.build(SEED_TEXTS, replace(settings, story_days=3)).fingerprint == base


def test_score_fits_the_updater_scorer_signature(model: TopicModel) -> None:
    scorer = model.score  # Callable[[Sequence[str]], Sequence[tuple[float, Sequence[str]]]]
    results = scorer((ON_TOPIC,))
    assert isinstance(results[0][0], float) and isinstance(results[0][1], tuple)


def test_a_model_survives_its_json_round_trip(model: TopicModel) -> None:
    again = TopicModel.from_json(model.to_json())
    assert again is not None and again.fingerprint == model.fingerprint
    assert again.score([ON_TOPIC, NATO_EUROPE]) == model.score([ON_TOPIC, NATO_EUROPE])
    assert TopicModel.from_json("{not json") is None
    assert TopicModel.from_json('{"version": "0"}') is None


def test_store_items_as_background_weigh_rare_terms_up() -> None:
    """With enough store items, a term every item uses weighs less than a rare one."""
    background = [f"Weather report {n}\nRain and wind across the region today." for n in range(300)]
    assert len(background) >= MIN_BACKGROUND
    plain = dict(TopicModel.build(SEED_TEXTS, TopicSettings()).terms)
    learned = dict(TopicModel.build(SEED_TEXTS, TopicSettings(), background).terms)
    assert learned["nato"] / learned.get("region", 1e-9) > plain["nato"] / plain["region"]


# -- quality floors (bench/topic_quality.py prints the figures) ---------------------------------


def test_labeled_set_ranking_meets_quality_floors(model: TopicModel) -> None:
    items = load_labeled()
    assert len(items) >= 60 and sum(i.relevant for i in items) >= 20
    scores = [s for s, _ in model.score([i.text for i in items])]
    relevant = [i.relevant for i in items]
    # Measured without any store background: 1.00 and 0.99.
    assert precision_at(10, scores, relevant) >= 0.9
    assert roc_auc_score(scores, relevant) >= 0.97


@needs_corpus
def test_on_topic_items_rank_above_real_news_distractors(model: TopicModel) -> None:
    """Real news snapshots (none about NATO in Asia) must not crowd out on-topic items."""
    news = corpus_news_texts()
    assert len(news) > 500
    items = load_labeled()
    texts = [i.text for i in items] + news
    relevant = [i.relevant for i in items] + [False] * len(news)
    scores = [s for s, _ in TopicModel.build(SEED_TEXTS, TopicSettings(), texts).score(texts)]
    on_topic = sum(relevant)
    # Measured 1.00 and 1.000 (bench/topic_quality.py).
    assert precision_at(on_topic, scores, relevant) >= 0.9
    assert precision_at(20, scores, relevant) >= 0.9
    assert roc_auc_score(scores, relevant) >= 0.99


@needs_corpus
@pytest.mark.parametrize("part", ["tuned", "held_out"])
def test_seeds_topic_beats_the_baseline_and_keeps_hard_negatives_low(part: str) -> None:
    result, hardest, _ = seeds_topic(part)
    assert result.ours.auc >= 0.98 and result.ours.auc >= result.baseline.auc
    assert result.ours.p_r >= 0.85 and result.ours.p_r >= result.baseline.p_r
    assert hardest < 0.75  # seeds score about 0.85


@needs_corpus
@pytest.mark.parametrize("part", ["tuned", "held_out"])
def test_storylines_as_topics_are_found_at_least_as_well_as_by_the_baseline(part: str) -> None:
    rows = storyline_topics(part)
    assert len(rows) >= 5
    mean_ours = sum(r.ours.p_r for r in rows) / len(rows)
    mean_base = sum(r.baseline.p_r for r in rows) / len(rows)
    # Measured 0.92 against 0.76 (tuned) and 0.88 against 0.86 (held out).
    assert mean_ours >= mean_base
    assert mean_ours >= 0.85
    assert all(r.ours.auc >= 0.9 for r in rows)  # lowest measured: 0.92 (held out)


@needs_corpus
def test_each_tuned_storyline_ranks_at_least_as_well_as_the_baseline() -> None:
    """On the split the methods were chosen on, no storyline may fall below the plain TF-IDF
    cosine at the top of the ranking, and most find nearly all of their items first."""
    rows = storyline_topics("tuned")
    for row in rows:
        assert row.ours.p_r >= row.baseline.p_r, row.topic
        assert row.ours.p20 >= row.baseline.p20, row.topic
        assert row.ours.auc >= 0.96, row.topic  # lowest measured: 0.976
    # Measured 0.92 (six of seven storylines at 0.86 or more, the Munich conference at 0.69).
    assert sum(r.ours.p_r for r in rows) / len(rows) >= 0.9
    assert sum(r.ours.p_r >= 0.85 for r in rows) >= 6


def test_a_keyword_that_can_never_match_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match=r"topic.exclude: 'the' has no word that can match"):
        TopicModel.build(SEED_TEXTS, TopicSettings(exclude=("NBA", "the")))
