"""The query language's filters, parsed (pure) and run against a real SQLite store.

The store holds a small, known world: three feeds, items with marks, tags, scores, stories and
dates. Each row of CASES is a query as a user types it and the items it must list, so the
table doubles as the documentation's examples.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reader.core import make_reader
from reader.exceptions import InvalidSearchQueryError, ViewExistsError, ViewNotFoundError
from reader.models import (
    FeedUpdate,
    FeedWrite,
    ItemFilter,
    ItemWrite,
    Rule,
    RuleAction,
    RuleActionKind,
)
from reader.query import (
    AgeIs,
    And,
    FeedIs,
    Not,
    Or,
    ScoreIs,
    StateIs,
    StoryIs,
    TagIs,
    Term,
    parse_query,
)
from reader.store import Store, open_store

from .test_cli import assert_user_error, run

NOW = datetime.now(UTC)


def _item(identity: str, title: str, text: str, days_old: float, score: float) -> ItemWrite:
    return ItemWrite(
        identity=identity,
        title=title,
        link=f"https://example.com/{identity}",
        author=None,
        published=NOW - timedelta(days=days_old),
        updated=None,
        content_html=f"<p>{text}</p>",
        text=text,
        content_hash=identity,
        score=score,
    )


WORLD = {
    "Alliance Daily": [
        _item("a1", "NATO summit opens in Vilnius", "Leaders meet on Ukraine.", 0.5, 0.91),
        _item("a2", "Defence budgets rise", "Spending climbs across Europe.", 3, 0.62),
        _item("a3", "Old archive piece on treaties", "The 1949 treaty.", 40, 0.30),
    ],
    "Pacific Wire": [
        _item("p1", "Japan and NATO sign liaison deal", "Tokyo office opens.", 1, 0.88),
        _item("p2", "Typhoon season begins", "Weather warnings.", 2, 0.05),
    ],
    "Market Watch": [
        _item("m1", "Stocks rally", "Markets climb on NATO spending news.", 0.2, 0.40),
        _item("m2", "Oil prices fall", "Crude slides.", 10, None),  # type: ignore[arg-type]
    ],
}


def fill_world(store: Store) -> None:
    ids: dict[str, int] = {}
    for name, items in WORLD.items():
        feed = store.add_feed(f"https://{name.split()[0].lower()}.example/feed")
        update = FeedUpdate(checked=NOW, title=name)
        store.write_items(feed.id, items, now=NOW, feed_url=feed.url, feed_update=update)
        ids.update(store.get_item_ids(feed.id))
    store.set_feed_tags("https://pacific.example/feed", ["asia"])
    store.add_tags(ids["a1"], ["summit"])
    store.add_tags(ids["m1"], ["markets", "summit"])
    store.mark_items([ids["a2"], ids["p2"]], read=True)
    store.mark_items([ids["p1"]], starred=True)
    store.set_stories([("NATO summit", [ids["a1"], ids["p1"], ids["m1"]])])


@pytest.fixture
def world(store: Store) -> Store:
    """The known world, on each backend."""
    fill_world(store)
    return store


CASES = [
    ("nato", {"a1", "p1", "m1"}),
    ("tag:summit", {"a1", "m1"}),
    ("tag:asia", {"p1", "p2"}),  # a feed's tag reaches its items
    ("tag:SUMMIT -tag:markets", {"a1"}),
    ('tag:"summit"', {"a1", "m1"}),
    ("feed:pacific", {"p1", "p2"}),
    ("feed:https://market.example/feed", {"m1", "m2"}),
    ("-feed:alliance -feed:market", {"p1", "p2"}),
    ("source:wire", {"p1", "p2"}),  # the text field: the feed's name is indexed
    ("is:unread", {"a1", "a3", "p1", "m1", "m2"}),
    ("is:read", {"a2", "p2"}),
    ("is:starred", {"p1"}),
    ("-is:starred is:unread", {"a1", "a3", "m1", "m2"}),
    ("is:tagged", {"a1", "m1"}),
    ("score>0.5", {"a1", "a2", "p1"}),
    ("score>=0.88", {"a1", "p1"}),
    ("score<0.1", {"p2"}),  # unscored items never match a comparison
    ("story:3+", {"a1", "p1", "m1"}),
    ("story:4+", set()),
    ("newer:1d", {"a1", "m1"}),
    ("newer:36h", {"a1", "p1", "m1"}),
    ("older:7d", {"a3", "m2"}),
    ("older:2w", {"a3"}),
    ("nato is:unread score>0.5", {"a1", "p1"}),
    ("nato OR tag:markets", {"a1", "p1", "m1"}),
    ("(feed:alliance OR feed:pacific) newer:7d -is:read", {"a1", "p1"}),
    ("japan OR is:read", {"p1", "a2", "p2"}),
    ("-nato newer:7d", {"a2", "p2"}),
    ("title:nato -feed:market", {"a1", "p1"}),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[c[0] for c in CASES])
def test_query_lists_exactly_the_items_it_describes(
    world: Store, query: str, expected: set[str]
) -> None:
    where = ItemFilter(query=parse_query(query))
    found = {item.identity for item in world.get_items(where)}
    assert found == expected
    assert world.count_items(where) == len(expected)


def test_story_by_number_lists_that_story(world: Store) -> None:
    [story] = world.get_stories(min_sources=3)
    where = ItemFilter(query=parse_query(f"story:{story.id}"))
    assert {i.identity for i in world.get_items(where)} == {"a1", "p1", "m1"}


def test_search_ranks_the_words_and_applies_the_filters(world: Store) -> None:
    hits = world.search("nato -is:starred")
    assert [h.item.identity for h in hits] == ["a1", "m1"] or {h.item.identity for h in hits} == {
        "a1",
        "m1",
    }
    assert any("[NATO]" in h.snippet or "[nato]" in h.snippet.lower() for h in hits)
    assert {h.item.identity for h in world.search("is:starred")} == {"p1"}


def test_mark_all_read_follows_the_query(world: Store) -> None:
    changed = world.mark_all_read(ItemFilter(query=parse_query("tag:summit")))
    assert changed == 2
    assert world.count_items(ItemFilter(query=parse_query("tag:summit is:unread"))) == 0


@pytest.mark.parametrize(
    ("typed", "tree"),
    [
        ("tag:ukraine", TagIs("ukraine")),
        ('tag:"two  words"', TagIs("two words")),
        ("feed:bbc", FeedIs("bbc")),
        ("is:UNREAD", StateIs("unread")),
        ("score>0.5", ScoreIs(">", 0.5)),
        ("score<=.2", ScoreIs("<=", 0.2)),
        ("score:0.7", ScoreIs(">=", 0.7)),
        ("story:12", StoryIs(story_id=12)),
        ("story:3+", StoryIs(min_sources=3)),
        ("newer:7d", AgeIs(newer=True, seconds=7 * 86400)),
        ("older:12h", AgeIs(newer=False, seconds=12 * 3600)),
        ("newer:30m", AgeIs(newer=True, seconds=1800)),
        ("newer:2w", AgeIs(newer=True, seconds=14 * 86400)),
        ("-tag:x nato", And((Not(TagIs("x")), Term("nato")))),
        ("tag:a OR tag:b", Or((TagIs("a"), TagIs("b")))),
        ("Tag:x", TagIs("x")),
    ],
)
def test_filters_parse_to_their_nodes(typed: str, tree: object) -> None:
    assert parse_query(typed) == tree


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("is:bogus", "is takes unread, read, starred"),
        ("score>high", "score takes a comparison"),
        ("score>1.5", "score takes a comparison"),
        ("newer:soon", "newer takes an age"),
        ("story:big", "story takes a story number"),
        ("tag:", "tag takes a name"),
        ("feed:", "feed takes a name or URL"),
    ],
)
def test_a_filter_with_a_value_it_cannot_take_says_what_it_takes(typed: str, hint: str) -> None:
    with pytest.raises(InvalidSearchQueryError) as caught:
        parse_query(f"nato {typed}")
    assert hint in str(caught.value)


def test_hidden_items_are_out_of_every_listing_but_the_hidden_one(world: Store) -> None:
    feed = world.get_feed("https://market.example/feed")
    hide = Rule("oil", parse_query("oil"), RuleAction(RuleActionKind.HIDE))
    later = _item("m3", "Oil glut deepens", "Tankers idle.", 0.1, 0.2)
    write = FeedWrite(feed.id, feed.url, (later,), FeedUpdate(checked=NOW))
    [counts] = world.write_feeds([write], rules=[hide])
    [m3_id] = counts.new_ids
    m2 = next(i for i in world.get_items() if i.identity == "m2")
    assert not m2.hidden  # rules are for new items: m2 was there before
    assert "m3" not in {i.identity for i in world.get_items()}
    assert "m3" not in {i.identity for i in world.get_items(ItemFilter(source_id=feed.id))}
    assert {h.item.identity for h in world.search("oil")} == {"m2"}
    assert [i.identity for i in world.get_items(ItemFilter(hidden=True))] == ["m3"]
    hidden_query = ItemFilter(query=parse_query("is:hidden"))
    assert [i.identity for i in world.get_items(hidden_query)] == ["m3"]
    assert [h.item.identity for h in world.search("oil is:hidden")] == ["m3"]
    assert world.get_items(ItemFilter(ids=(m3_id,)))[0].hidden  # asked for by id: found
    feed = world.get_feed(feed.url)
    assert feed.unread_count == 2  # m1 and m2: a hidden item is not waiting to be read


def test_views_are_saved_listed_and_removed(store_location: Path | str) -> None:
    with make_reader(store_location) as reader:
        reader.add_view("Summit", "tag:summit is:unread")
        reader.add_view("asia news", "feed:pacific")
        assert [v.name for v in reader.get_views()] == ["asia news", "Summit"]
        with pytest.raises(ViewExistsError):
            reader.add_view("summit", "nato")
        with pytest.raises(InvalidSearchQueryError):
            reader.add_view("broken", "is:nonsense")
        reader.remove_view("SUMMIT")
        assert [v.name for v in reader.get_views()] == ["asia news"]
        with pytest.raises(ViewNotFoundError):
            reader.remove_view("summit")


def test_cli_lists_items_by_query_and_manages_views(tmp_path: Path) -> None:
    with open_store(tmp_path / "r.db") as store:  # where `run` (the CLI) finds it
        fill_world(store)
    result = run(tmp_path, "items", "list", "--query", "nato is:unread", "--json")
    assert '"Japan and NATO sign liaison deal"' in result.stdout
    assert "Defence budgets" not in result.stdout
    result = run(tmp_path, "views", "add", "Summit", "tag:summit")
    assert "2 unread" in result.stdout
    result = run(tmp_path, "views", "list")
    assert "Summit\ttag:summit\t2 items, 2 unread" in result.stdout
    assert_user_error(
        run(tmp_path, "items", "list", "--query", "score>lots", check=False),
        "score takes a comparison",
    )
    result = run(tmp_path, "views", "remove", "Summit")
    assert "removed view" in result.stdout
