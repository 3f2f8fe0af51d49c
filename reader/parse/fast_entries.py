"""The fast path's items: an RSS item or an Atom entry read as feedparser's handlers fill it.

Each returns a `RawEntry` (the form both parse paths hand to `reader.parse.entries`), or raises
`Unsupported` when the item leaves the envelope, so the whole document goes to feedparser.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from reader.models import LinkKind
from reader.parse import _feedparser_compat as feedparser_rules
from reader.parse.dates import from_struct_time
from reader.parse.entries import Body, RawEnclosure, RawEntry, medium_type
from reader.parse.fast_elements import (
    ATOM,
    HTML_TYPES,
    MEDIA_CONTAINERS,
    RDF,
    Names,
    Unsupported,
    atom_enclosure,
    atom_link,
    attributes,
    base_of,
    content_type_of,
    date_of,
    element_text,
    enforce_href,
    join,
    once,
    skip,
)

_ENTITY_IN_LINK = re.compile("&([A-Za-z0-9_]+);")


class RssBodies:
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
        mapped: str = feedparser_rules.map_content_type(element.get("type", default))
        if mapped not in ("text/plain", "text/html"):
            raise Unsupported(f"text of type {mapped}")
        if mapped == "text/plain" and feedparser_rules.looks_like_html(value):
            mapped = "text/html"
        return mapped

    def description(self, element: ET.Element, depth: int, base: str) -> None:
        value = element_text(element)
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
        value = element_text(element)
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


class Carried:
    """What an entry carries, in feedparser's three lists: links with rel="enclosure"
    (`<enclosure>`, Atom links), `media_content`, `media_thumbnail`, each in document order."""

    def __init__(self) -> None:
        self.links: list[RawEnclosure] = []
        self.media: list[RawEnclosure] = []
        self.thumbnails: list[RawEnclosure] = []

    def enclosure(self, element: ET.Element) -> None:
        """RSS `<enclosure url= type= length=>` (feedparser does not resolve its URL)."""
        if len(element):
            raise Unsupported("markup inside an enclosure")
        attrs = attributes(element)
        self.links.append(RawEnclosure(enforce_href(attrs), attrs.get("type"), attrs.get("length")))

    def media_content(self, element: ET.Element) -> None:
        attrs = attributes(element)
        media_type = medium_type(attrs.get("type"), attrs.get("medium"))
        self.media.append(RawEnclosure(attrs.get("url"), media_type, attrs.get("filesize")))

    def thumbnail(self, element: ET.Element) -> None:
        if len(element) or (element.text or "").strip():
            raise Unsupported("media:thumbnail with content")  # feedparser may read its text
        url = attributes(element).get("url")
        self.thumbnails.append(RawEnclosure(url, kind=LinkKind.THUMBNAIL))

    def result(self) -> tuple[RawEnclosure, ...]:
        return (*self.links, *self.media, *self.thumbnails)


def _walk_media(
    container: ET.Element,
    names: Names,
    bodies: RssBodies,
    carried: Carried,
    depth: int,
    base: str,
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
            bodies.description(child, depth, base=base_of(child, base))
        elif name == "media_thumbnail":
            carried.thumbnail(child)
        elif name in MEDIA_CONTAINERS:
            if name == "media_content":
                carried.media_content(child)
            media_title |= _walk_media(
                child, names, bodies, carried, depth + 1, base_of(child, base)
            )
        else:
            skip(child, name, names)
    return media_title


def rss_item(item: ET.Element, parent_base: str, url: str, names: Names) -> RawEntry:
    """One RSS 2.0 / RSS 1.0 item, the way feedparser's handlers fill its entry."""
    base = base_of(item, parent_base)
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
    bodies = RssBodies(base, url)
    carried = Carried()
    media_title = False
    for child in item:
        tag = child.tag
        if not isinstance(tag, str):
            continue  # comments and processing instructions
        name = names(tag)
        child_base = base_of(child, base)
        if name == "title" and (child.get("type") is not None or child.get("mode") is not None):
            raise Unsupported("type or mode attribute on an RSS title")
        if name == "title":
            once(seen, name)
            title = element_text(child)
            title_is_html = feedparser_rules.looks_like_html(title)
        elif name == "link":
            # Text `<link>` sets the link at its end, an atom:link with href at its start;
            # in document order, the last one wins, as in feedparser.
            if child.get("href") is not None:
                href = atom_link(child, base)
                if href is not None:
                    link = href
                    link_element = True
                enclosure = atom_enclosure(child, base)
                if enclosure is not None:
                    carried.links.append(enclosure)
                continue
            once(seen, "link text")
            link_element = True
            value = element_text(child)
            if value:
                value = join(child_base, value)
            if "&" in value:
                # feedparser's repair of `?a=1&b=2` read as entity references.
                value = _ENTITY_IN_LINK.sub(r"&\g<1>", value.replace("&amp;", "&"))
            link = value
        elif name in ("guid", "id"):
            once(seen, "guid")
            attributes = {k.lower(): v for k, v in child.attrib.items()}
            guid_is_link = attributes.get("ispermalink", "true") == "true"
            value = element_text(child)
            guid = join(child_base, value) if guid_is_link and value else value
        elif name in ("author", "dc_creator", "dc_author", "itunes_author"):
            author = element_text(child)  # the last one wins in feedparser
        elif name in ("pubdate", "published", "dcterms_issued"):
            once(seen, "published")
            published = date_of(child)
        elif name in ("dc_date", "updated", "dcterms_modified"):
            once(seen, "updated")
            updated = date_of(child)
        elif name in ("description", "media_description"):
            bodies.description(child, depth=1, base=child_base)
        elif name == "content_encoded":
            bodies.encoded(child, base=child_base)
        elif name == "enclosure":
            carried.enclosure(child)
        elif name == "media_thumbnail":
            carried.thumbnail(child)
        elif name in MEDIA_CONTAINERS:
            if name == "media_content":
                carried.media_content(child)
            media_title |= _walk_media(child, names, bodies, carried, depth=2, base=child_base)
        else:
            skip(child, name, names)
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
        enclosures=carried.result(),
    )


