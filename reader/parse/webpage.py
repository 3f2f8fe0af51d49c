"""Web pages (not feeds): their text encoding, and the feeds they point to.

Pure functions of the bytes; the fetching is the caller's. Discovery reads the page's
``<link rel="alternate">`` elements of feed types (RSS, Atom, JSON Feed) as browsers and feed
readers do; `COMMON_FEED_PATHS` are what to try on the site when a page names none.
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from reader.models import FeedLink
from reader.parse.charset import sniffed_encoding
from reader.parse.sanitize import is_absolute_http_url

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)
"""`type` values of ``<link rel="alternate">`` that name a feed, most specific first."""

COMMON_FEED_PATHS = (
    "/feed",
    "/rss",
    "/feed.xml",
    "/rss.xml",
    "/atom.xml",
    "/index.xml",
    "/feed.json",
    "/feeds/posts/default",
    "/?feed=rss2",
)
"""Where sites usually keep their feed, tried on the page's site when it links to none."""

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_HTML_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head)\b",
    re.IGNORECASE | re.DOTALL,
)


def _known(encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def decode_html(body: bytes, content_type: str | None) -> str:
    """A page's text: a byte-order mark, else the header's charset, else ``<meta charset>``,
    else UTF-8 (undecodable bytes replaced, never an error)."""
    header = _HEADER_CHARSET.search(content_type or "")
    meta = _META_CHARSET.search(body[:4096])
    encoding = (
        _known(sniffed_encoding(body, None))
        or _known(header.group(1) if header else None)
        or _known(meta.group(1).decode("ascii") if meta else None)
        or "utf-8"
    )
    text = body.decode(encoding, "replace")
    return text.removeprefix("\ufeff")


def looks_like_html(body: bytes, content_type: str | None) -> bool:
    """Whether a response is a web page rather than a feed (by type, else by its start)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in ("text/html", "application/xhtml+xml"):
        return True
    if media and media not in ("text/plain", "application/octet-stream"):
        return False
    return bool(_HTML_START.match(body[:2048]))


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        elif tag == "link":
            self.links.append(values)

    handle_startendtag = handle_starttag


def feed_links(page: str, url: str) -> list[FeedLink]:
    """The feeds a page links to with ``<link rel="alternate" type="...feed type...">``,
    absolute, in page order (a page's first feed is usually its main one), no repeats."""
    collector = _LinkCollector()
    try:
        collector.feed(page)
        collector.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup
        pass
    base = urljoin(url, collector.base) if collector.base else url
    found: dict[str, FeedLink] = {}
    for link in collector.links:
        rels = link.get("rel", "").lower().split()
        media = link.get("type", "").split(";", 1)[0].strip().lower()
        href = link.get("href", "").strip()
        if "alternate" not in rels or media not in FEED_TYPES or not href:
            continue
        if media in ("application/json", "application/xml", "text/xml") and not _feedish(href):
            continue  # oEmbed and sitemaps use these types too
        absolute = urljoin(base, href)
        if is_absolute_http_url(absolute) and absolute not in found:
            title = " ".join(link.get("title", "").split()) or None
            found[absolute] = FeedLink(absolute, title, media)
    return list(found.values())


def _feedish(href: str) -> bool:
    lowered = href.lower()
    return any(word in lowered for word in ("feed", "rss", "atom", "json"))


def common_feed_urls(url: str) -> list[str]:
    """`COMMON_FEED_PATHS` on the site of `url`."""
    parts = urlsplit(url)
    site = f"{parts.scheme}://{parts.netloc}"
    return [site + path for path in COMMON_FEED_PATHS]
