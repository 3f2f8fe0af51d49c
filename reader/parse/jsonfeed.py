"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org), which feedparser 6 does not read.

A field of the wrong type is treated as absent (and noted in the warnings), never as an error
for the whole feed: one odd item must not cost the others.
"""

from __future__ import annotations

import json
from typing import Any

from reader.exceptions import ParseError
from reader.models import LinkKind, ParsedFeed
from reader.parse.dates import parse_date_text
from reader.parse.entries import Body, Limits, RawEnclosure, RawEntry, build_item, unique
from reader.parse.sanitize import is_absolute_http_url, one_line_text, safe_link

_VERSIONS = {"1": "json10", "1.0": "json10", "1.1": "json11"}
_VERSION_PREFIXES = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")


def _string(mapping: dict[str, Any], key: str, problems: set[str]) -> str | None:
    value = mapping.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    problems.add(key)
    return None


def _author_names(mapping: dict[str, Any], problems: set[str]) -> str | None:
    """Names from 1.1 `authors` (a list), else 1.0 `author` (an object)."""
    candidates: list[Any] = []
    authors = mapping.get("authors")
    if isinstance(authors, list):
        candidates.extend(authors)
    elif authors is not None:
        problems.add("authors")
    author = mapping.get("author")
    if not candidates and author is not None:
        candidates.append(author)
    names = [
        a["name"] for a in candidates if isinstance(a, dict) and isinstance(a.get("name"), str)
    ]
    return ", ".join(n for n in names if n.strip()) or None


def _version(document: dict[str, Any], url: str) -> str:
    raw = document.get("version")
    if not isinstance(raw, str):
        raise ParseError(url, "not a JSON Feed: no 'version' field")
    # The spec's form is the URL; a bare number ("1.0") is common enough to accept too.
    number = raw.rsplit("/", 1)[-1] if raw.startswith(_VERSION_PREFIXES) else raw.strip()
    version = _VERSIONS.get(number)
    if version is None:
        raise ParseError(url, f"unsupported JSON Feed version: {number[:40]!r}")
    return version


def _raw_entry(item: dict[str, Any], base: str, problems: set[str]) -> RawEntry:
    item_id = item.get("id")
    guid: str | None
    if isinstance(item_id, str):
        guid = item_id
    elif isinstance(item_id, int | float) and not isinstance(item_id, bool):
        # The spec says string, but numbers are common in the wild; keep them as text.
        guid = str(item_id)
    else:
        guid = None
        if item_id is not None:
            problems.add("id")
    content_html = _string(item, "content_html", problems)
    content_text = _string(item, "content_text", problems)
    summary = _string(item, "summary", problems)
    content: Body | None = None
    if content_html:
        content = Body(content_html, is_html=True, base=base)
    elif content_text:
        content = Body(content_text, is_html=False, base=base)
    return RawEntry(
        enclosures=_attachments(item, problems),
        guid=guid,
        link=_string(item, "url", problems),
        link_base=base,
        title=_string(item, "title", problems),
        title_is_html=False,
        author=_author_names(item, problems),
        published=parse_date_text(_string(item, "date_published", problems)),
        updated=parse_date_text(_string(item, "date_modified", problems)),
        content=content,
        summary=Body(summary, is_html=False, base=base) if summary else None,
    )


def _attachments(item: dict[str, Any], problems: set[str]) -> tuple[RawEnclosure, ...]:
    """`attachments` (podcast episodes and other files), then `image` as the thumbnail."""
    found: list[RawEnclosure] = []
    attachments = item.get("attachments")
    if isinstance(attachments, list):
        for attachment in attachments:
            if not isinstance(attachment, dict):
                problems.add("attachments[]")
                continue
            size = attachment.get("size_in_bytes")
            found.append(
                RawEnclosure(
                    _string(attachment, "url", problems),
                    _string(attachment, "mime_type", problems),
                    size if isinstance(size, int) else None,
                    _string(attachment, "title", problems),
                )
            )
    elif attachments is not None:
        problems.add("attachments")
    image = _string(item, "image", problems)
    if image:
        found.append(RawEnclosure(image, kind=LinkKind.THUMBNAIL))
    return tuple(found)


def parse_json_feed(body: bytes, *, url: str, limits: Limits) -> ParsedFeed:
    """Parse a JSON Feed document; ParseError for invalid JSON or a JSON that is no JSON Feed."""
    try:
        # strict=False admits raw control characters inside strings (common; stripped later).
        document = json.loads(body, strict=False)
    except RecursionError:
        raise ParseError(url, "not valid JSON: nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(url, f"not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(document, dict):
        raise ParseError(url, "not a JSON Feed: the document is not a JSON object")
    version = _version(document, url)
    problems: set[str] = set()
    items_value = document.get("items", [])
    if not isinstance(items_value, list):
        raise ParseError(url, "not a JSON Feed: 'items' is not a list")
    # Relative item URLs resolve against the feed's own address (the document URL).
    base = url
    home = _string(document, "home_page_url", problems)
    title = one_line_text(
        _string(document, "title", problems), is_html=False, max_chars=limits.max_field_chars
    )
    raw_items = [i for i in items_value if isinstance(i, dict)]
    if len(raw_items) != len(items_value):
        problems.add("items[]")
    kept = raw_items[: limits.max_items]
    items = unique(build_item(_raw_entry(i, base, problems), limits) for i in kept)
    warnings: list[str] = []
    if problems:
        warnings.append("ignored fields of the wrong type: " + ", ".join(sorted(problems)))
    if len(raw_items) > limits.max_items:
        warnings.append(f"kept the first {limits.max_items} of {len(raw_items)} entries")
    return ParsedFeed(
        url=url,
        title=title,
        link=safe_link(home, base=url if is_absolute_http_url(url) else None),
        items=items,
        ttl=None,
        version=version,
        warnings=tuple(warnings),
    )
