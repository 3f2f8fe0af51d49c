"""One spelling per feed address, so the same feed is never subscribed twice."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def canonical_feed_url(url: str) -> str:
    """`url` with its scheme and host in lower case (``HTTP://Host/x`` is ``http://host/x``).

    Both are case-insensitive by RFC 3986; the path, query and any user info keep their
    case, which servers may rely on. Text that does not split as a URL is returned trimmed.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return url
    if not parts.scheme or host is None:
        return url
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    return urlunsplit(
        (
            parts.scheme.lower(),
            f"{userinfo}{at}{hostport.lower()}",
            parts.path,
            parts.query,
            parts.fragment,
        )
    )
