"""The HTTP fetcher: one shared client, bounded concurrency, and limits no server can break.

`Fetcher.fetch` returns a `FetchResult` (data, not decisions: the updater decides what a
status means) or raises a `FetchError`. It follows redirects itself, so every hop is checked
(scheme, address via `GuardedNetworkBackend`), and it reads raw bytes under one deadline for
the whole exchange, decoding them within the size cap (`BodyDecoder`).
"""

from __future__ import annotations

import asyncio
import re
import time
import zlib
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType

import httpx

from reader import __version__
from reader.config import FetchSettings
from reader.exceptions import (
    BlockedAddressError,
    DeadlineExceededError,
    FetchError,
    ResponseTooLargeError,
)
from reader.fetch._httpcore_compat import connection_pool, settle_sniffio
from reader.fetch.decoding import ACCEPT_ENCODING, BodyDecoder, BodyTooLarge, UnsupportedEncoding
from reader.fetch.netguard import ALLOWED_SCHEMES, GuardedNetworkBackend
from reader.fetch.transport import DeferredCAContext, PoolTransport
from reader.models import FetchResult, Validators


def user_agent(contact: str = "") -> str:
    """Who we are: the project's name and version, what it does, and (when the user has set
    `[fetch] contact`) how a feed's owner can reach whoever runs it."""
    reach = f"; +{contact}" if contact else ""
    return f"topic-reader/{__version__} (topic feed reader{reach})"


