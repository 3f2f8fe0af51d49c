"""The parse stage: feed bytes in, a sanitized `ParsedFeed` out, or a one-line `ParseError`;
sanitized HTML in, typed text blocks out (`reader.parse.blocks`).

`parse_document` is the synchronous, CPU-bound core; `ParserPool` runs it in worker processes
bounded in time and memory so that one hostile document fails alone. Both load on first use,
so importing `reader.parse.blocks` (the terminal reader does, through the core, to show an
item) does not load feedparser, nh3 and the parsers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reader.parse.document import parse_document
    from reader.parse.pool import ParserPool

__all__ = ["ParserPool", "parse_document"]


def __getattr__(name: str) -> object:
    if name == "parse_document":
        from reader.parse.document import parse_document

        return parse_document
    if name == "ParserPool":
        from reader.parse.pool import ParserPool

        return ParserPool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
