"""One fetched document's bytes in, a sanitized `ParsedFeed` out, or a one-line `ParseError`:
the synchronous, CPU-bound core of the parse stage (run in `ParserPool`'s workers).

It picks the parser: JSON Feed, the fast RSS/Atom path, else feedparser.
"""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime

from reader.exceptions import ParseError
from reader.models import ParsedFeed
from reader.parse.charset import with_sniffed_charset
from reader.parse.entries import Limits
from reader.parse.fast import parse_fast
from reader.parse.feed import parse_xml
from reader.parse.jsonfeed import parse_json_feed

__all__ = ["parse_document"]

MAX_GUNZIPPED_BYTES = 64 * 1024 * 1024
"""Cap on a gzip body served without Content-Encoding, once decompressed."""

_UTF8_BOM = b"\xef\xbb\xbf"
_JSON_START = re.compile(rb"\A\s*[{\[]")


def _gunzip(body: bytes, url: str) -> bytes:
    """Decompress a gzip body that reached us still compressed (no Content-Encoding)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, MAX_GUNZIPPED_BYTES)
    except zlib.error as exc:
        raise ParseError(url, f"corrupt gzip body: {exc}") from None
    if inflater.unconsumed_tail:
        raise ParseError(url, f"gzip body inflates past {MAX_GUNZIPPED_BYTES // 2**20} MiB")
    return data


def _looks_like_json(body: bytes, content_type: str | None) -> bool:
    """JSON by media type (unless the bytes are plainly markup) or by a leading `{`."""
    head = body[:64]
    if head.startswith(_UTF8_BOM):
        head = head[len(_UTF8_BOM) :]
    if _JSON_START.match(head):
        return True
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media.endswith("json") and not head.lstrip().startswith(b"<")


def parse_document(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    max_items: int = 1000,
    max_field_chars: int = 200_000,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse one fetched document (RSS, Atom, RDF, CDF or JSON Feed) into a `ParsedFeed`.

    Keeps the first `max_items` entries in document order and cuts every text field to
    `max_field_chars`. `now` (default: the current time) bounds plausible dates. Raises
    `ParseError` with a one-line reason for an empty body, an HTML page, XML that is not a
    feed, or JSON that is not a JSON Feed; a flawed but usable feed parses with `warnings`.
    """
    if max_items < 0 or max_field_chars < 1:
        raise ValueError("max_items must be >= 0 and max_field_chars >= 1")
    if body.startswith(b"\x1f\x8b"):
        body = _gunzip(body, url)
    if not body.strip():
        raise ParseError(url, "empty document")
    # A byte-order mark (or a UTF-16/32 declaration the bytes confirm) beats a header that
    # implies another encoding, such as `text/xml` without a charset (US-ASCII by RFC 3023).
    content_type = with_sniffed_charset(body, content_type)
    limits = Limits(
        max_items=max_items,
        max_field_chars=max_field_chars,
        now=now if now is not None else datetime.now(UTC),
    )
    if _looks_like_json(body, content_type):
        return parse_json_feed(body, url=url, limits=limits)
    fast = parse_fast(body, url=url, content_type=content_type, limits=limits)
    if fast is not None:
        return fast
    return parse_xml(body, url=url, content_type=content_type, limits=limits)