USER_AGENT = user_agent()
"""The User-Agent without a contact."""

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9,"
    " application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def parse_retry_after(value: str | None, now: datetime) -> int | None:
    """Seconds to wait from a `Retry-After` header (delay-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    when = parse_http_date(value)
    if when is None:
        return None
    return max(0, int((when - now).total_seconds()))


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP date header as an aware UTC datetime, or None when it is not a date."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def parse_max_age(cache_control: str | None) -> int | None:
    """`max-age` seconds from a `Cache-Control` header (None when absent)."""
    if not cache_control:
        return None
    match = _MAX_AGE.search(cache_control)
    return int(match.group(1)) if match else None


ACCEPT_PAGE = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
"""What a web page request (an article, a site to find feeds on) accepts."""


def request_headers(
    validators: Validators, agent: str = USER_AGENT, accept: str = ACCEPT
) -> dict[str, str]:
    """Headers of a (conditional) feed request, or a page request with `accept`."""
    headers = {
        "User-Agent": agent,
        "Accept": accept,
        "Accept-Encoding": ACCEPT_ENCODING,
    }
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


class Fetcher:
    """Fetches feeds over one shared `httpx.AsyncClient` (HTTP/2 where offered).

    Concurrency is bounded over all hosts (`concurrency`) and per host (`per_host`); a
    request waits for its host slot before it takes a global one, so a busy host never
    starves the others. Use as an async context manager.
    """

    def __init__(
        self,
        settings: FetchSettings,
        allow: frozenset[str] = frozenset(),
    ) -> None:
        self.settings = settings
        self.allow = allow
        self.user_agent = user_agent(settings.contact)
        self._global = asyncio.Semaphore(max(1, settings.concurrency))
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(max(1, settings.per_host))
        )
        self._transport = _guarded_transport(settings, allow)
        timeout = httpx.Timeout(
            settings.timeout, connect=settings.connect_timeout, pool=settings.timeout
        )
        # Requests go to the transport itself: a client's layers (auth, redirects, cookies,
        # event hooks) would all be unused here, and cost about a tenth of the fetch path's CPU.
        self._request_extensions = {"timeout": timeout.as_dict()}

    async def __aenter__(self) -> Fetcher:
        await self._transport.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._transport.__aexit__(exc_type, exc, tb)

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def fetch(
        self, url: str, validators: Validators | None = None, *, accept: str = ACCEPT
    ) -> FetchResult:
        """Fetch `url` conditionally; return the final status, headers and decoded body.

        `accept` is the Accept header (feeds by default; `ACCEPT_PAGE` for web pages): the
        same guard, deadline and size cap apply to everything fetched.

        Raises `BlockedAddressError`, `DeadlineExceededError`, `ResponseTooLargeError`, or
        `FetchError` (network failure, bad redirect, too many redirects).
        """
        validators = validators or Validators()
        started = time.monotonic()
        remaining = self.settings.timeout
        current = url
        only_permanent = True
        hops = 0
        while True:
            target = _checked_url(url, current)
            host = target.host
            async with self._hosts[host], self._global:
                hop_started = time.monotonic()
                try:
                    async with asyncio.timeout(remaining):
                        result = await self._exchange(url, target, validators, started, accept)
                except TimeoutError:
                    raise DeadlineExceededError(
                        url, f"no complete response within {self.settings.timeout:g} s"
                    ) from None
                remaining -= time.monotonic() - hop_started
            if isinstance(result, FetchResult):
                if only_permanent and hops and result.status < 400:
                    result = replace(result, permanent_url=str(target))
                return result
            status, location = result
            hops += 1
            if hops > self.settings.max_redirects:
                raise FetchError(url, f"more than {self.settings.max_redirects} redirects")
            only_permanent = only_permanent and status in PERMANENT_REDIRECTS
            try:
                current = str(target.join(location))
            except (httpx.InvalidURL, ValueError) as exc:
                raise FetchError(url, f"redirect to an invalid URL {location!r}: {exc}") from None
            if remaining <= 0:
                raise DeadlineExceededError(
                    url, f"no complete response within {self.settings.timeout:g} s"
                )

    async def post_json(self, url: str, body: bytes) -> int:
        """POST a JSON `body` to `url` (a webhook) through the same guard, deadline and
        connection limits as fetches; return the status. Redirects are not followed (a
        POST's redirect would repeat the body elsewhere). `FetchError` on failure."""
        target = _checked_url(url, url)
        request = httpx.Request(
            "POST",
            target,
            headers={"User-Agent": self.user_agent, "Content-Type": "application/json"},
            content=body,
            extensions=self._request_extensions,
        )
        async with self._hosts[target.host], self._global:
            try:
                async with asyncio.timeout(self.settings.timeout):
                    response = await self._transport.handle_async_request(request)
                    try:
                        await response.aread()
                    finally:
                        await response.aclose()
            except TimeoutError:
                raise DeadlineExceededError(
                    url, f"no complete response within {self.settings.timeout:g} s"
                ) from None
            except BlockedAddressError as exc:
                raise BlockedAddressError(url, exc.message) from exc
            except FetchError:
                raise
            except httpx.HTTPError as exc:
                raise FetchError(url, f"connection failed: {_describe(exc)}") from exc
        return response.status_code

    async def _exchange(
        self, url: str, target: httpx.URL, validators: Validators, started: float, accept: str
    ) -> FetchResult | tuple[int, str]:
        """One request: a final `FetchResult`, or (status, Location) for a redirect."""
        request = httpx.Request(
            "GET",
            target,
            headers=request_headers(validators, self.user_agent, accept),
            extensions=self._request_extensions,
        )
        try:
            response = await self._transport.handle_async_request(request)
        except httpx.TimeoutException as exc:
            raise FetchError(url, f"timed out ({_describe(exc)})") from exc
        except httpx.RemoteProtocolError as exc:
            raise FetchError(url, f"bad response: {_describe(exc)}") from exc
        except httpx.HTTPError as exc:
            raise FetchError(url, f"connection failed: {_describe(exc)}") from exc
        except BlockedAddressError as exc:  # refused by the guard: name the feed, keep why
            raise BlockedAddressError(url, exc.message) from exc
        except FetchError as exc:  # the guard could not resolve the host
            raise FetchError(url, exc.message) from exc
        try:
            status = response.status_code
            if status in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    raise FetchError(url, f"HTTP {status} redirect without a Location")
                return status, location
            now = datetime.now(UTC)
            body: bytes | None = None
            if 200 <= status < 300:
                body = await self._read_body(url, response)
            return FetchResult(
                url=url,
                final_url=str(target),
                status=status,
                body=body,
                content_type=response.headers.get("Content-Type"),
                validators=Validators(
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                ),
                retry_after=parse_retry_after(response.headers.get("Retry-After"), now),
                max_age=parse_max_age(response.headers.get("Cache-Control")),
                expires=parse_http_date(response.headers.get("Expires")),
                elapsed=time.monotonic() - started,
            )
        finally:
            await response.aclose()

    async def _read_body(self, url: str, response: httpx.Response) -> bytes:
        """The decoded body, read raw and inflated here within `max_body_bytes`."""
        cap = self.settings.max_body_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise ResponseTooLargeError(url, f"body of {int(declared)} bytes is over {cap}")
        try:
            decoder = BodyDecoder(response.headers.get("Content-Encoding"), cap)
            async for raw in response.aiter_raw():
                decoder.feed(raw)
            return decoder.finish()
        except BodyTooLarge:
            raise ResponseTooLargeError(url, f"decoded body is over {cap} bytes") from None
        except UnsupportedEncoding as exc:
            raise FetchError(url, f"unsupported Content-Encoding {exc.args[0]!r}") from None
        except zlib.error as exc:
            raise FetchError(url, f"corrupt compressed body: {exc}") from None
        except httpx.TimeoutException as exc:
            raise FetchError(url, f"timed out reading the body ({_describe(exc)})") from exc
        except httpx.HTTPError as exc:
            raise FetchError(url, f"connection failed reading the body: {_describe(exc)}") from exc


def _checked_url(feed_url: str, url: str) -> httpx.URL:
    """`url` parsed, if it is an http(s) URL with a host; else a `FetchError`."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise FetchError(feed_url, f"invalid URL {url!r}: {exc}") from None
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise FetchError(feed_url, f"refused URL {url!r}: only http and https are fetched")
    if not parsed.host:
        raise FetchError(feed_url, f"invalid URL {url!r}: no host")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise FetchError(feed_url, f"invalid URL {url!r}: port out of range")
    return parsed


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _guarded_transport(settings: FetchSettings, allow: frozenset[str]) -> PoolTransport:
    """A transport whose every connection goes through the address guard."""
    settle_sniffio()
    return PoolTransport(
        connection_pool(
            # One context for every request; its CA bundle loads on the first TLS connection.
            ssl_context=DeferredCAContext.create(),
            max_connections=max(1, settings.concurrency),
            max_keepalive_connections=max(1, settings.concurrency),
            keepalive_expiry=30.0,
            network_backend=GuardedNetworkBackend(allow),
        )
    )
