"""Rules: [[rules]] tables checked at load, applied to new items as they are stored (never to
old ones, never deleting), listed and tried against the store, and run by the daemon."""

from __future__ import annotations

import signal
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from reader.config import Settings, load_settings
from reader.core import make_reader
from reader.exceptions import ConfigError
from reader.models import FeedUpdate, FeedWrite, ItemFilter, ItemWrite, Rule, RuleActionKind
from reader.query import parse_query
from reader.store import SQLiteStore, Store
from reader.store.sqlite._db import now_utc
from tests.loopback_server import LoopbackServer, loopback_server
from tests.test_daemon import fast_settings, rss
from tests.test_daemon_e2e import (
    DaemonProcess,
    daemons,
    run_cli,
    start,
    wait_until,
    write_config,
)

__all__ = ["daemons", "loopback_server"]  # fixtures, imported for pytest

RULES = """
[[rules]]
name = "quiet feed"
query = "feed:quiet"
action = "mark-read"

[[rules]]
query = "loud item 1"
action = "tag:loud one"

[[rules]]
query = "title:loud -is:read"
action = "star"

[[rules]]
query = "feed:noise"
action = "hide"

[[rules]]
query = "loud"
action = "score+0.2"

[[rules]]
query = "quiet"
action = "score-0.5"
"""


def load_rules_text(text: str) -> tuple[Rule, ...]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.toml"
        path.write_text(text, encoding="utf-8")
        return load_settings(path).rules


def settings_with_rules(server: LoopbackServer, tmp_path: Path) -> Settings:
    return replace(fast_settings(server, tmp_path), rules=load_rules_text(RULES))


def test_rules_load_in_file_order_with_their_actions(tmp_path: Path) -> None:
    path = tmp_path / "reader.toml"
    path.write_text(RULES, encoding="utf-8")
    rules = load_settings(path).rules
    assert [r.action.kind for r in rules] == [
        RuleActionKind.MARK_READ,
        RuleActionKind.TAG,
        RuleActionKind.STAR,
        RuleActionKind.HIDE,
        RuleActionKind.SCORE,
        RuleActionKind.SCORE,
    ]
    assert rules[0].label == "quiet feed"
    assert rules[1].action.tag == "loud one"
    assert rules[4].action.score_delta == pytest.approx(0.2)
    assert rules[5].action.score_delta == pytest.approx(-0.5)
    assert rules[2].node == parse_query("title:loud -is:read")


