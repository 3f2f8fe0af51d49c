"""Stories and the topic refresh, on a real SQLite store with the real seed articles."""

from __future__ import annotations

import json
import statistics
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.topic_quality import (
    ARRIVAL_ORDERS,
    load_labeled,
    load_seeds,
    news_stories,
    pair_quality,
    seed_story_labels,
    stored_news_stories,
    story_inputs,
)
from reader.cli.main import cli
from reader.config import Settings, TopicSettings, load_settings
from reader.exceptions import ConfigError
from reader.models import ItemFilter, ItemWrite, SortOrder
from reader.sources.seeds import import_seeds
from reader.store import SQLiteStore
from reader.topic import TopicScorer, group_stories, load_topic, refresh_topic
from reader.topic import refresh as refresh_module
from reader.topic.refresh import FINGERPRINT_KEY, RESCORE_KEY
from reader.topic.stories import LEAD_CHARS, lead_terms

from .conftest import SEEDS_DIR, needs_corpus
from .test_cli import run

NOW = datetime(2024, 7, 12, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)

TASS_SEED, TASS_REWRITE, EU_MISSION, SPOKESPERSON, OP_ED = (
    "000_9c72b670fbe4c88a.txt",
    "001_49c63d79c2608994.txt",
    "002_f28d71708d6332bd.txt",
    "003_1136e61e36e9a1a6.txt",
    "004_f229af850eb50190.txt",
)


def feed_item(identity: str, title: str, text: str, published: datetime | None) -> ItemWrite:
    return ItemWrite(
        identity=identity,
        title=title,
        link=f"https://example.org/{identity}",
        author=None,
        published=published,
        updated=None,
        content_html=None,
        text=text,
        content_hash=identity + text,
    )


WASHINGTON = [
    feed_item(
        "reuters-1",
        "China says NATO Washington summit communique is belligerent",
        "Beijing rejected NATO's Washington summit declaration calling China a decisive enabler "
        "of Russia's war, and warned the alliance against meddling in the Asia-Pacific.",
        NOW,
    ),
    feed_item(
        "gt-1",
        "Beijing hits back at NATO 'decisive enabler' label",
        "China's foreign ministry said NATO's Washington declaration calling China a decisive "
        "enabler of Russia's war was full of Cold War mentality.",
        NOW + timedelta(hours=20),
    ),
]
UNRELATED = feed_item(
    "espn-1",
    "Arsenal beat Manchester United to stay in title race",
    "Leandro Trossard's goal gave Arsenal a 1-0 win at Old Trafford.",
    NOW,
)


@pytest.fixture
def seeded(store: SQLiteStore) -> dict[str, int]:
    report = import_seeds(store, SEEDS_DIR, now=NOW)
    assert not report.errors
    return report.item_ids


def add_feed_items(store: SQLiteStore, url: str, items: list[ItemWrite]) -> None:
    feed = store.add_feed(url)
    store.write_items(feed.id, items, now=NOW)


# -- the seeds --------------------------------------------------------------------------------


def test_seed_articles_on_the_tass_interview_form_one_story_and_the_rest_stand_alone(
    store: SQLiteStore, seeded: dict[str, int]
) -> None:
    refresh_topic(store, Settings(), now=LATER)
    story_of = {name: store.get_item(item_id).story_id for name, item_id in seeded.items()}
    assert story_of[TASS_SEED] is not None
    assert story_of[TASS_SEED] == story_of[TASS_REWRITE]
    others = [story_of[n] for n in (EU_MISSION, SPOKESPERSON, OP_ED)]
    # Each of the other three is its own story: in none, or in one of its own.
    assert all(s != story_of[TASS_SEED] for s in others)
    assert len({s for s in others if s is not None}) == sum(s is not None for s in others)
    (story,) = store.get_stories(min_sources=1)
    assert {i.id for i in story.items} == {seeded[TASS_SEED], seeded[TASS_REWRITE]}
    assert "NATO" in story.title  # the headline, not the cut opening of the other seed