def _atom_author(element: ET.Element) -> str:
    name = email = None
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag == ATOM + "name":
            name = element_text(child)
        elif child.tag == ATOM + "email":
            email = element_text(child)
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


def atom_entry(entry: ET.Element, feed_base: str, names: Names) -> RawEntry:
    base = base_of(entry, feed_base)
    seen: set[str] = set()
    title: str | None = None
    title_is_html = False
    link: str | None = None
    guid: str | None = None
    author: str | None = None
    published = updated = None
    content: Body | None = None
    summary: Body | None = None
    carried = Carried()
    for child in entry:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag == ATOM + "title":
            once(seen, tag)
            title_type = content_type_of(child, "text")
            title = element_text(child)
            title_is_html = title_type in HTML_TYPES
        elif tag == ATOM + "link":
            href = atom_link(child, base)
            if href is not None:
                link = href
            enclosure = atom_enclosure(child, base)
            if enclosure is not None:
                carried.links.append(enclosure)
        elif tag == ATOM + "id":
            # feedparser treats an Atom id like an RSS guid without isPermaLink: resolved
            # against the base, and the entry's link when it has no alternate link.
            once(seen, tag)
            value = element_text(child)
            guid = join(base_of(child, base), value) if value else value
        elif tag == ATOM + "author":
            # feedparser keeps the last author's name (and email) as the entry's author.
            author = _atom_author(child)
        elif tag == ATOM + "published":
            once(seen, tag)
            published = date_of(child)
        elif tag == ATOM + "updated":
            once(seen, tag)
            updated = date_of(child)
        elif tag in (ATOM + "content", ATOM + "summary"):
            once(seen, tag)
            body_type = content_type_of(child, "text")
            value = element_text(child)
            body = (
                Body(value, is_html=body_type in HTML_TYPES, base=base_of(child, base))
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
        elif names(tag) in ("media_thumbnail", "media_content", "media_group"):
            _atom_media(child, names(tag), names, carried)
        else:
            skip(child, names(tag), names)
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
        enclosures=carried.result(),
    )


def _atom_media(element: ET.Element, name: str, names: Names, carried: Carried) -> None:
    """Media RSS in an Atom entry (YouTube's media:group): files and thumbnails recorded;
    anything that would reach the entry's own fields (media:title, media:description)
    is feedparser's."""
    if name == "media_thumbnail":
        carried.thumbnail(element)
        return
    if name == "media_content":
        carried.media_content(element)
    for child in element:
        if isinstance(child.tag, str):
            child_name = names(child.tag)
            if child_name in ("media_thumbnail", "media_content", "media_group"):
                _atom_media(child, child_name, names, carried)
            else:
                skip(child, child_name, names)
