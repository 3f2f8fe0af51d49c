"""parse_document over the real-world corpus: no crash, and the same substance as feedparser."""

from __future__ import annotations

import io
import re
from dataclasses import asdict
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import feedparser
import pytest

from reader.exceptions import ParseError
from reader.models import ParsedFeed
from reader.parse import parse_document
from reader.parse.dates import from_struct_time, plausible
from reader.parse.entries import Limits
from reader.parse.fast import parse_fast
from reader.parse.feed import parse_xml
from reader.parse.sanitize import html_to_text, one_line_text, safe_link

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"feed corpus not found at {CORPUS} (only in the dev workspace)"
)
NOW = datetime(2026, 11, 22, tzinfo=UTC)


def manifest() -> list[tuple[str, str]]:
    """(local path, kind) for every feed file, or skip when the corpus is absent."""
    path = CORPUS / "MANIFEST.tsv"
    if not path.exists():
        pytest.skip(f"feed corpus not found at {CORPUS}")
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    return [(r[0], r[4]) for r in rows if len(r) == 5 and r[0].startswith("feeds/")]


def url_for(local: str) -> str:
    return "http://127.0.0.1:8080/" + local


@cache
def parsed(local: str) -> ParsedFeed | ParseError:
    try:
        return parse_document((CORPUS / local).read_bytes(), url=url_for(local), now=NOW)
    except ParseError as exc:
        return exc


def files_of(kind: str) -> list[str]:
    return [local for local, k in manifest() if k == kind]


def test_every_corpus_feed_parses_or_fails_with_parse_error_only() -> None:
    crashes: list[str] = []
    for local, _kind in manifest():
        try:
            parsed(local)
        except Exception as exc:  # anything but ParseError is a bug
            crashes.append(f"{local}: {type(exc).__name__}: {exc}")
    assert crashes == []


def test_every_parsed_corpus_feed_has_unique_identities_and_utc_dates() -> None:
    for local, _kind in manifest():
        result = parsed(local)
        if isinstance(result, ParseError):
            continue
        identities = [item.identity for item in result.items]
        assert len(identities) == len(set(identities)), local
        assert all(identities), local
        for item in result.items:
            for moment in (item.published, item.updated):
                assert moment is None or moment.utcoffset() is not None, local


def test_parse_errors_are_one_line_and_name_the_feed() -> None:
    for local, _kind in manifest():
        result = parsed(local)
        if isinstance(result, ParseError):
            assert "\n" not in str(result)
            assert result.url == url_for(local)
            assert result.message


@pytest.mark.parametrize("kind", ["html"])
def test_html_pages_are_reported_as_html(kind: str) -> None:
    for local in files_of(kind):
        result = parsed(local)
        assert isinstance(result, ParseError), local
        assert "HTML page" in result.message


def test_news_feeds_match_feedparser_titles_links_dates_and_counts() -> None:
    news = files_of("news-real")
    assert news
    for local in news:
        body = (CORPUS / local).read_bytes()
        reference = feedparser.parse(
            io.BytesIO(body), response_headers={"content-location": url_for(local)}
        )
        ours = parsed(local)
        assert isinstance(ours, ParsedFeed), f"{local}: {ours}"
        entries = reference.entries[:1000]
        assert len(ours.items) == len(entries), local
        for entry, item in zip(entries, ours.items, strict=True):
            detail = dict.get(entry, "title_detail") or {}
            expected_title = one_line_text(
                dict.get(entry, "title"),
                is_html=detail.get("type") == "text/html",
                max_chars=200_000,
            )
            assert item.title == expected_title, local
            expected_link = safe_link(dict.get(entry, "link"), base=url_for(local))
            assert item.link == expected_link, local
            expected_published = plausible(
                from_struct_time(dict.get(entry, "published_parsed")), NOW
            )
            assert item.published == expected_published, local
            expected_updated = plausible(from_struct_time(dict.get(entry, "updated_parsed")), NOW)
            assert item.updated == expected_updated, local
            assert (
                item.content_html is None
                or item.text is not None
                or not html_to_text(item.content_html)
            )


def test_news_feeds_bring_text_for_most_items() -> None:
    with_text = total = 0
    for local in files_of("news-real"):
        result = parsed(local)
        assert isinstance(result, ParsedFeed)
        total += len(result.items)
        with_text += sum(1 for item in result.items if item.text)
    assert total > 1000
    assert with_text / total > 0.9


JSON_FEEDS_THAT_MUST_PARSE = [
    "feeds/jsonfeed-spec/jsonfeed-1-example-1.json",
    "feeds/jsonfeed-spec/jsonfeed-1.1-example-3.json",
    "feeds/gofeed/parser/json/version_json_10.json",
    "feeds/gofeed/parser/json/version_json_11.json",
    "feeds/reader/full.json",
    "feeds/netnewswire/DaringFireball.json",
    "feeds/netnewswire/inessential.json",
    "feeds/feedjira/sample_feeds/json_feed.json",
]


