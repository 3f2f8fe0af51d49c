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

from reader.models import ParsedItem
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