def test_seeds_score_high_and_explain_their_scores(
    store: SQLiteStore, seeded: dict[str, int]
) -> None:
    report = refresh_topic(store, Settings(), now=LATER)
    assert report.rebuilt and report.scored == len(seeded)
    seeds = [store.get_item(item_id) for item_id in seeded.values()]
    for item in seeds:
        assert item.score is not None and item.score > 0.75
        assert len(item.score_terms) >= 3
        assert {"nato", "asia pacific"} & set(item.score_terms)


# -- refresh on a store ----------------------------------------------------------------------


def test_refresh_scores_feed_items_and_ranks_on_topic_first(
    store: SQLiteStore, seeded: dict[str, int]
) -> None:
    add_feed_items(store, "https://reuters.example/feed", [WASHINGTON[0], UNRELATED])
    refresh_topic(store, Settings(), now=LATER)
    ranked = store.get_items(sort=SortOrder.RELEVANCE)
    assert ranked[-1].title == UNRELATED.title
    assert ranked[-1].score is not None and ranked[-1].score < 0.1
    relevant = store.get_items(ItemFilter(min_score=0.3))
    assert WASHINGTON[0].title in {i.title for i in relevant}
    assert UNRELATED.title not in {i.title for i in relevant}


def test_refresh_works_the_queues_and_rescores_everything_only_when_the_topic_changes(
    store: SQLiteStore, seeded: dict[str, int]
) -> None:
    settings = Settings()
    first = refresh_topic(store, settings, now=LATER)
    assert first.rebuilt and first.scored == 5 and first.grouped == 5
    assert store.get_meta(FINGERPRINT_KEY) == first.fingerprint

    again = refresh_topic(store, settings, now=LATER)
    assert (again.rebuilt, again.scored, again.grouped) == (False, 0, 0)

    add_feed_items(store, "https://reuters.example/feed", [UNRELATED])
    new_only = refresh_topic(store, settings, now=LATER)
    assert (new_only.rebuilt, new_only.scored, new_only.grouped) == (False, 1, 1)

    changed = replace(settings, topic=TopicSettings(keywords=("Premier League",)))
    rebuilt = refresh_topic(store, changed, now=LATER)
    assert rebuilt.rebuilt and rebuilt.scored == 6 and rebuilt.grouped == 0
    assert rebuilt.fingerprint != first.fingerprint
    assert store.get_meta(RESCORE_KEY) is None  # the walk is done

    forced = refresh_topic(store, changed, force=True, now=LATER)
    assert forced.rebuilt and forced.scored == 6 and forced.grouped == 6


