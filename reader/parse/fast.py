"""A fast path for mainstream, well-formed UTF-8 RSS 2.0 and Atom 1.0, equal to feedparser's.

feedparser spends most of its time in per-event Python SAX handlers. For the common case (a
well-formed UTF-8 document with no DTD, whose entries use only the elements below) we build the
tree with the C ElementTree parser and pick the same fields feedparser would, with feedparser's
own helpers for the details (date parsing, URI joining, `looks_like_html`, its cp1252 and
double-encoding fixups). Anything outside that envelope returns None and goes through
feedparser: an unknown element in an entry, a repeated field, nested markup in a text field,
`xml:base` in RSS, xhtml or out-of-line content, another encoding. A test compares both paths
field by field over the corpus.
"""

from __future__ import annotations

import contextlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

from feedparser.api import StrictFeedParser
from feedparser.datetimes import _parse_date as feedparser_parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri

from reader.models import ParsedFeed
from reader.parse.dates import from_struct_time
from reader.parse.entries import Body, Limits, RawEntry, build_item, unique
from reader.parse.feed import ttl_seconds
from reader.parse.sanitize import is_plain_http_url, one_line_text, safe_link

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
MEDIA = "{http://search.yahoo.com/mrss/}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
RSS10 = "{http://purl.org/rss/1.0/}"

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_XML_DECLARATION = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding=[\"']([^\"']+)[\"']")
_XML_MEDIA_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/xml", "application/rdf+xml"}
)
_ENTITY_IN_LINK = re.compile("&([A-Za-z0-9_]+);")
_C1_RANGE = re.compile("[\x80-\x9f]")
_UTF8_NAMES = frozenset({"utf-8", "utf8"})

