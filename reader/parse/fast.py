"""A fast path for mainstream, well-formed UTF-8 RSS 2.0 and Atom 1.0, equal to feedparser's.

feedparser spends most of its time in per-event Python SAX handlers. For the common case (a
well-formed UTF-8 document with no DTD, whose entries use only the elements below) we build the
tree with the C ElementTree parser and pick the same fields feedparser would, with feedparser's
own helpers for the details (date parsing, URI joining, `looks_like_html`, its cp1252 and
double-encoding fixups). Anything outside that envelope returns None and goes through
feedparser: an unknown element in an entry, a repeated field, nested markup in a text field,
`xml:base` in RSS, xhtml or out-of-line content, another encoding. A test compares both paths
field by field over the corpus.

This module reads the document (channel or feed); `fast_entries` reads its items and entries,
`fast_elements` holds the element-level rules, and feedparser's private helpers stay behind
`_feedparser_compat`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from reader.models import ParsedFeed
from reader.parse.entries import Limits, RawEntry, build_item, unique
from reader.parse.fast_elements import (
    ATOM,
    HTML_TYPES,
    RDF,
    RSS10,
    Names,
    Unsupported,
    atom_link,
    base_of,
    content_type_of,
    element_text,
    join,
    once,
)
from reader.parse.fast_entries import atom_entry, rss_item
from reader.parse.feed import ttl_seconds
from reader.parse.sanitize import one_line_text, safe_link

_XML_DECLARATION = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding=[\"']([^\"']+)[\"']")
_XML_MEDIA_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/xml", "application/rdf+xml"}
)
_UTF8_NAMES = frozenset({"utf-8", "utf8"})


def _eligible_encoding(body: bytes, content_type: str | None) -> bool:
    if content_type:
        media, _, params = content_type.partition(";")
        media = media.strip().lower()
        charset = None
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset":
                charset = value.strip().strip("\"'").lower()
        if charset is not None and charset not in _UTF8_NAMES:
            return False
        if media not in _XML_MEDIA_TYPES and not (media == "text/xml" and charset):
            return False
    declared = _XML_DECLARATION.match(body[:512])
    if declared and declared.group(1).decode("ascii", "replace").lower() not in _UTF8_NAMES:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _children(element: ET.Element) -> Iterable[ET.Element]:
    return (child for child in element if isinstance(child.tag, str))


def parse_fast(
    body: bytes, *, url: str, content_type: str | None, limits: Limits
) -> ParsedFeed | None:
    """Parse a mainstream RSS 2.0 / Atom 1.0 document, or None to leave it to feedparser."""
    if not _eligible_encoding(body, content_type):
        return None
    # Any DTD (entities, external subsets) is feedparser's business: it strips all but simple
    # internal entities. Searching the whole body also catches a DOCTYPE after long comments;
    # XML spells the keywords in capitals, and a lower-case one is not well-formed anyway.
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        return None
    try:
        root = ET.fromstring(body)
    except (ET.ParseError, ValueError):
        return None
    try:
        if root.tag == "rss" and (root.get("version") or "").startswith("2."):
            return _parse_rss(root, url, limits, Names(body), rdf=False)
        if root.tag == RDF + "RDF" and root.find(RSS10 + "channel") is not None:
            return _parse_rss(root, url, limits, Names(body), rdf=True)
        if root.tag == ATOM + "feed":
            return _parse_atom(root, url, limits, Names(body))
    except Unsupported:
        return None
    return None


# Names feedparser would also take as a feed's title or link (an id acts as link).
_FEED_TITLE_OR_LINK = frozenset({"title", "link", "id", "guid", "dc_title", "media_title"})
# Containers whose title/link feedparser files apart from the feed's.
_OWN_TITLE_CONTAINERS = frozenset({"image", "textinput", "item", "entry", "author", "contributor"})


def _check_nested_titles(child: ET.Element, name: str, names: Names) -> None:
    """A wrapper element holding a title or link would hand it to the feed in feedparser."""
    if len(child) and name not in _OWN_TITLE_CONTAINERS:
        for descendant in child.iter():
            if (
                descendant is not child
                and isinstance(descendant.tag, str)
                and names(descendant.tag) in _FEED_TITLE_OR_LINK
            ):
                raise Unsupported(f"title or link nested in {name}")


def _parse_rss(
    root: ET.Element, url: str, limits: Limits, names: Names, *, rdf: bool
) -> ParsedFeed:
    """RSS 2.0 (items inside the channel) or RSS 1.0 (items beside it, under rdf:RDF)."""
    root_base = base_of(root, url)
    channels: list[ET.Element] = []
    items: list[ET.Element] = []
    for child in _children(root):
        name = names(child.tag)
        if name == "channel":
            channels.append(child)
        elif rdf and name == "item":
            items.append(child)
        elif rdf and name in ("image", "textinput"):
            continue  # feedparser files their titles and links apart
        else:
            raise Unsupported(f"{name} beside the channel")
    if len(channels) != 1:
        raise Unsupported("not exactly one channel")
    channel = channels[0]
    channel_base = base_of(channel, root_base)
    seen: set[str] = set()
    title = link = ttl = None
    for child in _children(channel):
        name = names(child.tag)
        if name == "item" and not rdf:
            items.append(child)
            continue
        if name == "title":
            once(seen, name)
            title = element_text(child)
        elif name == "link":
            if child.get("href") is not None:
                if atom_link(child, channel_base) is not None:
                    raise Unsupported("alternate atom:link in channel")
                continue
            once(seen, name)
            value = element_text(child)
            link = join(base_of(child, channel_base), value) if value else value
        elif name == "ttl":
            once(seen, name)
            ttl = element_text(child)
        elif name in _FEED_TITLE_OR_LINK or name == "item":
            raise Unsupported(f"channel {name}")
        else:
            _check_nested_titles(child, name, names)
    item_base = root_base if rdf else channel_base
    raw = [rss_item(item, item_base, url, names) for item in items[: limits.max_items]]
    version = "rss10" if rdf else "rss20"
    return _feed(url, title, False, link, ttl, version, raw, len(items), limits)


def _parse_atom(root: ET.Element, url: str, limits: Limits, names: Names) -> ParsedFeed:
    base = base_of(root, url)
    seen: set[str] = set()
    title: str | None = None
    title_is_html = False
    link: str | None = None
    feed_id: str | None = None
    entries: list[ET.Element] = []
    for child in _children(root):
        tag = child.tag
        if tag == ATOM + "entry":
            entries.append(child)
            continue
        name = names(tag)
        if tag == ATOM + "title":
            once(seen, tag)
            title_is_html = content_type_of(child, "text") in HTML_TYPES
            title = element_text(child)
        elif tag == ATOM + "link":
            href = atom_link(child, base)
            if href is not None:
                link = href
        elif tag == ATOM + "id":
            once(seen, tag)
            value = element_text(child)
            feed_id = join(base_of(child, base), value) if value else None
        elif name in _FEED_TITLE_OR_LINK:
            raise Unsupported(f"feed {name}")
        else:
            _check_nested_titles(child, name, names)
    if link is None:
        link = feed_id
    raw = [atom_entry(entry, base, names) for entry in entries[: limits.max_items]]
    return _feed(url, title, title_is_html, link, None, "atom10", raw, len(entries), limits)


def _feed(
    url: str,
    title: str | None,
    title_is_html: bool,
    link: str | None,
    ttl: str | None,
    version: str,
    raw: list[RawEntry],
    total: int,
    limits: Limits,
) -> ParsedFeed:
    if not raw and not title:
        raise Unsupported("no entries and no title: let feedparser judge")
    warnings: tuple[str, ...] = ()
    if total > limits.max_items:
        warnings = (f"kept the first {limits.max_items} of {total} entries",)
    return ParsedFeed(
        url=url,
        title=one_line_text(title, is_html=title_is_html, max_chars=limits.max_field_chars),
        link=safe_link(link, base=url),
        items=unique(build_item(entry, limits) for entry in raw),
        ttl=ttl_seconds(ttl),
        version=version,
        warnings=warnings,
    )
