"""RSS 0.9x/1.0/2.0, Atom 0.3/1.0, RDF and CDF through feedparser, into our own types.

feedparser runs with its own HTML sanitizer and relative-URI pass turned off: they are most of
its cost, and nh3 (allow-list, in Rust) plus link resolution against each element's own base
(feedparser still tracks `xml:base` per element and hands it to us as `base`) do the same job
after it. Nothing of feedparser's dicts leaves this module.
"""

from __future__ import annotations

import io
import re
import xml.sax
from collections.abc import Mapping
from typing import Any

import feedparser
from feedparser.exceptions import NonXMLContentType

from reader.exceptions import ParseError
from reader.models import LinkKind, ParsedFeed
from reader.parse.dates import from_struct_time
from reader.parse.entries import (
    Body,
    Limits,
    RawEnclosure,
    RawEntry,
    build_item,
    medium_type,
    unique,
)
from reader.parse.sanitize import one_line_text, safe_link
from reader.textsafe import plain

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
_HTML_PAGE = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_ROOT_ELEMENT = re.compile(rb"<([A-Za-z_][\w:.-]*)")
_MAX_TTL_MINUTES = 366 * 24 * 60


def _is_html(detail: Mapping[str, Any] | None) -> bool:
    if not detail:
        return False
    return str(_get(detail, "type") or "").lower() in _HTML_TYPES


def _body(detail: Mapping[str, Any] | None, value: Any, fallback_base: str) -> Body | None:
    if not isinstance(value, str) or not value:
        return None
    base = _get(detail, "base") if detail else None
    return Body(
        value=value,
        is_html=_is_html(detail),
        base=base if isinstance(base, str) and base else fallback_base,
    )


def _get(mapping: Mapping[str, Any], key: str) -> Any:
    """A key's own value: FeedParserDict.get falls back across keys (updated -> published)."""
    return dict.get(mapping, key) if isinstance(mapping, dict) else mapping.get(key)


def _content(entry: Mapping[str, Any], url: str) -> Body | None:
    """The entry's main body: the first HTML `content`, else the first `content` of any type."""
    contents = [c for c in _get(entry, "content") or () if isinstance(c, Mapping)]
    if not contents:
        return None
    chosen = next((c for c in contents if _is_html(c)), contents[0])
    return _body(chosen, _get(chosen, "value"), url)


def _text(entry: Mapping[str, Any], key: str) -> str | None:
    value = _get(entry, key)
    return value if isinstance(value, str) else None


def _summary(entry: Mapping[str, Any], content: Body | None, url: str) -> Body | None:
    value = _get(entry, "summary")
    detail = _get(entry, "summary_detail")
    if detail is None and content is not None and value == content.value:
        # feedparser copied the content into an absent summary (with no detail of its own).
        return None
    return _body(detail, value, url)


def _raw_entry(entry: Mapping[str, Any], url: str) -> RawEntry:
    guid = _get(entry, "id")
    content = _content(entry, url)
    return RawEntry(
        guid=str(guid) if guid else None,
        link=_text(entry, "link"),
        link_base=url,
        title=_text(entry, "title"),
        title_is_html=_is_html(_get(entry, "title_detail")),
        author=_text(entry, "author"),
        published=from_struct_time(_get(entry, "published_parsed")),
        updated=from_struct_time(_get(entry, "updated_parsed")),
        content=content,
        summary=_summary(entry, content, url),
        enclosures=_enclosures(entry),
    )


def _enclosures(entry: Mapping[str, Any]) -> tuple[RawEnclosure, ...]:
    """Links with rel="enclosure" (RSS `<enclosure>`, Atom), then `<media:content>`, then
    `<media:thumbnail>`, as feedparser files them."""
    found: list[RawEnclosure] = []
    for link in _get(entry, "links") or ():
        if isinstance(link, Mapping) and _get(link, "rel") == "enclosure":
            found.append(RawEnclosure(_str(link, "href"), _str(link, "type"), _str(link, "length")))
    for media in _get(entry, "media_content") or ():
        if isinstance(media, Mapping):
            media_type = medium_type(_str(media, "type"), _str(media, "medium"))
            found.append(RawEnclosure(_str(media, "url"), media_type, _str(media, "filesize")))
    for thumbnail in _get(entry, "media_thumbnail") or ():
        if isinstance(thumbnail, Mapping):
            found.append(RawEnclosure(_str(thumbnail, "url"), kind=LinkKind.THUMBNAIL))
    return tuple(found)


def _str(mapping: Mapping[str, Any], key: str) -> str | None:
    value = _get(mapping, key)
    return value if isinstance(value, str) else None


def ttl_seconds(value: Any) -> int | None:
    """RSS `<ttl>` is minutes; keep sane positive values only, as seconds."""
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    if 0 < minutes <= _MAX_TTL_MINUTES:
        return minutes * 60
    return None


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown problem"
    message = plain(str(exc)) or type(exc).__name__
    return message[:300]


def _not_a_feed_reason(body: bytes, content_type: str | None, exc: BaseException | None) -> str:
    head = body[:4096]
    if _HTML_PAGE.search(head) or (content_type or "").lower().startswith("text/html"):
        return "not a feed: HTML page"
    if isinstance(exc, xml.sax.SAXException):
        return f"not well-formed XML: {_describe(exc)}"
    root = _ROOT_ELEMENT.search(head)
    if root:
        name = root.group(1).decode("ascii", "replace")
        return f"not a feed: a <{name}> document with no entries and no feed title"
    return "not a feed: no XML elements"


def parse_xml(body: bytes, *, url: str, content_type: str | None, limits: Limits) -> ParsedFeed:
    """Parse an XML (or tag-soup) feed document with feedparser."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # A stream, never bytes: feedparser treats a str/bytes argument as a path or URL to open.
    result = feedparser.parse(
        io.BytesIO(body),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    feed_meta: Mapping[str, Any] = result.get("feed") or {}
    entries: list[Mapping[str, Any]] = list(result.get("entries") or ())
    version = result.get("version") or None
    exc = result.get("bozo_exception") if result.get("bozo") else None
    cap = limits.max_field_chars
    title = one_line_text(
        _text(feed_meta, "title"),
        is_html=_is_html(_get(feed_meta, "title_detail")),
        max_chars=cap,
    )
    # No entries and nothing naming the feed: not a feed. A truncated document that got as far
    # as `<rss version="2.0">` has a version but is unusable all the same.
    broken = isinstance(exc, xml.sax.SAXException)
    if not entries and not title and (not version or broken):
        raise ParseError(url, _not_a_feed_reason(body, content_type, exc))
    items = unique(build_item(_raw_entry(e, url), limits) for e in entries[: limits.max_items])
    warnings: list[str] = []
    # feedparser flags a missing Content-Type as bozo; with no HTTP headers that is noise.
    if exc is not None and not (content_type is None and isinstance(exc, NonXMLContentType)):
        warnings.append(f"{type(exc).__name__}: {_describe(exc)}")
    if len(entries) > limits.max_items:
        warnings.append(f"kept the first {limits.max_items} of {len(entries)} entries")
    link = _text(feed_meta, "link")
    return ParsedFeed(
        url=url,
        title=title,
        link=safe_link(link, base=url),
        items=items,
        ttl=ttl_seconds(_get(feed_meta, "ttl")),
        version=version,
        warnings=tuple(warnings),
    )