# Elements with a feedparser handler that never touches the fields we keep (tags, enclosures,
# media, rights...), by feedparser's name for them. Elements with no handler at all are stored
# under their own names and are harmless too; any other handler means feedparser reads it.
_HARMLESS_HANDLERS = frozenset(
    {
        "category",
        "enclosure",
        "source",
        "image",
        "rights",
        "expirationdate",
        "dc_subject",
        "dc_language",
        "dc_rights",
        "dc_publisher",
        "dcterms_created",
        "media_thumbnail",
        "media_content",
        "media_credit",
        "media_keywords",
        "media_category",
        "media_rating",
        "media_restriction",
        "media_license",
        "media_player",
        "itunes_subtitle",
        "itunes_explicit",
        "itunes_block",
        "itunes_image",
        "itunes_keywords",
        "itunes_category",
        "georss_point",
    }
)
_STANDARD_PREFIXES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_XMLNS = re.compile(rb"""xmlns:([A-Za-z_][\w.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _has_handler(name: str) -> bool:
    return hasattr(StrictFeedParser, "_start_" + name) or hasattr(StrictFeedParser, "_end_" + name)


class _Names:
    """feedparser's name for an element (`pubdate`, `dc_creator`, `link`), which decides the
    handler it runs: known namespaces get feedparser's standard prefix, others the document's."""

    def __init__(self, body: bytes) -> None:
        self._document_prefixes: dict[str, str] = {}
        for match in _XMLNS.finditer(body):
            uri = (match.group(2) or match.group(3) or b"").decode("utf-8", "replace")
            self._document_prefixes.setdefault(uri, match.group(1).decode("ascii", "replace"))
        self._cache: dict[str, str] = {}

    def __call__(self, tag: str) -> str:
        name = self._cache.get(tag)
        if name is None:
            name = self._compute(tag)
            self._cache[tag] = name
        return name

    def _compute(self, tag: str) -> str:
        if not tag.startswith("{"):
            return tag.lower()
        uri, _, local = tag[1:].partition("}")
        lowered = uri.lower()
        if "backend.userland.com/rss" in lowered:
            lowered = "http://backend.userland.com/rss"
        prefix = _STANDARD_PREFIXES.get(lowered)
        if prefix is None:
            prefix = self._document_prefixes.get(uri, "")
        return f"{prefix.lower()}_{local.lower()}" if prefix else local.lower()


class Unsupported(Exception):
    """The document leaves the fast path's envelope; feedparser must read it."""


def _fp_text(element: ET.Element) -> str:
    """An element's text as feedparser's `pop` leaves it: stripped, double-UTF-8 repaired,
    cp1252 code points mapped. Child elements are outside the envelope."""
    if len(element):
        raise Unsupported("markup inside a text field")
    output = (element.text or "").strip()
    if output.isascii():
        return output  # neither fixup can change ASCII
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        output = output.encode("iso-8859-1").decode("utf-8")
    return output.translate(_cp1252) if _C1_RANGE.search(output) else output


def _join(base: str, uri: str) -> str:
    """feedparser's `_urljoin`, skipping urllib where it would return `uri` unchanged."""
    if is_plain_http_url(uri):
        return uri
    joined: str = _urljoin(base, uri)
    return joined


def _base_of(element: ET.Element, parent_base: str) -> str:
    """The base URI in effect inside `element`, by feedparser's rule."""
    declared = element.get(XML_BASE) or element.get("base")
    if not declared:
        return parent_base
    joined: str = (
        make_safe_absolute_uri(parent_base, declared) or parent_base
        if parent_base
        else _urljoin(parent_base, declared)
    )
    return joined


def _date(element: ET.Element) -> Any:
    return feedparser_parse_date(_fp_text(element))


_MEDIA_CONTAINERS = frozenset({"media_content", "media_group"})


# Children an <image> inside an entry may have: feedparser files url/width/height apart, but
# an image's title or link would land on the entry itself.
_IMAGE_CHILDREN = frozenset({"url", "width", "height"})


def _skip(child: ET.Element, name: str, names: _Names) -> None:
    """Accept an element that cannot touch our fields, or raise Unsupported.

    An element feedparser has no handler for (or a harmless one) is stored under its own
    name; its children run their own handlers, so they are checked the same way.
    """
    if name == "image":
        for grandchild in child:
            if isinstance(grandchild.tag, str) and (
                names(grandchild.tag) not in _IMAGE_CHILDREN or len(grandchild)
            ):
                raise Unsupported("image with a title or link")
        return
    if name in _HARMLESS_HANDLERS or not _has_handler(name):
        for grandchild in child:
            if isinstance(grandchild.tag, str):
                _skip(grandchild, names(grandchild.tag), names)
        return
    raise Unsupported(f"element {name}")


class _RssBodies:
    """feedparser's bookkeeping of an RSS item's summary and content, event by event.

    Its quirks are reproduced on purpose: a description that arrives when a summary exists
    but no content does becomes content; a deeper (media:) description does not replace a
    shallower one's value, but its type still becomes the summary's; content:encoded is
    copied into an absent summary.
    """

    def __init__(self, base: str, url: str) -> None:
        self.base = base
        self.url = url
        self.summary_value: str | None = None
        self.summary_depth: int | None = None
        self.summary_is_html: bool | None = None  # None: no detail of its own (a copy)
        self.summary_base = base
        self.contents: list[Body] = []
        self.has_content = False

    @staticmethod
    def _type(element: ET.Element, default: str, value: str) -> str:
        if element.get("mode") is not None:
            raise Unsupported("mode attribute")
        mapped: str = _FeedParserMixin.map_content_type(element.get("type", default))
        if mapped not in ("text/plain", "text/html"):
            raise Unsupported(f"text of type {mapped}")
        if mapped == "text/plain" and _FeedParserMixin.looks_like_html(value):
            mapped = "text/html"
        return mapped

    def description(self, element: ET.Element, depth: int, base: str) -> None:
        value = _fp_text(element)
        if self.summary_value is not None and not self.has_content:
            kind = self._type(element, "text/plain", value)
            self.contents.append(Body(value, is_html=kind == "text/html", base=base))
            self.has_content = True
            return
        kind = self._type(element, "text/html", value)
        if self.summary_depth is None or depth <= self.summary_depth:
            self.summary_value = value
            self.summary_depth = depth
        # The detail (type and base) is the last description's, whatever the value's depth.
        self.summary_is_html = kind == "text/html"
        self.summary_base = base

    def encoded(self, element: ET.Element, base: str) -> None:
        value = _fp_text(element)
        kind = self._type(element, "text/html", value)
        self.contents.append(Body(value, is_html=kind == "text/html", base=base))
        self.has_content = True
        if self.summary_value is None:
            self.summary_value = value

    def result(self) -> tuple[Body | None, Body | None]:
        """(content, summary) as the feedparser adapter reads them from feedparser's dict."""
        content: Body | None = None
        if self.contents:
            chosen = next((c for c in self.contents if c.is_html), self.contents[0])
            content = chosen if chosen.value else None
        value = self.summary_value
        if not value:
            return content, None
        if self.summary_is_html is None:
            if content is not None and value == content.value:
                return content, None
            return content, Body(value, is_html=False, base=self.url)
        return content, Body(value, is_html=self.summary_is_html, base=self.summary_base)


def _once(seen: set[str], tag: str) -> None:
    if tag in seen:
        raise Unsupported(f"repeated {tag}")
    seen.add(tag)


def _content_type(element: ET.Element, default: str) -> str:
    if element.get("mode") is not None or element.get("src") is not None:
        raise Unsupported("Atom 0.3 mode or out-of-line content")
    mapped: str = _FeedParserMixin.map_content_type(element.get("type", default))
    if mapped not in ("text/plain", "text/html"):
        # xhtml (inline markup), and base64 or other media types, are feedparser's.
        raise Unsupported(f"content of type {mapped}")
    return mapped


def _atom_link(element: ET.Element, base: str) -> str | None:
    """feedparser's `_start_link`: the href of an alternate HTML link, resolved; else None."""
    if not element.get("href"):
        raise Unsupported("link without href")
    if len(element):
        raise Unsupported("markup inside a link")
    rel = (element.get("rel") or "alternate").lower()
    default_type = "application/atom+xml" if rel == "self" else "text/html"
    link_type = _FeedParserMixin.map_content_type((element.get("type") or default_type).lower())
    if rel == "alternate" and link_type in _HTML_TYPES:
        return _join(_base_of(element, base), element.get("href") or "")
    return None


def _walk_media(
    container: ET.Element, names: _Names, bodies: _RssBodies, depth: int, base: str
) -> bool:
    """Media elements inside media:content/media:group; True if a media:title was seen.

    A media:title loses to the item's own title in feedparser (on depth), so it only matters
    when the item has none; the caller checks that.
    """
    media_title = False
    for child in container:
        if not isinstance(child.tag, str):
            continue
        name = names(child.tag)
        if name == "media_title" and not len(child):
            media_title = True
        elif name == "media_description":
            bodies.description(child, depth, base=_base_of(child, base))
        elif name in _MEDIA_CONTAINERS:
            media_title |= _walk_media(child, names, bodies, depth + 1, _base_of(child, base))
        else:
            _skip(child, name, names)
    return media_title


def _rss_item(item: ET.Element, parent_base: str, url: str, names: _Names) -> RawEntry:
    """One RSS 2.0 / RSS 1.0 item, the way feedparser's handlers fill its entry."""
    base = _base_of(item, parent_base)
    seen: set[str] = set()
    title: str | None = None
    title_is_html = False
    link: str | None = None
    link_element = False
    # RSS 1.0: feedparser takes rdf:about as the id (as is, and never as the link).
    guid: str | None = item.get(RDF + "about") or None
    guid_is_link = False
    author: str | None = None
    published = updated = None
    bodies = _RssBodies(base, url)
    media_title = False
    for child in item:
        tag = child.tag
        if not isinstance(tag, str):
            continue  # comments and processing instructions
        name = names(tag)
        child_base = _base_of(child, base)
        if name == "title" and (child.get("type") is not None or child.get("mode") is not None):
            raise Unsupported("type or mode attribute on an RSS title")
        if name == "title":
            _once(seen, name)
            title = _fp_text(child)
            title_is_html = _FeedParserMixin.looks_like_html(title)
        elif name == "link":
            # Text `<link>` sets the link at its end, an atom:link with href at its start;
            # in document order, the last one wins, as in feedparser.
            if child.get("href") is not None:
                href = _atom_link(child, base)
                if href is not None:
                    link = href
                    link_element = True
                continue
            _once(seen, "link text")
            link_element = True
            value = _fp_text(child)
            if value:
                value = _join(child_base, value)
            if "&" in value:
                # feedparser's repair of `?a=1&b=2` read as entity references.
                value = _ENTITY_IN_LINK.sub(r"&\g<1>", value.replace("&amp;", "&"))
            link = value
        elif name in ("guid", "id"):
            _once(seen, "guid")
            attributes = {k.lower(): v for k, v in child.attrib.items()}
            guid_is_link = attributes.get("ispermalink", "true") == "true"
            value = _fp_text(child)
            guid = _join(child_base, value) if guid_is_link and value else value
        elif name in ("author", "dc_creator", "dc_author", "itunes_author"):
            author = _fp_text(child)  # the last one wins in feedparser
        elif name in ("pubdate", "published", "dcterms_issued"):
            _once(seen, "published")
            published = _date(child)
        elif name in ("dc_date", "updated", "dcterms_modified"):
            _once(seen, "updated")
            updated = _date(child)
        elif name in ("description", "media_description"):
            bodies.description(child, depth=1, base=child_base)
        elif name == "content_encoded":
            bodies.encoded(child, base=child_base)
        elif name in _MEDIA_CONTAINERS:
            media_title |= _walk_media(child, names, bodies, depth=2, base=child_base)
        else:
            _skip(child, name, names)
    if media_title and "title" not in seen:
        raise Unsupported("media:title without an item title")
    if not link_element and guid_is_link and guid:
        link = guid
    content, summary = bodies.result()
    return RawEntry(
        guid=guid or None,
        link=link or None,
        link_base=url,
        title=title or None,
        title_is_html=title_is_html,
        author=author or None,
        published=from_struct_time(published),
        updated=from_struct_time(updated),
        content=content,
        summary=summary,
    )


def _atom_author(element: ET.Element) -> str:
    name = email = None
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag == ATOM + "name":
            name = _fp_text(child)
        elif child.tag == ATOM + "email":
            email = _fp_text(child)
        elif child.tag != ATOM + "uri":
            raise Unsupported(f"author element {child.tag}")
    if (element.text or "").strip():
        raise Unsupported("text directly inside an Atom author")
    if name and email:
        return f"{name} ({email})"
    if name or email:
        return name or email or ""
    raise Unsupported("Atom author without name or email")


def _atom_person(element: ET.Element) -> None:
    """A contributor: name/email/uri children only (feedparser files it apart from author)."""
    for child in element:
        if isinstance(child.tag, str) and (
            child.tag not in (ATOM + "name", ATOM + "email", ATOM + "uri") or len(child)
        ):
            raise Unsupported(f"contributor element {child.tag}")


def _atom_entry(entry: ET.Element, feed_base: str, names: _Names) -> RawEntry:
    base = _base_of(entry, feed_base)
    seen: set[str] = set()
    title: str | None = None
    title_is_html = False
    link: str | None = None
    guid: str | None = None
    author: str | None = None
    published = updated = None
    content: Body | None = None
    summary: Body | None = None
    for child in entry:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag == ATOM + "title":
            _once(seen, tag)
            title_type = _content_type(child, "text")
            title = _fp_text(child)
            title_is_html = title_type in _HTML_TYPES
        elif tag == ATOM + "link":
            href = _atom_link(child, base)
            if href is not None:
                link = href
        elif tag == ATOM + "id":
            # feedparser treats an Atom id like an RSS guid without isPermaLink: resolved
            # against the base, and the entry's link when it has no alternate link.
            _once(seen, tag)
            value = _fp_text(child)
            guid = _join(_base_of(child, base), value) if value else value
        elif tag == ATOM + "author":
            # feedparser keeps the last author's name (and email) as the entry's author.
            author = _atom_author(child)
        elif tag == ATOM + "published":
            _once(seen, tag)
            published = _date(child)
        elif tag == ATOM + "updated":
            _once(seen, tag)
            updated = _date(child)
        elif tag in (ATOM + "content", ATOM + "summary"):
            _once(seen, tag)
            body_type = _content_type(child, "text")
            value = _fp_text(child)
            body = (
                Body(value, is_html=body_type in _HTML_TYPES, base=_base_of(child, base))
                if value
                else None
            )
            if tag == ATOM + "content":
                content = body
            else:
                summary = body
        elif tag == ATOM + "contributor":
            _atom_person(child)
        elif tag in (ATOM + "category", ATOM + "rights"):
            if len(child):
                raise Unsupported(f"{tag} with children")
        elif tag.startswith(ATOM):
            raise Unsupported(f"entry element {tag}")
        else:
            _skip(child, names(tag), names)
    if summary is None and content is not None:
        summary = content  # feedparser copies text/html content into an absent summary
    if link is None and guid:
        link = guid
    return RawEntry(
        guid=guid or None,
        link=link or None,
        link_base=feed_base,
        title=title or None,
        title_is_html=title_is_html,
        author=author or None,
        published=from_struct_time(published),
        updated=from_struct_time(updated),
        content=content,
        summary=summary,
    )


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
            return _parse_rss(root, url, limits, _Names(body), rdf=False)
        if root.tag == RDF + "RDF" and root.find(RSS10 + "channel") is not None:
            return _parse_rss(root, url, limits, _Names(body), rdf=True)
        if root.tag == ATOM + "feed":
            return _parse_atom(root, url, limits, _Names(body))
    except Unsupported:
        return None
    return None


# Names feedparser would also take as a feed's title or link (an id acts as link).
_FEED_TITLE_OR_LINK = frozenset({"title", "link", "id", "guid", "dc_title", "media_title"})
# Containers whose title/link feedparser files apart from the feed's.
_OWN_TITLE_CONTAINERS = frozenset({"image", "textinput", "item", "entry", "author", "contributor"})


def _check_nested_titles(child: ET.Element, name: str, names: _Names) -> None:
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
    root: ET.Element, url: str, limits: Limits, names: _Names, *, rdf: bool
) -> ParsedFeed:
    """RSS 2.0 (items inside the channel) or RSS 1.0 (items beside it, under rdf:RDF)."""
    root_base = _base_of(root, url)
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
    channel_base = _base_of(channel, root_base)
    seen: set[str] = set()
    title = link = ttl = None
    for child in _children(channel):
        name = names(child.tag)
        if name == "item" and not rdf:
            items.append(child)
            continue
        if name == "title":
            _once(seen, name)
            title = _fp_text(child)
        elif name == "link":
            if child.get("href") is not None:
                if _atom_link(child, channel_base) is not None:
                    raise Unsupported("alternate atom:link in channel")
                continue
            _once(seen, name)
            value = _fp_text(child)
            link = _join(_base_of(child, channel_base), value) if value else value
        elif name == "ttl":
            _once(seen, name)
            ttl = _fp_text(child)
        elif name in _FEED_TITLE_OR_LINK or name == "item":
            raise Unsupported(f"channel {name}")
        else:
            _check_nested_titles(child, name, names)
    item_base = root_base if rdf else channel_base
    raw = [_rss_item(item, item_base, url, names) for item in items[: limits.max_items]]
    version = "rss10" if rdf else "rss20"
    return _feed(url, title, False, link, ttl, version, raw, len(items), limits)


def _parse_atom(root: ET.Element, url: str, limits: Limits, names: _Names) -> ParsedFeed:
    base = _base_of(root, url)
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
            _once(seen, tag)
            title_is_html = _content_type(child, "text") in _HTML_TYPES
            title = _fp_text(child)
        elif tag == ATOM + "link":
            href = _atom_link(child, base)
            if href is not None:
                link = href
        elif tag == ATOM + "id":
            _once(seen, tag)
            value = _fp_text(child)
            feed_id = _join(_base_of(child, base), value) if value else None
        elif name in _FEED_TITLE_OR_LINK:
            raise Unsupported(f"feed {name}")
        else:
            _check_nested_titles(child, name, names)
    if link is None:
        link = feed_id
    raw = [_atom_entry(entry, base, names) for entry in entries[: limits.max_items]]
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
