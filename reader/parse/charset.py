"""What the bytes say about a document's encoding, when the HTTP header says too little.

feedparser follows RFC 3023: a `text/*` XML body without a charset parameter is US-ASCII,
whatever it starts with. So a UTF-16 or UTF-32 feed served as plain `text/xml` (common: the
server's default type) fails as not well-formed. RFC 7303, which replaced RFC 3023, lets a
byte-order mark win over everything, and the XML declaration over a missing charset; this
module turns that evidence into an explicit charset parameter before the parser sees the type.
"""

from __future__ import annotations

import re

# Longest first: a UTF-32LE mark starts with the UTF-16LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\xfe\xff", "utf-32be"),
    (b"\xff\xfe\x00\x00", "utf-32le"),
    (b"\xfe\xff", "utf-16be"),
    (b"\xff\xfe", "utf-16le"),
    (b"\xef\xbb\xbf", "utf-8"),
)

# `<?` in each wide encoding, for documents without a mark (XML 1.0 appendix F).
_WIDE_DECLARATION_STARTS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\x00<\x00\x00\x00?", "utf-32be"),
    (b"<\x00\x00\x00?\x00\x00\x00", "utf-32le"),
    (b"\x00<\x00?", "utf-16be"),
    (b"<\x00?\x00", "utf-16le"),
)

_DECLARED_ENCODING = re.compile(r"\A<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_CHARSET_PARAM = re.compile(r";\s*charset\s*=", re.IGNORECASE)


def _wide_family(name: str) -> str | None:
    """ "utf-16" or "utf-32" for names of those encodings (u16, UTF16, ucs-4, ...), else None."""
    compact = name.lower().replace("-", "").replace("_", "")
    if compact in {"utf16", "u16", "utf16le", "utf16be", "ucs2", "unicode"}:
        return "utf-16"
    if compact in {"utf32", "u32", "utf32le", "utf32be", "ucs4"}:
        return "utf-32"
    return None


def sniffed_encoding(body: bytes, content_type: str | None) -> str | None:
    """The encoding the bytes prove, when it should override what the header implies.

    A byte-order mark always wins. Without one, a UTF-16/32 XML declaration wins when the
    header names no charset and the declaration's bytes are in that very encoding (the
    width and byte order of `<?` confirm the name). None means: leave the header alone.
    """
    for mark, encoding in _BOMS:
        if body.startswith(mark):
            return encoding
    if content_type is not None and _CHARSET_PARAM.search(content_type):
        return None
    for start, encoding in _WIDE_DECLARATION_STARTS:
        if body.startswith(start):
            head = body[:512].decode(encoding, "replace")
            declared = _DECLARED_ENCODING.match(head)
            if declared and _wide_family(declared.group(1)) == encoding[:6]:
                return encoding
            return None
    return None


def with_sniffed_charset(body: bytes, content_type: str | None) -> str | None:
    """`content_type` with its charset set to what `sniffed_encoding` proves (else unchanged).

    Without a header there is nothing to correct: the parser sniffs the bytes itself.
    """
    if not content_type:
        return content_type
    encoding = sniffed_encoding(body, content_type)
    if encoding is None:
        return content_type
    media = content_type.split(";", 1)[0].strip() or "application/xml"
    params = [
        param.strip()
        for param in content_type.split(";")[1:]
        if param.strip() and param.partition("=")[0].strip().lower() != "charset"
    ]
    return "; ".join([media, *params, f"charset={encoding}"])
