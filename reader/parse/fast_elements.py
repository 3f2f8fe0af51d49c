"""How feedparser names and reads one element, for the fast path (`reader.parse.fast`).

An element's feedparser name (which decides the handler feedparser would run), its text as
feedparser's `pop` leaves it, the base URI in effect, and which elements cannot touch the
fields we keep. Anything outside the fast path's envelope raises `Unsupported`.
"""

from __future__ import annotations

import contextlib
import re
import time
import xml.etree.ElementTree as ET

from reader.parse import _feedparser_compat as feedparser_rules
from reader.parse.entries import RawEnclosure
from reader.parse.sanitize import is_plain_http_url

ATOM = "{http://www.w3.org/2005/Atom}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
RSS10 = "{http://purl.org/rss/1.0/}"

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_C1_RANGE = re.compile("[\x80-\x9f]")

# Elements with a feedparser handler that never touches the fields we keep (tags, enclosures,
# media, rights...), by feedparser's name for them. Elements with no handler at all are stored
# under their own names and are harmless too; any other handler means feedparser reads it.
HARMLESS_HANDLERS = frozenset(
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
_XMLNS = re.compile(rb"""xmlns:([A-Za-z_][\w.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


class Names:
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
        prefix = feedparser_rules.NAMESPACE_PREFIXES.get(lowered)
        if prefix is None:
            prefix = self._document_prefixes.get(uri, "")
        return f"{prefix.lower()}_{local.lower()}" if prefix else local.lower()


class Unsupported(Exception):
    """The document leaves the fast path's envelope; feedparser must read it."""


def element_text(element: ET.Element) -> str:
    """An element's text as feedparser's `pop` leaves it: stripped, double-UTF-8 repaired,
    cp1252 code points mapped. Child elements are outside the envelope."""
    if len(element):
        raise Unsupported("markup inside a text field")
    output = (element.text or "").strip()
    if output.isascii():
        return output  # neither fixup can change ASCII
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        output = output.encode("iso-8859-1").decode("utf-8")
    return output.translate(feedparser_rules.CP1252) if _C1_RANGE.search(output) else output


def join(base: str, uri: str) -> str:
    """feedparser's `_urljoin`, skipping urllib where it would return `uri` unchanged."""
    if is_plain_http_url(uri):
        return uri
    return feedparser_rules.urljoin(base, uri)


def base_of(element: ET.Element, parent_base: str) -> str:
    """The base URI in effect inside `element`, by feedparser's rule."""
    declared = element.get(XML_BASE) or element.get("base")
    if not declared:
        return parent_base
    joined: str = (
        feedparser_rules.safe_absolute_uri(parent_base, declared) or parent_base
        if parent_base
        else feedparser_rules.urljoin(parent_base, declared)
    )
    return joined


def date_of(element: ET.Element) -> time.struct_time | None:
    return feedparser_rules.parse_date(element_text(element))


MEDIA_CONTAINERS = frozenset({"media_content", "media_group"})


# Children an <image> inside an entry may have: feedparser files url/width/height apart, but
# an image's title or link would land on the entry itself.
_IMAGE_CHILDREN = frozenset({"url", "width", "height"})


def skip(child: ET.Element, name: str, names: Names) -> None:
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
    if name in HARMLESS_HANDLERS or not feedparser_rules.has_handler(name):
        for grandchild in child:
            if isinstance(grandchild.tag, str):
                skip(grandchild, names(grandchild.tag), names)
        return
    raise Unsupported(f"element {name}")


def once(seen: set[str], tag: str) -> None:
    if tag in seen:
        raise Unsupported(f"repeated {tag}")
    seen.add(tag)


def content_type_of(element: ET.Element, default: str) -> str:
    if element.get("mode") is not None or element.get("src") is not None:
        raise Unsupported("Atom 0.3 mode or out-of-line content")
    mapped: str = feedparser_rules.map_content_type(element.get("type", default))
    if mapped not in ("text/plain", "text/html"):
        # xhtml (inline markup), and base64 or other media types, are feedparser's.
        raise Unsupported(f"content of type {mapped}")
    return mapped


def attributes(element: ET.Element) -> dict[str, str]:
    """An element's attributes as feedparser sees them: names in lower case."""
    return {key.lower(): value for key, value in element.attrib.items()}


def enforce_href(attrs: dict[str, str]) -> str | None:
    """feedparser's `_enforce_href`: the URL from `url`, else `uri`, else `href`."""
    return attrs.get("url", attrs.get("uri", attrs.get("href"))) or None


def atom_enclosure(element: ET.Element, base: str) -> RawEnclosure | None:
    """feedparser's `_start_link` for rel="enclosure": the href resolved against the base,
    the type defaulting to text/html; None for any other link."""
    attrs = attributes(element)
    if (attrs.get("rel") or "alternate").lower() != "enclosure":
        return None
    href = enforce_href(attrs)
    return RawEnclosure(
        join(base_of(element, base), href) if href else None,
        (attrs.get("type") or "text/html").lower(),
        attrs.get("length"),
    )


def atom_link(element: ET.Element, base: str) -> str | None:
    """feedparser's `_start_link`: the href of an alternate HTML link, resolved; else None."""
    if not element.get("href"):
        raise Unsupported("link without href")
    if len(element):
        raise Unsupported("markup inside a link")
    rel = (element.get("rel") or "alternate").lower()
    default_type = "application/atom+xml" if rel == "self" else "text/html"
    link_type = feedparser_rules.map_content_type((element.get("type") or default_type).lower())
    if rel == "alternate" and link_type in HTML_TYPES:
        return join(base_of(element, base), element.get("href") or "")
    return None
