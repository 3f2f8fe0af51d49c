"""What every format adapter fills in per entry, and how that becomes a safe `ParsedItem`.

The adapters (feedparser for XML, our own for JSON Feed) only pick raw fields out of their
format; sanitizing, capping, date checks and identity rules live here once, so both formats
store the same things the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from reader.models import ItemLink, LinkKind, ParsedItem
from reader.parse.dates import plausible
from reader.parse.sanitize import (
    html_to_text,
    one_line_text,
    safe_link,
    sanitize_html,
    text_to_html,
)
from reader.textsafe import plain, strip_controls


@dataclass(frozen=True)
class Body:
    """A piece of entry text as the format gives it: markup or plain, and its base URL."""

    value: str
    is_html: bool
    base: str | None


@dataclass(frozen=True)
class RawEnclosure:
    """A file or picture an entry carries, as the format gives it (untrusted)."""

    url: str | None
    media_type: str | None = None
    length: str | int | None = None
    """The size in bytes as written (text in XML, a number in JSON)."""
    title: str | None = None
    kind: LinkKind = LinkKind.ENCLOSURE


_MEDIA_KINDS = frozenset({"image", "audio", "video"})


def medium_type(media_type: str | None, medium: str | None) -> str | None:
    """Media RSS: the `type`, else the `medium` as a MIME range (``image`` is ``image/*``)."""
    if media_type:
        return media_type
    kind = (medium or "").strip().lower()
    return f"{kind}/*" if kind in _MEDIA_KINDS else None


@dataclass(frozen=True)
class RawEntry:
    """One entry's raw fields, untrusted, before sanitizing and capping."""

    guid: str | None
    link: str | None
    link_base: str | None
    title: str | None
    title_is_html: bool
    author: str | None
    published: datetime | None
    updated: datetime | None
    content: Body | None
    summary: Body | None
    enclosures: tuple[RawEnclosure, ...] = ()
    """Enclosures (links with rel="enclosure"), then media contents, then thumbnails, each
    in document order: the order both parse paths produce."""


@dataclass(frozen=True)
class Limits:
    """Caps and the clock for one parse."""

    max_items: int
    max_field_chars: int
    now: datetime


def _render(body: Body, limits: Limits) -> str:
    if body.is_html:
        return sanitize_html(body.value, base=body.base, max_chars=limits.max_field_chars)
    return text_to_html(body.value, max_chars=limits.max_field_chars)


def build_item(raw: RawEntry, limits: Limits) -> ParsedItem:
    """Sanitize, cap and date-check one entry; the identity is provisional (see `unique`)."""
    cap = limits.max_field_chars
    content_html: str | None = None
    text: str | None = None
    summary: str | None = None
    main = raw.content or raw.summary
    if main is not None and main.value:
        content_html = _render(main, limits) or None
        if content_html:
            text = html_to_text(content_html)[:cap] or None
    if raw.content is not None and raw.summary is not None and raw.summary.value:
        summary_text = html_to_text(_render(raw.summary, limits))[:cap]
        # A summary that only repeats the start of the body adds nothing.
        if summary_text and not (text or "").startswith(summary_text.rstrip(". …")):
            summary = summary_text
    title = one_line_text(raw.title, is_html=raw.title_is_html, max_chars=cap)
    link = safe_link(raw.link, base=raw.link_base)
    if link is not None:
        link = link[:cap]
    guid = plain(strip_controls(raw.guid))[:cap] if raw.guid else ""
    identity = guid or link or _content_identity(title, content_html)
    return ParsedItem(
        enclosures=_enclosures(raw, cap),
        identity=identity,
        title=title,
        link=link,
        author=one_line_text(raw.author, is_html=False, max_chars=cap),
        published=plausible(raw.published, limits.now),
        updated=plausible(raw.updated, limits.now),
        content_html=content_html,
        text=text,
        summary=summary,
    )


MAX_ENCLOSURES = 50
"""Enclosures and thumbnails kept per item (a feed cannot make an item huge)."""
_MAX_MEDIA_TYPE = 100


def _enclosures(raw: RawEntry, cap: int) -> tuple[ItemLink, ...]:
    """What the entry carries: absolute http(s) URLs, each once, at most `MAX_ENCLOSURES`."""
    enclosures: list[ItemLink] = []
    seen: set[str] = set()
    for enclosure in raw.enclosures:
        url = safe_link(enclosure.url, base=raw.link_base)
        if url is None or url in seen or len(url) > cap:
            continue
        seen.add(url)
        enclosures.append(
            ItemLink(
                url,
                enclosure.kind,
                _media_type(enclosure.media_type),
                _length(enclosure.length),
                one_line_text(enclosure.title, is_html=False, max_chars=_MAX_MEDIA_TYPE * 3),
            )
        )
        if len(enclosures) == MAX_ENCLOSURES:
            break
    return tuple(enclosures)


def _media_type(value: str | None) -> str | None:
    """A MIME type as given, trimmed and lower-cased; None unless it looks like one."""
    if not value:
        return None
    media_type = plain(value).strip().lower()
    if "/" not in media_type or len(media_type) > _MAX_MEDIA_TYPE or " " in media_type:
        return None
    return media_type


def _length(value: str | int | None) -> int | None:
    """A byte count as given; None unless it is a positive whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    text = (value or "").strip()
    return int(text) if text.isdigit() and 0 < len(text) < 19 and int(text) > 0 else None


def _digest(*parts: str | None) -> str:
    hasher = hashlib.blake2b(digest_size=12)
    for part in parts:
        hasher.update((part or "").encode("utf-8", "surrogatepass"))
        hasher.update(b"\x00")
    return hasher.hexdigest()


def _content_identity(title: str | None, content_html: str | None) -> str:
    """Identity of an entry with neither guid nor link: a hash of what it says."""
    return "sha:" + _digest(title, content_html)


def unique(items: Iterable[ParsedItem]) -> tuple[ParsedItem, ...]:
    """Make identities unique within a document, deterministically, losing no item.

    The first entry keeps a repeated identity; later ones get a suffix hashed from their own
    title, link and content (so the same entry keeps the same identity next time even if the
    order changes), with a counter only for exact repeats.
    """
    seen: set[str] = set()
    result: list[ParsedItem] = []
    for item in items:
        identity = item.identity
        if identity in seen:
            base = f"{identity}#{_digest(item.title, item.link, item.content_html)[:12]}"
            identity = base
            counter = 2
            while identity in seen:
                identity = f"{base}-{counter}"
                counter += 1
            item = replace(item, identity=identity)
        seen.add(identity)
        result.append(item)
    return tuple(result)
