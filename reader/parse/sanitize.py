"""Making feed text safe: allow-listed HTML through nh3, plain text from it, safe links, caps.

Every text field a feed gives us passes through here before it reaches the store, so nothing
the terminal could interpret (ESC and the other C0/C1 controls) and nothing a browser could run
(scripts, frames, event handlers, `javascript:` URLs, styles) survives.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Literal
from urllib.parse import urljoin, urlsplit

import nh3

from reader.parse.blocks import html_text
from reader.textsafe import plain, strip_controls

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
"""Schemes kept in `href`/`src` attributes of item HTML."""

ITEM_LINK_SCHEMES = frozenset({"http", "https"})
"""Schemes allowed for an item's or a feed's own link."""

# nh3's default allow-list (ammonia's) has no script/style/iframe/object/embed/form/meta/link and
# no on* or style attributes; we narrow the URL schemes and keep the default removal of the
# *content* of script and style elements.
_TAGS = frozenset(nh3.ALLOWED_TAGS)
_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
_UrlRelative = tuple[Literal["rewrite_with_base"], str] | Literal["deny"]

# nh3 serializes with every `<` and `>` inside text and attribute values escaped, so on its
# output a tag is exactly `<` up to the next `>`.
_TAG = re.compile(r"<[^>]*>")
_LOOKS_LIKE_MARKUP = re.compile(r"<[a-zA-Z/!]|&[#a-zA-Z0-9]+;")
_TAG_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>")
_VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)

MAX_NESTING = 512
"""Deeper markup is flattened to text: html5ever's cost grows with depth squared (100,000 nested
`<div>`s take nh3 most of a minute), and no real article nests this deep."""
_TAGS_BEFORE_DEPTH_CHECK = 2 * MAX_NESTING


def nesting_exceeds(fragment: str, limit: int = MAX_NESTING) -> bool:
    """True when open (non-void) tags nest deeper than `limit` anywhere in the fragment.

    Cheap for ordinary content: only fragments with many tags are scanned at all.
    """
    if fragment.count("<") <= _TAGS_BEFORE_DEPTH_CHECK:
        return False
    depth = 0
    for match in _TAG_TOKEN.finditer(fragment):
        closing, name, self_closing = match.groups()
        if closing:
            depth = max(depth - 1, 0)
        elif not self_closing and name.lower() not in _VOID_TAGS:
            depth += 1
            if depth > limit:
                return True
    return False


# Characters of a URL after its scheme that urllib passes through untouched: anything else
# (`?`, `#`, `;`, brackets, spaces, controls, non-ASCII) may be split, dropped or checked.
_PLAIN_URL_TAIL = re.compile(r"[^!$%&'()*+,\-./0-9:=@A-Z_a-z~]")


def is_plain_http_url(url: str) -> bool:
    """True for an `http://host...` or `https://host...` URL that urllib's split-and-join would
    return unchanged: no query, fragment or parameters, nothing to strip or check.

    Lets the common case skip `urljoin`/`urlsplit`, a large share of parsing an item.
    """
    if url.startswith("https://"):
        tail = url[8:]
    elif url.startswith("http://"):
        tail = url[7:]
    else:
        return False
    return bool(tail) and tail[0] != "/" and _PLAIN_URL_TAIL.search(tail) is None


@functools.lru_cache(maxsize=4096)
def is_absolute_http_url(url: str | None) -> bool:
    """True for an absolute http(s) URL with a host (usable as a base for relative links)."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ITEM_LINK_SCHEMES and bool(parts.netloc)


def sanitize_html(fragment: str, *, base: str | None, max_chars: int) -> str:
    """Clean an HTML fragment to the allow-list, resolving relative links against `base`.

    Only http, https and mailto links survive in `href`/`src`; relative ones are made absolute
    when `base` is an absolute http(s) URL and dropped otherwise (they would point nowhere).
    The input is capped before cleaning (bounding the work) and the output after it.
    """
    source = strip_controls(fragment[:max_chars])
    if nesting_exceeds(source):
        # Pathological nesting: keep the words, drop the structure (see MAX_NESTING).
        return text_to_html(html.unescape(_TAG.sub(" ", source)), max_chars=max_chars)
    url_relative: _UrlRelative = "deny"
    if base is not None and is_absolute_http_url(base) and _may_hold_links(source):
        url_relative = ("rewrite_with_base", base)
    return _clean_within(source, max_chars, url_relative)


