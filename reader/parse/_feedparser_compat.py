"""feedparser's private parts, behind one wall: what the fast path and date parsing borrow.

The fast path (`reader.parse.fast`) must store exactly what feedparser would, so it uses
feedparser's own rules for the details: its date parser, URI joining, content-type mapping,
`looks_like_html`, its cp1252 table, its namespace prefixes and which elements have
handlers. None of these is public API. Checked against feedparser 6.0.x (pyproject pins
``feedparser>=6.0.11,<6.1``); `problems()` says what no longer matches, and
`tests/test_compat.py` fails naming this module when feedparser moves under it. The corpus
test comparing both parse paths field by field is the second guard.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import feedparser
from feedparser.api import StrictFeedParser
from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri

CHECKED_SERIES = "6.0."
"""The feedparser release series this module was written against."""

CP1252: Mapping[int, str] = _cp1252
"""feedparser's translation of C1 code points to the cp1252 characters they stand for."""

NAMESPACE_PREFIXES: Mapping[str, str] = {
    uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()
}
"""feedparser's standard prefix per namespace URI (lower case): ``dc``, ``content``..."""


def parse_date(text: str) -> time.struct_time | None:
    """feedparser's many-format date parser: a UTC `struct_time`, or None."""
    parsed: time.struct_time | None = _parse_date(text)
    return parsed


def urljoin(base: str, uri: str) -> str:
    """feedparser's URI join (urllib's, with its fixes for odd bases and schemes)."""
    joined: str = _urljoin(base, uri)
    return joined


def safe_absolute_uri(base: str, uri: str) -> str:
    """feedparser's join for `xml:base`: '' when the result is not a URI it accepts."""
    joined: str = make_safe_absolute_uri(base, uri)
    return joined


def map_content_type(value: str) -> str:
    """feedparser's content type for a `type` attribute (``html`` -> ``text/html``...)."""
    mapped: str = _FeedParserMixin.map_content_type(value)
    return mapped


def looks_like_html(value: str) -> bool:
    """feedparser's guess that text declared plain is HTML after all."""
    return bool(_FeedParserMixin.looks_like_html(value))


def has_handler(name: str) -> bool:
    """Whether feedparser runs a handler of its own for an element of this (its) name."""
    return hasattr(StrictFeedParser, "_start_" + name) or hasattr(StrictFeedParser, "_end_" + name)


def problems() -> list[str]:
    """What no longer matches the feedparser this module was checked against (empty: all)."""
    found: list[str] = []
    version = feedparser.__version__
    if not version.startswith(CHECKED_SERIES):
        found.append(f"feedparser {version} is not the {CHECKED_SERIES}x checked")
    expectations = {
        "parse_date": (
            parse_date("Sun, 01 Mar 2026 09:30:00 +0100"),
            time.struct_time((2026, 3, 1, 8, 30, 0, 6, 60, 0)),
        ),
        "urljoin": (urljoin("http://a.example/x/", "y"), "http://a.example/x/y"),
        "safe_absolute_uri": (safe_absolute_uri("http://a.example/", "javascript:x"), ""),
        "map_content_type": (map_content_type("html"), "text/html"),
        "looks_like_html": (looks_like_html("<p>a</p>"), True),
        "has_handler": (has_handler("title") and not has_handler("no_such_element"), True),
        "NAMESPACE_PREFIXES": (
            NAMESPACE_PREFIXES.get("http://purl.org/dc/elements/1.1/"),
            "dc",
        ),
        "CP1252": (chr(0x93).translate(CP1252), "\u201c"),
    }
    for name, (got, expected) in expectations.items():
        if got != expected:
            found.append(f"{name} gave {got!r}, expected {expected!r}")
    return found