def test_a_stopped_rescore_goes_on_where_it_stopped(
    store: SQLiteStore, seeded: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(refresh_module, "SCORE_BATCH", 2)
    refresh_topic(store, Settings(), now=LATER)
    changed = Settings(topic=TopicSettings(keywords=("Premier League",)))
    calls = 0

    def stop_after_one_batch() -> bool:
        nonlocal calls
        calls += 1
        return True

    first = refresh_topic(store, changed, should_stop=stop_after_one_batch)
    assert first.stopped and first.rescore_left and first.scored == 2 and calls == 1
    assert store.get_meta(RESCORE_KEY) == str(seeded[TASS_REWRITE])
    rest = refresh_topic(store, changed)
    assert not rest.rebuilt and rest.scored == 3 and not rest.stopped
    assert store.get_meta(RESCORE_KEY) is None


def test_refresh_scores_and_groups_in_batches(
    store: SQLiteStore, seeded: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(refresh_module, "SCORE_BATCH", 2)
    monkeypatch.setattr(refresh_module, "GROUP_BATCH", 3)
    add_feed_items(store, "https://reuters.example/feed", [WASHINGTON[0], UNRELATED])
    add_feed_items(store, "https://gt.example/feed", [WASHINGTON[1]])
    report = refresh_topic(store, Settings(), now=LATER)
    assert report.scored == 8 and report.grouped == 8
    assert all(i.score is not None for i in store.get_items())
    assert len(store.get_stories(min_sources=1)) == 2


def test_reseeding_changes_the_fingerprint(store: SQLiteStore, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name, text in load_seeds()[:3]:
        (seeds / name).write_text(text, encoding="utf-8")
    import_seeds(store, seeds, now=NOW)
    before = refresh_topic(store, Settings(), now=LATER)
    name, text = load_seeds()[3]
    (seeds / name).write_text(text, encoding="utf-8")
    import_seeds(store, seeds, now=NOW)
    after = refresh_topic(store, Settings(), now=LATER)
    assert after.rebuilt and after.fingerprint != before.fingerprint and after.scored == 4


def test_store_without_seeds_or_keywords_has_no_topic_but_still_groups(
    store: SQLiteStore,
) -> None:
    assert load_topic(store, Settings()) is None
    add_feed_items(store, "https://reuters.example/feed", [WASHINGTON[0]])
    add_feed_items(store, "https://gt.example/feed", [WASHINGTON[1]])
    report = refresh_topic(store, Settings(), now=LATER)
    assert report.fingerprint is None and report.scored == 0
    assert all(i.score is None for i in store.get_items())
    (story,) = store.get_stories()
    assert set(story.sources) == {"https://reuters.example/feed", "https://gt.example/feed"}


def test_same_event_from_two_sources_is_one_story_with_seeds_taking_part(
    store: SQLiteStore, seeded: dict[str, int]
) -> None:
    tass = feed_item(
        "tass-1",
        "Chinese envoy: NATO in Asia would be a wolf in the sheepfold",
        "China's ambassador to Russia Zhang Hanhui told TASS that letting NATO into the East is "
        "like letting the wolf into the sheepfold, and warned Japan to learn from history.",
        None,
    )
    add_feed_items(store, "https://tass.example/feed", [tass])
    add_feed_items(store, "https://reuters.example/feed", [WASHINGTON[0]])
    add_feed_items(store, "https://gt.example/feed", [WASHINGTON[1]])
    refresh_topic(store, Settings(), now=LATER)
    stories = store.get_stories()
    assert len(stories) == 2
    by_size = {len(s.items): s for s in stories}
    tass_story = by_size[3]
    assert {i.id for i in tass_story.items} >= {seeded[TASS_SEED], seeded[TASS_REWRITE]}
    assert len(by_size[2].sources) == 2
    # Biggest first.
    assert stories[0] is tass_story


def test_new_items_join_stories_by_the_index_and_story_ids_stay(
    store: SQLiteStore, seeded: dict[str, int]
) -> None:
    add_feed_items(store, "https://reuters.example/feed", [WASHINGTON[0]])
    add_feed_items(store, "https://gt.example/feed", [WASHINGTON[1]])
    refresh_topic(store, Settings(), now=LATER)
    ids_before = {s.title: s.id for s in store.get_stories(min_sources=1)}
    late = feed_item(
        "ap-1",
        "China rejects NATO's Washington summit 'decisive enabler' charge",
        "Beijing said NATO's Washington summit declaration calling China a decisive enabler of "
        "Russia's war was belligerent, and warned the alliance over the Asia-Pacific.",
        NOW + timedelta(days=2),
    )
    store.write_items(store.add_feed("https://ap.example/feed").id, [late], now=LATER)
    report = refresh_topic(store, Settings(), now=LATER)
    assert report.grouped == 1  # only the new item was placed
    after = {s.title: s for s in store.get_stories(min_sources=1)}
    assert {t: s.id for t, s in after.items()} == ids_before  # nobody renumbered
    (washington,) = [s for s in after.values() if len(s.sources) == 3]
    assert "ap-1" in {i.identity for i in washington.items}


def test_a_report_dated_outside_the_story_window_starts_no_story_with_it(
    store: SQLiteStore, seeded: dict[str, int]
) -> None:
    add_feed_items(store, "https://reuters.example/feed", [WASHINGTON[0]])
    refresh_topic(store, Settings(), now=LATER)
    a_year_on = replace(WASHINGTON[1], published=NOW + timedelta(days=365))
    add_feed_items(store, "https://gt.example/feed", [a_year_on])
    refresh_topic(store, Settings(), now=LATER)
    assert store.get_stories() == []
    # A wider window (a settings change, then a full regroup) brings them together.
    wide = Settings(topic=TopicSettings(story_days=400))
    forced = refresh_topic(store, wide, force=True, now=LATER)
    assert forced.grouped == 7
    assert len(store.get_stories()) == 1


def test_a_stored_lone_report_joins_when_a_new_report_links_it_to_a_story(
    store: SQLiteStore,
) -> None:
    day = datetime(2024, 3, 5, tzinfo=UTC)
    reports = [
        feed_item(f"geneva-{n}", text.partition("\n")[0], text.partition("\n")[2], day)
        for n, text in enumerate(GENEVA_TALKS, start=1)
    ]
    for n, report in enumerate(reports[:3], start=1):
        add_feed_items(store, f"https://{n}.example/feed", [report])
    refresh_topic(store, Settings(), now=LATER)
    (before,) = store.get_stories()
    assert {i.identity for i in before.items} == {"geneva-1", "geneva-2"}
    add_feed_items(store, "https://4.example/feed", [reports[3]])
    report = refresh_topic(store, Settings(), now=LATER)
    assert report.grouped == 1
    (after,) = store.get_stories()
    assert after.id == before.id
    assert {i.identity for i in after.items} == {f"geneva-{n}" for n in range(1, 5)}


def test_a_bridging_report_merges_two_stories_into_the_older(store: SQLiteStore) -> None:
    day = datetime(2023, 6, 7, tzinfo=UTC)
    first = feed_item(
        "a", "NATO plans Tokyo liaison office", "The alliance plans a liaison office in Tokyo.", day
    )
    first_copy = feed_item(
        "b", "NATO plans Tokyo liaison office", "The alliance plans a liaison office in Tokyo.", day
    )
    add_feed_items(store, "https://a.example/feed", [first])
    add_feed_items(store, "https://b.example/feed", [first_copy])
    refresh_topic(store, Settings())
    (older,) = store.get_stories()
    second = feed_item(
        "c",
        "Macron blocks NATO liaison office",
        "France blocks the NATO office in Tokyo plan.",
        day,
    )
    second_copy = feed_item(
        "d",
        "Macron blocks NATO liaison office",
        "France blocks the NATO office in Tokyo plan.",
        day,
    )
    add_feed_items(store, "https://c.example/feed", [second])
    add_feed_items(store, "https://d.example/feed", [second_copy])
    refresh_topic(store, Settings())
    stories = store.get_stories()
    if len(stories) == 2:  # two stories so far: a report on both now bridges them
        bridge = feed_item(
            "e",
            "NATO plans Tokyo liaison office; Macron blocks NATO liaison office",
            "The alliance plans a liaison office in Tokyo. France blocks the NATO office in Tokyo.",
            day,
        )
        add_feed_items(store, "https://e.example/feed", [bridge])
        refresh_topic(store, Settings())
    (merged,) = store.get_stories()
    assert merged.id == older.id
    assert len(merged.items) >= 4


def _lead_term_counts(store: SQLiteStore) -> tuple[int, dict[str, int]]:
    """How many stored items there are and how many use each lead term, counted afresh."""
    counts: dict[str, int] = {}
    texts = store.get_texts(max_chars=LEAD_CHARS)
    for _, text in texts:
        for term in lead_terms(text):
            counts[term] = counts.get(term, 0) + 1
    return len(texts), counts


def test_stories_are_weighed_with_the_term_counts_of_every_item_grouped_so_far(
    store: SQLiteStore,
) -> None:
    # Two refreshes a day apart, then a full regroup: each time the store's counts are those
    # of all its items (one pass over all of them would learn the same), never counted twice.
    add_feed_items(store, "https://reuters.example/feed", WASHINGTON[:1])
    refresh_topic(store, Settings())
    first_items, first_counts = _lead_term_counts(store)
    assert store.story_term_counts(sorted(first_counts)) == (first_items, first_counts)
    add_feed_items(store, "https://gt.example/feed", WASHINGTON[1:])
    add_feed_items(store, "https://espn.example/feed", [UNRELATED])
    refresh_topic(store, Settings())
    items, counts = _lead_term_counts(store)
    assert items == 3
    assert counts["nato"] == 2  # in both Washington reports, not in the football one
    assert store.story_term_counts([*sorted(counts), "unused"]) == (items, counts)
    refresh_topic(store, Settings(), force=True)
    assert store.story_term_counts(sorted(counts)) == (items, counts)
    store.reset_stories()
    assert store.story_term_counts(sorted(counts)) == (0, {})


# -- the pure grouping ------------------------------------------------------------------------

A = "NATO plans Tokyo liaison office\nThe alliance plans a liaison office in Tokyo, first in Asia."
B = "NATO to open liaison office in Tokyo\nNATO is preparing its first Asian liaison office."


def test_reports_far_apart_in_time_are_different_stories() -> None:
    day = datetime(2023, 6, 7, tzinfo=UTC)
    together = group_stories([(1, 1, day, A), (2, 2, day + timedelta(days=2), B)], story_days=7)
    assert together == [(together[0][0], [1, 2])]
    apart = group_stories([(1, 1, day, A), (2, 2, day + timedelta(days=30), B)], story_days=7)
    assert apart == []


def test_a_missing_date_does_not_block_grouping() -> None:
    day = datetime(2023, 6, 7, tzinfo=UTC)
    stories = group_stories([(1, 1, day, A), (2, 2, None, B)], story_days=7)
    assert [ids for _, ids in stories] == [[1, 2]]


GENEVA_TALKS = [
    "Iran and US resume nuclear talks in Geneva\nNegotiators from Iran and the United States met"
    " in Geneva for a second round of nuclear talks mediated by Oman.",
    "US and Iran hold second round of nuclear talks in Geneva\nOman mediated the second round of"
    " nuclear talks between Iran and the United States in Geneva.",
    # Too far from the first two to join a story of two on its own...
    "Nuclear talks proceed without breakthrough under threat of strikes\nDiplomats said the talks"
    " in Geneva ended without a breakthrough as warships gathered near the Strait of Hormuz.",
    # ...but this later report links it to them.
    "Iran and US end second round of nuclear talks in Geneva without breakthrough\nThe second"
    " round of nuclear talks mediated by Oman ended in Geneva without a breakthrough, as warships"
    " gathered near the Strait of Hormuz.",
]


def test_a_lone_report_joins_the_story_of_a_later_report_linked_to_it_strongly() -> None:
    day = datetime(2024, 3, 5, tzinfo=UTC)
    inputs = [(n, n, day, text) for n, text in enumerate(GENEVA_TALKS, start=1)]
    assert [ids for _, ids in group_stories(inputs, story_days=7)] == [[1, 2, 3, 4]]
    # The order of arrival does not decide: the report arriving last finds the same story.
    hours = {1: 1, 2: 2, 3: 9, 4: 4}
    again = [(n, n, day + timedelta(hours=hours[n]), text) for n, _, _, text in inputs]
    assert [ids for _, ids in group_stories(again, story_days=7)] == [[1, 2, 3, 4]]


TWO_TALKS_IN_GENEVA = [
    *GENEVA_TALKS[:2],
    "Russia and Ukraine open peace talks in Geneva\nRussian and Ukrainian delegations began"
    " US-brokered peace talks in Geneva on the war.",
    "Ukraine and Russia hold US-brokered peace talks in Geneva\nDelegations of Ukraine and"
    " Russia met in Geneva for peace talks brokered by the US.",
    # About the Iran talks; names the other talks in passing.
    "Iran and US end second round of nuclear talks in Geneva mediated by Oman\nIran and the"
    " United States ended a second round of nuclear talks in Geneva mediated by Oman, as Geneva"
    " also hosted US-brokered peace talks between delegations of Russia and Ukraine.",
]


def test_a_report_naming_another_event_in_passing_does_not_merge_the_two_stories() -> None:
    day = datetime(2024, 3, 5, tzinfo=UTC)
    inputs = [
        (n, n, day + timedelta(hours=n), text)
        for n, text in enumerate(TWO_TALKS_IN_GENEVA, start=1)
    ]
    stories = [ids for _, ids in group_stories(inputs, story_days=7)]
    assert stories == [[1, 2, 5], [3, 4]]


CONFERENCE_THEN_VISIT = [
    "Munich Security Conference opens with warnings on European defence\nLeaders at the Munich"
    " Security Conference heard that European defence must grow as allies doubt American"
    " commitment.",
    "European defence dominates the Munich Security Conference\nAt the Munich Security"
    " Conference, European leaders said defence spending must rise while American commitment"
    " wavers.",
    "Rubio tells Munich Security Conference that America cares about Europe\nSecretary of State"
    " Marco Rubio told the Munich Security Conference that American commitment to European"
    " defence stands.",
    "Rubio visits Slovakia and Hungary\nSecretary of State Marco Rubio flew to Bratislava and"
    " Budapest to meet Robert Fico and Viktor Orban, two allies of the president.",
    "Rubio meets Orban and Fico on central Europe trip\nMarco Rubio met Viktor Orban in Budapest"
    " and Robert Fico in Bratislava, days after European leaders in Munich said defence spending"
    " must rise.",
]


def test_the_closest_report_decides_between_a_story_and_a_lone_report() -> None:
    """The last report links to the conference story, but more closely to the lone report of
    the visit: it makes a story of the visit, and the conference story stays as it was."""
    day = datetime(2024, 2, 14, tzinfo=UTC)
    inputs = [
        (n, n, day + timedelta(hours=n), text)
        for n, text in enumerate(CONFERENCE_THEN_VISIT, start=1)
    ]
    stories = [ids for _, ids in group_stories(inputs, story_days=7)]
    assert stories == [[1, 2, 3], [4, 5]]


def test_each_item_is_in_at_most_one_story_and_titled_by_a_member() -> None:
    inputs, _ = story_inputs(load_labeled(), load_seeds(), seed_story_labels())
    stories = group_stories(inputs, story_days=7)
    members = [i for _, ids in stories for i in ids]
    assert len(members) == len(set(members))
    first_lines = {text.splitlines()[0] for _, _, _, text in inputs}
    for title, _ in stories:  # a member's first line, shortened when long
        assert any(line.startswith(title.removesuffix("…")) for line in first_lines)
    assert all(len(ids) >= 2 for _, ids in stories)


def test_unrelated_texts_and_empty_input_make_no_stories() -> None:
    assert group_stories([], story_days=7) == []
    assert group_stories([(1, 1, None, "")], story_days=7) == []
    assert group_stories([(1, 1, None, A), (2, 2, None, UNRELATED.text or "")], story_days=7) == []


def test_labeled_story_pairs_meet_quality_floors() -> None:
    inputs, truth = story_inputs(load_labeled(), load_seeds(), seed_story_labels())
    assert len(truth) >= 20
    precision, recall = pair_quality(group_stories(inputs, story_days=7), truth)
    # Measured 1.00 and 0.60 (bench/topic_quality.py): these hand-written items all share the
    # topic's words, so events apart are told by few words; the real news below is the measure.
    assert precision >= 0.9
    assert recall >= 0.55


@needs_corpus
@pytest.mark.parametrize(
    ("part", "order", "precision_floor", "recall_floor"),
    # Measured (bench/topic_quality.py): tuned 0.969 and 0.900 in corpus order, 0.947 and 0.886
    # by time (the order a store takes a day's items in); held out 0.962 and 0.922. The order
    # of arrival moves these a lot (docs/topic.md), so a floor that fails may be an order that
    # changed as much as a rule.
    [
        ("tuned", "corpus", 0.95, 0.88),
        ("tuned", "time", 0.93, 0.87),
        ("held_out", "corpus", 0.9, 0.7),
    ],
)
def test_same_story_pairs_across_sources_in_real_news_meet_floors(
    part: str, order: str, precision_floor: float, recall_floor: float
) -> None:
    precision, recall, truth, _ = news_stories(part, order=order)
    assert truth > 100
    assert precision >= precision_floor
    assert recall >= recall_floor


@needs_corpus
def test_same_story_pairs_over_shuffled_arrival_orders_meet_floors() -> None:
    """The tuned sources in one pass, each day's items shuffled: one order can be lucky (the
    corpus order is near the best), the median of several says what the rules give."""
    figures = [news_stories("tuned", order=seed) for seed in range(ARRIVAL_ORDERS)]
    # Measured medians 0.908 and 0.900, lowest 0.851 and 0.879 (bench/topic_quality.py; before
    # the repairs after each batch: medians 0.902 and 0.900, lowest 0.754 and 0.700).
    assert statistics.median(f[0] for f in figures) >= 0.9
    assert statistics.median(f[1] for f in figures) >= 0.89
    assert min(f[0] for f in figures) >= 0.84
    assert min(f[1] for f in figures) >= 0.87


@needs_corpus
def test_same_story_pairs_grouped_by_a_store_a_day_at_a_time_meet_floors() -> None:
    """What the daemon makes of the tuned sources: one refresh after each day's items."""
    precision, recall, truth, _ = stored_news_stories("tuned")
    assert truth > 100
    # Measured 0.946 and 0.871 (0.683 and 1.000 while the store weighed terms with statistics
    # learned once from its first 200 items: chains grew through loud words of later events).
    assert precision >= 0.93
    assert recall >= 0.86


# -- the command line -------------------------------------------------------------------------


def test_stories_list_json_shows_stories_with_items_and_sources(tmp_path: Path) -> None:
    # One real process for the whole path; the listings run in-process on the same database.
    run(tmp_path, "seeds", "import", str(SEEDS_DIR))
    runner = CliRunner()
    db = ["--db", str(tmp_path / "r.db")]

    def invoke(*args: str) -> str:
        result = runner.invoke(cli, [*db, *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "1 stories of 2 items" in invoke("stories", "refresh", "--force")
    assert json.loads(invoke("stories", "list", "--json")) == []
    (story,) = json.loads(invoke("stories", "list", "--min-sources", "1", "--json"))
    assert set(story) == {"id", "title", "sources", "items"}
    assert story["sources"] == ["seeds"]
    assert len(story["items"]) == 2
    for item in story["items"]:
        assert {"id", "title", "link", "source", "published", "score"} <= set(item)
        assert item["source"] == "seeds" and item["score"] > 0.75
    text = invoke("stories", "list", "--min-sources", "1")
    assert story["title"][:40] in text and "2 items from seeds" in text
    assert "no stories with 2+ sources" in invoke("stories", "list")


def test_unmatchable_keyword_in_settings_is_a_config_error_naming_the_key(
    store: SQLiteStore, seeded: dict[str, int], tmp_path: Path
) -> None:
    config = tmp_path / "reader.toml"
    config.write_text('[topic]\nkeywords = ["NATO", "of the"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"reader.toml, key 'topic.keywords': 'of the'"):
        refresh_topic(store, load_settings(config), now=LATER)


def test_topic_scorer_follows_the_store_profile_as_seeds_arrive(store: SQLiteStore) -> None:
    scorer = TopicScorer(store, Settings())
    assert scorer.model is None
    assert scorer([WASHINGTON[0].text or ""]) == [(0.0, ())]
    import_seeds(store, SEEDS_DIR, now=NOW)
    refresh_topic(store, Settings(), now=LATER)
    ((score, terms),) = scorer([WASHINGTON[0].text or ""])
    assert scorer.model is not None
    assert scorer.model.fingerprint == store.get_meta(FINGERPRINT_KEY)
    assert score > 0.3 and "nato" in terms
    # It keeps its model while the profile stays the same.
    model = scorer.model
    scorer([UNRELATED.text or ""])
    assert scorer.model is model
