"""The fetcher's transport: an httpx transport over an httpcore connection pool we build.

httpx's own transport builds its pool without a way to pass a network backend; ours is built
(`_httpcore_compat.connection_pool`) with `GuardedNetworkBackend`, so every connection, on
every redirect hop, goes to an address the guard vetted. This module uses only public httpx
and httpcore API: requests and responses are httpx's, errors are httpx's exception tree.
"""

from __future__ import annotations

import contextlib
import os
import ssl
import sys
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from types import TracebackType
from typing import Any

import httpcore
import httpx

# httpcore's exceptions and httpx's equivalents, the more specific first (the first match wins).
_ERRORS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.ProxyError, httpx.ProxyError),
)


@contextlib.contextmanager
def httpx_errors() -> Iterator[None]:
    """Raise httpcore's errors as httpx's; anything else (the guard's own) passes through."""
    try:
        yield
    except Exception as exc:
        for source, target in _ERRORS:
            if isinstance(exc, source):
                raise target(str(exc)) from exc
        raise


class _ResponseStream(httpx.AsyncByteStream):
    """A response body read from httpcore, its errors raised as httpx's."""

    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with httpx_errors():
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        close = getattr(self._stream, "aclose", None)
        if close is not None:
            await close()


class PoolTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests through an httpcore connection pool; owns the pool's life."""

    def __init__(self, pool: httpcore.AsyncConnectionPool) -> None:
        self.pool = pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with httpx_errors():
            response = await self.pool.handle_async_request(core_request)
        assert isinstance(response.stream, AsyncIterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    async def __aenter__(self) -> PoolTransport:
        await self.pool.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.pool.__aexit__(exc_type, exc, traceback)

    async def aclose(self) -> None:
        await self.pool.aclose()


class DeferredCAContext(ssl.SSLContext):
    """A client TLS context, as `ssl.create_default_context(cafile=certifi.where())` makes
    (httpx's default), that loads the certificate bundle on its first TLS connection.

    Loading the bundle costs tens of milliseconds of every command that fetches, at its
    start; an update of plain-http feeds (and every all-304 update) never needs it. Host
    names and certificates are checked as before: the bundle is in before any handshake.
    """

    _bundle_loaded = False

    @classmethod
    def create(cls) -> DeferredCAContext:
        context = cls(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED, host names checked
        keylog = os.environ.get("SSLKEYLOGFILE")
        if keylog and not sys.flags.ignore_environment:  # as create_default_context does
            context.keylog_filename = keylog
        return context

    def _load_bundle(self) -> None:
        if not self._bundle_loaded:
            import certifi

            self.load_verify_locations(cafile=certifi.where())
            self._bundle_loaded = True

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        self._load_bundle()
        return super().wrap_bio(*args, **kwargs)

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self._load_bundle()
        return super().wrap_socket(*args, **kwargs)
