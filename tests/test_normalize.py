"""to_item_writes and body_hash: what the updater hands the store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from reader.models import ParsedFeed, ParsedItem
from reader.normalize import body_hash, content_hash, to_item_writes
from reader.parse import parse_document

DATA = Path(__file__).resolve().parent / "data" / "parse"
NOW = datetime(2026, 11, 22, tzinfo=UTC)


def parsed_fixture() -> ParsedFeed:
    raw = (DATA / "rss_basic.xml").read_bytes()
    return parse_document(raw, url="https://news.example.com/feed.xml", now=NOW)


def test_item_writes_carry_every_field_in_document_order() -> None:
    feed = parsed_fixture()
    writes = to_item_writes(feed)
    assert [w.identity for w in writes] == [i.identity for i in feed.items]
    first, item = writes[0], feed.items[0]
    assert (first.title, first.link, first.author) == (item.title, item.link, item.author)
    assert (first.published, first.updated) == (item.published, item.updated)
    assert (first.content_html, first.text, first.summary) == (
        item.content_html,
        item.text,
        item.summary,
    )
    assert first.score is None


def test_content_hash_is_stable_across_parses_and_differs_between_items() -> None:
    first = [w.content_hash for w in to_item_writes(parsed_fixture())]
    second = [w.content_hash for w in to_item_writes(parsed_fixture())]
    assert first == second
    assert len(set(first)) == len(first)
    assert all(len(h) == 32 for h in first)


def test_content_hash_changes_with_each_field_that_matters_and_not_with_text() -> None:
    item = parsed_fixture().items[0]
    base = content_hash(item)
    changes = {
        "title": "Other title",
        "link": "https://news.example.com/other",
        "author": "Someone else",
        "published": datetime(2026, 1, 1, tzinfo=UTC),
        "updated": datetime(2026, 1, 2, tzinfo=UTC),
        "content_html": "<p>changed</p>",
        "summary": "changed summary",
    }
    for name, value in changes.items():
        assert content_hash(replace(item, **{name: value})) != base, name
    # `text` derives from content_html; identity is not content.
    assert content_hash(replace(item, text="derived", identity="other")) == base


def test_repeated_identities_write_one_row() -> None:
    item = ParsedItem(identity="same", title="a")
    feed = ParsedFeed(url="https://x.example/", items=(item, replace(item, title="b")))
    writes = to_item_writes(feed)
    assert [w.title for w in writes] == ["a"]


def test_body_hash_tells_identical_bytes_from_different_ones() -> None:
    raw = (DATA / "rss_basic.xml").read_bytes()
    assert body_hash(raw) == body_hash(bytes(raw))
    assert body_hash(raw) != body_hash(raw + b" ")
    assert len(body_hash(b"")) == 64
