"""parse_document on small fixtures of our own: fields, identities, dates, caps, errors."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reader.exceptions import ParseError
from reader.models import ParsedFeed
from reader.parse import parse_document
from reader.parse.charset import with_sniffed_charset

DATA = Path(__file__).resolve().parent / "data" / "parse"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
RSS_URL = "https://news.example.com/feed.xml"
ATOM_URL = "https://atom.example.org/feed.atom"
JSON_URL = "https://wire.example.jp/feed.json"


def parse_fixture(name: str, url: str, **kwargs: int) -> ParsedFeed:
    return parse_document((DATA / name).read_bytes(), url=url, now=NOW, **kwargs)  # type: ignore[arg-type]


def test_rss_feed_metadata_and_ttl_in_seconds() -> None:
    feed = parse_fixture("rss_basic.xml", RSS_URL)
    assert feed.title == "Pacific Desk"
    assert feed.link == "https://news.example.com/"
    assert feed.ttl == 45 * 60
    assert feed.version == "rss20"
    assert feed.url == RSS_URL
    assert feed.warnings == ()


def test_rss_item_fields_are_sanitized_resolved_and_in_utc() -> None:
    item = parse_fixture("rss_basic.xml", RSS_URL).items[0]
    assert item.identity == "story-1"
    assert item.title == "NATO and Japan sign a pact"
    assert item.link == "https://news.example.com/a/1"
    assert item.author == "desk@example.com (Pacific Desk)"
    # +0900 on the wire, UTC in the result.
    assert item.published == datetime(2026, 11, 9, 23, 30, tzinfo=UTC)
    assert item.content_html is not None
    assert 'href="https://news.example.com/tags/nato"' in item.content_html
    assert 'src="https://news.example.com/img/map.png"' in item.content_html
    assert item.text == "First paragraph about NATO.\n\nSecond paragraph.\nNew line."
    assert item.summary == "Short summary of the pact."


def test_identity_falls_back_to_link_then_to_a_content_hash() -> None:
    items = parse_fixture("rss_basic.xml", RSS_URL).items
    assert items[1].identity == "https://news.example.com/a/2"
    assert items[2].link is None
    assert items[2].identity.startswith("sha:")
    # The hash depends on the content only: the same entry gets the same identity again.
    again = parse_fixture("rss_basic.xml", RSS_URL).items
    assert again[2].identity == items[2].identity


def test_duplicate_guids_keep_both_items_with_distinct_stable_identities() -> None:
    items = parse_fixture("rss_basic.xml", RSS_URL).items
    assert len(items) == 5
    assert [i.title for i in items[3:]] == ["Repeated guid A", "Repeated guid B"]
    assert items[3].identity == "dup"
    assert items[4].identity.startswith("dup#")
    assert len({i.identity for i in items}) == len(items)
    assert parse_fixture("rss_basic.xml", RSS_URL).items[4].identity == items[4].identity


def test_exact_duplicate_entries_still_get_unique_identities() -> None:
    entry = "<item><guid>same</guid><title>t</title><description>d</description></item>"
    body = f'<rss version="2.0"><channel><title>x</title>{entry * 3}</channel></rss>'
    items = parse_document(body.encode(), url=RSS_URL, now=NOW).items
    assert len(items) == 3
    assert len({i.identity for i in items}) == 3


def test_implausible_and_unparseable_dates_become_none() -> None:
    items = parse_fixture("rss_basic.xml", RSS_URL).items
    assert items[1].published is None  # 2099: far future
    assert items[2].published is None  # 1979: before 1990
    assert items[3].published is None  # "not a date at all"


def test_a_date_just_ahead_of_now_is_kept() -> None:
    body = (
        '<rss version="2.0"><channel><title>x</title><item><guid>a</guid>'
        "<pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>"
    )
    item = parse_document(body.encode(), url=RSS_URL, now=NOW).items[0]
    assert item.published == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_atom_xml_base_resolves_links_and_content_urls() -> None:
    feed = parse_fixture("atom_base.xml", ATOM_URL)
    assert feed.title == "Beijing responds"  # type="html" title reduced to text
    assert feed.link == "https://atom.example.org/"
    first = feed.items[0]
    assert first.link == "https://atom.example.org/blog/posts/2026/relative.html"
    assert first.content_html is not None
    assert 'href="https://atom.example.org/blog/about"' in first.content_html
    assert 'src="https://atom.example.org/blog/posts/pic.jpg"' in first.content_html
    assert first.author == "Kenji Sato"
    assert first.published == datetime(2026, 11, 9, 10, 0, tzinfo=UTC)
    assert first.updated == datetime(2026, 11, 9, 11, 0, tzinfo=UTC)
    assert first.summary == "A summary that differs from the body."


def test_atom_plain_text_content_is_escaped_into_paragraphs() -> None:
    second = parse_fixture("atom_base.xml", ATOM_URL).items[1]
    assert second.title == "Plain <text> content"
    assert second.content_html == "<p>Line one &amp; more.</p><p>Second paragraph.</p>"
    assert second.text == "Line one & more.\n\nSecond paragraph."


def test_json_feed_items_authors_relative_urls_and_sanitized_html() -> None:
    feed = parse_fixture("jsonfeed_basic.json", JSON_URL)
    assert feed.version == "json11"
    assert feed.title == "Tokyo Wire"
    assert feed.link == "https://wire.example.jp/"
    first = feed.items[0]
    assert first.link == "https://wire.example.jp/posts/one"
    assert first.author == "A. Writer, B. Writer"
    assert first.published == datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
    assert first.content_html is not None
    assert "<script" not in first.content_html
    assert "alert" not in first.content_html
    assert 'href="https://wire.example.jp/x"' in first.content_html
    assert first.summary == "An answer, in short."


def test_json_feed_tolerates_numeric_ids_old_authors_and_wrong_types() -> None:
    feed = parse_fixture("jsonfeed_basic.json", JSON_URL)
    second = feed.items[1]
    assert second.identity == "2"
    assert second.author == "Old Style"
    assert second.text == "Just text <not a tag>."
    assert second.content_html == "<p>Just text &lt;not a tag&gt;.</p>"
    # The repeated id keeps both items; the non-object entry is skipped with a warning.
    assert feed.items[2].identity.startswith("1#")
    assert len(feed.items) == 4
    last = feed.items[3]
    assert last.title is None
    assert last.link is None  # javascript: is never a link
    assert last.published is None
    assert any("wrong type" in w for w in feed.warnings)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty document"),
        (b"   \n\t ", "empty document"),
        (b"<!DOCTYPE html><html><head><title>Hi</title></head><body>x</body></html>", "HTML"),
        (b'<?xml version="1.0"?><note><to>x</to></note>', "not a feed"),
        (b'<?xml version="1.0"?><rss version="2.0"><chan', "not well-formed XML"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "not valid JSON"),
        (b'{"title": "no version"}', "not a JSON Feed"),
        (b"[1, 2, 3]", "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/9", "items": []}', "unsupported JSON Feed"),
        (b'{"version": "1.1", "items": {"not": "a list"}}', "'items' is not a list"),
    ],
)
def test_unusable_documents_raise_parse_error_with_a_clear_reason(body: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_document(body, url="https://bad.example.com/feed")
    assert reason in str(caught.value)
    assert caught.value.url == "https://bad.example.com/feed"
    assert "\n" not in str(caught.value)


def test_bozo_but_usable_feed_parses_with_a_warning() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Loose</title>'
        b"<item><title>Fish &amp; chips & peas</title><guid>1</guid></item></channel></rss>"
    )
    feed = parse_document(body, url=RSS_URL, now=NOW)
    assert feed.items[0].title == "Fish & chips & peas"
    assert len(feed.warnings) == 1
    assert feed.warnings[0].startswith("SAXParseException")


def test_max_items_keeps_the_first_entries_in_document_order() -> None:
    feed = parse_fixture("rss_basic.xml", RSS_URL, max_items=2)
    assert [i.title for i in feed.items] == ["NATO and Japan sign a pact", "Link only"]
    assert any("first 2 of 5" in w for w in feed.warnings)
    json_feed = parse_fixture("jsonfeed_basic.json", JSON_URL, max_items=1)
    assert [i.title for i in json_feed.items] == ["Japan answers"]


def test_max_field_chars_caps_every_text_field() -> None:
    long_text = "word " * 5000
    body = (
        f'<rss version="2.0"><channel><title>{long_text}</title><item>'
        f"<title>{long_text}</title><guid>{'g' * 30000}</guid><author>{long_text}</author>"
        f"<description><![CDATA[<p>{long_text}</p><p><b>{long_text}</b></p>]]></description>"
        f"<content:encoded xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
        f"<![CDATA[<div>{long_text}</div>]]></content:encoded>"
        "</item></channel></rss>"
    )
    feed = parse_document(body.encode(), url=RSS_URL, now=NOW, max_field_chars=1000)
    item = feed.items[0]
    assert feed.title is not None and len(feed.title) <= 1000
    for value in (item.identity, item.title, item.author, item.content_html, item.text):
        assert value is not None and 0 < len(value) <= 1000
    assert item.summary is not None and len(item.summary) <= 1000
    # The cut content is still well-formed: the cleaner closed what the cut left open.
    assert item.content_html is not None and item.content_html.endswith("</div>")


def test_control_characters_are_stripped_from_every_field() -> None:
    esc = "\x1b[31m"
    body = (
        f'<rss version="2.0"><channel><title>T{esc}itle</title><item>'
        f"<title>Red{esc} alert\x07</title><guid>id{esc}1</guid>"
        f"<author>A{esc}uthor</author>"
        f"<description>Body \x1b]0;owned\x07 text \x9b2J</description>"
        "</item></channel></rss>"
    ).encode()
    feed = parse_document(body, url=RSS_URL, now=NOW)
    item = feed.items[0]
    fields = [feed.title, item.identity, item.title, item.author, item.content_html, item.text]
    for value in fields:
        assert value is not None
        assert not any((ord(c) < 32 and c not in "\t\n") or 127 <= ord(c) < 160 for c in value)
    assert item.title == "Red[31m alert"


def test_gzip_body_without_content_encoding_is_inflated() -> None:
    raw = (DATA / "rss_basic.xml").read_bytes()
    feed = parse_document(gzip.compress(raw), url=RSS_URL, now=NOW)
    assert feed.title == "Pacific Desk"
    with pytest.raises(ParseError, match="corrupt gzip"):
        parse_document(b"\x1f\x8b" + b"garbage", url=RSS_URL)


def test_json_content_type_or_leading_brace_selects_json_feed() -> None:
    raw = (DATA / "jsonfeed_basic.json").read_bytes()
    assert parse_document(raw, url=JSON_URL, content_type="application/feed+json").version
    assert parse_document(b"\xef\xbb\xbf" + raw, url=JSON_URL).version == "json11"
    # Markup served as JSON is still read as XML.
    rss = (DATA / "rss_basic.xml").read_bytes()
    assert parse_document(rss, url=RSS_URL, content_type="application/json").version == "rss20"


def test_a_body_that_looks_like_a_path_is_never_opened_as_a_file() -> None:
    with pytest.raises(ParseError):
        parse_document(str(DATA / "rss_basic.xml").encode(), url=RSS_URL)


ENCODING_CORPUS = (
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds" / "feedparser" / "encoding"
)
WIDE_ENCODINGS = ["utf-16le", "utf-16be", "utf-32le", "utf-32be"]


@pytest.mark.parametrize(
    "name",
    [
        "utf-16le-bom.xml",
        "utf-16be-bom.xml",
        "utf-32le-bom.xml",
        "utf-32be-bom.xml",
        "utf-16le.xml",
        "utf-32be-autodetect.xml",
        "u16.xml",
    ],
)
def test_wide_encoded_corpus_feed_served_as_text_xml_parses_cleanly(name: str) -> None:
    path = ENCODING_CORPUS / name
    if not path.exists():
        pytest.skip(f"shared corpus not found at {ENCODING_CORPUS}")
    feed = parse_document(path.read_bytes(), url=RSS_URL, content_type="text/xml", now=NOW)
    assert feed.version == "rss"
    assert feed.warnings == ()


@pytest.mark.parametrize("encoding", WIDE_ENCODINGS)
@pytest.mark.parametrize("with_bom", [True, False])
def test_wide_encoded_feed_under_bare_text_xml_equals_its_utf8_original(
    encoding: str, with_bom: bool
) -> None:
    original = (DATA / "rss_basic.xml").read_bytes()
    family = encoding[:6]
    text = original.decode("utf-8").replace('encoding="utf-8"', f'encoding="{family}"')
    body = ("\ufeff" if with_bom else "").encode(encoding) + text.encode(encoding)
    wide = parse_document(body, url=RSS_URL, content_type="text/xml", now=NOW)
    utf8 = parse_document(original, url=RSS_URL, content_type="application/rss+xml", now=NOW)
    assert wide.title == utf8.title
    assert wide.items == utf8.items


def test_a_declaration_the_bytes_contradict_changes_nothing() -> None:
    # UTF-8 bytes that claim UTF-16: the header's reading stands, as before.
    body = (DATA / "rss_basic.xml").read_bytes().replace(b'encoding="utf-8"', b'encoding="utf-16"')
    feed = parse_document(body, url=RSS_URL, content_type="text/xml; charset=utf-8", now=NOW)
    assert feed.title == "Pacific Desk"


def test_sniffed_charset_overrides_only_what_the_bytes_prove() -> None:
    utf16 = '<?xml version="1.0" encoding="utf-16"?><rss/>'.encode("utf-16le")
    assert with_sniffed_charset(utf16, "text/xml") == "text/xml; charset=utf-16le"
    # An explicit charset stands unless a byte-order mark contradicts it.
    assert with_sniffed_charset(utf16, "text/xml; charset=utf-16") == "text/xml; charset=utf-16"
    bom = b"\xff\xfe" + utf16
    assert with_sniffed_charset(bom, "text/xml; charset=iso-8859-1; q=1") == (
        "text/xml; q=1; charset=utf-16le"
    )
    assert with_sniffed_charset(utf16, None) is None  # no header: the parser sniffs itself
    assert with_sniffed_charset(b'<?xml version="1.0"?><rss/>', "text/xml") == "text/xml"