def test_json_feeds_parse_and_invalid_ones_fail_clearly() -> None:
    json_files = [local for local, _kind in manifest() if local.endswith(".json")]
    assert len(json_files) > 20
    for local in json_files:
        result = parsed(local)
        if isinstance(result, ParseError):
            assert re.search(r"JSON|empty document", result.message), (local, result.message)
        else:
            assert result.version in {"json10", "json11"}, local
    for local in JSON_FEEDS_THAT_MUST_PARSE:
        result = parsed(local)
        assert isinstance(result, ParsedFeed), f"{local}: {result}"
        assert result.items, local
    invalid = parsed("feeds/gofeed/parser/json/invalid/invalid.json")
    assert isinstance(invalid, ParseError)
    unknown = parsed("feeds/reader/unknown.json")
    assert isinstance(unknown, ParseError) and "version" in unknown.message


def test_json_feed_with_fields_of_the_wrong_type_parses_with_warnings() -> None:
    result = parsed("feeds/reader/invalid.json")
    assert isinstance(result, ParsedFeed)
    assert result.title is None
    assert any("wrong type" in w for w in result.warnings)


ABSOLUTE = re.compile(r"^(https?://[^/]|mailto:)")


def test_base_feeds_resolve_every_link_to_an_absolute_url() -> None:
    base_files = files_of("base")
    assert base_files
    resolved = 0
    for local in base_files:
        result = parsed(local)
        if isinstance(result, ParseError):
            continue
        for item in result.items:
            assert item.link is None or ABSOLUTE.match(item.link), (local, item.link)
            for url in re.findall(r'(?:href|src)="([^"]*)"', item.content_html or ""):
                assert ABSOLUTE.match(url), (local, url)
                resolved += 1
    assert resolved > 10


def test_relative_corpus_feeds_resolve_against_the_document_url() -> None:
    result = parsed("feeds/reader/relative.rss")
    assert isinstance(result, ParsedFeed)
    base = url_for("feeds/reader/relative.rss")
    links = [item.link for item in result.items if item.link]
    assert links and all(link.startswith(base.rsplit("/", 1)[0]) for link in links)


def _fast_and_reference(local: str) -> tuple[ParsedFeed | None, ParsedFeed | ParseError]:
    body = (CORPUS / local).read_bytes()
    limits = Limits(max_items=1000, max_field_chars=200_000, now=NOW)
    fast = parse_fast(body, url=url_for(local), content_type=None, limits=limits)
    try:
        reference: ParsedFeed | ParseError = parse_xml(
            body, url=url_for(local), content_type=None, limits=limits
        )
    except ParseError as exc:
        reference = exc
    return fast, reference


def test_fast_path_equals_the_feedparser_path_field_by_field() -> None:
    """Wherever the ElementTree fast path accepts a corpus document, every stored field must
    be what the feedparser path gives (and the news feeds must mostly take the fast path)."""
    compared = news_fast = 0
    for local, kind in manifest():
        if local.endswith(".json"):
            continue
        fast, reference = _fast_and_reference(local)
        if fast is None:
            continue
        compared += 1
        news_fast += kind == "news-real"
        assert isinstance(reference, ParsedFeed), f"{local}: {reference}"
        assert (fast.title, fast.link, fast.ttl, fast.version) == (
            reference.title,
            reference.link,
            reference.ttl,
            reference.version,
        ), local
        assert len(fast.items) == len(reference.items), local
        for ours, theirs in zip(fast.items, reference.items, strict=True):
            assert asdict(ours) == asdict(theirs), local
    assert compared > 200
    assert news_fast > len(files_of("news-real")) // 2


def test_fast_path_declines_what_it_does_not_cover() -> None:
    limits = Limits(max_items=1000, max_field_chars=200_000, now=NOW)
    declined = [
        # Another encoding, a DTD, Atom 0.3, xhtml content, not well-formed, itunes:summary.
        b'<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel>'
        b"<title>t</title></channel></rss>",
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "b">]><rss version="2.0"><channel>'
        b"<title>&a;</title></channel></rss>",
        b'<feed xmlns="http://purl.org/atom/ns#" version="0.3"><title>t</title></feed>',
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>1</id>'
        b'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">x</div></content>'
        b"</entry></feed>",
        b'<rss version="2.0"><channel><title>t</title><item><title>a &nbsp; b</title>'
        b"</item></channel></rss>",
        b'<rss version="2.0"><channel><title>t</title><item><itunes:summary '
        b'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">s</itunes:summary>'
        b"</item></channel></rss>",
    ]
    for body in declined:
        assert parse_fast(body, url="https://x.example/", content_type=None, limits=limits) is None
    rss = b'<rss version="2.0"><channel><title>t</title><item><guid>1</guid></item></channel></rss>'
    assert parse_fast(rss, url="https://x.example/", content_type=None, limits=limits)
    for content_type in ("text/html", "application/rss+xml; charset=windows-1251", "text/xml"):
        assert (
            parse_fast(rss, url="https://x.example/", content_type=content_type, limits=limits)
            is None
        )
    assert parse_fast(
        rss, url="https://x.example/", content_type="text/xml; charset=UTF-8", limits=limits
    )
