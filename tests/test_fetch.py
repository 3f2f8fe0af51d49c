"""The HTTP fetcher against a real loopback server: validators, encodings, limits, redirects."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import zlib
from collections.abc import AsyncIterator

import pytest

from reader import __version__
from reader.config import FetchSettings
from reader.exceptions import (
    BlockedAddressError,
    DeadlineExceededError,
    FetchError,
    ResponseTooLargeError,
)
from reader.fetch import Fetcher
from reader.fetch.client import parse_max_age, parse_retry_after
from reader.fetch.decoding import BodyDecoder, BodyTooLarge, UnsupportedEncoding
from reader.models import Validators
from tests.loopback_server import LoopbackServer, loopback_server

__all__ = ["loopback_server"]

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><guid>a</guid><title>One</title></item></channel></rss>"""


@pytest.fixture
async def fetcher(loopback_server: LoopbackServer) -> AsyncIterator[Fetcher]:
    settings = FetchSettings(timeout=2.0, max_body_bytes=256 * 1024, max_redirects=3)
    async with Fetcher(settings, frozenset({loopback_server.authority})) as client:
        yield client


async def test_plain_fetch_returns_body_validators_and_sends_user_agent(
    fetcher: Fetcher, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.feed("feed.xml", RSS)
    result = await fetcher.fetch(url)
    assert result.status == 200
    assert result.body == RSS
    assert result.final_url == url
    assert result.permanent_url is None
    assert result.validators.etag is not None
    assert result.validators.last_modified is not None
    sent = loopback_server.requests[-1].headers
    assert sent["User-Agent"] == f"topic-reader/{__version__} (topic feed reader)"
    assert "gzip" in sent["Accept-Encoding"]


async def test_a_configured_contact_is_sent_in_the_user_agent(
    loopback_server: LoopbackServer,
) -> None:
    settings = FetchSettings(contact="https://example.org/about-my-reader")
    async with Fetcher(settings, frozenset({loopback_server.authority})) as client:
        await client.fetch(loopback_server.feed("feed.xml", RSS))
    assert loopback_server.requests[-1].headers["User-Agent"] == (
        f"topic-reader/{__version__} (topic feed reader; +https://example.org/about-my-reader)"
    )


async def test_stored_validators_make_a_conditional_request_answered_304(
    fetcher: Fetcher, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.feed("feed.xml", RSS)
    first = await fetcher.fetch(url)
    second = await fetcher.fetch(url, first.validators)
    assert second.status == 304
    assert second.body is None
    sent = loopback_server.requests[-1].headers
    assert sent["If-None-Match"] == first.validators.etag
    assert sent["If-Modified-Since"] == first.validators.last_modified


async def test_last_modified_alone_is_sent_back(
    fetcher: Fetcher, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.feed("feed.xml", RSS, etag=False)
    first = await fetcher.fetch(url)
    assert first.validators == Validators(None, first.validators.last_modified)
    second = await fetcher.fetch(url, first.validators)
    assert second.status == 304


async def test_gzip_body_is_decoded(fetcher: Fetcher, loopback_server: LoopbackServer) -> None:
    url = loopback_server.feed("feed.xml", RSS, gzip_body=True)
    result = await fetcher.fetch(url)
    assert result.body == RSS


async def test_doubled_gzip_encoding_is_decoded_layer_by_layer(
    fetcher: Fetcher, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.double_gzip("double.xml", RSS)
    assert (await fetcher.fetch(url)).body == RSS


async def test_gzip_bomb_is_refused_at_the_decoded_cap(
    fetcher: Fetcher, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.gzip_bomb("bomb.xml", 64 * 1024 * 1024)
    with pytest.raises(ResponseTooLargeError, match="over 262144 bytes"):
        await fetcher.fetch(url)


async def test_oversized_streamed_body_without_length_is_refused(
    fetcher: Fetcher, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.oversized("big.xml", 4 * 1024 * 1024)
    with pytest.raises(ResponseTooLargeError):
        await fetcher.fetch(url)


async def test_declared_oversized_length_is_refused_before_reading(
    fetcher: Fetcher, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.oversized("big.xml", 4 * 1024 * 1024, declare_length=True)
    with pytest.raises(ResponseTooLargeError, match="4194304 bytes"):
        await fetcher.fetch(url)


async def test_dripping_server_cannot_hold_a_request_past_the_deadline(
    loopback_server: LoopbackServer,
) -> None:
    # Each byte arrives well within any per-read timeout; the whole body would take ~30 s.
    url = loopback_server.drip("slow.xml", RSS, interval=0.2)
    settings = FetchSettings(timeout=1.0)
    async with Fetcher(settings, frozenset({loopback_server.authority})) as client:
        with pytest.raises(DeadlineExceededError, match="within 1 s"):
            await client.fetch(url)


async def test_permanent_redirect_chain_reports_the_new_address(
    fetcher: Fetcher, loopback_server: LoopbackServer
) -> None:
    final = loopback_server.feed("new.xml", RSS)
    loopback_server.redirect("middle.xml", final, status=308)
    start = loopback_server.redirect("old.xml", loopback_server.url("middle.xml"), status=301)
    result = await fetcher.fetch(start)
    assert result.status == 200
    assert result.final_url == final
    assert result.permanent_url == final


@pytest.mark.parametrize("temporary", [302, 303, 307])
async def test_temporary_redirect_anywhere_in_the_chain_keeps_the_old_address(
    fetcher: Fetcher, loopback_server: LoopbackServer, temporary: int
) -> None:
    final = loopback_server.feed("new.xml", RSS)
    loopback_server.redirect("middle.xml", final, status=301)
    start = loopback_server.redirect("old.xml", "/middle.xml", status=temporary)
    result = await fetcher.fetch(start)
    assert result.body == RSS
    assert result.permanent_url is None


async def test_redirect_loop_stops_at_the_redirect_limit(
    fetcher: Fetcher, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.redirect("loop.xml", "/loop.xml", status=302)
    with pytest.raises(FetchError, match="more than 3 redirects"):
        await fetcher.fetch(url)
    assert loopback_server.hits["loop.xml"] == 4


async def test_redirect_to_a_non_http_scheme_is_refused(
    fetcher: Fetcher, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.redirect("evil.xml", "file:///etc/passwd", status=301)
    with pytest.raises(FetchError, match="only http and https"):
        await fetcher.fetch(url)


async def test_error_statuses_are_returned_with_retry_after(
    fetcher: Fetcher, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.status("busy.xml", 429, headers={"Retry-After": "120"})
    result = await fetcher.fetch(url)
    assert (result.status, result.retry_after, result.body) == (429, 120, None)


async def test_cache_headers_are_reported(
    fetcher: Fetcher, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.feed(
        "feed.xml",
        RSS,
        headers={
            "Cache-Control": "public, max-age=900",
            "Expires": "Wed, 21 Oct 2037 07:28:00 GMT",
        },
    )
    result = await fetcher.fetch(url)
    assert result.max_age == 900
    assert result.expires is not None and result.expires.year == 2037


async def test_loopback_address_without_an_allow_entry_is_refused(
    loopback_server: LoopbackServer,
) -> None:
    url = loopback_server.feed("feed.xml", RSS)
    async with Fetcher(FetchSettings(timeout=2.0)) as client:
        with pytest.raises(BlockedAddressError, match=r"non-public address 127\.0\.0\.1"):
            await client.fetch(url)
    assert loopback_server.hits["feed.xml"] == 0


async def test_redirect_from_an_allowed_host_to_another_loopback_port_is_refused(
    fetcher: Fetcher, loopback_server: LoopbackServer
) -> None:
    with LoopbackServer() as other:
        target = other.feed("private.xml", RSS)
        url = loopback_server.redirect("hop.xml", target, status=302)
        with pytest.raises(BlockedAddressError) as caught:
            await fetcher.fetch(url)
        assert caught.value.url == url
        assert other.hits["private.xml"] == 0


async def test_host_name_resolving_to_loopback_is_refused(loopback_server: LoopbackServer) -> None:
    url = f"http://localhost:{loopback_server.port}/feed.xml"
    loopback_server.feed("feed.xml", RSS)
    async with Fetcher(FetchSettings(timeout=2.0), frozenset({"127.0.0.1:1"})) as client:
        with pytest.raises(BlockedAddressError, match="localhost"):
            await client.fetch(url)


async def test_connection_refused_is_a_fetch_error() -> None:
    with LoopbackServer() as gone:
        authority, url = gone.authority, gone.url("feed.xml")
    async with Fetcher(FetchSettings(timeout=2.0), frozenset({authority})) as client:
        with pytest.raises(FetchError, match="connection failed"):
            await client.fetch(url)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("30", now) == 30
    assert parse_retry_after("Thu, 01 Jan 2026 12:02:00 GMT", now) == 120
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_max_age('no-cache, max-age="60"') == 60
    assert parse_max_age("no-store") is None


def test_body_decoder_handles_zlib_and_raw_deflate_and_multi_member_gzip() -> None:
    data = b"<rss>" + b"x" * 10_000 + b"</rss>"
    for payload in (zlib.compress(data), zlib.compress(data)[2:-4]):
        decoder = BodyDecoder("deflate", 1 << 20)
        for start in range(0, len(payload), 7):
            decoder.feed(payload[start : start + 7])
        assert decoder.finish() == data
    members = gzip.compress(data[:5000]) + gzip.compress(data[5000:])
    decoder = BodyDecoder("x-gzip", 1 << 20)
    decoder.feed(members)
    assert decoder.finish() == data


def test_body_decoder_stops_at_the_cap_and_names_unknown_encodings() -> None:
    decoder = BodyDecoder("gzip", 1000)
    with pytest.raises(BodyTooLarge):
        decoder.feed(gzip.compress(b"\0" * 1001))
    with pytest.raises(UnsupportedEncoding, match="br"):
        BodyDecoder("br", 1000)
    identity = BodyDecoder("identity", 10)
    identity.feed(b"0123456789")
    with pytest.raises(BodyTooLarge):
        identity.feed(b"!")


async def test_redirect_to_an_invalid_location_is_a_fetch_error(
    fetcher: Fetcher, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.redirect("bad.xml", "http://[::1/feed", status=302)
    with pytest.raises(FetchError, match=r"redirect to an invalid URL 'http://\[::1/feed'"):
        await fetcher.fetch(url)
    loopback_server.redirect("port.xml", "http://127.0.0.1:99999999/feed", status=302)
    with pytest.raises(FetchError, match="port out of range"):
        await fetcher.fetch(loopback_server.url("port.xml"))


async def test_unresolvable_host_is_a_fetch_error_naming_the_feed(fetcher: Fetcher) -> None:
    url = "http://no-such-host.invalid/feed.xml"
    with pytest.raises(FetchError, match=r"cannot resolve no-such-host\.invalid") as caught:
        await fetcher.fetch(url)
    assert caught.value.url == url


async def _serve_counting(
    close_after_response: bool,
) -> tuple[asyncio.Server, list[asyncio.StreamWriter]]:
    """A tiny HTTP/1.1 server on 127.0.0.1 that lists its connections; it either keeps each
    connection open or closes it (without saying so) right after every response."""
    connections: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        body = b'<rss version="2.0"><channel><title>t</title></channel></rss>'
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                if not request:
                    break
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                )
                await writer.drain()
                if close_after_response:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, connections


@pytest.mark.parametrize("close_after_response", [False, True])
async def test_pooled_connections_are_reused_and_dropped_once_the_server_closed_them(
    close_after_response: bool,
) -> None:
    server, connections = await _serve_counting(close_after_response)
    port = server.sockets[0].getsockname()[1]
    settings = FetchSettings(allow=(f"127.0.0.1:{port}",), timeout=5.0)
    try:
        async with Fetcher(settings, frozenset(settings.allow)) as fetcher:
            for _ in range(3):
                result = await fetcher.fetch(f"http://127.0.0.1:{port}/feed.xml")
                assert result.status == 200
                await asyncio.sleep(0.05)  # let a closing server's FIN arrive
    finally:
        server.close()
        for writer in connections:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        await server.wait_closed()
    # Kept open: one connection serves all three. Closed by the server: each fetch notices
    # the dead idle connection and opens a new one instead of failing.
    assert len(connections) == (3 if close_after_response else 1)


def test_tls_context_loads_the_ca_bundle_at_the_first_handshake_as_httpx_would() -> None:
    import ssl

    import httpx

    from reader.fetch.transport import DeferredCAContext

    context = DeferredCAContext.create()
    default = httpx.create_ssl_context(trust_env=False)
    assert context.get_ca_certs() == []  # nothing loaded by a command that fetches no https
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="feeds.example")
    assert context.cert_store_stats() == default.cert_store_stats()
    for setting in ("verify_mode", "verify_flags", "options", "minimum_version", "protocol"):
        assert getattr(context, setting) == getattr(default, setting), setting