@pytest.mark.parametrize(
    ("table", "where", "message"),
    [
        ('query = "x"\naction = "explode"', "line 3, key 'rules[1].action'", "unknown action"),
        ('query = "is:nope"\naction = "star"', "line 2, key 'rules[1].query'", "is takes"),
        ('query = "x"', "key 'rules[1].action'", "missing"),
        (
            'query = "x"\naction = "star"\ncolour = "red"',
            "line 4, key 'rules[1].colour'",
            "unknown",
        ),
        ('query = ""\naction = "star"', "line 2, key 'rules[1].query'", "non-empty"),
        ('query = "x"\naction = "score+3"', "line 3, key 'rules[1].action'", "unknown action"),
    ],
)
def test_a_bad_rule_names_the_file_line_and_key(
    tmp_path: Path, table: str, where: str, message: str
) -> None:
    path = tmp_path / "reader.toml"
    path.write_text(f"[fetch]\n[[rules]]\n{table}\n".replace("[fetch]\n", ""), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(path) in str(caught.value)
    assert where in str(caught.value)
    assert message in str(caught.value)


def test_rules_apply_to_new_items_when_they_are_stored(
    tmp_path: Path, loopback_server: LoopbackServer
) -> None:
    settings = settings_with_rules(loopback_server, tmp_path)
    with make_reader(tmp_path / "r.db", settings=settings) as reader:
        quiet = reader.add_feed(loopback_server.feed("quiet.xml", rss("quiet", 2)))
        loud = reader.add_feed(loopback_server.feed("loud.xml", rss("loud", 3)))
        noise = reader.add_feed(loopback_server.feed("noise.xml", rss("noise", 2)))
        report = reader.update_feeds()
        assert report.new == 7 and not report.errors

        by_id = {i.identity: i for i in reader.get_items(ItemFilter(hidden=None), limit=None)}
        quiet_items = [i for i in by_id.values() if i.source_id == quiet.id]
        assert all(i.read for i in quiet_items)
        assert by_id["urn:test:loud-1"].tags == ("loud one",)
        loud_items = [i for i in by_id.values() if i.source_id == loud.id]
        assert all(i.starred for i in loud_items)  # unread when the star rule ran
        assert all(i.hidden for i in by_id.values() if i.source_id == noise.id)
        assert reader.get_feed(noise.url).unread_count == 0  # hidden: not waiting to be read
        assert reader.count_items(ItemFilter(hidden=True)) == 2
        # Scores moved by the rules and kept within 0..1 (no seeds: unscored counts as 0).
        assert all(i.score == pytest.approx(0.2) for i in loud_items)
        assert all(i.score == 0.0 for i in quiet_items)

        # Items already stored are left alone: the rules are for what arrives.
        reader.mark_items([by_id["urn:test:loud-0"].id], read=True)
        loopback_server.set_body("loud.xml", rss("loud", 4))
        reader.update_feeds(reader.feeds_to_update(due_only=False))
        fresh = {i.identity: i for i in reader.get_items(ItemFilter(source_id=loud.id))}
        assert fresh["urn:test:loud-3"].starred  # new: the rule ran
        assert fresh["urn:test:loud-0"].read and fresh["urn:test:loud-0"].score == pytest.approx(
            0.2
        )
        assert len(fresh) == 4  # nothing deleted, nothing applied twice


def test_a_rules_score_change_survives_re_scoring(store: Store) -> None:
    # on each backend (the `store` fixture)
    feed = store.add_feed("https://example.com/feed")
    item = ItemWrite("a", "loud news", None, None, None, None, None, "loud", "h", score=0.5)
    [rule] = load_rules_text('[[rules]]\nquery = "loud"\naction = "score+0.2"\n')
    write = FeedWrite(feed.id, feed.url, (item,), FeedUpdate(checked=now_utc()))
    [counts] = store.write_feeds([write], rules=[rule])
    [item_id] = counts.new_ids
    assert store.get_item(item_id).score == pytest.approx(0.7)
    store.set_scores({item_id: (0.6, ("loud",))})  # the topic changed: a fresh score
    assert store.get_item(item_id).score == pytest.approx(0.8)
    store.set_scores({item_id: (0.95, ("loud",))})
    assert store.get_item(item_id).score == 1.0


def test_rules_list_and_test_show_what_the_store_would_match(
    tmp_path: Path, loopback_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path)
    config.write_text(config.read_text(encoding="utf-8") + RULES, encoding="utf-8")
    db = tmp_path / "reader.db"
    with SQLiteStore(db) as store:
        store.add_feed(loopback_server.feed("loud.xml", rss("loud", 3)))
    monkeypatch.setenv("READER_FETCH_ALLOW", loopback_server.authority)
    fetched = run_cli(db, config, "fetch", "--all")
    assert fetched.returncode == 0, fetched.stderr
    listed = run_cli(db, config, "rules", "list")
    assert listed.returncode == 0, listed.stderr
    assert "1. quiet feed: feed:quiet -> mark-read  (0 stored match)" in listed.stdout
    assert "2. loud item 1 -> tag:loud one  (1 stored match)" in listed.stdout
    assert "5. loud -> score+0.2  (3 stored match)" in listed.stdout
    tried = run_cli(db, config, "rules", "test", "loud", "is:starred")
    assert tried.returncode == 0, tried.stderr
    assert "3 stored items match" in tried.stdout and "loud item 2" in tried.stdout
    nothing = run_cli(db, config, "rules", "test", "tag:nothing-like-this")
    assert "0 stored items match" in nothing.stdout


def test_daemon_applies_rules_at_ingest(
    tmp_path: Path, loopback_server: LoopbackServer, daemons: list[DaemonProcess]
) -> None:
    db, config = tmp_path / "reader.db", write_config(tmp_path)
    config.write_text(config.read_text(encoding="utf-8") + RULES, encoding="utf-8")
    with SQLiteStore(db) as store:
        for name in ("quiet", "loud", "noise"):
            store.add_feed(loopback_server.feed(f"{name}.xml", rss(name, 2)))
    daemon = start(daemons, db, config, loopback_server, "daemon")

    def stored() -> int:
        with SQLiteStore(db) as store:
            return store.count_items(ItemFilter(hidden=None))

    wait_until(lambda: stored() == 6, "the first items")
    loopback_server.set_body("loud.xml", rss("loud", 3))
    wait_until(lambda: stored() == 7, "the item added on the server")
    code, _ = daemon.stop(signal.SIGTERM)
    assert code == 0, daemon.stderr
    with SQLiteStore(db) as store:
        items = {i.identity: i for i in store.get_items(ItemFilter(hidden=None))}
    assert items["urn:test:quiet-0"].read and items["urn:test:quiet-1"].read
    assert items["urn:test:loud-1"].tags == ("loud one",) and items["urn:test:loud-1"].starred
    assert items["urn:test:loud-2"].starred and items["urn:test:loud-2"].score == pytest.approx(0.2)
    assert items["urn:test:noise-0"].hidden and items["urn:test:noise-1"].hidden
    assert not items["urn:test:loud-2"].read
    assert "Traceback" not in daemon.stderr
