"""Feed discovery on real pages served on 127.0.0.1: the corpus's NetNewsWire pages and small
pages of our own (several feeds, none, a dead link), through the same guarded fetcher as feeds.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reader.config import FetchSettings, Settings
from reader.core.discovery import discover_feeds
from reader.exceptions import DiscoveryError
from reader.models import FeedLink
from reader.parse.webpage import decode_html, feed_links, looks_like_html
from tests.loopback_server import LoopbackServer, loopback_server
from tests.test_cli import assert_user_error, run
from tests.test_daemon import rss

from .conftest import CORPUS, needs_corpus

__all__ = ["loopback_server"]

PAGES = Path(__file__).parent / "data" / "pages"
NNW = CORPUS / "feeds" / "netnewswire" / "html"
ATOM_FEED = PAGES / "gazette.atom"
JSON_FEED = PAGES / "gazette.json"


def settings_for(server: LoopbackServer, **fetch: object) -> Settings:
    return Settings(
        fetch=FetchSettings(allow=(server.authority,), timeout=5.0, connect_timeout=2.0, **fetch)  # type: ignore[arg-type]
    )


def page(server: LoopbackServer, path: str, body: bytes) -> str:
    return server.feed(path, body, content_type="text/html; charset=utf-8", etag=False)


def discover(server: LoopbackServer, url: str, **fetch: object):  # type: ignore[no-untyped-def]
    return asyncio.run(discover_feeds(settings_for(server, **fetch), url))


@needs_corpus
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "DaringFireball.html",
            [FeedLink("http://127.0.0.1/feeds/main", None, "application/atom+xml")],
        ),
        (
            "furbo.html",
            [FeedLink("http://furbo.org/feed/", "Iconfactory News Feed", "application/rss+xml")],
        ),
        (
            "inessential.html",
            [FeedLink("http://inessential.com/xml/rss.xml", "RSS", "application/rss+xml")],
        ),
    ],
)
def test_real_pages_name_their_feeds(name: str, expected: list[FeedLink]) -> None:
    body = (NNW / name).read_bytes()
    assert looks_like_html(body, None)
    assert feed_links(decode_html(body, "text/html"), "http://127.0.0.1/") == expected


def test_feed_links_are_absolute_typed_and_skip_oembed_and_translations() -> None:
    body = (PAGES / "several-feeds.html").read_bytes()
    links = feed_links(decode_html(body, None), "https://gazette.example/world/today")
    assert links == [
        FeedLink(
            "https://gazette.example/rss/world.xml", "Harbour Gazette (RSS)", "application/rss+xml"
        ),
        FeedLink(
            "https://gazette.example/world/feeds/world.atom",
            "Harbour Gazette (Atom)",
            "application/atom+xml",
        ),
        FeedLink(
            "https://gazette.example/feed.json",
            "Harbour Gazette (JSON Feed)",
            "application/feed+json",
        ),
    ]


@needs_corpus
def test_a_real_page_leads_to_its_working_feed(loopback_server: LoopbackServer) -> None:
    url = page(loopback_server, "index.html", (NNW / "DaringFireball.html").read_bytes())
    loopback_server.feed("feeds/main", ATOM_FEED.read_bytes(), content_type="application/atom+xml")
    found = discover(loopback_server, url)
    assert [f.url for f in found.feeds] == [loopback_server.url("feeds/main")]
    assert found.feeds[0].title  # the feed's own title, the link having none
    assert not found.is_feed


def test_several_feeds_are_all_found_in_page_order(loopback_server: LoopbackServer) -> None:
    url = page(loopback_server, "world/today", (PAGES / "several-feeds.html").read_bytes())
    loopback_server.feed("rss/world.xml", rss("world", 2))
    loopback_server.feed(
        "world/feeds/world.atom", ATOM_FEED.read_bytes(), content_type="application/atom+xml"
    )
    loopback_server.feed("feed.json", JSON_FEED.read_bytes(), content_type="application/feed+json")
    found = discover(loopback_server, url)
    assert [f.title for f in found.feeds] == [
        "Harbour Gazette (RSS)",
        "Harbour Gazette (Atom)",
        "Harbour Gazette (JSON Feed)",
    ]


def test_a_feed_url_is_used_as_it_is(loopback_server: LoopbackServer) -> None:
    url = loopback_server.feed("news.xml", rss("news", 1))
    found = discover(loopback_server, url)
    assert found.is_feed and [f.url for f in found.feeds] == [url]
    assert found.tried == (url,)


def test_a_page_without_links_falls_back_to_common_paths(loopback_server: LoopbackServer) -> None:
    url = page(loopback_server, "blog/", (PAGES / "no-feed-links.html").read_bytes())
    loopback_server.feed("atom.xml", ATOM_FEED.read_bytes(), content_type="application/atom+xml")
    found = discover(loopback_server, url)
    assert [f.url for f in found.feeds] == [loopback_server.url("atom.xml")]
    # Tried in order, stopping at the first that works.
    assert found.tried[-1] == loopback_server.url("atom.xml")
    assert loopback_server.hits["feed"] == 1 and loopback_server.hits["index.xml"] == 0


def test_no_feed_is_an_error_that_says_what_was_tried(loopback_server: LoopbackServer) -> None:
    url = page(loopback_server, "moved.html", (PAGES / "broken-feed-link.html").read_bytes())
    with pytest.raises(DiscoveryError) as caught:
        discover(loopback_server, url)
    message = str(caught.value)
    assert "no feed found" in message and "1 feed link(s) it names did not work" in message
    assert "/feed, /rss, /feed.xml" in message
    assert loopback_server.hits["old-feed.xml"] == 1


def test_discovery_uses_the_guard_and_the_size_cap(loopback_server: LoopbackServer) -> None:
    url = page(loopback_server, "big.html", b"<html>" + b"x" * 50_000)
    with pytest.raises(DiscoveryError, match="over 10000"):
        discover(loopback_server, url, max_body_bytes=10_000)
    blocked = Settings(fetch=FetchSettings(timeout=5.0))  # 127.0.0.1 not allowed
    with pytest.raises(DiscoveryError, match="could not fetch it"):
        asyncio.run(discover_feeds(blocked, url))
    assert loopback_server.hits["big.html"] == 1


def test_cli_lists_several_feeds_then_adds_them_all(
    tmp_path: Path, loopback_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READER_FETCH_ALLOW", loopback_server.authority)
    url = page(loopback_server, "world/today", (PAGES / "several-feeds.html").read_bytes())
    loopback_server.feed("rss/world.xml", rss("world", 2))
    loopback_server.feed(
        "world/feeds/world.atom", ATOM_FEED.read_bytes(), content_type="application/atom+xml"
    )
    listed = run(tmp_path, "feeds", "add", url, check=False)
    assert listed.returncode == 1
    assert "offers 2 feeds" in listed.stdout and "rss/world.xml" in listed.stdout
    assert "--all" in listed.stderr
    added = run(tmp_path, "feeds", "add", url, "--all", "--full-text")
    assert added.stdout.count("added ") == 2 and "(full articles)" in added.stdout
    single = run(tmp_path, "feeds", "add", loopback_server.feed("one.xml", rss("one", 1)))
    assert single.stdout.startswith(f"added {loopback_server.url('one.xml')}")
    assert_user_error(
        run(
            tmp_path,
            "feeds",
            "add",
            page(loopback_server, "none.html", b"<html></html>"),
            check=False,
        ),
        "no feed found",
    )
    down = run(tmp_path, "feeds", "add", loopback_server.status("down.xml", 503))
    assert "warning: " in down.stderr and "HTTP 503" in down.stderr
    assert down.stdout.startswith(f"added {loopback_server.url('down.xml')}")
