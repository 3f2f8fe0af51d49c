"""What items carry and link to (enclosures, thumbnails, the text's links), and items their
feed gave no date: parsed from real corpus feeds on both parse paths, stored in a real SQLite
file, shown numbered by `reader items show` and carried in `--json`."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from reader.core import item_body
from reader.models import ItemLink, LinkKind, SortOrder
from reader.normalize import content_hash, to_item_writes
from reader.parse import parse_document
from reader.parse.entries import Limits
from reader.parse.feed import parse_xml
from reader.store import SQLiteStore, open_store

from .conftest import CORPUS, needs_corpus
from .test_cli import run

pytestmark = needs_corpus

NOW = datetime(2026, 11, 1, tzinfo=UTC)
PODCAST = "rss-parser/input/giantbomb-podcast.rss"
BBC = "fastfeedparser/news/1796df62c4a287cc.xml"  # media:thumbnail per item
NYT = "photojournalism/nytimes.xml"  # media:content images
TIME = "fastfeedparser/news/9f9555d69283aeda.xml"  # full articles, links in the text
FULL_RSS = "reader/full.rss"  # every kind of <enclosure>, and items with no date


def corpus_bytes(relative: str) -> bytes:
    return (CORPUS / "feeds" / relative).read_bytes()


def both_paths(relative: str) -> tuple[list[tuple[ItemLink, ...]], list[tuple[ItemLink, ...]]]:
    """The items' enclosures as the document is parsed for real (fast path when it qualifies) and
    through feedparser alone."""
    url = f"https://corpus.example/{relative}"
    body = corpus_bytes(relative)
    fast = parse_document(body, url=url, now=NOW)
    limits = Limits(max_items=1000, max_field_chars=200_000, now=NOW)
    reference = parse_xml(body, url=url, content_type=None, limits=limits)
    return [i.enclosures for i in fast.items], [i.enclosures for i in reference.items]


@pytest.mark.parametrize("relative", [PODCAST, BBC, NYT, FULL_RSS, "reader/full.atom"])
def test_both_parse_paths_store_the_same_enclosures(relative: str) -> None:
    ours, reference = both_paths(relative)
    assert ours == reference
    assert any(enclosures for enclosures in ours)


def test_podcast_episodes_carry_their_audio_as_feedparser_reads_it() -> None:
    expected = [
        [(e["href"], e.get("type"), int(e["length"])) for e in entry.get("enclosures", [])]
        for entry in feedparser.parse(corpus_bytes(PODCAST)).entries
    ]
    parsed = parse_document(corpus_bytes(PODCAST), url="https://corpus.example/p.rss", now=NOW)
    got = [[(li.url, li.media_type, li.length) for li in item.enclosures] for item in parsed.items]
    assert got == expected and len(got) == 730
    assert all(kind == "audio/mpeg" for item in got for _, kind, _ in item)


def test_news_thumbnails_and_images_are_kept() -> None:
    bbc = parse_document(corpus_bytes(BBC), url="https://corpus.example/bbc.xml", now=NOW)
    thumbnails = [li for i in bbc.items for li in i.enclosures if li.kind is LinkKind.THUMBNAIL]
    reference = [
        t["url"]
        for e in feedparser.parse(corpus_bytes(BBC)).entries
        for t in e.get("media_thumbnail", [])
    ]
    assert [t.url for t in thumbnails] == reference and len(reference) >= 30
    nyt = parse_document(corpus_bytes(NYT), url="https://corpus.example/nyt.xml", now=NOW)
    assert (
        sum(
            li.kind is LinkKind.ENCLOSURE and (li.media_type or "").startswith("image/")
            for i in nyt.items
            for li in i.enclosures
        )
        >= len(nyt.items) // 2
    )


def test_enclosure_attributes_are_checked_not_trusted() -> None:
    parsed = parse_document(corpus_bytes(FULL_RSS), url="https://corpus.example/f.rss", now=NOW)
    first = parsed.items[0].enclosures
    assert [(li.url, li.media_type, li.length) for li in first] == [
        ("http://example.com/enclosure", None, None),
        ("http://example.com/enclosure-with-type", "image/jpeg", None),
        ("http://example.com/enclosure-with-length", None, 100000),
        ("http://example.com/enclosure-with-bad-length", None, None),  # length="xyz"
    ]  # url="" is no enclosure at all


def test_json_feed_attachments_are_enclosures() -> None:
    relative = "jsonfeed-spec/jsonfeed-1.1-example-2.json"
    document = json.loads(corpus_bytes(relative))
    expected = [
        (a["url"], a.get("mime_type"), a.get("size_in_bytes"))
        for item in document["items"]
        for a in item.get("attachments", [])
    ]
    parsed = parse_document(corpus_bytes(relative), url="https://corpus.example/f.json", now=NOW)
    got = [
        (li.url, li.media_type, li.length)
        for item in parsed.items
        for li in item.enclosures
        if li.kind is LinkKind.ENCLOSURE
    ]
    assert got == expected and expected


def test_the_text_s_links_and_images_follow_the_enclosures(store: SQLiteStore) -> None:
    feed = store.add_feed("https://corpus.example/time.xml")
    parsed = parse_document(corpus_bytes(TIME), url=feed.url, now=NOW)
    store.write_items(feed.id, to_item_writes(parsed), now=NOW)
    linked = 0
    for listed in store.get_items():
        item = store.get_item(listed.id)
        links = item_body(item).links
        kinds = [li.kind for li in links]
        assert links[: len(item.enclosures)] == item.enclosures  # what it carries first
        assert set(kinds[len(item.enclosures) :]) <= {LinkKind.LINK, LinkKind.IMAGE}
        assert len({li.url for li in links}) == len(links)  # each URL once
        for link in links[len(item.enclosures) :]:
            assert f'"{link.url}"' in (item.content_html or "").replace("&amp;", "&")
            linked += 1
    assert linked > 0


# -- stored, shown, and carried in JSON ------------------------------------------------------


def stored_podcast(store: SQLiteStore) -> int:
    feed = store.add_feed("https://corpus.example/podcast.rss")
    parsed = parse_document(corpus_bytes(PODCAST), url=feed.url, now=NOW)
    store.write_items(feed.id, to_item_writes(parsed)[:5], now=NOW)
    return feed.id


def test_links_are_stored_with_the_item(store: SQLiteStore) -> None:
    source_id = stored_podcast(store)
    parsed = parse_document(corpus_bytes(PODCAST), url="https://corpus.example/podcast.rss")
    [first] = store.get_items(sort=SortOrder.NEWEST, limit=1)
    assert first.enclosures == ()  # listings stay light, like the body
    item = store.get_item(first.id)
    assert item.enclosures == next(
        p.enclosures for p in parsed.items if p.identity == item.identity
    )
    assert [li.kind for li in item.enclosures] == [LinkKind.ENCLOSURE]
    assert store.get_item_ids(source_id)


def test_a_changed_enclosure_makes_the_item_changed() -> None:
    parsed = parse_document(corpus_bytes(PODCAST), url="https://corpus.example/p.rss", now=NOW)
    item = parsed.items[0]
    moved = replace(item, enclosures=(ItemLink("https://cdn.example/ep.mp3"),))
    assert content_hash(item) != content_hash(moved)
    # An item that carries nothing keeps the hash it had before enclosures were stored, so
    # upgrading does not make every stored item look changed.
    bare = replace(item, enclosures=())
    fields = [
        "1",
        bare.title,
        bare.link,
        bare.author,
        bare.published and bare.published.isoformat(),
        bare.updated and bare.updated.isoformat(),
        bare.content_html,
        bare.summary,
    ]
    before = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    assert content_hash(bare) == hashlib.blake2b(before.encode(), digest_size=16).hexdigest()


def test_a_version_5_database_gains_the_enclosures_column(db_path: Path) -> None:
    with open_store(db_path) as store:
        stored_podcast(store)
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("ALTER TABLE items DROP COLUMN enclosures")
        conn.execute("PRAGMA user_version = 5")
    conn.close()
    with open_store(db_path) as store:
        items = store.get_items()
        assert len(items) == 5 and store.get_item(items[0].id).enclosures == ()
        assert store.integrity_check() == "ok"


def test_items_show_numbers_the_links_and_json_carries_them(tmp_path: Path) -> None:
    with open_store(tmp_path / "r.db") as store:
        stored_podcast(store)
        item = store.get_item(store.get_items(limit=1)[0].id)
    links = item_body(item).links
    shown = run(tmp_path, "items", "show", str(item.id)).stdout
    lines = shown.splitlines()
    start = lines.index("links:")
    assert lines[start + 1] == (
        f"  [1] {links[0].url} (enclosure, audio/mpeg, {links[0].length / 1e6:.1f} MB)"
    )
    assert len(lines) - start - 1 == len(links)
    document = json.loads(run(tmp_path, "items", "show", str(item.id), "--json").stdout)
    assert document["links"][0] == {
        "url": links[0].url,
        "kind": "enclosure",
        "type": "audio/mpeg",
        "length": links[0].length,
        "title": None,
    }
    assert len(document["links"]) == len(links)


# -- items their feed gave no date -----------------------------------------------------------


def test_undated_items_of_a_first_fetch_never_top_newest(store: SQLiteStore) -> None:
    feed = store.add_feed("https://corpus.example/full.rss")
    parsed = parse_document(corpus_bytes(FULL_RSS), url=feed.url, now=NOW)
    dated = [i for i in parsed.items if i.published or i.updated]
    undated = [i for i in parsed.items if not (i.published or i.updated)]
    assert dated and undated
    store.write_items(feed.id, to_item_writes(parsed), now=NOW)
    newest = store.get_items(sort=SortOrder.NEWEST)
    assert newest[0].dated
    oldest_dated = min(i.published or i.updated for i in dated)  # type: ignore[type-var]
    for item in newest:
        if not item.dated:
            assert item.first_seen == NOW and item.date == NOW  # it says when it was seen
    position = {item.identity: n for n, item in enumerate(newest)}
    newer = [i for i in dated if (i.published or i.updated) != oldest_dated]
    assert newer and all(
        position[u.identity] > position[d.identity] for u in undated for d in newer
    )


def test_an_undated_item_arriving_later_sorts_by_when_it_was_first_seen(
    store: SQLiteStore,
) -> None:
    feed = store.add_feed("https://corpus.example/full.rss")
    parsed = parse_document(corpus_bytes(FULL_RSS), url=feed.url, now=NOW)
    writes = to_item_writes(parsed)
    store.write_items(feed.id, writes[1:], now=NOW)
    later = NOW + timedelta(hours=1)
    undated = replace(writes[0], published=None, updated=None)
    store.write_items(feed.id, [undated], now=later)
    top = store.get_items(sort=SortOrder.NEWEST, limit=1)[0]
    assert (top.identity, top.dated, top.first_seen) == (undated.identity, False, later)


def test_listings_say_when_an_undated_item_was_seen(tmp_path: Path) -> None:
    with open_store(tmp_path / "r.db") as store:
        feed = store.add_feed("https://corpus.example/full.rss")
        parsed = parse_document(corpus_bytes(FULL_RSS), url=feed.url)
        # Seen three and a half hours ago: "3 h" however long the commands take to start (a
        # few seconds ago was "0 s" or "2 s" depending on the machine's load).
        seen = datetime.now(UTC) - timedelta(hours=3, minutes=30)
        store.write_items(feed.id, to_item_writes(parsed), now=seen)
        undated = [i for i in store.get_items() if not i.dated]
    listing = run(tmp_path, "items", "list").stdout
    assert listing.count("seen 3 h ago") >= len(undated) > 0
    shown = run(tmp_path, "items", "show", str(undated[0].id)).stdout
    assert "date:    none given; seen" in shown