def _may_hold_links(source: str) -> bool:
    """Whether `source` may have an `href` or `src`, the only attributes the cleaner resolves.

    Without either, the base cannot change the output, so the shared base-less cleaner serves:
    each base needs a cleaner of its own, and building one costs about a millisecond.
    """
    lowered = source.lower()
    return "href" in lowered or "src" in lowered


@functools.lru_cache(maxsize=256)
def _cleaner(url_relative: _UrlRelative) -> nh3.Cleaner:
    """A reusable nh3 cleaner per base URL: building one costs more than a typical clean."""
    try:
        return nh3.Cleaner(
            tags=set(_TAGS),
            attributes=_ATTRIBUTES,
            url_schemes=set(LINK_SCHEMES),
            url_relative=url_relative,
            link_rel="noopener noreferrer nofollow",
        )
    except ValueError:
        # nh3 rejects a base it cannot parse as a URL; drop relative links instead.
        if url_relative == "deny":
            raise
        return _cleaner("deny")


def _clean(source: str, url_relative: _UrlRelative) -> str:
    cleaned = _cleaner(url_relative).clean(source)
    # `source` has no controls; the cleaner's output can only gain one by decoding a numeric
    # character reference (`&#27;`): no named reference stands for a control character.
    return strip_controls(cleaned) if "&#" in source else cleaned


def _clean_within(
    source: str,
    max_chars: int,
    url_relative: _UrlRelative = "deny",
) -> str:
    """Clean `source`, cutting the input shorter until the clean output fits `max_chars`.

    Cleaning can lengthen a cut fragment (closing tags, absolute URLs, `rel` attributes); the
    output is never cut itself, as that could leave half a tag.
    """
    limit = max_chars
    for _attempt in range(4):
        cleaned = _clean(source[:limit], url_relative)
        if len(cleaned) <= max_chars:
            return cleaned
        limit -= len(cleaned) - max_chars + 16
        if limit <= 0:
            break
    # Markup overhead alone exceeds the cap: keep escaped words only (escaping grows text at
    # most five-fold, "&" -> "&amp;").
    words = html.unescape(_TAG.sub(" ", source[:max_chars]))
    return html.escape(" ".join(words.split())[: max_chars // 5], quote=False)


def text_to_html(text: str, *, max_chars: int) -> str:
    """Turn plain text (Atom `type="text"`, JSON `content_text`) into escaped HTML paragraphs."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", strip_controls(text[:max_chars]))]
    body = "".join(
        "<p>" + html.escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs if p
    )
    return body if len(body) <= max_chars else _clean_within(body, max_chars)


def html_to_text(cleaned_html: str) -> str:
    """Plain text of sanitized HTML (for search and scoring): the text of its blocks
    (`reader.parse.blocks`), apart by blank lines, with line breaks kept, whitespace collapsed."""
    return html_text(cleaned_html)


def one_line_text(value: str | None, *, is_html: bool, max_chars: int) -> str | None:
    """A title/author-like field as one line of plain text; None when nothing is left.

    HTML (Atom `type="html"`, or an RSS title feedparser found to be HTML) is sanitized first
    and reduced to its text, so markup never reaches a one-line field.
    """
    if not value:
        return None
    if is_html and _LOOKS_LIKE_MARKUP.search(value):
        value = html_to_text(nh3.clean(strip_controls(value[:max_chars]), tags=set()))
    # Controls vanish (ESC must not leave a gap); line breaks and tabs fold to spaces.
    result = plain(strip_controls(value))[:max_chars]
    return result or None


def safe_link(
    url: str | None, *, base: str | None, schemes: frozenset[str] = ITEM_LINK_SCHEMES
) -> str | None:
    """An absolute link with an allowed scheme, resolved against `base`; None otherwise."""
    if not url:
        return None
    candidate = "".join(strip_controls(url).split())
    if not candidate:
        return None
    if is_plain_http_url(candidate) and candidate[: candidate.index(":")] in schemes:
        return candidate  # absolute, with a host: what the checks below would find
    try:
        if is_absolute_http_url(base) and not candidate.startswith(("http://", "https://")):
            candidate = urljoin(base or "", candidate)
        parts = urlsplit(candidate)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        return None
    if scheme in ITEM_LINK_SCHEMES and not parts.netloc:
        return None
    return candidate


def cap(value: str | None, max_chars: int) -> str | None:
    """Cut a text field to the cap; None stays None and empty becomes None."""
    if not value:
        return None
    return value[:max_chars]
